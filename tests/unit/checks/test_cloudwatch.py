"""Cases for the CloudWatch alarm checks (checks/cloudwatch.py) and the required-alarms table
(checks/_alarm_requirements.py)."""

from __future__ import annotations

from typing import Any

import pytest
from opsctl.checks._alarm_requirements import (
    AlarmIndex,
    describe,
    dimension_values,
    load_required_alarms,
    met_by,
)

from opsctl.errors import MissingData, UsageError
from opsctl.snapshot import CoverageGap
from tests.helpers import ACCOUNT, REGION, Case, run, snapshot, statuses

EU = "eu-west-1"
ACCOUNT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
ALARM = "cloudwatch.alarm"
TOPIC = "sns.topic"
ASG, LB, DB, TABLE, FN, DIST, HC = (
    "autoscaling.group", "elbv2.load_balancer", "rds.db_instance", "dynamodb.table", "lambda.function",
    "cloudfront.distribution", "route53.health_check",
)
LB_ID = "app/shop-alb/50dc6c495c0c9188"


def account() -> dict[str, Any]:
    return {"id": ACCOUNT, "name": ACCOUNT, "arn": ACCOUNT_ARN, "region": "global", "tags": {}}


def alarm(name: str, namespace: str | None = None, metric: str | None = None, dims: dict[str, str] | None = None, *,
          actions: list[str] | None = None, enabled: bool = True, metrics: list[dict[str, Any]] | None = None,
          region: str = REGION, errors: dict[str, str] | None = None) -> dict[str, Any]:
    record = {
        "name": name, "arn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}", "region": region,
        "namespace": namespace, "metric_name": metric, "dimensions": dims or {}, "statistic": "Average",
        "threshold": 1.0, "actions_enabled": enabled, "alarm_actions": list(actions or []), "ok_actions": [],
        "insufficient_data_actions": [], "state": "OK", "metrics": metrics or [], "tags": {},
    }
    for field in errors or {}:
        record.pop(field, None)
    if errors:
        record["errors"] = errors
    return record


def asg(name: str = "shop-web-asg", region: str = REGION) -> dict[str, Any]:
    return {"name": name, "arn": f"arn:aws:autoscaling:{region}:{ACCOUNT}:autoScalingGroup:uuid:autoScalingGroupName/{name}",
            "region": region, "tags": {}}


def alb() -> dict[str, Any]:
    return {"name": "shop-alb", "arn": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{LB_ID}",
            "region": REGION, "tags": {}}


def db(name: str = "orders") -> dict[str, Any]:
    return {"id": name, "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{name}", "region": REGION, "tags": {}}


def table(name: str = "catalogue") -> dict[str, Any]:
    return {"name": name, "arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}", "region": REGION, "tags": {}}


def function(name: str = "shop-render") -> dict[str, Any]:
    return {"name": name, "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}", "region": REGION, "tags": {}}


def distribution(dist_id: str = "E2SHOP") -> dict[str, Any]:
    return {"id": dist_id, "arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/{dist_id}", "region": "global", "tags": {}}


def health_check(check_id: str = "hc-1") -> dict[str, Any]:
    return {"id": check_id, "name": "api.shop.example.com", "arn": f"arn:aws:route53:::healthcheck/{check_id}",
            "region": "global", "tags": {}}


def asg_cpu(group: str = "shop-web-asg", region: str = REGION) -> dict[str, Any]:
    return alarm(f"{group}-cpu", "AWS/EC2", "CPUUtilization", {"AutoScalingGroupName": group}, region=region)


def math_reading(name: str, namespace: str, metric_names: list[str], dims: dict[str, str]) -> dict[str, Any]:
    """A metric-math alarm reading several metrics."""
    return alarm(name, metrics=[{"namespace": namespace, "metric_name": m, "dimensions": dims} for m in metric_names])


