"""Planning the missing alarms (opsctl.alarms.plan) on small snapshots: pure, no AWS."""

from __future__ import annotations

from typing import Any

import pytest
from opsctl.checks._alarm_requirements import load_required_alarms

from opsctl.alarms.plan import (
    MARKER,
    TAG_KEY,
    build_plan,
    from_describe,
    is_owned,
    render_text,
)
from opsctl.alarms.settings import AlarmSettings, effective_thresholds
from opsctl.findings import Status
from tests.helpers import ACCOUNT, REGION, run, snapshot
from tests.unit.checks.test_cloudwatch import (
    ALARM,
    ASG,
    DB,
    DIST,
    EU,
    FN,
    HC,
    LB,
    LB_ID,
    TABLE,
    alarm,
    alb,
    asg,
    asg_cpu,
    coverage,
    db,
    distribution,
    function,
    health_check,
    table,
)

TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:ops"


def plan_of(resources: dict[str, list[dict[str, Any]]], settings: AlarmSettings | None = None, *,
            extra: dict[str, Any] | None = None, live=None, regions=(REGION,)):
    settings = settings or AlarmSettings()
    return build_plan(snapshot(resources, regions=regions), load_required_alarms(extra), settings,
                      effective_thresholds(settings), live)


def by_name(plan) -> dict[str, Any]:
    return {i.name: i for i in plan.items if i.name}


def as_snapshot_alarm(params: dict[str, Any], region: str = REGION, owned: bool = True) -> dict[str, Any]:
    """The cloudwatch.alarm record the collector would make of the alarm PutMetricAlarm created."""
    return {
        "name": params["AlarmName"], "arn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{params['AlarmName']}",
        "region": region, "namespace": params["Namespace"], "metric_name": params["MetricName"],
        "dimensions": {d["Name"]: d["Value"] for d in params["Dimensions"]},
        "statistic": params.get("Statistic"), "extended_statistic": params.get("ExtendedStatistic"),
        "threshold": params["Threshold"], "comparison": params["ComparisonOperator"],
        "actions_enabled": params["ActionsEnabled"], "alarm_actions": params["AlarmActions"],
        "ok_actions": params["OKActions"], "insufficient_data_actions": [], "state": "INSUFFICIENT_DATA",
        "metrics": [], "tags": {TAG_KEY: "true"} if owned else {},
    }


