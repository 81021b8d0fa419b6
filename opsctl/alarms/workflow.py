"""The alarms use case: collect what coverage needs, read the prefixed alarms, plan, apply.

The CLI (opsctl/commands/alarms.py) parses flags, prints and asks; everything between lives here.
`demo()` is the sandbox demo's step: plan → apply → collect again → cloudwatch.alarm_coverage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsctl.alarms.cloudwatch import ApplyReport, apply_plan, read_alarms
from opsctl.alarms.plan import Plan, build_plan
from opsctl.alarms.settings import AlarmSettings, effective_thresholds, settings_of
from opsctl.audit import AwsOptions, collect_snapshot
from opsctl.aws import Aws
from opsctl.checks._alarm_requirements import ALARM, load_required_alarms
from opsctl.config import Config
from opsctl.resources import RESOURCE_TYPES
from opsctl.snapshot import Snapshot

COVERAGE_CHECK = "cloudwatch.alarm_coverage"


def required_table(cfg: Config) -> dict[str, dict[str, Any]]:
    """The requirements cloudwatch.alarm_coverage judges with this config (its extra_required too)."""
    return load_required_alarms(cfg.check_params.get(COVERAGE_CHECK, {}).get("extra_required") or None)


def services_for(table: dict[str, dict[str, Any]]) -> list[str]:
    """The collectors coverage needs: the required types' services and cloudwatch (the alarms)."""
    return sorted({RESOURCE_TYPES[rtype].service for rtype in table} | {"cloudwatch"})


def alarm_regions(snapshot: Snapshot) -> list[str]:
    """The regions whose alarms the snapshot listed completely (only there can a plan be made)."""
    failed = {gap.region for gap in snapshot.listing_gaps(ALARM)}
    return sorted(r for r in snapshot.collected.get(ALARM, []) if r != "global" and r not in failed)


def resolve_settings(cfg: Config, topic_arns: tuple[str, ...] = ()) -> AlarmSettings:
    """The config's `alarms:` section, with --topic-arn in place of its topics when given."""
    return settings_of(cfg).with_topics(tuple(topic_arns))


def plan_offline(snapshot: Snapshot, cfg: Config, topic_arns: tuple[str, ...] = ()) -> Plan:
    """A plan from a saved snapshot alone (no AWS call)."""
    settings = resolve_settings(cfg, topic_arns)
    return build_plan(snapshot, required_table(cfg), settings, effective_thresholds(settings))


@dataclass
class LivePlan:
    plan: Plan
    snapshot: Snapshot
    aws: Aws
    identity: dict[str, str] = field(default_factory=dict)


def plan_live(opts: AwsOptions, cfg: Config, topic_arns: tuple[str, ...] = (),
              progress: Callable[[str, int, int], None] | None = None, extra_services: tuple[str, ...] = ()) -> LivePlan:
    """Collect the covered resources and the alarms, read the prefixed alarms as they are now, plan."""
    settings = resolve_settings(cfg, topic_arns)  # flags and config first: fail before any call
    table = required_table(cfg)
    thresholds = effective_thresholds(settings)
    outcome = collect_snapshot(opts, cfg, progress, services=sorted(set(services_for(table)) | set(extra_services)))
    aws = Aws(profile=opts.profile, role_arn=opts.role_arn, external_id=opts.external_id,
              workers=opts.workers or cfg.workers or 16)
    live = read_alarms(aws, alarm_regions(outcome.snapshot), settings.prefix)
    plan = build_plan(outcome.snapshot, table, settings, thresholds, live)
    return LivePlan(plan, outcome.snapshot, aws, outcome.identity)


def apply(live: LivePlan, progress=None) -> ApplyReport:
    """Write the plan's creates and updates (PutMetricAlarm)."""
    return apply_plan(live.aws, live.plan, progress)


# ----- the sandbox demo's step --------------------------------------------------------------------
@dataclass
class DemoOutcome:
    plan: Plan
    report: ApplyReport
    before: dict[str, int]  # alarm_coverage statuses before apply: {"PASS": n, "FAIL": n, "ERROR": n}
    after: dict[str, int]  # … and after, on a fresh collection

    def lines(self) -> list[str]:
        counts = self.plan.counts()
        return [
            f"alarms plan: {counts['create']} to create, {counts['update']} to update, {counts['unchanged']} unchanged, "
            f"{counts['conflict']} conflict(s), {counts['skip']} skipped",
            f"alarms apply: {len(self.report.done)} written, {len(self.report.failed)} failed",
            f"{COVERAGE_CHECK}: before {_statuses(self.before)}; after {_statuses(self.after)}",
        ]


def demo(opts: AwsOptions, cfg: Config, topic_arns: tuple[str, ...] = ()) -> DemoOutcome:
    """Plan and apply the missing alarms, then show alarm coverage before and after.

    Call it with the environment pointing at the sandbox (os.environ.update(sandbox.environment(url)))
    and opts = AwsOptions(regions=sandbox.REGIONS). Writes alarms into the account it is pointed at.
    """
    live = plan_live(opts, cfg, topic_arns, extra_services=("iam",))  # iam: the check runs per account
    before = coverage_statuses(live.snapshot, cfg)
    report = apply(live)
    table = required_table(cfg)
    again = collect_snapshot(opts, cfg, services=sorted(set(services_for(table)) | {"iam"}))
    return DemoOutcome(live.plan, report, before, coverage_statuses(again.snapshot, cfg))


def coverage_statuses(snapshot: Snapshot, cfg: Config) -> dict[str, int]:
    """How many resources cloudwatch.alarm_coverage passes, fails and cannot judge."""
    findings = coverage_findings(snapshot, cfg)
    out: dict[str, int] = {}
    for finding in findings:
        out[finding.status.value] = out.get(finding.status.value, 0) + 1
    return out


def coverage_findings(snapshot: Snapshot, cfg: Config) -> list[Any]:
    from opsctl.engine import run_check
    from opsctl.registry import load_builtin_checks

    spec = load_builtin_checks()[COVERAGE_CHECK]
    return run_check(spec, snapshot, cfg.check_params.get(COVERAGE_CHECK))


def _statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no resources"
