"""The dashboards use cases, callable without click: render → validate → plan → apply / prune.

    snapshot ─render_all─▶ Rendered ─validate─▶ desired bodies
    aws_io.read_current ─────────────────────────────┐
                                     make_plan(desired, current) ─▶ Plan ─apply─▶ PutDashboard
                                                                          └prune─▶ DeleteDashboards

Only `read_plan`, `apply` and `prune` do I/O, through opsctl.dashboards.aws_io.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsctl.dashboards import aws_io
from opsctl.dashboards.config import DashboardsConfig
from opsctl.dashboards.plan import CONFLICT, CREATE, DELETE, SKIP, UNCHANGED, UPDATE, Plan, make_plan
from opsctl.dashboards.render import Rendered, render_all
from opsctl.dashboards.validate import validate_all
from opsctl.errors import OpsctlError, UsageError
from opsctl.snapshot import Snapshot

#: The services whose resources the built-in templates read (collected for plan/apply/render).
SERVICES = ("cloudfront", "elbv2", "autoscaling", "lambda", "rds", "dynamodb", "route53", "cloudwatch")


def settings_from(cfg: Any) -> DashboardsConfig:
    """The `dashboards:` section of a loaded opsctl.config.Config, or the defaults."""
    value = getattr(cfg, "sections", {}).get("dashboards")
    return value if isinstance(value, DashboardsConfig) else DashboardsConfig()


def home_region(settings: DashboardsConfig, flag_regions: tuple[str, ...] | list[str] = (), config_regions: list[str] | None = None,
                snapshot: Snapshot | None = None, default: str = "us-east-1") -> str:
    """Where the dashboards live: `dashboards.region` from the config, else the first --region,
    else the first of the config's `regions`, else the snapshot's first region (--snapshot),
    else the default region of the credentials."""
    for candidate in (settings.region, *list(flag_regions)[:1], *(config_regions or [])[:1],
                      *(snapshot.regions[:1] if snapshot else [])):
        if candidate:
            return candidate
    return default


def desired(snapshot: Snapshot, settings: DashboardsConfig, region: str) -> list[Rendered]:
    """Render every template and validate every body; InvalidDashboards (exit 2) on any violation."""
    rendered = render_all(snapshot, prefix=settings.prefix, home_region=region, templates_dir=settings.templates_dir,
                          per_resource_limit=settings.per_resource_limit)
    validate_all({r.name: r.body for r in rendered if r.body is not None})
    return rendered


def read_plan(aws: Any, rendered: list[Rendered], settings: DashboardsConfig, region: str) -> Plan:
    """Read the account's dashboards in `region` and compare."""
    return make_plan(rendered, aws_io.read_current(aws, region, settings.prefix), settings.prefix, region)


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)  # one line per write, e.g. "created opsctl-edge"
    warnings: list[str] = field(default_factory=list)


Echo = Callable[[str], None]


def apply(aws: Any, plan: Plan, echo: Echo | None = None) -> Outcome:
    """Create and update what the plan says (never delete: that is prune's job).

    Refuses, before any write, when the plan holds a conflict. Bodies were validated by
    `desired`; they are validated again here so no caller can skip it.
    """
    conflicts = plan.of(CONFLICT)
    if conflicts:
        raise UsageError(f"{len(conflicts)} dashboard(s) would overwrite one opsctl does not own, nothing written: "
                         + "; ".join(f"{c.name}: {c.reason}" for c in conflicts))
    writes = plan.of(CREATE, UPDATE)
    validate_all({c.name: c.body for c in writes})
    out = Outcome()
    for change in writes:
        try:
            messages = aws_io.put(aws, plan.region, change.name, change.body or {})
        except OpsctlError as exc:
            already = f" (already done: {', '.join(out.done)})" if out.done else " (nothing was written)"
            raise OpsctlError(f"{exc}{already}") from None
        line = f"{'created' if change.action == CREATE else 'updated'} {change.name}"
        out.done.append(line)
        out.warnings += [f"{change.name}: CloudWatch says {m}" for m in messages]
        if echo:
            echo(line)
    return out


