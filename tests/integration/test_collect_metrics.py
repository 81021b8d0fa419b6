"""The metric collector against moto in-process: history put with put_metric_data comes back as
daily series for the resources phase 1 found, and the cost checks judge it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from opsctl.engine import evaluate
from opsctl.pricing import load_price_table
from opsctl.registry import load_builtin_checks

REGION = "us-east-1"
SERVICES = ["ec2", "rds", "dynamodb", "cloudwatch"]
AMI = "ami-04681a1dbd79675a5"  # a Linux AMI moto ships


def put_daily(namespace: str, metric: str, dimension: str, value_of_day, days: int = 14, unit: str = "None") -> None:
    """One datapoint per day at noon UTC for the `days` whole days before today."""
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    name, dim_value = dimension.split("=", 1)
    boto3.client("cloudwatch", region_name=REGION).put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": metric, "Dimensions": [{"Name": name, "Value": dim_value}], "Unit": unit,
         "Timestamp": today - timedelta(days=day) + timedelta(hours=12), "Value": float(value_of_day(day))}
        for day in range(1, days + 1)
    ])


@pytest.fixture
def seeded() -> dict[str, Any]:
    ec2 = boto3.client("ec2", region_name=REGION)
    busy, idle, quiet = (ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType=t)["Instances"][0]["InstanceId"]
                         for t in ("t3.medium", "t3.large", "t3.micro"))
    stopped = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.small")["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[stopped])
    put_daily("AWS/EC2", "CPUUtilization", f"InstanceId={busy}", lambda d: 30 + d, unit="Percent")
    put_daily("AWS/EC2", "CPUUtilization", f"InstanceId={idle}", lambda d: 1.5, unit="Percent")
    # `quiet` has no history at all: its check must say ERROR.

    rds = boto3.client("rds", region_name=REGION)
    for name in ("orders", "reporting"):
        rds.create_db_instance(DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.medium", AllocatedStorage=20,
                               MasterUsername="shop", MasterUserPassword="sandbox-only-pw")
    put_daily("AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier=orders", lambda d: 20 + d, days=7, unit="Count")
    put_daily("AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier=reporting", lambda d: 0, days=7, unit="Count")

    ddb = boto3.client("dynamodb", region_name=REGION)
    key = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
           "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
    ddb.create_table(TableName="sessions", BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": 50}, **key)
    ddb.create_table(TableName="catalogue", BillingMode="PAY_PER_REQUEST", **key)
    put_daily("AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName=sessions", lambda d: 86_400 * 2, unit="Count")
    put_daily("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName=sessions", lambda d: 86_400 * 1, unit="Count")
    return {"busy": busy, "idle": idle, "quiet": quiet, "stopped": stopped}


def by_key(snap) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["resource_arn"].rsplit("/", 1)[-1].rsplit(":", 1)[-1], s["metric_key"]): s
            for s in snap.of_type("cloudwatch.metric_series")}


def test_series_for_the_resources_in_scope(collect_services, seeded):
    snap = collect_services(SERVICES)
    series = by_key(snap)
    assert set(series) == {
        (seeded["busy"], "cpu_daily_avg"), (seeded["idle"], "cpu_daily_avg"), (seeded["quiet"], "cpu_daily_avg"),
        ("orders", "connections_daily_max"), ("reporting", "connections_daily_max"),
        ("sessions", "consumed_read_daily_sum"), ("sessions", "consumed_write_daily_sum"),
    }  # not the stopped instance, not the on-demand table
    busy = series[(seeded["busy"], "cpu_daily_avg")]
    assert busy["values"] == [float(30 + d) for d in range(14, 0, -1)]  # oldest first
    assert len(busy["timestamps"]) == 14 and busy["timestamps"] == sorted(busy["timestamps"])
    assert busy["namespace"] == "AWS/EC2" and busy["stat"] == "Average" and busy["period"] == 86400
    assert busy["dimensions"] == {"InstanceId": seeded["busy"]} and busy["region"] == REGION
    assert series[("orders", "connections_daily_max")]["values"] == [float(20 + d) for d in range(7, 0, -1)]
    assert series[(seeded["quiet"], "cpu_daily_avg")]["values"] == []
    assert snap.collected["cloudwatch.metric_series"] == [REGION]
    assert not [g for g in snap.coverage if g.service == "cloudwatch"]


def test_cost_checks_judge_the_history(collect_services, seeded):
    snap = collect_services(SERVICES)
    registry = load_builtin_checks()
    checks = [registry[c] for c in ("ec2.instance_idle", "rds.instance_idle", "dynamodb.table_overprovisioned")]
    result = evaluate(snap, checks, prices=load_price_table())
    verdicts = {(f.check_id, f.resource_id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]): f for f in result.findings}
    assert verdicts[("ec2.instance_idle", seeded["busy"])].status.value == "PASS"
    idle = verdicts[("ec2.instance_idle", seeded["idle"])]
    assert idle.status.value == "FAIL" and idle.monthly_savings_usd == round(0.0832 * 730, 2)  # t3.large
    quiet = verdicts[("ec2.instance_idle", seeded["quiet"])]
    assert quiet.status.value == "ERROR" and "no CloudWatch data for CPUUtilization" in quiet.message
    assert verdicts[("rds.instance_idle", "orders")].status.value == "PASS"
    reporting = verdicts[("rds.instance_idle", "reporting")]
    assert reporting.status.value == "FAIL" and reporting.monthly_savings_usd == round(0.072 * 730, 2)  # PostgreSQL db.t3.medium
    sessions = verdicts[("dynamodb.table_overprovisioned", "sessions")]
    assert sessions.status.value == "FAIL"  # 2 of 50 RCU, 1 of 50 WCU
    assert sessions.monthly_savings_usd == round((48 * 0.00013 + 49 * 0.00065) * 730, 2)
    assert ("dynamodb.table_overprovisioned", "catalogue") not in verdicts


def test_a_denied_call_makes_the_series_errors_not_passes(collect_services, seeded, moto_aws):
    def deny(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no cloudwatch:GetMetricData"}}, "GetMetricData")

    moto_aws.session.events.register("before-call.cloudwatch.GetMetricData", deny)
    snap = collect_services(SERVICES)
    series = snap.of_type("cloudwatch.metric_series")
    assert series and all("AccessDenied" in s["errors"]["values"] for s in series)
    gaps = [g for g in snap.coverage if g.operation == "GetMetricData"]
    # one call per window (14 days: EC2 and DynamoDB; 7 days: RDS), each recorded once, neither a listing gap
    assert sorted(g.resource_id for g in gaps) == ["batch 1 of 2 (5 queries)", "batch 2 of 2 (2 queries)"]
    assert snap.collected["cloudwatch.metric_series"] == [REGION]
    result = evaluate(snap, [load_builtin_checks()["ec2.instance_idle"]])
    assert {f.status.value for f in result.findings} == {"ERROR"}
