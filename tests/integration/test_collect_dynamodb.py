"""The DynamoDB and Application Auto Scaling collectors against moto in-process."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from opsctl.collect.dynamodb import DESCRIBED_FIELDS

REGION = "us-east-1"
READ, WRITE = "dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits"
KEY = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
       "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}
SERVICES = ["dynamodb", "application-autoscaling"]


def deny(aws: Any, service: str, operation: str, code: str = "AccessDeniedException") -> None:
    """Make every `operation` call of opsctl's client fail with `code` (before it reaches moto)."""
    client = aws.client(service, REGION)

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return (AWSResponse("https://denied.invalid", 400, {}, None),
                {"Error": {"Code": code, "Message": "denied by test"}, "ResponseMetadata": {"HTTPStatusCode": 400}})

    client.meta.events.register(f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", refuse)


@pytest.fixture
def tables(moto_aws):
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(TableName="catalogue", BillingMode="PAY_PER_REQUEST", SSESpecification={"Enabled": True, "SSEType": "KMS"},
                     DeletionProtectionEnabled=True, Tags=[{"Key": "tier", "Value": "nosql_db"}], **KEY)
    ddb.update_continuous_backups(TableName="catalogue", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    ddb.create_table(TableName="sessions", ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}, **KEY)
    ddb.update_time_to_live(TableName="sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    aas = boto3.client("application-autoscaling", region_name=REGION)
    for dimension in (READ, WRITE):
        aas.register_scalable_target(ServiceNamespace="dynamodb", ResourceId="table/sessions", ScalableDimension=dimension,
                                     MinCapacity=5, MaxCapacity=50)
    aas.register_scalable_target(ServiceNamespace="dynamodb", ResourceId="table/sessions/index/byUser",
                                 ScalableDimension="dynamodb:index:ReadCapacityUnits", MinCapacity=1, MaxCapacity=10)
    aas.put_scaling_policy(
        PolicyName="sessions-read", ServiceNamespace="dynamodb", ResourceId="table/sessions", ScalableDimension=READ,
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"}},
    )
    return ddb


def test_tables_are_normalised(tables, collect_services):
    snap = collect_services(SERVICES)
    assert snap.coverage == []
    assert snap.collected["dynamodb.table"] == [REGION]
    by_name = {t["name"]: t for t in snap.of_type("dynamodb.table")}
    catalogue, sessions = by_name["catalogue"], by_name["sessions"]
    assert catalogue["arn"] == f"arn:aws:dynamodb:{REGION}:123456789012:table/catalogue"
    assert {k: catalogue[k] for k in ("region", "status", "billing_mode", "sse_type", "deletion_protection", "pitr_enabled",
                                      "ttl_status", "tags", "item_count", "size_bytes")} == {
        "region": REGION, "status": "ACTIVE", "billing_mode": "PAY_PER_REQUEST", "sse_type": "KMS",
        "deletion_protection": True, "pitr_enabled": True, "ttl_status": "DISABLED", "tags": {"tier": "nosql_db"},
        "item_count": 0, "size_bytes": 0,
    }
    assert catalogue["kms_key_arn"].startswith(f"arn:aws:kms:{REGION}:")
    assert {k: sessions[k] for k in ("billing_mode", "read_capacity", "write_capacity", "sse_type", "kms_key_arn",
                                     "deletion_protection", "pitr_enabled", "ttl_status", "tags")} == {
        "billing_mode": "PROVISIONED", "read_capacity": 5, "write_capacity": 3, "sse_type": None, "kms_key_arn": None,
        "deletion_protection": False, "pitr_enabled": False, "ttl_status": "ENABLED", "tags": {},
    }


def test_scalable_targets_with_policy_counts(tables, collect_services):
    snap = collect_services(SERVICES)
    assert snap.collected["applicationautoscaling.scalable_target"] == [REGION]
    targets = {(t["resource_id"], t["scalable_dimension"]): t for t in snap.of_type("applicationautoscaling.scalable_target")}
    assert sorted(targets) == [("table/sessions", READ), ("table/sessions", WRITE),
                               ("table/sessions/index/byUser", "dynamodb:index:ReadCapacityUnits")]
    read = targets[("table/sessions", READ)]
    assert read["arn"].startswith(f"arn:aws:application-autoscaling:{REGION}:123456789012:scalable-target/")
    assert {k: read[k] for k in ("region", "min_capacity", "max_capacity", "table_name", "policy_count")} == {
        "region": REGION, "min_capacity": 5, "max_capacity": 50, "table_name": "sessions", "policy_count": 1}
    assert targets[("table/sessions", WRITE)]["policy_count"] == 0
    assert targets[("table/sessions/index/byUser", "dynamodb:index:ReadCapacityUnits")]["table_name"] == "sessions"


def test_a_failed_describe_table_marks_every_described_field(tables, moto_aws, collect_services):
    deny(moto_aws, "dynamodb", "DescribeTable")
    snap = collect_services(["dynamodb"])
    assert snap.collected["dynamodb.table"] == [REGION]
    for table in snap.of_type("dynamodb.table"):
        assert set(DESCRIBED_FIELDS) <= set(table["errors"])
        assert "AccessDeniedException" in table["errors"]["billing_mode"]
        assert "_description" not in table and "_description" not in table["errors"]
        assert "pitr_enabled" in table  # the other calls still ran


def test_a_failed_pitr_call_marks_only_that_field(tables, moto_aws, collect_services):
    deny(moto_aws, "dynamodb", "DescribeContinuousBackups")
    snap = collect_services(["dynamodb"])
    for table in snap.of_type("dynamodb.table"):
        assert list(table["errors"]) == ["pitr_enabled"]
        assert table["billing_mode"] in {"PAY_PER_REQUEST", "PROVISIONED"}
    assert {(g.operation, g.resource_type) for g in snap.coverage} == {("DescribeContinuousBackups", "dynamodb.table")}


def test_a_failed_tag_listing_marks_tags(tables, moto_aws, collect_services):
    deny(moto_aws, "dynamodb", "ListTagsOfResource")
    snap = collect_services(["dynamodb"])
    for table in snap.of_type("dynamodb.table"):
        assert "ListTagsOfResource" in table["errors"]["tags"] and "AccessDeniedException" in table["errors"]["tags"]
    assert snap.listing_gaps("dynamodb.table") == []


def test_a_failed_policy_listing_keeps_the_targets(tables, moto_aws, collect_services):
    deny(moto_aws, "application-autoscaling", "DescribeScalingPolicies")
    snap = collect_services(["application-autoscaling"])
    assert snap.collected["applicationautoscaling.scalable_target"] == [REGION]
    targets = snap.of_type("applicationautoscaling.scalable_target")
    assert len(targets) == 3
    for target in targets:
        assert "DescribeScalingPolicies" in target["errors"]["policy_count"]


def test_a_failed_target_listing_is_a_gap(tables, moto_aws, collect_services):
    deny(moto_aws, "application-autoscaling", "DescribeScalableTargets")
    snap = collect_services(["application-autoscaling"])
    assert snap.collected["applicationautoscaling.scalable_target"] == []
    [gap] = snap.listing_gaps("applicationautoscaling.scalable_target")
    assert gap.operation == "DescribeScalableTargets"


def test_table_listing_is_paginated(moto_aws, collect_services):
    ddb = boto3.client("dynamodb", region_name=REGION)
    for i in range(105):  # ListTables returns at most 100 names per page
        ddb.create_table(TableName=f"t{i:03d}", BillingMode="PAY_PER_REQUEST", **KEY)
    snap = collect_services(["dynamodb"])
    assert [t["name"] for t in snap.of_type("dynamodb.table")] == [f"t{i:03d}" for i in range(105)]
