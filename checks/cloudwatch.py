"""CloudWatch alarm checks (CATALOGUE.md, "Monitoring, logging, audit trail"): every resource of the
shop watched on its key metrics, and every alarm reaching a person when it fires."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opsctl.checks._alarm_requirements import (
    AlarmIndex,
    describe,
    dimension_values,
    load_required_alarms,
    met_by,
    resource_name,
)

from opsctl.errors import MissingData, UsageError
from opsctl.findings import Status
from opsctl.registry import FAIL, PASS, CheckContext, Outcome, check
from opsctl.resources import RESOURCE_TYPES

ALARM = "cloudwatch.alarm"
TOPIC = "sns.topic"
#: CloudWatch keeps the metrics of global services (CloudFront, Route 53) in us-east-1.
GLOBAL_METRICS_REGION = "us-east-1"


# ----- cloudwatch.alarm_coverage ------------------------------------------------------------------
class RegionAlarms:
    """Alarm indexes per region, built on first use; a region whose alarms were not collected
    raises the same MissingData every time it is asked for."""

    def __init__(self, ctx: CheckContext):
        self._ctx = ctx
        self._indexes: dict[str, AlarmIndex | MissingData] = {}

    def of(self, region: str) -> AlarmIndex:
        if region not in self._indexes:
            try:
                self._indexes[region] = AlarmIndex.of(self._ctx.snapshot.require(ALARM, region))
            except MissingData as missing:
                self._indexes[region] = missing
        found = self._indexes[region]
        if isinstance(found, MissingData):
            raise found
        return found


def error(message: str, resource_id: str, region: str) -> Outcome:
    return Outcome(Status.ERROR, message, resource_id=resource_id, region=region)


def covered_resources(ctx: CheckContext, rtype: str) -> Iterator[tuple[str, list[dict[str, Any]] | MissingData]]:
    """(region, resources of the type there) per audited region ("global" once for global types),
    or (region, MissingData) where the type was not collected."""
    regions = ["global"] if RESOURCE_TYPES[rtype].scope == "global" else sorted(ctx.snapshot.regions)
    for region in regions:
        try:
            if region == "global":
                found = ctx.snapshot.require_global(rtype)
            else:
                found = ctx.snapshot.require(rtype, region)
        except MissingData as missing:
            yield region, missing
            continue
        yield region, sorted(found, key=lambda r: str(r.get("arn")))


def alarm_region(entry: dict[str, Any], resource: dict[str, Any]) -> str:
    """Where the resource's alarms live: the entry's alarm_region, else the resource's own region
    (us-east-1 for a global resource)."""
    region = entry["alarm_region"] or resource.get("region") or "global"
    return GLOBAL_METRICS_REGION if region == "global" else region


def nor_list(phrases: list[str]) -> str:
    """'A' · 'A, nor on B' · 'A, nor on B, nor on C' — each phrase may itself contain 'or'."""
    return ", nor on ".join(phrases)


def coverage_of(resource: dict[str, Any], rtype: str, entry: dict[str, Any], alarms: RegionAlarms) -> Outcome:
    subject = f"{entry['label']} {resource_name(resource, entry)}"
    arn, region = str(resource.get("arn")), str(resource.get("region"))
    where = alarm_region(entry, resource)
    try:
        dimensions = dimension_values(resource, entry)
        index = alarms.of(where)
    except MissingData as missing:
        return error(f"Could not evaluate the alarm coverage of {subject}: {missing.reason}", arn, region)
    met: dict[str, list[str]] = {}
    missing_phrases = []
    for requirement in entry["metrics"]:
        found = met_by(requirement, dimensions, index)
        if found is None:
            missing_phrases.append(describe(requirement, entry["namespace"]))
        else:
            met.update(found)
    evidence = {"resource_type": rtype, "namespace": entry["namespace"], "dimensions": dimensions,
                "alarm_region": where, "alarms": met}
    if missing_phrases:
        return Outcome(Status.FAIL, f"{subject} has no alarm on {nor_list(missing_phrases)}.",
                       {**evidence, "missing": missing_phrases}, resource_id=arn, region=region)
    return Outcome(Status.PASS, f"{subject} has an alarm on every required metric ({', '.join(sorted(met))}).",
                   evidence, resource_id=arn, region=region)


@check(id="cloudwatch.alarm_coverage", title="Resources have CloudWatch alarms on their key metrics",
       pillar="operations", severity="high", resource_type="iam.account", params={"extra_required": {}})
def alarm_coverage(account: dict[str, Any], ctx: CheckContext):
    """Without an alarm on its key metric, a failing tier is found by customers, not by the on-call.

    Account-wide: one finding per resource of every type in checks/data/required_alarms.yaml
    (plus the config's `extra_required`), and one ERROR per type and region whose resources or
    alarms were not collected.
    """
    try:
        table = load_required_alarms(ctx.params["extra_required"])
    except UsageError as exc:
        yield error(f"Alarm coverage could not be evaluated: {exc}", str(account.get("arn")), "global")
        return
    alarms = RegionAlarms(ctx)
    for rtype, entry in table.items():
        for region, found in covered_resources(ctx, rtype):
            if isinstance(found, MissingData):
                service = RESOURCE_TYPES[rtype].service
                yield error(f"Could not evaluate the alarm coverage of {rtype} in {region}: {found.reason}",
                            ctx.snapshot.account_arn(service, region), region)
                continue
            for resource in found:
                yield coverage_of(resource, rtype, entry, alarms)


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