def coverage(*alarms: dict[str, Any], **resources: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {"iam.account": [account()], ALARM: list(alarms)}
    names = {"asg": ASG, "lb": LB, "db": DB, "table": TABLE, "fn": FN, "dist": DIST, "hc": HC}
    for key, items in resources.items():
        out[names[key]] = items
    return out


def topic(name: str, confirmed: int = 1, pending: int = 0, region: str = REGION, **extra: Any) -> dict[str, Any]:
    record = {"name": name, "arn": f"arn:aws:sns:{region}:{ACCOUNT}:{name}", "region": region,
              "subscription_count": confirmed + pending, "subscriptions_confirmed": confirmed,
              "subscriptions_pending": pending, "subscription_protocols": ["email"], "tags": {}}
    record.update(extra)
    return record


def topic_arn(name: str, region: str = REGION, account_id: str = ACCOUNT) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{name}"


def notifying(*arns: str, enabled: bool = True) -> dict[str, Any]:
    return alarm("shop-api-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", {"LoadBalancer": LB_ID},
                 actions=list(arns), enabled=enabled)


ALARM_GAP = CoverageGap("cloudwatch", REGION, "DescribeAlarms", "AccessDenied", "denied", ALARM, "")
LB_GAP = CoverageGap("elbv2", REGION, "DescribeLoadBalancers", "AccessDenied", "denied", LB, "")
TOPIC_GAP = CoverageGap("sns", REGION, "ListTopics", "AuthorizationError", "denied", TOPIC, "")
SCALING_POLICY = f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:uuid:autoScalingGroupName/web:policyName/out"
ALB_5XX = alarm("alb-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", {"LoadBalancer": LB_ID, "TargetGroup": "targetgroup/web/1"})
ALB_LATENCY = alarm("alb-latency", "AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": LB_ID})

