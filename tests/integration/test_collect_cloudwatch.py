"""CloudWatch alarm collector against moto: plain, percentile and metric-math alarms, tags, and
a denied listing."""

from __future__ import annotations

import boto3
import botocore.exceptions

ALARM = "cloudwatch.alarm"
TOPIC = "arn:aws:sns:us-east-1:123456789012:ops-alerts"


def deny(aws, service_id: str, operation: str, code: str = "AccessDenied") -> None:
    """Make every `operation` call of the opsctl clients fail with `code`, as IAM would."""

    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": code, "Message": f"denied by test: {operation}"}}, operation
        )

    aws.session.events.register(f"before-call.{service_id}.{operation}", refuse)


def alb_metric(name):
    return {
        "Namespace": "AWS/ApplicationELB",
        "MetricName": name,
        "Dimensions": [{"Name": "LoadBalancer", "Value": "app/shop/1"}],
    }


def put_alarms(cw):
    common = {"EvaluationPeriods": 3, "Threshold": 80.0, "ComparisonOperator": "GreaterThanThreshold"}
    cw.put_metric_alarm(
        AlarmName="asg-cpu-high",
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Statistic="Average",
        Period=300,
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "shop-api"}],
        AlarmActions=[TOPIC],
        OKActions=[TOPIC],
        Tags=[{"Key": "tier", "Value": "ops"}],
        **common,
    )
    cw.put_metric_alarm(
        AlarmName="alb-latency-p99",
        Namespace="AWS/ApplicationELB",
        MetricName="TargetResponseTime",
        ExtendedStatistic="p99",
        Period=60,
        Dimensions=[{"Name": "LoadBalancer", "Value": "app/shop/1"}],
        ActionsEnabled=False,
        **common,
    )
    cw.put_metric_alarm(
        AlarmName="alb-5xx",
        Metrics=[
            {"Id": "e1", "Expression": "m1 + m2", "ReturnData": True},
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": alb_metric("HTTPCode_Target_5XX_Count"),
                    "Period": 60,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {
                "Id": "m2",
                "MetricStat": {"Metric": alb_metric("HTTPCode_ELB_5XX_Count"), "Period": 60, "Stat": "Sum"},
                "ReturnData": False,
            },
        ],
        **common,
    )


def test_alarm_fields(collect_services):
    put_alarms(boto3.client("cloudwatch", region_name="us-east-1"))
    boto3.client("cloudwatch", region_name="eu-west-1").put_metric_alarm(
        AlarmName="eu",
        Namespace="AWS/RDS",
        MetricName="FreeStorageSpace",
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1e9,
        ComparisonOperator="LessThanThreshold",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "orders"}],
    )

    snap = collect_services(["cloudwatch"], regions=["us-east-1", "eu-west-1"])

    assert snap.collected[ALARM] == ["eu-west-1", "us-east-1"] and not snap.coverage
    alarms = {a["name"]: a for a in snap.of_type(ALARM)}
    cpu = alarms["asg-cpu-high"]
    assert (
        cpu["arn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:asg-cpu-high"
        and cpu["region"] == "us-east-1"
    )
    assert (cpu["namespace"], cpu["metric_name"], cpu["dimensions"]) == (
        "AWS/EC2",
        "CPUUtilization",
        {"AutoScalingGroupName": "shop-api"},
    )
    assert cpu["statistic"] == "Average" and cpu["extended_statistic"] is None
    assert cpu["threshold"] == 80.0 and cpu["comparison"] == "GreaterThanThreshold"
    assert cpu["actions_enabled"] is True and cpu["alarm_actions"] == [TOPIC] and cpu["ok_actions"] == [TOPIC]
    assert cpu["insufficient_data_actions"] == [] and cpu["state"] in {"OK", "ALARM", "INSUFFICIENT_DATA"}
    assert cpu["metrics"] == [] and cpu["tags"] == {"tier": "ops"}

    latency = alarms["alb-latency-p99"]
    assert latency["extended_statistic"] == "p99" and latency["statistic"] is None
    assert latency["actions_enabled"] is False and latency["alarm_actions"] == [] and latency["tags"] == {}

    math = alarms["alb-5xx"]
    assert math["namespace"] is None and math["metric_name"] is None and math["dimensions"] == {}
    assert math["metrics"] == [
        {
            "namespace": "AWS/ApplicationELB",
            "metric_name": "HTTPCode_Target_5XX_Count",
            "dimensions": {"LoadBalancer": "app/shop/1"},
        },
        {
            "namespace": "AWS/ApplicationELB",
            "metric_name": "HTTPCode_ELB_5XX_Count",
            "dimensions": {"LoadBalancer": "app/shop/1"},
        },
    ]
    assert alarms["eu"]["region"] == "eu-west-1" and alarms["eu"]["dimensions"] == {
        "DBInstanceIdentifier": "orders"
    }


def test_denied_listing_is_a_gap_in_that_region_only(collect_services, moto_aws):
    put_alarms(boto3.client("cloudwatch", region_name="us-east-1"))
    client = moto_aws.client("cloudwatch", "eu-west-1")

    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeAlarms"
        )

    client.meta.events.register("before-call.cloudwatch.DescribeAlarms", refuse)  # eu-west-1's client only

    snap = collect_services(["cloudwatch"], regions=["us-east-1", "eu-west-1"])

    assert snap.collected[ALARM] == ["us-east-1"]
    (gap,) = snap.listing_gaps(ALARM)
    assert (gap.region, gap.operation, gap.error_code) == ("eu-west-1", "DescribeAlarms", "AccessDenied")
    assert {a["region"] for a in snap.of_type(ALARM)} == {"us-east-1"}


def test_denied_tags_mark_only_tags_missing(collect_services, moto_aws):
    put_alarms(boto3.client("cloudwatch", region_name="us-east-1"))
    deny(moto_aws, "cloudwatch", "ListTagsForResource")

    snap = collect_services(["cloudwatch"])

    assert len(snap.of_type(ALARM)) == 3
    for alarm in snap.of_type(ALARM):
        assert set(alarm["errors"]) == {"tags"} and "AccessDenied" in alarm["errors"]["tags"]
        assert alarm["alarm_actions"] is not None
    assert {g.resource_id for g in snap.coverage} == {a["arn"] for a in snap.of_type(ALARM)}
