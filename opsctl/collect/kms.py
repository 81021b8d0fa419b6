"""KMS: keys with their manager, spec, state, rotation status and aliases.

ListKeys (paginated) then, per key, DescribeKey; GetKeyRotationStatus only where automatic
rotation can apply (a customer-managed, Enabled, SYMMETRIC_DEFAULT key with AWS_KMS key
material); ListResourceTags only for customer-managed keys (AWS-managed keys carry no tags
of the account). One ListAliases per region maps aliases to keys.

Resource type `kms.key` (regional):

- id, arn, region, description
- name — the key's first alias, else its id
- key_manager — CUSTOMER | AWS
- key_spec — SYMMETRIC_DEFAULT, RSA_2048, HMAC_256, …; key_usage — ENCRYPT_DECRYPT | SIGN_VERIFY | …
- key_state — Enabled | Disabled | PendingDeletion | PendingImport | …
- origin — AWS_KMS | EXTERNAL | AWS_CLOUDHSM | EXTERNAL_KEY_STORE
- rotation_enabled — bool for customer-managed Enabled SYMMETRIC_DEFAULT keys with AWS_KMS
  material, else None (rotation not applicable or managed by AWS)
- aliases — alias names ("alias/…"), sorted
- tags — {key: value} ({} for AWS-managed keys)
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import mark_missing, paginate_detail, tag_dict
from opsctl.collect.runner import CollectContext, collector

KEY = "kms.key"
DETAIL_FIELDS = (
    "description",
    "key_manager",
    "key_spec",
    "key_usage",
    "key_state",
    "origin",
    "rotation_enabled",
    "tags",
)


def rotation_applies(key: dict[str, Any]) -> bool:
    """Automatic rotation exists only for these keys; GetKeyRotationStatus fails or misleads on others."""
    return (
        key.get("key_manager") == "CUSTOMER"
        and key.get("key_spec") == "SYMMETRIC_DEFAULT"
        and key.get("key_state") == "Enabled"
        and key.get("origin") == "AWS_KMS"
    )


def apply_metadata(key: dict[str, Any], meta: dict[str, Any]) -> None:
    key.update(
        {
            "description": meta.get("Description", ""),
            "key_manager": meta.get("KeyManager"),
            "key_spec": meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
            "key_usage": meta.get("KeyUsage"),
            "key_state": meta.get("KeyState"),
            "origin": meta.get("Origin"),
        }
    )


def fill_key(ctx: CollectContext, region: str, key: dict[str, Any]) -> None:
    described = ctx.fill_many(key, DETAIL_FIELDS, "kms", region, "describe_key", {"KeyId": key["arn"]})
    if described is None:
        return
    apply_metadata(key, described["KeyMetadata"])
    if rotation_applies(key):
        ctx.fill(
            key,
            "rotation_enabled",
            "kms",
            region,
            "get_key_rotation_status",
            {"KeyId": key["arn"]},
            extract=lambda r: bool(r["KeyRotationEnabled"]),
        )
    else:
        key["rotation_enabled"] = None
    if key["key_manager"] == "CUSTOMER":
        tags = paginate_detail(
            ctx, key, ("tags",), "kms", region, "list_resource_tags", "Tags", {"KeyId": key["arn"]}
        )
        if tags is not None:
            key["tags"] = tag_dict(tags, "TagKey", "TagValue")
    else:
        key["tags"] = {}


def fill_aliases(ctx: CollectContext, region: str, keys: list[dict[str, Any]]) -> None:
    aliases = ctx.paginate("kms", region, "list_aliases", "Aliases")
    if aliases is None:
        reason = ctx.failure_reason("kms", region, "list_aliases", "")
        for key in keys:
            mark_missing(key, ("aliases",), reason)
        return
    by_key: dict[str, list[str]] = {}
    for alias in aliases:
        if alias.get("TargetKeyId"):
            by_key.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    for key in keys:
        key["aliases"] = sorted(by_key.get(key["id"], []))


@collector("kms", types=(KEY,))
def collect_keys(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate("kms", region, "list_keys", "Keys", resource_type=KEY)
    if listed is None:
        return {}
    keys = [
        {"type": KEY, "id": k["KeyId"], "arn": k["KeyArn"], "region": region, "name": k["KeyId"]}
        for k in listed
    ]
    if keys:
        fill_aliases(ctx, region, keys)
        for key in keys:
            key["name"] = (key.get("aliases") or [key["id"]])[0]
        ctx.map(lambda k: fill_key(ctx, region, k), keys)
    return {KEY: keys}
