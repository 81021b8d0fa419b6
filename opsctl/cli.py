"""The command line: click commands only. Parsing, printing and exit codes live here; the work
lives in opsctl.audit, opsctl.engine, opsctl.report and opsctl.sandbox."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import click

from opsctl import __version__
from opsctl.commands.options import format_option, option_help
from opsctl.errors import EXIT_INTERRUPTED, EXIT_USAGE, OpsctlError
from opsctl.findings import SEVERITIES
from opsctl.output import check_dir_writable, check_writable, is_terminal, write_file, write_or_echo

_EXIT_TAIL = """
  4  internal error (a bug: please report it)
  130 interrupted (Ctrl-C)"""

EXIT_CODES_HELP = """\b
Exit codes:
  0  no FAIL at or above --fail-on (WAIVED findings never fail a run)
  1  FAIL findings at or above --fail-on (default: high); with --fail-on-new, only new ones;
     with --fail-on-savings USD, new waste (with --baseline) or potential savings above USD/month
  2  usage or configuration error (bad flag, config, snapshot, credentials)
  3  audit incomplete: coverage gaps or ERROR findings, with --strict""" + _EXIT_TAIL

INVENTORY_EXIT_CODES_HELP = """\b
Exit codes:
  0  snapshot written (a failed call is recorded in its `coverage`, and the wrote line counts them)
  2  usage or configuration error (bad flag, config, output path, credentials)""" + _EXIT_TAIL

from opsctl.report import formats as _report_formats  # noqa: E402 - import-light registry of formats

FORMATS = _report_formats()


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, no_color="NO_COLOR" in os.environ)


def _color_stdout() -> bool:
    return "NO_COLOR" not in os.environ and is_terminal(sys.stdout)


def aws_options(fn):
    """Flags that say which account and regions to read."""

    @click.option("--profile", metavar="NAME", envvar="AWS_PROFILE", show_envvar=True,
                  help="Named profile from your AWS config (default: the default credential chain).")
    @click.option("--region", "regions", multiple=True, metavar="REGION",
                  help="Region to audit; repeat for several. Default: config `regions`, else your default region.")
    @click.option("--all-regions", is_flag=True, help="Audit every region enabled in the account.")
    @click.option("--role-arn", metavar="ARN", help="Assume this IAM role first (cross-account audits).")
    @click.option("--external-id", metavar="ID", help="External id for --role-arn (or, in organisation audits, --org-role), if the role's trust policy needs one.")
    @click.option("--workers", type=click.IntRange(1, 64), metavar="N",
                  help="Concurrent API calls (default 16; config `workers`).")
    @click.option("--timeout", type=click.FloatRange(0, 3600, min_open=True), default=30, show_default=True,
                  metavar="SECONDS",
                  help="Per API call: seconds to connect and to wait for an answer (each retry waits again). The "
                       "first call (sts:GetCallerIdentity) is tried once: an endpoint that does not answer is an "
                       "error (exit 2) within SECONDS.")
    @functools.wraps(fn)
    def wrapper(*args, profile, regions, all_regions, role_arn, external_id, workers, timeout, **kwargs):
        from opsctl.audit import AwsOptions
        from opsctl.aws import set_timeout

        set_timeout(timeout)  # every Aws the command makes (opsctl.aws): botocore's connect and read timeouts
        org = kwargs.get("org_opts")
        if external_id and not role_arn and not (org is not None and org.active):
            raise click.BadParameter("needs --role-arn (or --org/--accounts: then it goes with --org-role)",
                                     param_hint="--external-id")
        kwargs["aws_opts"] = AwsOptions(profile, tuple(regions), all_regions, role_arn, external_id, workers)
        return fn(*args, **kwargs)

    return wrapper


def _shard(ctx, param, value):
    if value is None:
        return None
    from opsctl.org import parse_shard

    try:
        return parse_shard(value, "--shard")
    except OpsctlError as exc:
        raise click.BadParameter(str(exc).removeprefix("--shard: "), param_hint="--shard") from None


def org_options(fn):
    """Flags of an organisation audit; gathered into `org_opts` (opsctl.org_audit.OrgOptions).
    Apply it above aws_options, which reads `org_opts` to allow --external-id with --org."""

    @click.option("--org", "org_flag", is_flag=True,
                  help="Audit every ACTIVE account of the AWS Organization (management or delegated-administrator "
                       "credentials; config `org:`).")
    @click.option("--accounts", "accounts", multiple=True, metavar="ID|GLOB",
                  help="With --org: only these accounts (ids or name globs such as 'shop-*'). Without --org: audit "
                       "exactly these account ids (no Organizations access needed). Repeatable; commas work too.")
    @click.option("--ou", "ous", multiple=True, metavar="OU_ID",
                  help="With --org: only the accounts under this OU (its whole subtree); repeatable.")
    @click.option("--exclude-accounts", "exclude", multiple=True, metavar="ID|GLOB",
                  help="Leave these accounts out (ids or name globs); repeatable.")
    @click.option("--org-role", metavar="NAME",
                  help="Role to assume in each member account (default OrganizationAccountAccessRole; config "
                       "`org.role`). The caller's own account is audited with the caller's credentials.")
    @click.option("--role-session-name", metavar="NAME", help="Session name of the assumed roles (default opsctl-audit).")
    @click.option("--account-workers", type=click.IntRange(1, 64), metavar="N",
                  help="Accounts audited at once (default 4), each with its own --workers pool.")
    @click.option("--shard", callback=_shard, metavar="I/N",
                  help="Audit only shard I of N (a hash of the account id picks it; 0/N means N/N, so "
                       "\"$AWS_BATCH_JOB_ARRAY_INDEX/N\" works); merge the shards with `opsctl report merge`.")
    @click.option("--rate-limit", type=click.FloatRange(0, 10_000), metavar="N",
                  help="Calls per second per (account, region, service), shared by all accounts (default 25; 0: none).")
    @functools.wraps(fn)
    def wrapper(*args, org_flag, accounts, ous, exclude, org_role, role_session_name, account_workers, shard,
                rate_limit, **kwargs):
        from opsctl.org_audit import OrgOptions

        org = OrgOptions(org_flag, tuple(accounts), tuple(ous), tuple(exclude), org_role, None, role_session_name,
                         account_workers, shard, rate_limit)
        if not org.active:
            used = [flag for flag, value in (("--ou", ous), ("--exclude-accounts", exclude), ("--org-role", org_role),
                                              ("--role-session-name", role_session_name),
                                              ("--account-workers", account_workers), ("--shard", shard),
                                              ("--rate-limit", rate_limit)) if value]
            if used:
                raise click.UsageError(f"{used[0]} is for organisation audits: add --org (or --accounts ID...)")
        kwargs["org_opts"] = org
        return fn(*args, **kwargs)

    return wrapper


def selection_options(fn):
    """Flags that say which checks run."""

    @click.option("--select", multiple=True, metavar="ID|GLOB", help="Run only these checks (e.g. 's3.*'); repeatable.")
    @click.option("--ignore", multiple=True, metavar="ID|GLOB", help="Skip these checks; repeatable.")
    @click.option("--pillar", "pillars", multiple=True,
                  type=click.Choice(["security", "availability", "scalability", "performance", "cost", "operations"]),
                  help="Run only the checks of this pillar; repeatable.")
    @click.option("--min-severity", type=click.Choice(SEVERITIES), help="Run only checks of at least this severity.")
    @functools.wraps(fn)
    def wrapper(*args, select, ignore, pillars, min_severity, **kwargs):
        from opsctl.audit import Selection

        kwargs["selection"] = Selection(tuple(select), tuple(ignore), tuple(pillars), min_severity)
        return fn(*args, **kwargs)

    return wrapper


def _runbook_base_url(value: str | None) -> str | None:
    """http(s)://host/… or a relative path; anything else (javascript:, a bare word with spaces)
    would become a link in every report a reader clicks."""
    if not value:
        return value
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value
    if not parts.scheme and not parts.netloc and " " not in value:
        return value
    raise click.BadParameter(f"{value!r}: give an http(s) URL such as https://github.com/ORG/opsctl/blob/v0.1.0/ "
                             "or a relative path", param_hint="--runbook-base-url")


def render_options(fn):
    """--sarif-location and --runbook-base-url, gathered into `render_opts` for the renderers."""

    @click.option("--sarif-location", metavar="FILE[:LINE]",
                  help="SARIF: the repository file (relative to its root) every result points at; "
                       "default: the config file read (GitHub code scanning needs a file in the repository).")
    @click.option("--runbook-base-url", metavar="URL", envvar="OPSCTL_RUNBOOK_BASE_URL", show_envvar=True,
                  help="Prefix of runbook links in markdown, html, csv, junit and sarif, e.g. "
                       "https://github.com/ORG/opsctl/blob/v0.1.0/ (default: runbooks/<check>.md).")
    @functools.wraps(fn)
    def wrapper(*args, sarif_location, runbook_base_url, **kwargs):
        from opsctl.report.sarif import parse_location

        opts = {"runbook_base_url": _runbook_base_url(runbook_base_url)}
        if sarif_location:
            parse_location(sarif_location)  # a bad value fails now, not after collecting the account
            opts["sarif_location"] = sarif_location
        kwargs["render_opts"] = opts
        return fn(*args, **kwargs)

    return wrapper


def spec_options(fn):
    """--spec FILE and --scope: which architecture spec the arch.* checks and the topology read."""

    @click.option("--spec", "spec_path", type=click.Path(dir_okay=False), metavar="FILE",
                  help="Architecture spec (YAML; docs/architecture-spec.md). Default: config `spec`, else the built-in "
                       "3D e-commerce reference architecture.")
    @click.option("--scope", type=click.Choice(["all", "spec"]), default="all", show_default=True,
                  help="`spec`: report only findings about resources the architecture spec binds (and arch.* findings).")
    @functools.wraps(fn)
    def wrapper(*args, spec_path, scope, **kwargs):
        kwargs["arch_opts"] = (spec_path, scope)
        return fn(*args, **kwargs)

    return wrapper


def _group_savings_by(ctx, param, values):
    from opsctl.report.savings import click_groups

    return click_groups(ctx, param, values)


def config_option(fn):
    return click.option("--config", "config_path", type=click.Path(dir_okay=False), metavar="FILE",
                        help="Config file (default: ./opsctl.yaml if present).")(fn)


class OpsctlGroup(click.Group):
    """Turns what the user can act on into one line on stderr and an exit code, wherever raised:
    an OpsctlError (its code, 2), a bad flag or value (2, not click's four-line usage block), no
    answer at a prompt (2, like declining: nothing was written) and Ctrl-C (130, never the 1 that
    means "findings")."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OpsctlError as exc:
            click.echo(f"opsctl: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else ctx.command_path
            click.echo(f"opsctl: {exc.format_message()} (see `{where} --help`)", err=True)
            ctx.exit(EXIT_USAGE)
        except click.Abort:
            click.echo("\nopsctl: no answer at the prompt; nothing was written", err=True)
            ctx.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            click.echo("\nopsctl: interrupted (Ctrl-C); the run stopped before writing its results", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=OpsctlGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="opsctl")
def cli() -> None:
    """Keep an AWS account honest against its architecture's rules.

    \b
    Start here:
      opsctl sandbox demo                      audit a local sandbox account (needs opsctl[sandbox])
      opsctl audit --region us-east-1          audit your account (read-only)
      opsctl checks list                       what is checked
      opsctl explain s3.bucket_not_public      why a check matters and how to fix it
      opsctl audit --report-dir reports/today  every report format at once (md, html, sarif, …)
      opsctl dashboards plan                   the CloudWatch dashboards opsctl would create or update
      opsctl topology                          the deployed architecture, as a Mermaid diagram
    """


# ----- audit ---------------------------------------------------------------------------------
@cli.command(epilog=EXIT_CODES_HELP)
@org_options
@aws_options
@selection_options
@config_option
@click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Evaluate a saved snapshot instead of calling AWS (offline).")
@click.option("--save-snapshot", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Also write the collected snapshot here, to re-evaluate later with --snapshot.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write the report to FILE instead of standard output.")
@click.option("--fail-on", type=click.Choice(SEVERITIES + ("none",)),
              help="Exit 1 when a FAIL of at least this severity exists (default: config `fail_on`, else high).")
@click.option("--strict", is_flag=True, help="Exit 3 when anything could not be collected or evaluated.")
@click.option("--show-pass", is_flag=True, help="List passing findings in the table too.")
@click.option("--prices", "prices_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Price table overriding the built-in one (same YAML format), for savings figures.")
@click.option("--waivers", "waivers_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Waivers file (replaces the config's `waivers`): matching FAILs become WAIVED until they expire.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), metavar="OLD.json",
              help="An earlier JSON result: report what is new and resolved since (see `opsctl report diff`).")
@click.option("--fail-on-new", is_flag=True,
              help="With --baseline: exit 1 only for FAILs at or above --fail-on that were not FAIL in the baseline.")
@click.option("--report-dir", type=click.Path(file_okay=False, writable=True), metavar="DIR",
              help="Also write every report format to DIR/opsctl-report.<ext> (and, with --baseline, the diff).")
@click.option("--fail-on-savings", type=click.FloatRange(min=0), metavar="USD",
              help="Exit 1 when money is wasted: with --baseline, new waste (the monthly savings of the new FAILs) "
                   "above USD; without, potential savings above USD a month (default: config `fail_on_savings`).")
@click.option("--group-savings-by", "group_savings_by", multiple=True, metavar="region|tag:KEY",
              callback=_group_savings_by,
              help="Break the savings down by region or by the value of a resource tag (tag:owner) in the table, "
                   "markdown and html reports; repeatable.")
@render_options
@spec_options
def audit(org_opts, aws_opts, selection, config_path, snapshot_path, save_snapshot, fmt, output, fail_on, strict, show_pass,
          prices_path, waivers_path, baseline_path, fail_on_new, report_dir, fail_on_savings, group_savings_by,
          render_opts, arch_opts) -> None:
    """Audit the account against the check catalogue (read-only).

    Collects an inventory of the account (list/describe/get calls only — nothing is created,
    changed or deleted), evaluates every selected check and reports findings with severity and
    a runbook. A call that fails (AccessDenied, throttling, an API the endpoint lacks) is
    recorded as a coverage gap and the checks that needed it report ERROR, never PASS.

    Ctrl-C stops the collection within about 2 s and writes the report of what was collected
    (what was not is ERROR: interrupted), exit 130; a second Ctrl-C exits at once.

    \b
    Examples:
      opsctl audit --region us-east-1 --region eu-west-1
      opsctl audit --all-regions --pillar security --format json -o result.json
      opsctl audit --select 's3.*' --ignore s3.bucket_access_logging
      opsctl audit --snapshot snap.json --fail-on critical
      opsctl audit --waivers waivers.yaml --report-dir reports/today
      opsctl audit --baseline reports/yesterday/opsctl-report.json --fail-on-new
      opsctl audit --baseline yesterday.json --fail-on-savings 50 --group-savings-by tag:owner
      opsctl audit --spec my-architecture.yaml --scope spec

    \b
    A whole AWS Organization (see `opsctl org --help`):
      opsctl audit --org --region us-east-1 --region eu-west-1 --format json -o org.json
      opsctl audit --org --ou ou-ab12-workload1 --exclude-accounts 'sandbox-*'
      opsctl audit --accounts 111111111111,222222222222 --org-role OpsctlAudit
      opsctl audit --org --shard 2/3 --format json -o shard-2.json   # then: opsctl report merge
    """
    from opsctl import audit as core
    from opsctl.architecture import resolve_spec
    from opsctl.audit_followup import AuditFollowup
    from opsctl.config import load_config
    from opsctl.registry import load_builtin_checks

    registry = load_builtin_checks()
    cfg = load_config(config_path, registry)
    checks = core.choose_checks(registry, cfg, selection)
    followup = AuditFollowup.prepare(cfg, registry, waivers_path, baseline_path, fail_on_new,
                                     fail_on_savings=fail_on_savings)
    if group_savings_by:
        render_opts["group_savings_by"] = group_savings_by  # to the renderers that take it (table, markdown, html)
    arch_spec = resolve_spec(arch_opts[0], cfg)  # a bad spec stops here, before any AWS call
    if snapshot_path and (aws_opts.regions or aws_opts.all_regions or aws_opts.role_arn):
        raise OpsctlError("--snapshot evaluates a saved snapshot; drop --region/--all-regions/--role-arn")
    check_writable(output, "-o/--output")  # before collecting: a typo in a path must not cost the run
    check_writable(save_snapshot, "--save-snapshot")
    check_dir_writable(report_dir, "--report-dir")
    if org_opts.active or (cfg.sections.get("org") or {}).get("accounts"):  # config `org.accounts` names accounts too
        return _audit_org(org_opts, aws_opts, selection, cfg, checks, followup, arch_spec, arch_opts[1], snapshot_path,
                          save_snapshot, fmt, output, fail_on, strict, show_pass, prices_path, report_dir, render_opts)
    started = time.perf_counter()
    with _progress() as progress:
        outcome, stopped = _collect_until_interrupted(snapshot_path, aws_opts, cfg, progress)
    snapshot_error = _save_snapshot(outcome.snapshot, save_snapshot)
    metadata = _run_metadata(outcome, snapshot_path)
    if stopped:
        metadata["interrupted"] = True
    if cfg.path:
        metadata["config_file"] = _cwd_relative(cfg.path)
    prices = _load_prices(prices_path)
    metadata["prices"] = {"as_of": prices.as_of, "source": prices.source, "file": prices_path or "built-in"}
    if prices_path:
        metadata["prices"]["built_in_as_of"] = _load_prices(None).as_of  # the entries the file does not override
    result = core.audit(outcome.snapshot, checks, cfg, metadata, prices, selection, spec=arch_spec, scope=arch_opts[1])
    result.metadata["duration_seconds"] = round(time.perf_counter() - started, 3)
    result = followup.apply(result)
    _emit(result, fmt, output, show_pass, **render_opts)
    saved = save_snapshot if save_snapshot and not snapshot_error else None
    if output or saved:
        _stderr_console().print(
            f"[dim]{'wrote ' + output if output else ''}{' · ' if output and saved else ''}"
            f"{'snapshot ' + saved if saved else ''}[/dim]", highlight=False)
    fail_on = fail_on or cfg.fail_on or "high"
    followup.finish(result, report_dir, show_pass, fail_on=fail_on, **render_opts)
    if stopped:
        _exit_interrupted(stopped, output, report_dir, snapshot_error)
    if snapshot_error:  # the report is out; now say the snapshot is not where it was asked
        raise OpsctlError(snapshot_error)
    code = core.exit_code(result, fail_on, strict, followup.new_only(result))
    sys.exit(_with_savings(followup, result, code))


def _collect_until_interrupted(snapshot_path, aws_opts, cfg, progress):
    """(outcome, stats) — the snapshot, and when Ctrl-C stopped the collection its stats (else None):
    the snapshot then holds what was collected, the rest as `Interrupted` coverage gaps."""
    from opsctl import audit as core
    from opsctl.collect.runner import CollectionInterrupted

    try:
        return core.load_or_collect(snapshot_path, aws_opts, cfg, progress), None
    except CollectionInterrupted as stop:
        stats = dict(getattr(stop.snapshot, "stats", {}))
        return core.CollectOutcome(stop.snapshot, {}, stats.get("seconds", 0.0), stats.get("calls", 0)), stats


def _exit_interrupted(stats: dict[str, Any], output: str | None, report_dir: str | None, snapshot_error: str | None) -> None:
    """Exit 130 after an audit whose collection Ctrl-C stopped, saying in one line what was written."""
    if snapshot_error:
        click.echo(f"opsctl: {snapshot_error}", err=True)
    where = " and ".join(w for w in (output, f"{report_dir}/" if report_dir else "") if w) or "the report above"
    click.echo(f"opsctl: interrupted (Ctrl-C): collection stopped after {stats.get('tasks_done', 0)} of "
               f"{stats.get('tasks', 0)} collector runs; {where} has the findings of what was collected, the checks "
               "of the rest are ERROR (not collected: interrupted)", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _audit_org(org_opts, aws_opts, selection, cfg, checks, followup, arch_spec, scope, snapshot_path, save_snapshot,
               fmt, output, fail_on, strict, show_pass, prices_path, report_dir, render_opts) -> None:
    """`audit --org` / `--accounts`: every account audited like one, one result (opsctl.org_audit)."""
    from dataclasses import replace

    from opsctl import audit as core

    if snapshot_path:
        raise OpsctlError("--snapshot evaluates one account's saved snapshot; leave out --org/--accounts")
    if save_snapshot:
        raise OpsctlError("--save-snapshot writes one account's snapshot; an organisation audit keeps its result "
                          "(-o FILE --format json), or run `opsctl inventory collect` per account")
    org_opts = replace(org_opts, external_id=aws_opts.external_id)
    prices = _load_prices(prices_path)
    started = time.perf_counter()
    with _progress("auditing") as progress:
        outcome = core.audit_org(aws_opts, org_opts, cfg, checks, selection, arch_spec, scope, prices, progress)
    result = outcome.result
    identity = outcome.stats.pop("identity", {})
    result.metadata.update({
        "opsctl_version": __version__, "source": "aws", "caller_arn": identity.get("arn", ""),
        "evaluated_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "collect_seconds": outcome.seconds, "api_calls": outcome.api_calls, "sts_calls": outcome.sts_calls,
        "account_workers": outcome.stats.get("account_workers"),
        "spec": {"name": arch_spec.name, "source": arch_spec.source, "scope": scope},
        "prices": {"as_of": prices.as_of, "source": prices.source, "file": prices_path or "built-in"},
    })
    if os.environ.get("AWS_ENDPOINT_URL"):
        result.metadata["endpoint_url"] = os.environ["AWS_ENDPOINT_URL"]
    if cfg.path:
        result.metadata["config_file"] = _cwd_relative(cfg.path)
    if outcome.interrupted:
        result.metadata["interrupted"] = True
    result.metadata["duration_seconds"] = round(time.perf_counter() - started, 3)
    result = followup.apply(result)
    _emit(result, fmt, output, show_pass, **render_opts)
    counts = result.summary()["accounts"]
    _stderr_console().print(
        f"[dim]{counts['audited']} of {counts['total']} account(s) audited"
        + (f", {counts['not_reached']} not reached" if counts["not_reached"] else "")
        + f" · {outcome.api_calls} API calls, {outcome.sts_calls} AssumeRole · {outcome.seconds:.1f}s"
        + (f" · wrote {output}" if output else "") + "[/dim]", highlight=False)
    fail_on = fail_on or cfg.fail_on or "high"
    followup.finish(result, report_dir, show_pass, fail_on=fail_on, **render_opts)
    if outcome.interrupted:
        click.echo("opsctl: interrupted (Ctrl-C): the accounts audited before it are in the results written above; "
                   "the others are marked not reached", err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(_with_savings(followup, result, core.exit_code(result, fail_on, strict, followup.new_only(result))))


def _with_savings(followup, result, code: int) -> int:
    """The exit code once --fail-on-savings is weighed; the line saying why, on stderr, when money fails the run."""
    from opsctl.audit import with_savings

    breach = followup.savings_breach(result)
    if breach:
        click.echo(f"opsctl: {breach}", err=True)
    return with_savings(code, breach)


def _cwd_relative(path: str) -> str:
    """`path` relative to the working directory when inside it (SARIF locations must be repo-relative)."""
    try:
        rel = os.path.relpath(os.path.abspath(path))
    except ValueError:  # another drive (Windows)
        return Path(path).as_posix()
    return Path(path).as_posix() if rel.startswith("..") else Path(rel).as_posix()


def _load_prices(path: str | None):
    from opsctl.pricing import load_price_table

    return load_price_table(path)


def _run_metadata(outcome, snapshot_path) -> dict[str, Any]:
    meta: dict[str, Any] = {"opsctl_version": __version__, "source": "snapshot" if snapshot_path else "aws"}
    if snapshot_path:
        meta["snapshot_file"] = str(snapshot_path)
    else:
        meta.update({"caller_arn": outcome.identity.get("arn", ""), "collect_seconds": outcome.seconds,
                     "api_calls": outcome.calls})
        if os.environ.get("AWS_ENDPOINT_URL"):
            meta["endpoint_url"] = os.environ["AWS_ENDPOINT_URL"]
    return meta


def _save_snapshot(snapshot, path: str | None) -> str | None:
    """Write the collected snapshot for --save-snapshot; on failure keep it in a temporary file and
    return the error to report once the audit's own output is written (nothing is lost)."""
    if not path:
        return None
    try:
        write_file(snapshot.to_json(), path, "--save-snapshot", rescue=True)
    except OpsctlError as exc:
        return str(exc)
    return None


def _emit(result, fmt: str, output: str | None, show_pass: bool, **render_opts: Any) -> None:
    from opsctl.report import render
    from opsctl.report.terminal import terminal_width

    color = fmt == "table" and _color_stdout() and not output
    width = terminal_width(None if output else sys.stdout)  # COLUMNS, else the terminal's, else 160
    write_or_echo(render(result, fmt, color=color, width=width, show_pass=show_pass, **render_opts), output, rescue=True)


class _progress:
    """A progress bar on stderr while collecting (or auditing accounts: one bar, the account now
    collected); silent when stderr is not a terminal."""

    def __init__(self, verb: str = "collecting"):
        self.verb = verb

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        console = _stderr_console()
        self._progress = Progress(TextColumn(f"[bold]{self.verb}[/bold] {{task.description:<28}}"), BarColumn(),
                                  MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True,
                                  disable=not console.is_terminal)
        self._progress.start()
        self._task = None
        self._lock = threading.Lock()
        return self._update

    def _update(self, label: str, done: int, total: int) -> None:
        with self._lock:  # accounts report from several threads: one bar, made once
            if self._task is None:
                self._task = self._progress.add_task(label, total=total)
            self._progress.update(self._task, completed=done, description=label)

    def __exit__(self, *exc) -> None:
        self._progress.stop()


# ----- inventory ---------------------------------------------------------------------------
@cli.group()
def inventory() -> None:
    """Collect the account's inventory into a snapshot file."""


@inventory.command("collect", epilog=INVENTORY_EXIT_CODES_HELP)
@option_help(regions="Region to collect; repeat for several. Default: config `regions`, else your default region.",
             all_regions="Collect every region enabled in the account.")
@aws_options
@config_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Where to write the snapshot (JSON).")
@click.option("--service", "services", multiple=True, metavar="NAME",
              help="Collect only this service (e.g. s3, ec2); repeatable. Default: all.")
def inventory_collect(aws_opts, config_path, output, services) -> None:
    """Collect a snapshot of the account (read-only) for offline audits.

    \b
    Example:
      opsctl inventory collect --region us-east-1 -o snap.json
      opsctl audit --snapshot snap.json
    """
    from opsctl import audit as core
    from opsctl.collect.runner import load_collectors
    from opsctl.config import load_config
    from opsctl.registry import load_builtin_checks

    known = sorted({c.service for c in load_collectors()})
    for s in services:
        if s not in known:
            raise click.BadParameter(f"unknown service {s!r}; one of: {', '.join(known)}", param_hint="--service")
    cfg = load_config(config_path, load_builtin_checks())
    check_writable(output, "-o/--output")
    with _progress() as progress:
        outcome = core.collect_snapshot(aws_opts, cfg, progress, services=list(services) or None)
    write_file(outcome.snapshot.to_json(), output, "-o/--output", rescue=True)
    n = sum(len(v) for v in outcome.snapshot.resources.values())
    gaps = len(outcome.snapshot.coverage)
    _stderr_console().print(
        f"wrote {output}: {n} resources of {len(outcome.snapshot.resources)} types in "
        f"{', '.join(outcome.snapshot.regions)} ({outcome.calls} calls, {outcome.seconds:.1f}s)"
        + (f"; [yellow]{gaps} calls failed (see `coverage`)[/yellow]" if gaps else ""), highlight=False)


# ----- checks / explain --------------------------------------------------------------------
@cli.group()
def checks() -> None:
    """List the built-in checks."""


@checks.command("list")
@format_option()
@option_help(select="List only these checks (e.g. 's3.*'); repeatable.",
             ignore="Leave these checks out of the list; repeatable.",
             pillars="List only the checks of this pillar; repeatable.",
             min_severity="List only the checks of at least this severity.")
@selection_options
def checks_list(fmt, selection) -> None:
    """List checks with pillar, severity and parameters.

    \b
    Examples:
      opsctl checks list --pillar cost
      opsctl checks list --format json | jq -r '.checks[].id'
    """
    from opsctl.audit import choose_checks
    from opsctl.config import Config
    from opsctl.registry import load_builtin_checks

    chosen = choose_checks(load_builtin_checks(), Config(), selection)
    if fmt == "json":
        click.echo(json.dumps({"checks": [c.to_dict() for c in chosen]}, indent=2))
        return
    from rich.console import Console

    from opsctl.report.terminal import terminal_width

    width = terminal_width(sys.stdout)  # COLUMNS, else the terminal's, else 160
    Console(no_color=not _color_stdout(), force_terminal=_color_stdout(), width=width,
            highlight=False).print(_checks_table(chosen, width))


def _checks_table(chosen, width: int):
    """`checks list` as a table that fits ``width``: a column per field when the title keeps 35 %
    of the width (from about 150 columns), else the resource type under the id and the pillar over
    the severity, else (under about 95) two columns, the id and resource type, then the title over
    pillar · severity · parameters. An id is never split (its column is as wide as the longest);
    the title wraps; parameters show dim under the title."""
    import math

    from rich.table import Table
    from rich.text import Text

    ids = max((len(c.id) for c in chosen), default=2)
    kinds = max((len(c.resource_type) for c in chosen), default=8)
    rows = []
    for c in chosen:
        pillar, severity = ("by category", "by status") if c.per_finding else (c.pillar, c.severity.value)
        rows.append((c, pillar, severity, ", ".join(f"{k}={v}" for k, v in c.params.items())))
    pillars = max((len(p) for _, p, _, _ in rows), default=6)
    severities = max((len(s) for _, _, s, _ in rows), default=8)
    floor = max(30, math.ceil(width * 0.35))
    # the title's room in each layout: the width less the fixed columns and 3 per column of borders
    # and padding, less 1 (pad_edge=False)
    full = width - (ids + max(6, pillars) + max(8, severities) + max(8, kinds)) - (3 * 5 - 1)
    medium = width - (max(ids, kinds) + max(pillars, severities)) - (3 * 3 - 1)
    layout = "full" if full >= floor else "medium" if medium >= floor else "narrow"
    table = Table(title=f"{len(chosen)} checks", title_justify="left", expand=True, pad_edge=False)
    if layout == "full":
        table.add_column("Id", no_wrap=True, min_width=ids)
        for col in ("Pillar", "Severity", "Resource"):
            table.add_column(col, no_wrap=True)
    else:
        table.add_column("Id\nResource", no_wrap=True, min_width=ids)
    if layout == "medium":
        table.add_column("Pillar\nSeverity", no_wrap=True)
    table.add_column("Title\n" + ("Parameters" if layout != "narrow" else "pillar · severity · parameters"),
                     ratio=1, overflow="fold")
    for c, pillar, severity, params in rows:
        title = Text(c.title)
        if layout == "narrow":
            title.append("\n" + " · ".join(x for x in (pillar, severity, params) if x), style="dim")
        elif params:
            title.append("\n" + params, style="dim")
        if layout == "full":
            cells = [Text(c.id), Text(pillar), Text(severity), Text(c.resource_type)]
        else:
            cells = [Text.assemble(c.id, ("\n" + c.resource_type, "dim"))]
        if layout == "medium":
            cells.append(Text(f"{pillar}\n{severity}"))
        table.add_row(*cells, title)
    return table


@cli.command()
@click.argument("check_id", metavar="ID")
@click.option("--raw", is_flag=True, help="Print the runbook's Markdown source.")
def explain(check_id, raw) -> None:
    """Show a check's runbook: what it checks, why, and how to fix it.

    Code blocks are printed as they are, never wrapped or cropped at the terminal's width, so a
    command copied from them runs; links are numbered and their full URLs listed at the end.

    \b
    Example:
      opsctl explain s3.bucket_public_access_blocked
    """
    from opsctl.paths import runbook_path
    from opsctl.registry import load_builtin_checks

    registry = load_builtin_checks()
    if check_id not in registry:
        from opsctl.errors import check_id_hint

        raise OpsctlError(f"unknown check id {check_id!r}{check_id_hint(check_id, registry)}")
    path = runbook_path(check_id)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise OpsctlError(f"no runbook for {check_id} at {path}; this is a packaging bug") from None
    spec = registry[check_id]
    if raw:
        click.echo(text)
        return
    from rich.console import Console

    console = Console(no_color=not _color_stdout(), force_terminal=_color_stdout())
    params = ", ".join(f"{k}={v}" for k, v in spec.params.items()) or "none"
    console.print(f"[bold]{spec.id}[/bold] · {spec.pillar} · {spec.severity.value} · {spec.resource_type} · parameters: {params}",
                  highlight=False)
    _print_runbook(console, text)


def _print_runbook(console, text: str) -> None:
    """The runbook's prose through rich's Markdown; its fenced code blocks verbatim on their own
    lines, never wrapped nor cropped (rich's would be: a pasted command would break); its links as
    `label [n]`, with the full URLs listed at the end, unwrapped (rich hides a link's target)."""
    from rich.markdown import Markdown
    from rich.syntax import Syntax
    from rich.text import Text

    from opsctl.report.helpers import is_relative_link, replace_links, repository_path

    targets: list[str] = []

    def number(label: str, target: str) -> str:
        if is_relative_link(target):
            path = repository_path(target)
            target = (f"opsctl explain {path[len('runbooks/'):-3]}" if path.startswith("runbooks/") and path.endswith(".md")
                      else f"{path} in the opsctl repository")
        if target not in targets:
            targets.append(target)
        return f"{label} [{targets.index(target) + 1}]"

    for kind, body, lang in _runbook_blocks(replace_links(text, number)):
        if kind == "code":
            console.print()
            code = (Syntax(body, lang or "text", theme="ansi_dark", background_color="default").highlight(body)
                    if console.is_terminal and not console.no_color else Text(body))
            code.rstrip()
            console.print(code, soft_wrap=True, highlight=False)
            console.print()
        elif body.strip():
            console.print(Markdown(body, hyperlinks=False))
    if targets:
        console.print()
        console.print("Links", style="bold")
        for i, target in enumerate(targets, 1):
            console.print(Text(f"[{i}] {target}"), soft_wrap=True, highlight=False)


def _runbook_blocks(text: str) -> list[tuple[str, str, str]]:
    """Markdown split into ("prose", text, "") and ("code", fenced block's content, language) in order."""
    import re

    blocks: list[tuple[str, str, str]] = []
    prose: list[str] = []
    code: list[str] | None = None
    fence, lang, indent = "", "", 0
    for line in text.splitlines():
        if code is None:
            m = re.match(r"^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)", line)
            if m:
                blocks.append(("prose", "\n".join(prose), ""))
                prose, code = [], []
                indent, fence, lang = len(m.group(1)), m.group(2), m.group(3)
            else:
                prose.append(line)
        elif re.match(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + ",}\\s*$", line):
            blocks.append(("code", "\n".join(code), lang))
            code = None
        else:
            code.append(line[min(indent, len(line) - len(line.lstrip(" "))):])
    if code is not None:  # an unclosed fence runs to the end (CommonMark)
        blocks.append(("code", "\n".join(code), lang))
    blocks.append(("prose", "\n".join(prose), ""))
    return blocks


# ----- sandbox -------------------------------------------------------------------------------
@cli.group()
def sandbox() -> None:
    """Run a local AWS account (moto's server) seeded with the reference architecture and its defects."""


@sandbox.command("demo")
@format_option(FORMATS, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write the report to FILE.")
@click.option("--save-snapshot", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Keep the sandbox snapshot, to re-audit offline with `audit --snapshot`.")
@click.option("--show-pass", is_flag=True, help="List passing findings in the table too.")
@click.option("--report-dir", type=click.Path(file_okay=False, writable=True), metavar="DIR",
              help="Also write every report format (and the shop's opsctl.yaml, which SARIF points at) to DIR.")
@click.option("--no-apply", is_flag=True, help="Audit only: skip applying the dashboards and alarms.")
@click.option("--accounts", type=int, metavar="N",
              help="Seed an AWS Organizations organisation of N accounts (4-200, the management account included) "
                   "and run the organisation audit (`audit --org`) instead of the one-account demo.")
def sandbox_demo(fmt, output, save_snapshot, show_pass, report_dir, no_apply, accounts) -> None:
    """Start the sandbox, seed it, audit it, then keep its dashboards and alarms as code.

    The sandbox listens on a free loopback port only while the demo runs. The audit is the real
    one, over HTTP, exactly as against AWS, with the shop's own opsctl.yaml (its ALBs must span
    three zones; `opsctl sandbox up` prints it). Then, unless --no-apply: `dashboards plan`,
    `apply --yes` and `plan` again (no changes), and `alarms apply` for the alarms
    cloudwatch.alarm_coverage found missing, with that check before and after. Exit code 0
    unless something broke: the sandbox's findings are deliberate.

    \b
    Examples:
      opsctl sandbox demo
      opsctl sandbox demo --report-dir reports/demo      # what `make demo` runs
      opsctl sandbox demo --no-apply --format json -o demo.json
      opsctl sandbox demo --accounts 8 --report-dir reports/org   # an organisation of 8 accounts

    \b
    With --accounts N the sandbox is an organisation (see `opsctl sandbox up --help`): its
    management account holds the reference architecture, members in OUs hold the reference or
    smaller variants with other defects, one member lacks OrganizationAccountAccessRole and one
    is closed. The demo runs `opsctl audit --org` over it — the member without the role is
    reported NOT REACHED (its checks ERROR), the closed one is skipped — and keeps no dashboards
    (the as-code act belongs to the one-account demo).
    """
    from opsctl import audit as core
    from opsctl import sandbox as sb
    from opsctl.audit_followup import AuditFollowup
    from opsctl.registry import load_builtin_checks

    err = _stderr_console()
    check_writable(output, "-o/--output")
    check_writable(save_snapshot, "--save-snapshot")
    render_opts: dict[str, Any] = {}
    if accounts is not None:
        from opsctl.sandbox_seed import org as sandbox_org

        sandbox_org.check_accounts(accounts, "--accounts")
        if save_snapshot:
            raise OpsctlError("--save-snapshot writes one account's snapshot; with --accounts keep the organisation's "
                              "result instead (--format json -o FILE)")
    if report_dir:
        config_file = _demo_config_file(report_dir, sb.DEMO_CONFIG)
        if not Path(config_file).is_absolute():  # SARIF locations are repository-relative: outside it, none
            render_opts["sarif_location"] = config_file
    if accounts is not None:
        return _sandbox_org_demo(accounts, fmt, output, show_pass, report_dir, render_opts)
    with sb.running_server() as url:
        t0 = time.perf_counter()
        with err.status("seeding the sandbox account…"):
            env = sb.seed(url)
        err.print(f"[dim]sandbox at {url} seeded in {time.perf_counter() - t0:.1f}s[/dim]", highlight=False)
        os.environ.update(sb.environment(url))
        registry = load_builtin_checks()
        cfg = sb.demo_config(registry)
        checks_ = core.choose_checks(registry, cfg, core.Selection())
        opts = core.AwsOptions(regions=sb.REGIONS)
        started = time.perf_counter()
        with _progress() as progress:
            outcome = core.collect_snapshot(opts, cfg, progress)
        snapshot_error = _save_snapshot(outcome.snapshot, save_snapshot)
        prices = _load_prices(None)
        metadata = {**_run_metadata(outcome, None), "prices": {"as_of": prices.as_of, "source": prices.source, "file": "built-in"}}
        if report_dir:
            metadata["config_file"] = config_file
        result = core.audit(outcome.snapshot, checks_, cfg, metadata, prices)
        result.metadata["duration_seconds"] = round(time.perf_counter() - started, 3)
        _emit(result, fmt, output, show_pass)
        err.print(f"[dim]audit: {outcome.calls} API calls, collected in {outcome.seconds:.2f}s, "
                  f"total {result.metadata['duration_seconds']:.2f}s[/dim]", highlight=False)
        AuditFollowup().finish(result, report_dir, show_pass, **render_opts)
        if snapshot_error:
            raise OpsctlError(snapshot_error)
        if no_apply:
            return
        _demo_as_code(outcome.snapshot, opts, cfg, tuple(env.outputs.get("topic_arns:us-east-1", [])[:1]))


def _sandbox_org_demo(accounts: int, fmt, output, show_pass, report_dir, render_opts: dict[str, Any]) -> None:
    """`sandbox demo --accounts N`: seed the sandbox organisation and audit it as `audit --org` does."""
    from opsctl import audit as core
    from opsctl import sandbox as sb
    from opsctl.architecture import resolve_spec
    from opsctl.audit_followup import AuditFollowup
    from opsctl.org_audit import OrgOptions
    from opsctl.registry import load_builtin_checks
    from opsctl.sandbox_seed import org as sandbox_org

    err = _stderr_console()
    with sb.running_server() as url:
        t0 = time.perf_counter()
        with err.status(f"seeding the sandbox organisation of {accounts} accounts…"):
            seeded = sandbox_org.seed_organization(url, accounts)
        err.print(f"[dim]sandbox organisation {seeded.org_id} at {url}: {accounts} accounts seeded in "
                  f"{time.perf_counter() - t0:.1f}s[/dim]", highlight=False)
        click.echo("\n".join(f"  {line}" for line in seeded.table()), err=True)
        os.environ.update(sb.environment(url))
        registry = load_builtin_checks()
        cfg = sb.demo_config(registry)
        selection = core.Selection()
        checks_ = core.choose_checks(registry, cfg, selection)
        arch_spec = resolve_spec(None, cfg)
        try:
            _audit_org(OrgOptions(org=True), core.AwsOptions(regions=sb.REGIONS), selection, cfg, checks_,
                       AuditFollowup(), arch_spec, "all", None, None, fmt, output, "none", False, show_pass, None,
                       report_dir, render_opts)
        except SystemExit as done:
            if done.code not in (0, None):  # Ctrl-C (130) or a real failure; the findings themselves are deliberate
                raise


def _demo_config_file(report_dir: str, text: str) -> str:
    """Write the shop's opsctl.yaml into the report directory; SARIF results point at it."""
    path = Path(report_dir) / "opsctl.yaml"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OpsctlError(f"--report-dir: cannot write {path} ({exc.strerror or exc})") from None
    return _cwd_relative(str(path))


def _demo_as_code(snapshot, opts, cfg, topic_arns: tuple[str, ...]) -> None:
    """The demo's second act: dashboards and alarms kept as code, on stderr beside the progress."""
    from opsctl.alarms import workflow as alarms
    from opsctl.dashboards import demo as dashboards_demo

    say = functools.partial(click.echo, err=True)
    say("")
    say("── dashboards as code " + "─" * 58)
    dashboards_demo(snapshot, echo=say)
    say("")
    say("── alarms as code " + "─" * 62)
    say(f"$ opsctl alarms apply --yes{' --topic-arn ' + topic_arns[0] if topic_arns else ''}")
    for line in alarms.demo(opts, cfg, topic_arns).lines():
        say(f"  {line}")


@sandbox.command("up")
@click.option("--port", type=click.IntRange(1024, 65535), help="Port to listen on (default: a free one).")
@click.option("--accounts", type=int, metavar="N",
              help="Seed an AWS Organizations organisation of N accounts (4-200, the management account included) "
                   "instead of the single account, for `opsctl audit --org`.")
def sandbox_up(port, accounts) -> None:
    """Start and seed the sandbox, print how to point tools at it, and run until Ctrl-C.

    \b
    Run it in one shell, paste the export lines it prints into another, then:
      opsctl audit --region us-east-1 --region eu-west-1
      aws s3 ls
    \b
    Or in one shell, in the background (it prints within ~10 s):
      opsctl sandbox up > sandbox.env &
      sleep 15; eval "$(grep ^export sandbox.env)"
      opsctl audit --region us-east-1 --region eu-west-1
      kill %1                                        # stops it
    \b
    With --accounts N, an organisation: the exported credentials are its management account
    (the reference architecture); the members, in OUs, are reference accounts, smaller variants
    with other defects, one without OrganizationAccountAccessRole and one closed (SUSPENDED). It
    prints the accounts (id, name, OU, kind) as comments (~15 s for 50 accounts):
      opsctl sandbox up --accounts 6 > sandbox.env &
      sleep 20; eval "$(grep ^export sandbox.env)"
      opsctl audit --org --region us-east-1 --region eu-west-1
    """
    from opsctl import sandbox as sb

    audit_command = "opsctl audit --region us-east-1 --region eu-west-1"
    if accounts is not None:
        from opsctl.sandbox_seed import org as sandbox_org

        sandbox_org.check_accounts(accounts, "--accounts")
        audit_command = "opsctl audit --org --region us-east-1 --region eu-west-1"
    with sb.running_server(port) as url:
        if accounts is None:
            sb.seed(url)
        else:
            started = time.perf_counter()
            seeded = sandbox_org.seed_organization(url, accounts)
            click.echo(f"sandbox organisation of {accounts} accounts seeded in {time.perf_counter() - started:.1f}s", err=True)
        env = sb.environment(url)
        if accounts is None:
            click.echo(f"# sandbox account {sb.ACCOUNT} listening on {url}, seeded with the reference architecture")
        else:
            click.echo(f"# sandbox organisation {seeded.org_id} listening on {url}: {accounts} accounts; these credentials "
                       f"are its management account {seeded.management_account_id}")
        click.echo(f"# paste these into another shell, then run `{audit_command}`:")
        for k, v in env.items():
            click.echo(f"export {k}={v}")
        if accounts is not None:
            click.echo("# the organisation's accounts (kind: what the sandbox seeded there):")
            click.echo("\n".join(f"#   {line}" for line in seeded.table()))
            click.echo(f"# audit the organisation: {audit_command}")
        click.echo("# the demo audits with this opsctl.yaml (save it and pass --config to match):")
        click.echo("\n".join(f"#   {line}" for line in sb.DEMO_CONFIG.splitlines()))
        click.echo("# Ctrl-C stops the sandbox (its state is lost).")
        sys.stdout.flush()
        try:
            signal.pause() if hasattr(signal, "pause") else _sleep_forever()
        except KeyboardInterrupt:
            click.echo("\nsandbox stopped", err=True)


def _sleep_forever() -> None:
    while True:
        time.sleep(3600)


# ----- entry point -----------------------------------------------------------------------------
def _register_command_modules() -> None:
    """Commands that live in their own modules (opsctl/commands/) attach themselves to `cli`."""
    from opsctl.commands import register

    register(cli)


_register_command_modules()


def _second_interrupt_exits() -> None:
    """The first Ctrl-C raises KeyboardInterrupt, as Python's own handler does (the run stops and
    writes what it can); a second one exits 130 at once with one line. A SIGINT the parent
    ignores (a background job) stays ignored."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return
    seen = []

    def on_sigint(signum, frame):
        if seen:
            with contextlib.suppress(OSError):
                os.write(2, b"\nopsctl: interrupted again (Ctrl-C): stopped at once; a report being written may be incomplete\n")
            os._exit(EXIT_INTERRUPTED)
        seen.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)


def _exit_now(code: int) -> None:
    """Exit without joining the worker threads: after Ctrl-C some may still be blocked in a call
    (the --timeout ends them, but the run must not wait for it)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _endpoint_failure(exc: BaseException) -> str | None:
    """One line for an AWS call that failed for want of an answer (a timeout, a reset, a reply that
    is not AWS's) and escaped every handler; None for anything else (a bug)."""
    if "botocore" not in sys.modules:
        return None
    import botocore.exceptions
    import botocore.parsers

    if not isinstance(exc, (botocore.exceptions.HTTPClientError, botocore.exceptions.ConnectionError,
                            botocore.parsers.ResponseParserError)):
        return None
    from opsctl.aws import endpoint_url, get_timeout

    where = f"AWS_ENDPOINT_URL {endpoint_url()}" if endpoint_url() else "AWS"
    detail = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
    return (f"an AWS call got no usable answer from {where} ({detail}); each call waits at most "
            f"--timeout {get_timeout():g}s per attempt; check the network or AWS_ENDPOINT_URL")


def main() -> None:
    """Console-script entry: user errors on one line (exit 2), bugs as exit 4."""
    previous = signal.getsignal(signal.SIGINT)
    _second_interrupt_exits()
    try:
        _main()
    finally:  # a caller in the same process (a test, an embedding tool) gets its own handler back
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is not previous:
            signal.signal(signal.SIGINT, previous)


def _main() -> None:
    try:
        cli.main(prog_name="opsctl")
    except SystemExit as done:
        if done.code == EXIT_INTERRUPTED:
            _exit_now(EXIT_INTERRUPTED)
        raise
    except RecursionError:
        click.echo("opsctl: an input file is nested too deeply to read (thousands of levels); check the files you passed",
                   err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # noqa: BLE001 - last resort: one line, not a traceback, unless asked
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EPIPE, errno.EBADF):
            # standard output itself failed (a full disk, a closed pipe): every file write names its flag
            with contextlib.suppress(OSError):
                click.echo(f"opsctl: cannot write to standard output ({exc.strerror}); use -o FILE", err=True)
            sys.exit(EXIT_USAGE)
        if os.environ.get("OPSCTL_DEBUG"):
            traceback.print_exc()
        failure = _endpoint_failure(exc)
        if failure:
            click.echo(f"opsctl: {failure}", err=True)
            sys.exit(EXIT_USAGE)
        click.echo(f"opsctl: internal error: {type(exc).__name__}: {exc} (set OPSCTL_DEBUG=1 for the traceback; please report it)",
                   err=True)
        sys.exit(4)


if __name__ == "__main__":
    main()
