"""The S3 collector against moto in-process: normalised fields, regions, "not configured" data, failures."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.exceptions
import pytest

from opsctl.collect.s3 import DETAIL_FIELDS, bucket_region

ACCOUNT = "123456789012"
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def _deny(operation: str, code: str = "AccessDenied"):
    """A before-call hook that fails `operation` as AWS would for a missing permission."""

    def hook(**_: Any) -> None:
        raise botocore.exceptions.ClientError({"Error": {"Code": code, "Message": f"not allowed: {operation}"}}, operation)

    return hook


def _fail_on(aws: Any, region: str, operation: str, service: str = "s3") -> None:
    """Make opsctl's own client for (service, region) fail `operation` (plain boto3 clients are unaffected)."""
    client = aws.client(service, region)
    client.meta.events.register(f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", _deny(operation))


def _by_name(snap: Any) -> dict[str, dict[str, Any]]:
    return {b["name"]: b for b in snap.resources.get("s3.bucket", [])}


def _configured_bucket(s3: Any, name: str) -> None:
    s3.create_bucket(Bucket=name)
    s3.create_bucket(Bucket=f"{name}-logs")
    s3.put_bucket_policy(Bucket=f"{name}-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{name}-logs/*"}]}))
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}, "BucketKeyEnabled": True}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=ALL_ON)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": f"{name}-logs", "TargetPrefix": "s3/"}})
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
        "ID": "abort-mpu", "Status": "Enabled", "Filter": {"Prefix": ""}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "tier", "Value": "assets"}, {"Key": "app", "Value": "3d-shop"}]})
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))


def test_configured_bucket_fields(collect_services: Any) -> None:
    _configured_bucket(boto3.client("s3", region_name="us-east-1"), "shop-assets")
    snap = collect_services(["s3"])
    b = _by_name(snap)["shop-assets"]
    assert b["arn"] == "arn:aws:s3:::shop-assets"
    assert b["region"] == "us-east-1"
    assert b["tags"] == {"tier": "assets", "app": "3d-shop"}
    assert b["encryption"] == [{"sse_algorithm": "aws:kms", "kms_key_id": "alias/aws/s3", "bucket_key_enabled": True}]
    assert b["public_access_block"] == {"block_public_acls": True, "ignore_public_acls": True,
                                        "block_public_policy": True, "restrict_public_buckets": True}
    assert b["policy"]["Statement"][0]["Sid"] == "DenyInsecureTransport"
    assert b["policy_is_public"] is False
    assert b["versioning"] == "Enabled"
    assert (b["logging_enabled"], b["logging_target"]) == (True, "shop-assets-logs/s3/")
    assert b["lifecycle_rules"] == [{"id": "abort-mpu", "status": "Enabled", "prefix": "", "abort_incomplete_multipart_upload_days": 7,
                                     "expiration_days": None, "noncurrent_version_expiration_days": 30, "transition_count": 0}]
    assert b["ownership"] == "BucketOwnerEnforced"
    assert "errors" not in b and "type" not in b
    assert not [g for g in snap.coverage if g.service == "s3"]
    assert snap.collected["s3.bucket"] == ["global"]
    json.dumps(snap.to_dict())  # JSON-serialisable


