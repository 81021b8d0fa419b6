"""CloudWatch alarm checks (CATALOGUE.md, "Monitoring, logging, audit trail"): every resource of the
shop watched on its key metrics, and every alarm reaching a person when it fires."""

from __future__ import annotations

from typing import Any

from opsctl.checks._alarm_requirements import (
    ResourceCoverage,
    UncollectedType,
    describe,
    load_required_alarms,
    resource_name,
    snapshot_coverage,
)

from opsctl.errors import MissingData, UsageError
from opsctl.findings import Status
from opsctl.registry import FAIL, PASS, CheckContext, Outcome, check
from opsctl.resources import RESOURCE_TYPES

ALARM = "cloudwatch.alarm"
TOPIC = "sns.topic"


# ----- cloudwatch.alarm_coverage ------------------------------------------------------------------
def error(message: str, resource_id: str, region: str) -> Outcome:
    return Outcome(Status.ERROR, message, resource_id=resource_id, region=region)


def nor_list(phrases: list[str]) -> str:
    """'A' · 'A, nor on B' · 'A, nor on B, nor on C' — each phrase may itself contain 'or'."""
    return ", nor on ".join(phrases)


def coverage_outcome(item: ResourceCoverage) -> Outcome:
    entry = item.entry
    subject = f"{entry['label']} {resource_name(item.resource, entry)}"
    arn, region = str(item.resource.get("arn")), str(item.resource.get("region"))
    if item.error is not None:
        return error(f"Could not evaluate the alarm coverage of {subject}: {item.error}", arn, region)
    evidence = {"resource_type": item.rtype, "namespace": entry["namespace"], "dimensions": item.dimensions,
                "alarm_region": item.alarm_region, "alarms": item.met}
    if item.missing:
        missing_phrases = [describe(requirement, entry["namespace"]) for requirement in item.missing]
        return Outcome(Status.FAIL, f"{subject} has no alarm on {nor_list(missing_phrases)}.",
                       {**evidence, "missing": missing_phrases}, resource_id=arn, region=region)
    return Outcome(Status.PASS, f"{subject} has an alarm on every required metric ({', '.join(sorted(item.met))}).",
                   evidence, resource_id=arn, region=region)


@check(id="cloudwatch.alarm_coverage", title="Resources have CloudWatch alarms on their key metrics",
       pillar="operations", severity="high", resource_type="iam.account", params={"extra_required": {}})
def alarm_coverage(account: dict[str, Any], ctx: CheckContext):
    """Without an alarm on its key metric, a failing tier is found by customers, not by the on-call.

    Account-wide: one finding per resource of every type in checks/data/required_alarms.yaml
    (plus the config's `extra_required`), and one ERROR per type and region whose resources or
    alarms were not collected. The judging itself (opsctl.checks._alarm_requirements) is shared
    with `opsctl alarms plan`.
    """
    try:
        table = load_required_alarms(ctx.params["extra_required"])
    except UsageError as exc:
        yield error(f"Alarm coverage could not be evaluated: {exc}", str(account.get("arn")), "global")
        return
    for item in snapshot_coverage(ctx.snapshot, table):
        if isinstance(item, UncollectedType):
            service = RESOURCE_TYPES[item.rtype].service
            yield error(f"Could not evaluate the alarm coverage of {item.rtype} in {item.region}: {item.reason}",
                        ctx.snapshot.account_arn(service, item.region), item.region)
            continue
        yield coverage_outcome(item)


# ----- cloudwatch.alarm_has_action ----------------------------------------------------------------
@check(id="cloudwatch.alarm_has_action", title="CloudWatch alarm has an enabled alarm action",
       pillar="operations", severity="medium", resource_type=ALARM)
def alarm_has_action(alarm: dict[str, Any], ctx: CheckContext):
    """An alarm without an action only turns red on a dashboard nobody watches at 3 a.m."""
    enabled = ctx.need(alarm, "actions_enabled")
    actions = ctx.need(alarm, "alarm_actions")
    name = alarm["name"]
    if not actions and not enabled:
        return FAIL(f"CloudWatch alarm {name} has no alarm action and its actions are disabled.", actions_enabled=False)
    if not actions:
        return FAIL(f"CloudWatch alarm {name} has no alarm action, so nobody is told when it fires.",
                    actions_enabled=enabled)
    if not enabled:
        return FAIL(f"CloudWatch alarm {name} has {len(actions)} alarm action(s) but its actions are disabled.",
                    actions_enabled=False, alarm_actions=actions)
    return PASS(f"CloudWatch alarm {name} has actions enabled and {len(actions)} alarm action(s).", alarm_actions=actions)


# ----- cloudwatch.alarm_action_subscribed ---------------------------------------------------------
def is_topic(action: str) -> bool:
    """arn:<partition>:sns:<region>:<account>:<topic> (not an Auto Scaling policy, EC2 or SSM action)."""
    parts = action.split(":")
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "sns"


def topic_verdict(arn: str, ctx: CheckContext) -> tuple[str, str]:
    """("ok" | "fail" | "unknown", why) for one SNS topic an alarm notifies.

    A topic of another account cannot be seen by this audit: "unknown" (→ ERROR), never PASS.
    A topic of this account missing from a region whose topics were listed was deleted: "fail".
    """
    _, _, _, region, account, name = arn.split(":")
    if account != ctx.snapshot.account:
        return "unknown", f"SNS topic {arn} belongs to account {account}, which this audit does not see"
    try:
        ctx.snapshot.require(TOPIC, region)
    except MissingData as missing:
        return "unknown", missing.reason
    topic = ctx.snapshot.index(TOPIC, "arn").get(arn)
    if topic is None:
        return "fail", f"{name} (the topic does not exist)"
    try:
        confirmed = ctx.need(topic, "subscriptions_confirmed")
    except MissingData as missing:
        return "unknown", missing.reason
    if confirmed:
        return "ok", name
    pending = topic.get("subscriptions_pending") or 0
    return "fail", f"{name} (no confirmed subscription" + (f", {pending} pending confirmation)" if pending else ")")


@check(id="cloudwatch.alarm_action_subscribed", title="SNS topics notified by an alarm have subscribers",
       pillar="operations", severity="medium", resource_type=ALARM)
def alarm_action_subscribed(alarm: dict[str, Any], ctx: CheckContext):
    """An alarm that notifies a topic without subscribers looks wired up but reaches nobody.

    A topic in another account (a central alerting account) cannot be read by this audit: the
    finding is ERROR saying so, because PASS would claim what nobody checked.
    """
    topics = sorted({a for a in ctx.need(alarm, "alarm_actions") if is_topic(a)})
    if not topics:
        return None  # no SNS action: cloudwatch.alarm_has_action judges alarms without actions
    verdicts = {arn: topic_verdict(arn, ctx) for arn in topics}
    failed = [why for status, why in verdicts.values() if status == "fail"]
    unknown = [why for status, why in verdicts.values() if status == "unknown"]
    name = alarm["name"]
    if failed:
        return FAIL(f"CloudWatch alarm {name} notifies SNS topic(s) that reach nobody: {', '.join(failed)}.",
                    topics=topics, unreachable=failed)
    if unknown:
        return Outcome(Status.ERROR, f"Could not tell whether CloudWatch alarm {name} reaches anyone: {'; '.join(unknown)}.",
                       {"topics": topics})
    return PASS(f"CloudWatch alarm {name} notifies {len(topics)} SNS topic(s), each with a confirmed subscription.",
                topics=topics)