def prune(aws: Any, plan: Plan, echo: Echo | None = None) -> Outcome:
    """Delete the owned dashboards the plan marks for deletion (make_plan re-checked prefix and marker)."""
    names = [c.name for c in plan.of(DELETE)]
    out = Outcome()
    if names:
        aws_io.delete(aws, plan.region, names)
        out.done = [f"deleted {n}" for n in names]
        if echo:
            for line in out.done:
                echo(line)
    return out


_SYMBOL = {CREATE: "+", UPDATE: "~", UNCHANGED: "=", DELETE: "-", CONFLICT: "!", SKIP: "?"}


def format_plan(plan: Plan) -> str:
    """The plan as text: one line per dashboard, widget titles under each update, a summary."""
    lines = [f"Dashboards in {plan.region} (owned: prefix {plan.prefix!r} + opsctl marker):"]
    width = max([len(c.name) for c in plan.changes] + [10])
    for c in plan.changes:
        detail = ""
        if c.action == CREATE and c.body is not None:
            detail = f"{len(c.body.get('widgets', []))} widgets, from {c.template}"
        elif c.action == UPDATE and c.widgets is not None:
            detail = c.widgets.summary()
        elif c.action == DELETE:
            detail = f"{c.reason} (`opsctl dashboards prune` deletes it)"
        elif c.action in (CONFLICT, SKIP):
            detail = c.reason
        lines.append(f"  {_SYMBOL[c.action]} {c.name:<{width}}  {c.action:<9}  {detail}".rstrip())
        if c.action == UPDATE and c.widgets is not None:
            for sign, titles in (("+", c.widgets.added), ("-", c.widgets.removed), ("~", c.widgets.changed)):
                lines += [f"      {sign} {t}" for t in titles]
    if not plan.changes:
        lines.append("  (no templates rendered a dashboard and opsctl owns none)")
    if plan.not_owned:
        shown = ", ".join(plan.not_owned[:8]) + (f" and {len(plan.not_owned) - 8} more" if len(plan.not_owned) > 8 else "")
        lines.append(f"Left alone: {len(plan.not_owned)} dashboard(s) opsctl does not own ({shown}).")
    n = plan.counts()
    if plan.has_changes:
        lines.append(f"Plan: {n[CREATE]} to create, {n[UPDATE]} to update, {n[DELETE]} to delete (by prune), "
                     f"{n[UNCHANGED]} unchanged" + (f", {n[CONFLICT]} in conflict" if n[CONFLICT] else "")
                     + (f", {n[SKIP]} skipped" if n[SKIP] else "") + ".")
    else:
        lines.append("No changes: the dashboards match the templates."
                     + (f" ({n[CONFLICT]} in conflict)" if n[CONFLICT] else "")
                     + (f" ({n[SKIP]} skipped: incomplete input)" if n[SKIP] else ""))
    return "\n".join(lines) + "\n"


def demo(snapshot: Snapshot, aws: Any = None, *, settings: DashboardsConfig | None = None, region: str | None = None,
         echo: Echo = print) -> Plan:
    """For `opsctl sandbox demo`: plan → apply → plan again, printing each step; returns the last plan.

    `snapshot` is the one the demo collected (it must include the services in SERVICES; a full
    collection does). `aws` defaults to a fresh opsctl.aws.Aws (so AWS_ENDPOINT_URL must point at
    the sandbox); `region` defaults to the snapshot's first region.
    """
    from opsctl.aws import Aws

    aws = aws or Aws()
    settings = settings or DashboardsConfig()
    region = region or home_region(settings, snapshot=snapshot)
    rendered = desired(snapshot, settings, region)
    first = read_plan(aws, rendered, settings, region)
    echo("$ opsctl dashboards plan")
    echo(format_plan(first).rstrip("\n"))
    echo("$ opsctl dashboards apply --yes")
    outcome = apply(aws, first, echo=lambda line: echo(f"  {line}"))
    if not outcome.done:
        echo("  nothing to apply")
    for warning in outcome.warnings:
        echo(f"  warning: {warning}")
    second = read_plan(aws, rendered, settings, region)
    echo("$ opsctl dashboards plan")
    echo(format_plan(second).rstrip("\n"))
    return second