def test_unconfigured_public_bucket_in_other_region(collect_services: Any) -> None:
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="shop-exports", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_acl(Bucket="shop-exports", ACL="public-read")
    s3.put_bucket_policy(Bucket="shop-exports", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shop-exports/*"}]}))
    snap = collect_services(["s3"], regions=["us-east-1"])
    b = _by_name(snap)["shop-exports"]
    assert b["region"] == "eu-west-1"  # found although eu-west-1 is not an audited region: S3 is global
    assert b["encryption"] == []  # moto: never configured (AWS would report its SSE-S3 default)
    assert b["public_access_block"] is None
    assert b["versioning"] is None
    assert (b["logging_enabled"], b["logging_target"]) == (False, None)
    assert b["lifecycle_rules"] == []
    assert b["ownership"] is None
    assert b["tags"] == {}
    assert b["policy_is_public"] is True
    assert {"grantee_uri": "http://acs.amazonaws.com/groups/global/AllUsers", "grantee_type": "Group", "permission": "READ"} in b["acl_grants"]
    assert not snap.coverage


def test_no_policy_status_call_without_a_policy(collect_services: Any, moto_aws: Any) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="shop-plain")
    calls: list[str] = []
    moto_aws.client("s3", "us-east-1").meta.events.register("before-call.s3.GetBucketPolicyStatus", lambda **_: calls.append("status"))
    b = _by_name(collect_services(["s3"]))["shop-plain"]
    assert (b["policy"], b["policy_is_public"]) == (None, False)
    assert calls == []


def test_account_settings(collect_services: Any) -> None:
    snap = collect_services(["s3"])
    [record] = snap.resources["s3.account_settings"]
    assert record == {"arn": f"arn:aws:iam::{ACCOUNT}:root", "id": ACCOUNT, "name": "account", "region": "global",
                      "public_access_block": None}
    boto3.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={**ALL_ON, "RestrictPublicBuckets": False})
    [record] = collect_services(["s3"]).resources["s3.account_settings"]
    assert record["public_access_block"] == {"block_public_acls": True, "ignore_public_acls": True,
                                             "block_public_policy": True, "restrict_public_buckets": False}


def test_denied_detail_call_marks_field_and_coverage(collect_services: Any, moto_aws: Any) -> None:
    _configured_bucket(boto3.client("s3", region_name="us-east-1"), "shop-assets")
    _fail_on(moto_aws, "us-east-1", "GetBucketEncryption")
    _fail_on(moto_aws, "us-east-1", "GetBucketLogging")
    snap = collect_services(["s3"])
    b = _by_name(snap)["shop-assets"]
    assert "encryption" not in b
    assert "AccessDenied" in b["errors"]["encryption"]
    # One failed call feeds two fields: both are marked, so neither can PASS.
    assert set(b["errors"]) == {"encryption", "logging_enabled", "logging_target"}
    assert "GetBucketLogging" in b["errors"]["logging_target"]
    assert b["versioning"] == "Enabled"  # the other calls still ran
    ops = {(g.operation, g.error_code, g.resource_id) for g in snap.coverage}
    assert ("GetBucketEncryption", "AccessDenied", "arn:aws:s3:::shop-assets") in ops
    assert snap.collected["s3.bucket"] == ["global"]  # a detail failure is not a listing gap


def test_unknown_region_marks_every_detail_field(collect_services: Any, moto_aws: Any) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="shop-hidden")
    _fail_on(moto_aws, "us-east-1", "GetBucketLocation")
    b = _by_name(collect_services(["s3"]))["shop-hidden"]
    assert b["region"] == "global"
    assert set(b["errors"]) == set(DETAIL_FIELDS)
    assert all("GetBucketLocation" in reason for reason in b["errors"].values())


def test_listing_failure_is_a_gap(collect_services: Any, moto_aws: Any) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="shop-assets")
    _fail_on(moto_aws, "us-east-1", "ListBuckets")
    snap = collect_services(["s3"])
    assert snap.resources.get("s3.bucket", []) == []
    assert snap.collected["s3.bucket"] == []
    [gap] = snap.listing_gaps("s3.bucket")
    assert (gap.operation, gap.error_code, gap.region) == ("ListBuckets", "AccessDenied", "global")


def test_account_settings_failure_is_recorded_on_the_record(collect_services: Any, moto_aws: Any) -> None:
    _fail_on(moto_aws, "us-east-1", "GetPublicAccessBlock", service="s3control")
    [record] = collect_services(["s3"]).resources["s3.account_settings"]
    assert "AccessDenied" in record["errors"]["public_access_block"]


def test_many_buckets_all_collected(collect_services: Any) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    names = [f"shop-bulk-{i:03d}" for i in range(40)]
    for name in names:
        s3.create_bucket(Bucket=name)
    snap = collect_services(["s3"])
    assert sorted(_by_name(snap)) == names
    assert all("errors" not in b for b in snap.resources["s3.bucket"])


@pytest.mark.parametrize(("location", "region"), [(None, "us-east-1"), ("", "us-east-1"), ("EU", "eu-west-1"),
                                                   ("eu-central-1", "eu-central-1")])
def test_bucket_region(location: str | None, region: str) -> None:
    assert bucket_region(location) == region