def test_missing_cpu_alarm_is_created_with_the_checks_dimensions():
    plan = plan_of(coverage(asg=[asg()]), AlarmSettings(topic_arns=(TOPIC,)))
    item = by_name(plan)["opsctl-asg-shop-web-asg-CPUUtilization"]
    assert item.action == "create" and item.region == REGION
    p = item.params
    assert p["Namespace"] == "AWS/EC2" and p["MetricName"] == "CPUUtilization"
    assert p["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "shop-web-asg"}]
    assert (p["Statistic"], p["ComparisonOperator"], p["Threshold"], p["Period"], p["EvaluationPeriods"]) == (
        "Average", "GreaterThanThreshold", 80.0, 300, 3)
    assert "ExtendedStatistic" not in p and p["DatapointsToAlarm"] == 3 and p["TreatMissingData"] == "missing"
    assert p["AlarmActions"] == [TOPIC] and p["OKActions"] == [TOPIC] and p["ActionsEnabled"] is True
    assert p["AlarmDescription"].endswith(MARKER) and len(p["AlarmDescription"]) <= 1024
    assert p["Tags"] == [{"Key": TAG_KEY, "Value": "true"}]
    assert not plan.warnings


def test_requirement_met_by_someone_elses_alarm_is_left_alone():
    plan = plan_of(coverage(asg_cpu(), asg=[asg()]))
    assert plan.items == ()


def test_every_builtin_type_passes_the_check_once_the_plan_is_applied():
    """The planned alarms carry what cloudwatch.alarm_coverage matches on: apply them to the
    snapshot as the collector would record them, and every resource passes."""
    resources = coverage(lb=[alb()], asg=[asg()], db=[db()], table=[table()], fn=[function()],
                         dist=[distribution()], hc=[health_check()])
    before = run("cloudwatch.alarm_coverage", snapshot(resources))
    assert {f.status for f in before} == {Status.FAIL} and len(before) == 7
    plan = plan_of(resources, AlarmSettings(topic_arns=(TOPIC,)))
    assert {i.action for i in plan.items} == {"create"}
    resources[ALARM] = [as_snapshot_alarm(i.params, i.region) for i in plan.writes]
    after = run("cloudwatch.alarm_coverage", snapshot(resources))
    assert [f.status for f in after] == [Status.PASS] * 7, [f.message for f in after]
    # …and planning again proposes nothing new
    again = plan_of(resources, AlarmSettings(topic_arns=(TOPIC,)))
    assert {i.action for i in again.items} == {"unchanged"}


def test_first_creatable_alternative():
    plan = plan_of(coverage(lb=[alb()], table=[table()]))
    names = set(by_name(plan))
    # ALB 5xx: the first alternative (target 5xx); DynamoDB: ThrottledRequests needs an Operation
    # dimension, so its settings say create: false and the per-event pair is created instead.
    assert f"opsctl-alb-{LB_ID}-HTTPCode_Target_5XX_Count" in names
    assert not any("ELB_5XX" in n for n in names)
    assert {"opsctl-dynamodb-catalogue-ReadThrottleEvents", "opsctl-dynamodb-catalogue-WriteThrottleEvents"} <= names
    assert not any("ThrottledRequests" in n for n in names)
    latency = by_name(plan)[f"opsctl-alb-{LB_ID}-TargetResponseTime"].params
    assert latency["ExtendedStatistic"] == "p99" and "Statistic" not in latency


def test_global_metrics_alarm_in_us_east_1_with_region_global():
    plan = plan_of(coverage(dist=[distribution()], hc=[health_check()]), regions=(EU, REGION))
    cf = by_name(plan)["opsctl-cloudfront-E2SHOP-5xxErrorRate"]
    assert cf.region == "us-east-1"
    assert cf.params["Dimensions"] == [{"Name": "DistributionId", "Value": "E2SHOP"}, {"Name": "Region", "Value": "Global"}]
    assert by_name(plan)["opsctl-healthcheck-hc-1-HealthCheckStatus"].region == "us-east-1"


def test_alarm_region_not_collected_is_skipped_with_a_hint():
    plan = plan_of(coverage(dist=[distribution()]), regions=(EU,))
    [item] = plan.items
    assert item.action == "skip" and "--region us-east-1" in item.reason and not plan.writes


def test_uncollected_type_is_skipped():
    from opsctl.snapshot import CoverageGap

    snap = snapshot(coverage(asg=[asg()]), coverage=[CoverageGap("elbv2", REGION, "DescribeLoadBalancers", "AccessDenied",
                                                                 "denied", LB, "")])
    plan = build_plan(snap, load_required_alarms(), AlarmSettings(), effective_thresholds(AlarmSettings()))
    actions = [(i.action, i.subject) for i in plan.items]
    assert ("skip", LB) in actions and ("create", "Auto Scaling group shop-web-asg") in actions


def owned_cpu(threshold: float = 80.0, actions=(), prefix="opsctl-", description=None, tags=None, name=None):
    """A live DescribeAlarms record of the CPU alarm opsctl would create."""
    record = {
        "AlarmName": name or f"{prefix}asg-shop-web-asg-CPUUtilization",
        "AlarmDescription": description if description is not None else
        f"Auto Scaling group shop-web-asg: CPUUtilization Average > {threshold:g} for 3 period(s) of 300s. Created by "
        "`opsctl alarms apply`, which keeps it as the config says: change thresholds there, not here.\n" + MARKER,
        "ActionsEnabled": True, "AlarmActions": list(actions), "OKActions": list(actions), "InsufficientDataActions": [],
        "Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "Statistic": "Average",
        "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "shop-web-asg"}], "Period": 300, "EvaluationPeriods": 3,
        "Threshold": threshold, "ComparisonOperator": "GreaterThanThreshold",
    }
    if tags is not None:
        record["Tags"] = tags
    return record


def snapshot_twin(record: dict[str, Any]) -> dict[str, Any]:
    return alarm(record["AlarmName"], record["Namespace"], record["MetricName"],
                 {d["Name"]: d["Value"] for d in record["Dimensions"]})


def test_owned_alarm_as_planned_is_unchanged_and_keeps_its_actions_without_a_topic():
    record = owned_cpu(actions=[TOPIC])
    live = {REGION: [from_describe(record, REGION, "opsctl-")]}
    plan = plan_of(coverage(snapshot_twin(record), asg=[asg()]), live=live)
    [item] = plan.items
    assert item.action == "unchanged" and not plan.writes and not plan.warnings


def test_owned_alarm_with_another_threshold_is_updated():
    record = owned_cpu(threshold=80.0)
    live = {REGION: [from_describe(record, REGION, "opsctl-")]}
    settings = AlarmSettings(thresholds={("AWS/EC2", "CPUUtilization"): {"threshold": 90.0}})
    plan = plan_of(coverage(snapshot_twin(record), asg=[asg()]), settings, live=live)
    [item] = plan.items
    assert item.action == "update"
    assert ("Threshold", 80.0, 90.0) in item.changes
    assert item.params["Threshold"] == 90.0 and "Tags" not in item.params
    text = render_text(plan)
    assert "~ update" in text and "Threshold: 80.0 -> 90.0" in text


def test_name_collision_with_an_alarm_opsctl_does_not_own_is_a_conflict():
    # Same name, but no marker: someone else's. It watches another group, so the requirement is unmet.
    record = owned_cpu(description="hand-made")
    record["Dimensions"] = [{"Name": "AutoScalingGroupName", "Value": "other"}]
    live = {REGION: [from_describe(record, REGION, "opsctl-")]}
    plan = plan_of(coverage(snapshot_twin(record), asg=[asg()]), live=live)
    [item] = plan.items
    assert item.action == "conflict" and not item.params and not plan.writes
    assert "left alone" in item.reason


def test_ownership_needs_prefix_and_marker():
    assert is_owned("opsctl-x", "opsctl-", f"text\n{MARKER}", None)
    assert is_owned("opsctl-x", "opsctl-", None, {TAG_KEY: "true"})
    assert not is_owned("opsctl-x", "opsctl-", "text", {})
    assert not is_owned("mine-x", "opsctl-", MARKER, {TAG_KEY: "true"})
    assert from_describe(owned_cpu(description="", tags=[{"Key": TAG_KEY, "Value": "true"}]), REGION, "opsctl-").owned


def test_composite_alarm_with_the_name_is_a_conflict():
    live = {REGION: [from_describe({"AlarmName": "opsctl-asg-shop-web-asg-CPUUtilization"}, REGION, "opsctl-",
                                   kind="composite")]}
    [item] = plan_of(coverage(asg=[asg()]), live=live).items
    assert item.action == "conflict" and "composite" in item.reason


def test_orphaned_owned_alarm_is_listed_never_deleted():
    record = owned_cpu()
    live = {REGION: [from_describe(record, REGION, "opsctl-")]}
    plan = plan_of(coverage(snapshot_twin(record)), live=live)
    [item] = plan.items
    assert item.action == "orphan" and "never deletes" in item.reason and not plan.writes


def test_offline_plan_recognises_owned_alarms_by_tag_and_compares_what_the_snapshot_holds():
    settings = AlarmSettings(topic_arns=(TOPIC,))
    first = plan_of(coverage(asg=[asg()]), settings)
    recorded = as_snapshot_alarm(first.writes[0].params)
    plan = plan_of(coverage(recorded, asg=[asg()]), settings)
    assert [i.action for i in plan.items] == ["unchanged"] and plan.live is False
    changed = plan_of(coverage({**recorded, "threshold": 50.0}, asg=[asg()]), settings)
    assert [i.action for i in changed.items] == ["update"] and changed.items[0].changes == (("Threshold", 50.0, 80.0),)
    untagged = plan_of(coverage({**recorded, "tags": {}}, asg=[asg()]), settings)
    assert plan_of(coverage(asg=[asg()]), settings).items[0].action == "create"
    assert untagged.items == ()  # an untagged alarm with the prefix counts as someone else's: it covers


def test_no_topic_warns_that_alarm_has_action_will_fail():
    plan = plan_of(coverage(asg=[asg()], db=[db()]))
    assert len(plan.writes) == 3 and all(i.params["AlarmActions"] == [] for i in plan.writes)
    [warning] = plan.warnings
    assert "3 alarm(s) in us-east-1" in warning and "cloudwatch.alarm_has_action will FAIL" in warning


def test_topic_of_another_region_is_not_used():
    other = f"arn:aws:sns:{EU}:{ACCOUNT}:ops"
    plan = plan_of(coverage(asg=[asg()]), AlarmSettings(topic_arns=(other,)))
    assert plan.writes[0].params["AlarmActions"] == []
    assert any("notifies topics of the alarm's own region only" in w for w in plan.warnings)


def test_ok_actions_can_be_turned_off():
    plan = plan_of(coverage(fn=[function()]), AlarmSettings(topic_arns=(TOPIC,), ok_actions=False))
    assert all(i.params["AlarmActions"] == [TOPIC] and i.params["OKActions"] == [] for i in plan.writes)


def test_extra_metric_without_settings_is_skipped_until_configured():
    extra = {"autoscaling.group": {"metrics": [{"namespace": "CWAgent", "metric": "mem_used_percent"}]}}
    plan = plan_of(coverage(asg=[asg()]), extra=extra)
    skipped = [i for i in plan.items if i.action == "skip"]
    assert len(skipped) == 1 and "alarms.thresholds.CWAgent.mem_used_percent" in skipped[0].reason
    settings = AlarmSettings(thresholds={("CWAgent", "mem_used_percent"): {
        "statistic": "Average", "comparison": "GreaterThanThreshold", "threshold": 90.0, "period": 300,
        "evaluation_periods": 3}})
    plan = plan_of(coverage(asg=[asg()]), settings, extra=extra)
    mem = by_name(plan)["opsctl-asg-shop-web-asg-mem_used_percent"]
    assert mem.action == "create" and mem.params["Namespace"] == "CWAgent"


def test_custom_prefix_and_unsafe_names():
    settings = AlarmSettings(prefix="team-a/")
    plan = plan_of(coverage(fn=[function("fn with space")]), settings)
    names = [i.name for i in plan.writes]
    assert all(n.startswith("team-a/lambda-fn_with_space-") for n in names)
    assert len(set(names)) == 2 and all(len(n) <= 255 for n in names)


@pytest.mark.parametrize("rtype", [ASG, DB, TABLE, FN, DIST, HC, LB])
def test_builtin_types_all_have_settings(rtype):
    """Every built-in requirement has an alternative opsctl can create with the default settings."""
    from opsctl.alarms.plan import _creatable

    thresholds = effective_thresholds(AlarmSettings())
    for requirement in load_required_alarms()[rtype]["metrics"]:
        assert _creatable(requirement, thresholds) is not None


def test_no_orphan_for_a_type_that_was_not_collected():
    from opsctl.snapshot import CoverageGap

    record = owned_cpu()
    live = {REGION: [from_describe(record, REGION, "opsctl-")]}
    gap = CoverageGap("autoscaling", REGION, "DescribeAutoScalingGroups", "AccessDenied", "denied", ASG, "")
    snap = snapshot(coverage(snapshot_twin(record)), coverage=[gap])
    plan = build_plan(snap, load_required_alarms(), AlarmSettings(), effective_thresholds(AlarmSettings()), live)
    assert [(i.action, i.subject) for i in plan.items] == [("skip", ASG)]