CASES = [
    # ----- cloudwatch.alarm_coverage
    Case("cloudwatch.alarm_coverage", "asg with a cpu alarm", coverage(asg_cpu(), asg=[asg()]), ["PASS"],
         message_contains="Auto Scaling group shop-web-asg has an alarm on every required metric (CPUUtilization)."),
    Case("cloudwatch.alarm_coverage", "asg without alarm", coverage(asg=[asg()]), ["FAIL"],
         message_contains="Auto Scaling group shop-web-asg has no alarm on CPUUtilization."),
    Case("cloudwatch.alarm_coverage", "alarm on another group does not count",
         coverage(asg_cpu("shop-worker-asg"), asg=[asg()]), ["FAIL"]),
    Case("cloudwatch.alarm_coverage", "alarm on another namespace does not count",
         coverage(alarm("cpu", "CWAgent", "CPUUtilization", {"AutoScalingGroupName": "shop-web-asg"}), asg=[asg()]), ["FAIL"]),
    Case("cloudwatch.alarm_coverage", "alarm in another region does not count",
         coverage(asg_cpu(region=EU), asg=[asg()]), ["FAIL"], regions=(REGION, EU)),
    Case("cloudwatch.alarm_coverage", "alb: target 5xx with an extra dimension and latency",
         coverage(ALB_5XX, ALB_LATENCY, lb=[alb()]), ["PASS"]),
    Case("cloudwatch.alarm_coverage", "alb: ELB 5xx is the other alternative",
         coverage(alarm("elb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", {"LoadBalancer": LB_ID}), ALB_LATENCY,
                  lb=[alb()]), ["PASS"]),
    Case("cloudwatch.alarm_coverage", "alb: no 5xx alarm", coverage(ALB_LATENCY, lb=[alb()]), ["FAIL"],
         message_contains="Application load balancer shop-alb has no alarm on HTTPCode_Target_5XX_Count or HTTPCode_ELB_5XX_Count."),
    Case("cloudwatch.alarm_coverage", "alb: nothing", coverage(lb=[alb()]), ["FAIL"],
         message_contains="no alarm on HTTPCode_Target_5XX_Count or HTTPCode_ELB_5XX_Count, nor on TargetResponseTime."),
    Case("cloudwatch.alarm_coverage", "rds: both metrics",
         coverage(alarm("cpu", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "orders"}),
                  alarm("disk", "AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": "orders"}), db=[db()]), ["PASS"]),
    Case("cloudwatch.alarm_coverage", "rds: storage missing",
         coverage(alarm("cpu", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "orders"}), db=[db()]), ["FAIL"],
         message_contains="RDS DB instance orders has no alarm on FreeStorageSpace."),
    Case("cloudwatch.alarm_coverage", "dynamodb: ThrottledRequests per operation",
         coverage(alarm("thr", "AWS/DynamoDB", "ThrottledRequests", {"TableName": "catalogue", "Operation": "PutItem"}),
                  table=[table()]), ["PASS"]),
    Case("cloudwatch.alarm_coverage", "dynamodb: read and write throttle events together",
         coverage(alarm("r", "AWS/DynamoDB", "ReadThrottleEvents", {"TableName": "catalogue"}),
                  alarm("w", "AWS/DynamoDB", "WriteThrottleEvents", {"TableName": "catalogue"}), table=[table()]), ["PASS"]),
    Case("cloudwatch.alarm_coverage", "dynamodb: read throttle events alone are not enough",
         coverage(alarm("r", "AWS/DynamoDB", "ReadThrottleEvents", {"TableName": "catalogue"}), table=[table()]), ["FAIL"],
         message_contains="DynamoDB table catalogue has no alarm on ThrottledRequests or both ReadThrottleEvents and WriteThrottleEvents."),
    Case("cloudwatch.alarm_coverage", "lambda: one metric-math alarm reads both metrics",
         coverage(math_reading("fn-health", "AWS/Lambda", ["Errors", "Throttles"], {"FunctionName": "shop-render"}),
                  fn=[function()]), ["PASS"]),
    Case("cloudwatch.alarm_coverage", "lambda: throttles missing",
         coverage(alarm("e", "AWS/Lambda", "Errors", {"FunctionName": "shop-render"}), fn=[function()]), ["FAIL"],
         message_contains="Lambda function shop-render has no alarm on Throttles."),
    Case("cloudwatch.alarm_coverage", "cloudfront: alarm in us-east-1 with Region=Global",
         coverage(alarm("cf", "AWS/CloudFront", "5xxErrorRate", {"DistributionId": "E2SHOP", "Region": "Global"}),
                  dist=[distribution()]), ["PASS"]),
    Case("cloudwatch.alarm_coverage", "cloudfront: an alarm in eu-west-1 does not count",
         coverage(alarm("cf", "AWS/CloudFront", "5xxErrorRate", {"DistributionId": "E2SHOP"}, region=EU),
                  dist=[distribution()]), ["FAIL"], regions=(REGION, EU),
         message_contains="CloudFront distribution E2SHOP has no alarm on 5xxErrorRate."),
    Case("cloudwatch.alarm_coverage", "cloudfront: us-east-1 not audited, so its alarms are unknown",
         coverage(dist=[distribution()]), ["ERROR"], regions=(EU,), message_contains="us-east-1"),
    Case("cloudwatch.alarm_coverage", "route 53 health check status alarm",
         coverage(alarm("hc", "AWS/Route53", "HealthCheckStatus", {"HealthCheckId": "hc-1"}), hc=[health_check()]), ["PASS"]),
    Case("cloudwatch.alarm_coverage", "route 53 health check without alarm", coverage(hc=[health_check()]), ["FAIL"],
         message_contains="Route 53 health check api.shop.example.com has no alarm on HealthCheckStatus."),
    Case("cloudwatch.alarm_coverage", "nothing to watch: no finding", coverage(), []),
    Case("cloudwatch.alarm_coverage", "load balancers not listed: ERROR for them, the groups still judged",
         coverage(asg_cpu(), asg=[asg()]), ["ERROR", "PASS"], coverage=[LB_GAP]),
    Case("cloudwatch.alarm_coverage", "alarms not listed: ERROR per resource, never PASS",
         coverage(asg=[asg()], db=[db()]), ["ERROR", "ERROR"], coverage=[ALARM_GAP]),
    Case("cloudwatch.alarm_coverage", "extra_required adds a metric to a built-in type",
         coverage(alarm("e", "AWS/Lambda", "Errors", {"FunctionName": "shop-render"}),
                  alarm("t", "AWS/Lambda", "Throttles", {"FunctionName": "shop-render"}), fn=[function()]), ["FAIL"],
         params={"extra_required": {"lambda.function": {"metrics": ["Duration"]}}},
         message_contains="Lambda function shop-render has no alarm on Duration."),
    Case("cloudwatch.alarm_coverage", "extra_required adds a resource type",
         {"iam.account": [account()], ALARM: [], "ec2.instance": [
             {"id": "i-0abc", "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0abc", "region": REGION, "tags": {}}]},
         ["FAIL"], params={"extra_required": {"ec2.instance": {"label": "EC2 instance", "name_field": "id",
                                                               "namespace": "AWS/EC2",
                                                               "dimensions": {"InstanceId": {"field": "id"}},
                                                               "metrics": ["StatusCheckFailed"]}}},
         message_contains="EC2 instance i-0abc has no alarm on StatusCheckFailed."),
    Case("cloudwatch.alarm_coverage", "a dimension field that was not collected: ERROR",
         {"iam.account": [account()], ALARM: [], "ec2.instance": [
             {"id": "i-0abc", "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0abc", "region": REGION,
              "errors": {"launch_template": "ec2:DescribeInstances failed"}}]},
         ["ERROR"], params={"extra_required": {"ec2.instance": {"namespace": "AWS/EC2",
                                                                "dimensions": {"LaunchTemplate": {"field": "launch_template"}},
                                                                "metrics": ["CPUUtilization"]}}},
         message_contains="ec2:DescribeInstances failed"),
    Case("cloudwatch.alarm_coverage", "malformed extra_required: one ERROR naming the problem",
         coverage(asg=[asg()]), ["ERROR"], params={"extra_required": {"lambda.function": {"metric": ["Duration"]}}},
         message_contains="unknown key"),

    # ----- cloudwatch.alarm_has_action
    Case("cloudwatch.alarm_has_action", "enabled with an action", {ALARM: [notifying(topic_arn("ops"))]}, ["PASS"]),
    Case("cloudwatch.alarm_has_action", "no action", {ALARM: [notifying()]}, ["FAIL"],
         message_contains="CloudWatch alarm shop-api-5xx has no alarm action, so nobody is told when it fires."),
    Case("cloudwatch.alarm_has_action", "actions disabled", {ALARM: [notifying(topic_arn("ops"), enabled=False)]}, ["FAIL"],
         message_contains="but its actions are disabled"),
    Case("cloudwatch.alarm_has_action", "neither", {ALARM: [notifying(enabled=False)]}, ["FAIL"]),
    Case("cloudwatch.alarm_has_action", "a scaling policy is an action", {ALARM: [notifying(SCALING_POLICY)]}, ["PASS"]),
    Case("cloudwatch.alarm_has_action", "actions not collected",
         {ALARM: [alarm("x", errors={"alarm_actions": "cloudwatch:DescribeAlarms failed"})]}, ["ERROR"]),

    # ----- cloudwatch.alarm_action_subscribed
    Case("cloudwatch.alarm_action_subscribed", "confirmed subscriber",
         {ALARM: [notifying(topic_arn("ops"))], TOPIC: [topic("ops")]}, ["PASS"]),
    Case("cloudwatch.alarm_action_subscribed", "nobody subscribed",
         {ALARM: [notifying(topic_arn("orphan"))], TOPIC: [topic("orphan", confirmed=0)]}, ["FAIL"],
         message_contains="CloudWatch alarm shop-api-5xx notifies SNS topic(s) that reach nobody: orphan (no confirmed subscription)."),
    Case("cloudwatch.alarm_action_subscribed", "only a pending subscription",
         {ALARM: [notifying(topic_arn("new"))], TOPIC: [topic("new", confirmed=0, pending=1)]}, ["FAIL"],
         message_contains="1 pending confirmation"),
    Case("cloudwatch.alarm_action_subscribed", "topic deleted", {ALARM: [notifying(topic_arn("gone"))], TOPIC: []}, ["FAIL"],
         message_contains="gone (the topic does not exist)"),
    Case("cloudwatch.alarm_action_subscribed", "one good, one orphan: FAIL",
         {ALARM: [notifying(topic_arn("ops"), topic_arn("orphan"))], TOPIC: [topic("ops"), topic("orphan", confirmed=0)]},
         ["FAIL"]),
    Case("cloudwatch.alarm_action_subscribed", "topic in another account: ERROR, not PASS",
         {ALARM: [notifying(topic_arn("central", account_id="999999999999"))], TOPIC: []}, ["ERROR"],
         message_contains="belongs to account 999999999999, which this audit does not see"),
    Case("cloudwatch.alarm_action_subscribed", "an orphan topic fails even next to an unknown one",
         {ALARM: [notifying(topic_arn("central", account_id="999999999999"), topic_arn("orphan"))],
          TOPIC: [topic("orphan", confirmed=0)]}, ["FAIL"]),
    Case("cloudwatch.alarm_action_subscribed", "topic in a region not audited: ERROR",
         {ALARM: [notifying(topic_arn("ops", region="ap-southeast-1"))], TOPIC: []}, ["ERROR"]),
    Case("cloudwatch.alarm_action_subscribed", "topics not listed: ERROR",
         {ALARM: [notifying(topic_arn("ops"))], TOPIC: []}, ["ERROR"], coverage=[TOPIC_GAP]),
    Case("cloudwatch.alarm_action_subscribed", "subscriptions not read: ERROR",
         {ALARM: [notifying(topic_arn("ops"))],
          TOPIC: [{"name": "ops", "arn": topic_arn("ops"), "region": REGION,
                   "errors": {"subscriptions_confirmed": "sns:ListSubscriptionsByTopic failed"}}]}, ["ERROR"],
         message_contains="sns:ListSubscriptionsByTopic failed"),
    Case("cloudwatch.alarm_action_subscribed", "no SNS action: no finding", {ALARM: [notifying(SCALING_POLICY)]}, []),
    Case("cloudwatch.alarm_action_subscribed", "no action at all: no finding", {ALARM: [notifying()]}, []),
]


