"""`opsctl alarms plan|apply`: create the CloudWatch alarms cloudwatch.alarm_coverage finds missing.

The work is opsctl.alarms (plan.py pure, cloudwatch.py the AWS calls, workflow.py between);
this module parses flags, prints and asks for confirmation.
"""

from __future__ import annotations

import json
import sys

import click

from opsctl.cli import aws_options, config_option
from opsctl.commands.options import (
    ROLE_HELP,
    detailed_exitcode_option,
    format_option,
    option_help,
    snapshot_option,
    yes_option,
)

OWNERSHIP_HELP = """\b
Ownership: opsctl creates alarms named <prefix><type>-<resource>-<metric> (prefix "opsctl-",
config alarms.prefix) carrying the line "[managed by opsctl]" in their description and the
tag opsctl:managed=true. It only ever updates alarms with the prefix AND one of these markers;
any other alarm of the same name is reported as a conflict and left alone. It never deletes."""

APPLY_EXIT_HELP = """\b
Exit codes:
  0  the plan was applied (or there was nothing to do)
  2  usage, configuration or credential error; declined; or a write failed"""

PLAN_EXIT_HELP = """\b
Exit codes:
  0  plan shown (with --detailed-exitcode: nothing to create or update)
  1  with --detailed-exitcode: alarms to create or update
  2  usage, configuration or credential error"""


def _topic_option(fn):
    return click.option("--topic-arn", "topic_arns", multiple=True, metavar="ARN",
                        help="SNS topic the alarms notify (alarm and OK actions); repeat for one topic per region, "
                             "each alarm uses its region's. Default: config alarms.topic_arn.")(fn)


#: How the shared account flags read here: alarms are planned (and created) in the regions read.
_REGION_HELP = dict(
    regions="Region to read resources and alarms from, and to create the alarms in; repeat for several. "
            "Default: config `regions`, else your default region.",
    all_regions="Every region enabled in the account.",
    **ROLE_HELP,
)


@click.group("alarms")
def alarms() -> None:
    """Create the CloudWatch alarms the audit finds missing.

    The alarms are those cloudwatch.alarm_coverage finds missing: `plan` shows what `apply`
    would do; `apply` does it. Thresholds come from checks/data/alarm_defaults.yaml,
    overridable per metric in the config's `alarms.thresholds`.
    """


@alarms.command("plan", epilog=OWNERSHIP_HELP + "\n\n" + PLAN_EXIT_HELP)
@option_help(**_REGION_HELP)
@aws_options
@config_option
@_topic_option
@snapshot_option("Plan from a saved snapshot instead of calling AWS (compares fewer alarm settings).")
@format_option()
@click.option("--hide-unchanged", is_flag=True, help="Leave out the alarms already as planned.")
@detailed_exitcode_option("Exit 1 when alarms would be created or updated.")
def plan_command(aws_opts, config_path, topic_arns, snapshot_path, fmt, hide_unchanged, detailed_exitcode) -> None:
    """Show the alarms `apply` would create or update, per resource and metric (read-only).

    Each alarm is one of: create, update (the changed settings follow), unchanged,
    conflict (an alarm opsctl does not own has the name), skip (coverage cannot be judged,
    or no settings for the metric) or orphan (an opsctl alarm no resource needs; never deleted).

    \b
    Examples:
      opsctl alarms plan --region us-east-1
      opsctl alarms plan --region eu-west-1 --region us-east-1 --topic-arn arn:aws:sns:eu-west-1:123456789012:ops
      opsctl alarms plan --snapshot snap.json --format json
    """
    from opsctl.alarms import workflow
    from opsctl.alarms.plan import render_text
    from opsctl.cli import _progress
    from opsctl.config import load_config
    from opsctl.errors import UsageError
    from opsctl.registry import load_builtin_checks
    from opsctl.snapshot import load_snapshot

    cfg = load_config(config_path, load_builtin_checks())
    if snapshot_path:
        if aws_opts.regions or aws_opts.all_regions or aws_opts.role_arn:
            raise UsageError("--snapshot plans from a saved snapshot; drop --region/--all-regions/--role-arn")
        plan = workflow.plan_offline(load_snapshot(snapshot_path), cfg, topic_arns)
    else:
        workflow.resolve_settings(cfg, topic_arns)  # a bad --topic-arn fails before collecting
        with _progress() as progress:
            plan = workflow.plan_live(aws_opts, cfg, topic_arns, progress).plan
    _print(plan, fmt, hide_unchanged, render_text)
    if detailed_exitcode and plan.writes:
        sys.exit(1)


