"""`opsctl dashboards render|plan|apply|prune|list`: CloudWatch dashboards as code.

The work is opsctl.dashboards (render/layout/validate/plan pure, aws_io the AWS calls, workflow
between); this module parses flags, prints, asks for confirmation and picks exit codes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from opsctl.cli import aws_options, config_option
from opsctl.commands.options import (
    ROLE_HELP,
    Command,
    detailed_exitcode_option,
    format_option,
    option_help,
    output_dir_option,
    snapshot_option,
    yes_option,
)

OWNERSHIP_HELP = """\b
Ownership: a dashboard is opsctl's only when its name starts with the prefix ("opsctl-",
config dashboards.prefix) AND its body carries opsctl's marker (a text widget saying
`opsctl-managed`). Only such dashboards are ever updated or deleted; any other is left alone,
and a template that would overwrite one is reported as a conflict (apply then writes nothing).
Dashboards live in one region: config dashboards.region, else the first --region, else the
first of the config's regions, else the snapshot's first region, else your default region."""

VALIDATION_HELP = """\b
Before any write every body is checked against CloudWatch's rules (moto checks none of them):
valid JSON; at most 500 widgets, 2,500 metrics per dashboard, 500 per widget; x 0-23, width
1-24, x+width <= 24; a region on every metric widget; 1-100 ARNs per alarm widget; names of
1-255 characters A-Za-z0-9, "-" and "_". Any violation names dashboard and widget: exit 2,
nothing written."""

PLAN_EXIT_HELP = """\b
Exit codes:
  0  plan shown (with --detailed-exitcode: no changes)
  1  with --detailed-exitcode: dashboards to create, update or delete (terraform uses 2 for
     this; opsctl keeps 2 for usage errors, so 1 it is, as for `alarms plan`)
  2  usage, configuration, credential or validation error"""

WRITE_EXIT_HELP = """\b
Exit codes:
  0  done (or nothing to do)
  2  usage, configuration, credential or validation error; a conflict; declined; a write failed"""

#: How the shared account flags read here: regions are where the resources are collected from, the
#: first of them is also where the dashboards live (config dashboards.region wins).
_REGION_HELP = dict(
    regions="Region to collect the resources from; repeat for several. The first is also the dashboards region "
            "(unless config dashboards.region). Default: config `regions`, else your default region.",
    all_regions="Collect the resources of every region enabled in the account.",
    **ROLE_HELP,
)

#: `-o` is a FILE everywhere in opsctl; render writes a folder.
_NO_DASH_O = {"-o": "render writes a folder, use --output-dir DIR (-o is always a FILE)"}


def _interactive() -> bool:
    """Is someone there to answer the confirmation? (A function so tests can say yes.)"""
    from opsctl.output import is_terminal

    return is_terminal(sys.stdin)


def _err(text: str) -> None:
    click.echo(text, err=True)


def _load(config_path: str | None):
    from opsctl.config import load_config
    from opsctl.registry import load_builtin_checks

    return load_config(config_path, load_builtin_checks())


class _Session:
    """What plan/apply/prune share: config, snapshot, the Aws for dashboard I/O, the home region."""

    def __init__(self, aws_opts: Any, config_path: str | None, snapshot_path: str | None):
        from opsctl import audit as core
        from opsctl.aws import Aws
        from opsctl.cli import _progress
        from opsctl.dashboards import workflow
        from opsctl.errors import UsageError
        from opsctl.snapshot import load_snapshot

        if snapshot_path and aws_opts.all_regions:
            raise UsageError("--snapshot renders a saved snapshot; drop --all-regions")
        self.cfg = _load(config_path)
        self.settings = workflow.settings_from(self.cfg)
        self.aws = Aws(profile=aws_opts.profile, role_arn=aws_opts.role_arn, external_id=aws_opts.external_id,
                       workers=aws_opts.workers or self.cfg.workers or 16)
        if snapshot_path:
            self.snapshot = load_snapshot(snapshot_path)
            account = self.aws.identity()["account"]
            if account != self.snapshot.account:
                raise UsageError(f"--snapshot {snapshot_path} is of account {self.snapshot.account}, but the credentials "
                                 f"are of account {account}: its dashboards would describe another account's resources")
        else:
            with _progress() as progress:
                self.snapshot = core.collect_snapshot(aws_opts, self.cfg, progress, services=list(workflow.SERVICES)).snapshot
        self.region = workflow.home_region(self.settings, aws_opts.regions, self.cfg.regions,
                                           self.snapshot if snapshot_path else None, self.aws.default_region())
        self.aws.validate_regions([self.region])

    def plan(self):
        from opsctl.dashboards import workflow

        rendered = workflow.desired(self.snapshot, self.settings, self.region)
        return workflow.read_plan(self.aws, rendered, self.settings, self.region)


def _show(plan, fmt: str, extra: dict[str, Any] | None = None) -> None:
    from opsctl.dashboards.workflow import format_plan

    if fmt == "json":
        click.echo(json.dumps({**plan.to_dict(), **(extra or {})}, indent=1))
    else:
        click.echo(format_plan(plan), nl=False)


def _confirm(question: str, what: str) -> None:
    from opsctl.errors import UsageError

    if not click.confirm(question, default=False, err=True):
        raise UsageError(f"{what} declined; nothing was written")


@click.group("dashboards")
def dashboards() -> None:
    """Render, plan, apply and prune CloudWatch dashboards.

    An overview and one dashboard per tier of the architecture. Templates (Jinja2 → dashboard JSON, in opsctl's dashboards/ folder and the config's
    dashboards.templates_dir) are rendered from the account's resources; `plan` compares
    them with the account's dashboards, `apply` creates and updates, `prune` deletes the
    ones no template renders any more. Only dashboards opsctl owns are ever changed.

    \b
    Typical run:
      opsctl dashboards plan --region us-east-1
      opsctl dashboards apply --region us-east-1
    """


@dashboards.command("render", cls=Command, refuse=_NO_DASH_O, epilog=VALIDATION_HELP)
@option_help(**_REGION_HELP)
@aws_options
@config_option
@snapshot_option("Render a saved snapshot instead of collecting: no AWS call at all.")
@output_dir_option("Write one <name>.json per dashboard to DIR (made if missing). Default: all as one JSON "
                   "object on standard output.")
def render_command(aws_opts, config_path, snapshot_path, output_dir) -> None:
    """Render the dashboard bodies without touching the account's dashboards.

    With --snapshot nothing calls AWS at all: render in CI, review the JSON, then plan.
    Bodies are validated as for apply; an invalid one fails the command (exit 2, no file
    written).

    \b
    Examples:
      opsctl dashboards render --snapshot snap.json --output-dir out/
      opsctl dashboards render --snapshot snap.json | jq '."opsctl-data".widgets | length'
      opsctl dashboards render --region us-east-1 --output-dir out/   # collects first (read-only)
    """
    from opsctl import audit as core
    from opsctl.cli import _progress
    from opsctl.dashboards import workflow
    from opsctl.errors import UsageError
    from opsctl.snapshot import load_snapshot

    cfg = _load(config_path)
    settings = workflow.settings_from(cfg)
    if snapshot_path:
        if aws_opts.all_regions or aws_opts.role_arn:
            raise UsageError("--snapshot renders a saved snapshot offline; drop --all-regions/--role-arn")
        snap = load_snapshot(snapshot_path)
        default = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    else:
        with _progress() as progress:
            snap = core.collect_snapshot(aws_opts, cfg, progress, services=list(workflow.SERVICES)).snapshot
        default = snap.regions[0] if snap.regions else "us-east-1"
    region = workflow.home_region(settings, aws_opts.regions, cfg.regions, snap, default)
    rendered = workflow.desired(snap, settings, region)
    bodies = {r.name: r.body for r in rendered if r.body is not None}
    for r in rendered:
        if r.incomplete:
            _err(f"warning: {r.name}: incomplete input ({'; '.join(g.reason for g in r.gaps[:2])}); "
                 "plan/apply would leave this dashboard as it is")
        elif r.body is None:
            _err(f"{r.name}: template {r.template.file} renders no widgets (no resources of its tier): no dashboard")
    if not output_dir:
        click.echo(json.dumps(bodies, indent=1, ensure_ascii=False))
        return
    out = Path(output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, body in bodies.items():
            (out / f"{name}.json").write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output-dir: cannot write to {out} ({exc.strerror or exc})") from None
    _err(f"wrote {len(bodies)} dashboard bodies to {out}/ (dashboards region {region})")


@dashboards.command("plan", epilog=OWNERSHIP_HELP + "\n\n" + PLAN_EXIT_HELP)
@option_help(**_REGION_HELP)
@aws_options
@config_option
@snapshot_option("Render from a saved snapshot instead of collecting (the account's dashboards are still read).")
@format_option(aliases={"text": "table"})
@detailed_exitcode_option("Exit 1 when there is something to create, update or delete.")
def plan_command(aws_opts, config_path, snapshot_path, fmt, detailed_exitcode) -> None:
    """Show, per dashboard, what apply and prune would do (read-only).

    Each dashboard is one of: create; update (the widgets added, removed and changed follow,
    by title; "moved" counts widgets whose position alone changed); unchanged; delete (an
    owned dashboard no template renders any more — `prune` deletes it); conflict (a
    dashboard opsctl does not own has the name); skip (the resources its template reads
    could not all be collected, so it is left as it is).

    \b
    Examples:
      opsctl dashboards plan --region us-east-1
      opsctl dashboards plan --snapshot snap.json --format json
      opsctl dashboards plan --detailed-exitcode || echo "dashboards drifted"
    """
    plan = _Session(aws_opts, config_path, snapshot_path).plan()
    _show(plan, fmt)
    if detailed_exitcode and plan.has_changes:
        sys.exit(1)


@dashboards.command("apply", epilog=OWNERSHIP_HELP + "\n\n" + VALIDATION_HELP + "\n\n" + WRITE_EXIT_HELP)
@option_help(**_REGION_HELP)
@aws_options
@config_option
@snapshot_option("Render from a saved snapshot instead of collecting (the account's dashboards are still read "
                 "and written).")
@yes_option("Apply")
@format_option(aliases={"text": "table"})
def apply_command(aws_opts, config_path, snapshot_path, assume_yes, fmt) -> None:
    """Create and update dashboards (PutDashboard) after showing the plan and asking.

    Never deletes: `prune` does that. Applying twice in a row writes nothing the second
    time. A conflict (a dashboard of a template's name that opsctl does not own) stops the
    apply before any write.

    \b
    Needs cloudwatch:ListDashboards, cloudwatch:GetDashboard, cloudwatch:PutDashboard (plus the
    audit's read-only permissions to collect the resources, unless --snapshot).

    \b
    Examples:
      opsctl dashboards apply --region us-east-1
      opsctl dashboards apply --region us-east-1 --yes      # in CI, after reviewing `dashboards plan`
    """
    from opsctl.dashboards import workflow
    from opsctl.dashboards.plan import CREATE, UPDATE
    from opsctl.errors import UsageError

    if not assume_yes and not _interactive():
        raise UsageError("dashboards apply writes to your account and asks first; not on a terminal, "
                         "so pass --yes to apply without asking")
    session = _Session(aws_opts, config_path, snapshot_path)
    plan = session.plan()
    if fmt == "table":
        _show(plan, fmt)
    writes = plan.of(CREATE, UPDATE)
    if not writes:
        if fmt == "json":
            _show(plan, fmt, {"applied": []})
        else:
            click.echo("Nothing to apply.")
        return
    if not assume_yes:
        _confirm(f"Create {len(plan.of(CREATE))} and update {len(plan.of(UPDATE))} dashboard(s) in {plan.region}?", "apply")
    outcome = workflow.apply(session.aws, plan, echo=(lambda line: click.echo(f"  {line}")) if fmt == "table" else None)
    for warning in outcome.warnings:
        _err(f"warning: {warning}")
    if fmt == "json":
        _show(plan, fmt, {"applied": outcome.done, "warnings": outcome.warnings})
    else:
        click.echo(f"Applied: {len(outcome.done)} dashboard(s) written in {plan.region}.")


@dashboards.command("prune", epilog=OWNERSHIP_HELP + "\n\n" + WRITE_EXIT_HELP)
@option_help(**_REGION_HELP)
@aws_options
@config_option
@snapshot_option("Render from a saved snapshot instead of collecting (the account's dashboards are still read "
                 "and deleted).")
@yes_option("Prune")
def prune_command(aws_opts, config_path, snapshot_path, assume_yes) -> None:
    """Delete the owned dashboards that no template renders any more (DeleteDashboards).

    A dashboard is deleted only when it has opsctl's prefix AND marker, and no template
    renders it — because the template was removed, or its tier has no resources left. A
    template whose input could not be fully collected keeps its dashboard.

    \b
    Examples:
      opsctl dashboards prune --region us-east-1
      opsctl dashboards prune --region us-east-1 --yes
    """
    from opsctl.dashboards import workflow
    from opsctl.dashboards.plan import DELETE
    from opsctl.errors import UsageError

    if not assume_yes and not _interactive():
        raise UsageError("dashboards prune deletes from your account and asks first; not on a terminal, "
                         "so pass --yes to prune without asking")
    session = _Session(aws_opts, config_path, snapshot_path)
    plan = session.plan()
    doomed = plan.of(DELETE)
    if not doomed:
        click.echo(f"Nothing to prune: every opsctl dashboard in {plan.region} is still rendered by a template.")
        return
    for c in doomed:
        click.echo(f"  - {c.name}: {c.reason}")
    if not assume_yes:
        _confirm(f"Delete {len(doomed)} dashboard(s) in {plan.region}?", "prune")
    outcome = workflow.prune(session.aws, plan, echo=lambda line: click.echo(f"  {line}"))
    click.echo(f"Pruned: {len(outcome.done)} dashboard(s) deleted in {plan.region}.")


@dashboards.command("list", epilog=OWNERSHIP_HELP)
@option_help(regions="The dashboards region to list (config dashboards.region wins; only the first --region "
                     "counts). Default: the first of config `regions`, else your default region.",
             all_regions=None, workers=None, **ROLE_HELP)
@aws_options
@config_option
@format_option(aliases={"text": "table"})
def list_command(aws_opts, config_path, fmt) -> None:
    """List the dashboards in the dashboards region, and which of them opsctl owns.

    Read-only: ListDashboards, and GetDashboard for each dashboard with the prefix (to look for
    opsctl's marker). Nothing is collected or audited.

    \b
    Examples:
      opsctl dashboards list --region us-east-1
      opsctl dashboards list --format json | jq -r '.dashboards[] | select(.owned) | .name'
    """
    from opsctl.aws import Aws
    from opsctl.dashboards import aws_io, workflow
    from opsctl.dashboards.plan import ownership
    from opsctl.errors import UsageError

    if aws_opts.all_regions:
        raise UsageError("dashboards list reads one region, the dashboards region; drop --all-regions")
    cfg = _load(config_path)
    settings = workflow.settings_from(cfg)
    aws = Aws(profile=aws_opts.profile, role_arn=aws_opts.role_arn, external_id=aws_opts.external_id)
    region = workflow.home_region(settings, aws_opts.regions, cfg.regions, None, aws.default_region())
    aws.validate_regions([region])
    current = aws_io.read_current(aws, region, settings.prefix)
    rows = [(d, ownership(d, settings.prefix)) for d in current.values()]
    if fmt == "json":
        click.echo(json.dumps({"region": region, "prefix": settings.prefix, "dashboards": [
            {"name": d.name, "owned": why == "yes", "ownership": why, "last_modified": d.last_modified, "size": d.size}
            for d, why in rows]}, indent=1))
        return
    if not rows:
        click.echo(f"No dashboards in {region}.")
        return
    width = max(len(d.name) for d, _ in rows)
    click.echo(f"{'Dashboard':<{width}}  {'Owned by opsctl':<36}  Last modified")
    for d, why in rows:
        click.echo(f"{d.name:<{width}}  {why:<36}  {d.last_modified}")
    owned = sum(1 for _, why in rows if why == "yes")
    click.echo(f"{len(rows)} dashboard(s) in {region}: {owned} owned by opsctl, {len(rows) - owned} not.")


def register(cli: click.Group) -> None:
    cli.add_command(dashboards)