# ----- the requirements table ---------------------------------------------------------------------
def test_builtin_table_holds_the_catalogue_requirements():
    table = load_required_alarms()
    assert list(table) == [LB, ASG, DB, TABLE, FN, DIST, HC]
    phrases = {t: [describe(r, e["namespace"]) for r in e["metrics"]] for t, e in table.items()}
    assert phrases == {
        LB: ["HTTPCode_Target_5XX_Count or HTTPCode_ELB_5XX_Count", "TargetResponseTime"],
        ASG: ["CPUUtilization"],
        DB: ["CPUUtilization", "FreeStorageSpace"],
        TABLE: ["ThrottledRequests or both ReadThrottleEvents and WriteThrottleEvents"],
        FN: ["Errors", "Throttles"],
        DIST: ["5xxErrorRate"],
        HC: ["HealthCheckStatus"],
    }
    assert table[DIST]["alarm_region"] == table[HC]["alarm_region"] == "us-east-1"
    assert table[LB]["alarm_region"] is None


def test_extra_required_extends_and_overrides_without_touching_the_builtin():
    extra = {"autoscaling.group": {"metrics": [{"namespace": "CWAgent", "metric": "mem_used_percent"}, "CPUUtilization"]}}
    table = load_required_alarms(extra)
    assert [describe(r, "AWS/EC2") for r in table[ASG]["metrics"]] == ["CPUUtilization", "mem_used_percent (CWAgent)"]
    assert len(load_required_alarms()[ASG]["metrics"]) == 1  # the built-in table is not changed by a merge


