"""Cases for the KMS checks (checks/kms.py)."""

from __future__ import annotations

from typing import Any

from tests.helpers import ACCOUNT, REGION, Case

KEY = "kms.key"


def key(alias: str | None = "alias/shop-data", rotation: bool | None = True, **fields: Any) -> dict[str, Any]:
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    record = {"id": key_id, "arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}", "region": REGION,
              "name": alias or key_id, "description": "", "key_manager": "CUSTOMER", "key_spec": "SYMMETRIC_DEFAULT",
              "key_usage": "ENCRYPT_DECRYPT", "key_state": "Enabled", "origin": "AWS_KMS", "rotation_enabled": rotation,
              "aliases": [alias] if alias else [], "tags": {}}
    errors = fields.pop("errors", None)
    record.update(fields)
    if errors:
        record["errors"] = errors
        for field in errors:
            record.pop(field, None)
    return record


CASES = [
    Case("kms.key_rotation", "rotating", {KEY: [key()]}, ["PASS"], message_contains="KMS key alias/shop-data has automatic rotation on."),
    Case("kms.key_rotation", "not rotating", {KEY: [key("alias/shop-legacy", False)]}, ["FAIL"],
         message_contains="KMS key alias/shop-legacy is a customer-managed symmetric key without automatic rotation."),
    Case("kms.key_rotation", "no alias, named by id", {KEY: [key(None, False)]}, ["FAIL"]),
    Case("kms.key_rotation", "AWS managed: no finding", {KEY: [key("alias/aws/rds", None, key_manager="AWS")]}, []),
    Case("kms.key_rotation", "alias/aws/* reported as customer-managed (moto): no finding",
         {KEY: [key("alias/aws/dynamodb", False)]}, []),
    Case("kms.key_rotation", "asymmetric: no finding", {KEY: [key("alias/signing", None, key_spec="RSA_2048")]}, []),
    Case("kms.key_rotation", "disabled key, rotation not applicable: no finding",
         {KEY: [key("alias/old", None, key_state="Disabled")]}, []),
    Case("kms.key_rotation", "rotation status unread",
         {KEY: [key(errors={"rotation_enabled": "kms:GetKeyRotationStatus failed"})]}, ["ERROR"]),
    Case("kms.key_rotation", "key unread", {KEY: [key(errors={"key_manager": "kms:DescribeKey failed"})]}, ["ERROR"]),
]

CASES += [
    Case("kms.key_rotation", "aliases unread: the key manager still decides",
         {KEY: [key(None, False, errors={"aliases": "kms:ListAliases failed"})]}, ["FAIL"]),
]