@alarms.command("apply", epilog=OWNERSHIP_HELP + "\n\n" + APPLY_EXIT_HELP)
@option_help(**_REGION_HELP)
@aws_options
@config_option
@_topic_option
@yes_option("Apply")
@format_option()
def apply_command(aws_opts, config_path, topic_arns, assume_yes, fmt) -> None:
    """Create and update the planned alarms (PutMetricAlarm), after showing the plan.

    Reads the account afresh (never a saved snapshot), shows the plan, asks, then writes.
    Applying twice in a row writes nothing the second time. Afterwards a new audit finds
    cloudwatch.alarm_coverage passing for every resource whose alarms were created —
    conflicts and skipped resources excepted.

    \b
    Needs, besides the audit's read-only permissions: cloudwatch:PutMetricAlarm and
    cloudwatch:TagResource (new alarms carry the opsctl:managed tag), plus
    cloudwatch:DescribeAlarms and cloudwatch:ListTagsForResource, which the audit has.

    \b
    Examples:
      opsctl alarms apply --region us-east-1 --topic-arn arn:aws:sns:us-east-1:123456789012:ops-alerts
      opsctl alarms apply --region us-east-1 --yes          # in CI, after reviewing `alarms plan`
    """
    from opsctl.alarms import workflow
    from opsctl.alarms.plan import render_text
    from opsctl.cli import _progress
    from opsctl.config import load_config
    from opsctl.errors import OpsctlError, UsageError
    from opsctl.registry import load_builtin_checks

    cfg = load_config(config_path, load_builtin_checks())
    workflow.resolve_settings(cfg, topic_arns)
    if not assume_yes and not _interactive():
        raise UsageError("alarms apply writes to your account and asks first; not on a terminal, "
                         "so pass --yes to apply without asking")
    with _progress() as progress:
        live = workflow.plan_live(aws_opts, cfg, topic_arns, progress)
    plan = live.plan
    if fmt == "table":
        click.echo(render_text(plan, show_unchanged=False), nl=False, err=False)
    if not plan.writes:
        _finish(fmt, plan, None)
        return
    if not assume_yes and not click.confirm(f"Write {len(plan.writes)} alarm(s)?", default=False, err=True):
        raise UsageError("apply declined; nothing was written")
    report = workflow.apply(live, _echo_write if fmt == "table" else None)
    _finish(fmt, plan, report)
    if report.failed:
        raise OpsctlError(f"{len(report.failed)} of {len(plan.writes)} alarm write(s) failed; the first: "
                          f"{report.failed[0][0].name}: {report.failed[0][1]}")



def _interactive() -> bool:
    """Is someone there to answer the confirmation? (A function so tests can say yes.)"""
    from opsctl.output import is_terminal

    return is_terminal(sys.stdin)


def _print(plan, fmt: str, hide_unchanged: bool, render_text) -> None:
    if fmt == "json":
        click.echo(json.dumps(plan.to_dict(), indent=1, default=str))
    else:
        click.echo(render_text(plan, show_unchanged=not hide_unchanged), nl=False)


def _echo_write(item, error: str | None) -> None:
    verb = "created" if item.action == "create" else "updated"
    if error:
        click.echo(f"  failed   {item.region:<14} {item.name}: {error}", err=True)
    else:
        click.echo(f"  {verb:<8} {item.region:<14} {item.name}")


def _finish(fmt: str, plan, report) -> None:
    if fmt == "json":
        data = plan.to_dict()
        data["applied"] = [] if report is None else [i.name for i in report.done]
        data["failed"] = [] if report is None else [{"name": i.name, "error": e} for i, e in report.failed]
        click.echo(json.dumps(data, indent=1, default=str))
    elif report is None:
        click.echo("nothing to write: every planned alarm is already in place")
    else:
        click.echo(f"applied: {len(report.done)} written, {len(report.failed)} failed")


def register(cli: click.Group) -> None:
    cli.add_command(alarms)