@pytest.mark.parametrize(("extra", "problem"), [
    (["lambda.function"], "must be a mapping"),
    ({"lambda.functions": {"metrics": ["Duration"]}}, "not a resource type"),
    ({"ec2.instance": {"metrics": ["CPUUtilization"]}}, "needs 'namespace'"),
    ({"ec2.instance": {"namespace": "AWS/EC2", "metrics": ["CPUUtilization"]}}, "needs 'dimensions'"),
    ({"ec2.instance": {"namespace": "AWS/EC2", "dimensions": {"InstanceId": {"field": "id"}}}}, "needs 'metrics'"),
    ({"ec2.instance": {"namespace": "AWS/EC2", "dimensions": {"InstanceId": "id"}, "metrics": ["X"]}}, "needs one source"),
    ({"lambda.function": {"metrics": [[]]}}, "can never be met"),
    ({"lambda.function": {"metrics": [{"metric": "Duration"}]}}, "is not a metric name"),
    ({"lambda.function": {"metrics": "Duration"}}, "must be a list"),
])
def test_malformed_extra_is_a_usage_error(extra, problem):
    with pytest.raises(UsageError, match=problem):
        load_required_alarms(extra)


def test_load_balancer_dimension_comes_from_the_arn():
    entry = load_required_alarms()[LB]
    assert dimension_values(alb(), entry) == {"LoadBalancer": LB_ID}
    with pytest.raises(MissingData, match="loadbalancer/"):
        dimension_values({"arn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1"}, entry)


def test_matching_needs_every_identifying_dimension_and_any_statistic():
    index = AlarmIndex.of([alarm("a", "AWS/DynamoDB", "ReadThrottleEvents", {"TableName": "t", "GlobalSecondaryIndexName": "g"}),
                           alarm("b", "AWS/DynamoDB", "WriteThrottleEvents", {"TableName": "t"})])
    requirement = load_required_alarms()[TABLE]["metrics"][0]
    assert met_by(requirement, {"TableName": "t"}, index) == {"ReadThrottleEvents": ["a"], "WriteThrottleEvents": ["b"]}
    assert met_by(requirement, {"TableName": "other"}, index) is None


def test_coverage_evidence_names_alarms_and_missing_metrics():
    findings = run("cloudwatch.alarm_coverage", snapshot(coverage(ALB_LATENCY, lb=[alb()])))
    (finding,) = findings
    assert finding.resource_id == alb()["arn"] and finding.region == REGION
    assert finding.evidence["alarms"] == {"TargetResponseTime": ["alb-latency"]}
    assert finding.evidence["missing"] == ["HTTPCode_Target_5XX_Count or HTTPCode_ELB_5XX_Count"]
    assert finding.evidence["dimensions"] == {"LoadBalancer": LB_ID}


def test_a_missing_type_errors_in_its_region_only():
    snap = snapshot(coverage(asg_cpu(), asg=[asg()]), coverage=[LB_GAP], regions=(REGION, EU))
    findings = run("cloudwatch.alarm_coverage", snap)
    assert statuses(findings) == ["ERROR", "PASS"]
    assert findings[0].resource_id == f"arn:aws:elbv2:{REGION}:{ACCOUNT}:account" and findings[0].region == REGION
