"""KMS collector against moto: rotation read only where it applies, aliases, tags."""

from __future__ import annotations

import boto3
import botocore.exceptions

KEY = "kms.key"


def test_key_fields_and_rotation(collect_services, moto_aws):
    kms = boto3.client("kms", region_name="us-east-1")
    rotated = kms.create_key(
        Description="orders data", Tags=[{"TagKey": "tier", "TagValue": "relational_db"}]
    )["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    kms.create_alias(AliasName="alias/shop-orders", TargetKeyId=rotated)
    kms.create_alias(AliasName="alias/a-second-name", TargetKeyId=rotated)
    legacy = kms.create_key(Description="legacy")["KeyMetadata"]["KeyId"]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    calls = []
    moto_aws.session.events.register(
        "before-parameter-build.kms.GetKeyRotationStatus", lambda params, **_: calls.append(params["KeyId"])
    )

    snap = collect_services(["kms"])

    assert snap.collected[KEY] == ["us-east-1"] and not snap.coverage
    keys = {k["id"]: k for k in snap.of_type(KEY)}
    k = keys[rotated]
    assert k["arn"] == f"arn:aws:kms:us-east-1:123456789012:key/{rotated}" and k["region"] == "us-east-1"
    assert (k["key_manager"], k["key_spec"], k["key_state"], k["origin"]) == (
        "CUSTOMER",
        "SYMMETRIC_DEFAULT",
        "Enabled",
        "AWS_KMS",
    )
    assert k["rotation_enabled"] is True and k["description"] == "orders data"
    assert k["aliases"] == ["alias/a-second-name", "alias/shop-orders"] and k["name"] == "alias/a-second-name"
    assert k["tags"] == {"tier": "relational_db"}
    assert (
        keys[legacy]["rotation_enabled"] is False
        and keys[legacy]["aliases"] == []
        and keys[legacy]["name"] == legacy
    )
    assert keys[signing]["key_spec"] == "ECC_NIST_P256" and keys[signing]["rotation_enabled"] is None
    assert keys[disabled]["key_state"] == "Disabled" and keys[disabled]["rotation_enabled"] is None
    assert sorted(calls) == sorted(keys[i]["arn"] for i in (rotated, legacy))  # only where rotation applies


def test_denied_describe_marks_every_detail_field(collect_services, moto_aws):
    boto3.client("kms", region_name="us-east-1").create_key()

    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeKey"
        )

    moto_aws.session.events.register("before-call.kms.DescribeKey", refuse)

    snap = collect_services(["kms"])

    (key,) = snap.of_type(KEY)
    assert {"key_manager", "key_spec", "key_state", "rotation_enabled", "tags"} <= set(key["errors"])
    assert "AccessDeniedException" in key["errors"]["rotation_enabled"] and "key_manager" not in key
    assert key["aliases"] == []
