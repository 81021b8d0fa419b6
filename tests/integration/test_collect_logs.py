"""CloudWatch Logs collector against moto: retention, size, KMS, tags, pagination."""

from __future__ import annotations

import boto3
import botocore.exceptions

LOG_GROUP = "logs.log_group"


def test_log_group_fields(collect_services):
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="/shop/api", tags={"tier": "logs", "app": "3d-shop"})
    logs.put_retention_policy(logGroupName="/shop/api", retentionInDays=30)
    logs.create_log_group(
        logGroupName="/aws/lambda/thumbnailer", kmsKeyId="arn:aws:kms:us-east-1:123456789012:key/abc"
    )

    snap = collect_services(["logs"])

    assert snap.collected[LOG_GROUP] == ["us-east-1"] and not snap.coverage
    groups = {g["name"]: g for g in snap.of_type(LOG_GROUP)}
    api = groups["/shop/api"]
    assert api["arn"] == "arn:aws:logs:us-east-1:123456789012:log-group:/shop/api"  # no trailing ":*"
    assert api["region"] == "us-east-1" and api["retention_days"] == 30 and api["stored_bytes"] == 0
    assert api["kms_key_id"] is None and api["tags"] == {"app": "3d-shop", "tier": "logs"}
    assert api["creation_time"].endswith("+00:00")
    fn = groups["/aws/lambda/thumbnailer"]
    assert fn["retention_days"] is None and fn["kms_key_id"].endswith(":key/abc") and fn["tags"] == {}


def test_listing_is_paginated(collect_services):
    logs = boto3.client("logs", region_name="us-east-1")
    for i in range(55):  # DescribeLogGroups pages hold 50
        logs.create_log_group(logGroupName=f"/shop/g{i:02d}")

    snap = collect_services(["logs"])

    assert len(snap.of_type(LOG_GROUP)) == 55


def test_denied_tags_mark_the_field_missing(collect_services, moto_aws):
    boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName="/shop/api")

    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListTagsForResource"
        )

    moto_aws.session.events.register("before-call.cloudwatch-logs.ListTagsForResource", refuse)

    snap = collect_services(["logs"])

    (group,) = snap.of_type(LOG_GROUP)
    assert "AccessDeniedException" in group["errors"]["tags"] and group["retention_days"] is None
    assert snap.collected[LOG_GROUP] == ["us-east-1"]
