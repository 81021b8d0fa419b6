"""S3: buckets with their security, durability and cost settings, and account-level Block Public Access.

Buckets are listed once (S3 is a global namespace) and each bucket's detail calls go to the
bucket's own region: a call to another region's endpoint is answered with a redirect, and a
client pinned to the wrong region is slower and, for opt-in regions, refused. The region comes
from ListBuckets' `BucketRegion` when the endpoint returns it (AWS does since 2024; moto does
not), else from GetBucketLocation, whose empty answer means us-east-1 and whose legacy "EU"
means eu-west-1 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
A bucket whose region cannot be found gets every detail field marked missing (its checks say
ERROR) rather than guessed.

"Not configured" answers (NoSuchBucketPolicy, NoSuchLifecycleConfiguration, …) are data, not
failures. Note on encryption: since January 2023 AWS applies SSE-S3 to every bucket and
GetBucketEncryption always returns a rule, so an empty `encryption` comes from an endpoint
(moto, some S3-compatible stores) that reports a never-configured bucket with
ServerSideEncryptionConfigurationNotFoundError; it is recorded as [] and the check fails it.

Resource type `s3.bucket` (region: the bucket's region):

- name — bucket name
- arn — arn:<partition>:s3:::<name>
- region — the bucket's region (GetBucketLocation; "" → us-east-1, "EU" → eu-west-1)
- creation_date — ISO 8601 creation time from ListBuckets
- tags — {key: value} (NoSuchTagSet → {})
- encryption — default-encryption rules: [{sse_algorithm, kms_key_id, bucket_key_enabled}], [] when none
- public_access_block — bucket-level {block_public_acls, ignore_public_acls, block_public_policy,
  restrict_public_buckets} (bools), None when not configured
- acl_grants — [{grantee_uri, grantee_type, permission}]; grantee_uri is "" unless the grantee is a group
- policy — the bucket policy as a parsed JSON dict, None when there is none
- policy_is_public — GetBucketPolicyStatus IsPublic; False without a policy (no call made)
- versioning — "Enabled" | "Suspended" | None (never enabled)
- logging_enabled — server access logging on (bool)
- logging_target — "<target bucket>/<prefix>" or None
- lifecycle_rules — [{id, status, prefix, abort_incomplete_multipart_upload_days, expiration_days,
  noncurrent_version_expiration_days, transition_count}], [] when none
- ownership — ObjectOwnership ("BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter"), None when not configured

Resource type `s3.account_settings` (one record, region "global"):

- arn — arn:<partition>:iam::<account>:root (CATALOGUE.md: account-wide settings)
- id, name — the account id, "account"
- public_access_block — account-level flags as above (S3 Control GetPublicAccessBlock), None when not configured
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from opsctl.collect.runner import CollectContext, collector
from opsctl.resources import GLOBAL

BUCKET = "s3.bucket"
ACCOUNT_SETTINGS = "s3.account_settings"

#: GetBucketLocation's legacy answers (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
_LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}

_PAB_FLAGS = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}

#: Every field a bucket's detail calls fill; all are marked missing when the region is unknown.
DETAIL_FIELDS = (
    "tags",
    "encryption",
    "public_access_block",
    "acl_grants",
    "policy",
    "policy_is_public",
    "versioning",
    "logging_enabled",
    "logging_target",
    "lifecycle_rules",
    "ownership",
)


# ----- normalisers (pure) ---------------------------------------------------------------------
def bucket_region(location: str | None) -> str:
    """The region a GetBucketLocation LocationConstraint stands for."""
    return _LEGACY_LOCATIONS.get(location, location or "us-east-1")


def public_access_block(config: dict[str, Any]) -> dict[str, bool]:
    """The four Block Public Access flags in snake_case; an absent flag is off."""
    return {ours: bool(config.get(theirs, False)) for theirs, ours in _PAB_FLAGS.items()}


def encryption_rules(resp: dict[str, Any]) -> list[dict[str, Any]]:
    rules = resp["ServerSideEncryptionConfiguration"].get("Rules", [])
    out = []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        out.append(
            {
                "sse_algorithm": default.get("SSEAlgorithm"),
                "kms_key_id": default.get("KMSMasterKeyID"),
                "bucket_key_enabled": bool(rule.get("BucketKeyEnabled", False)),
            }
        )
    return out


def acl_grants(resp: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "grantee_uri": g.get("Grantee", {}).get("URI", ""),
            "grantee_type": g.get("Grantee", {}).get("Type", ""),
            "permission": g.get("Permission", ""),
        }
        for g in resp.get("Grants", [])
    ]


def _rule_prefix(rule: dict[str, Any]) -> str:
    """The key prefix a lifecycle rule applies to ("" = the whole bucket, unless tags/sizes narrow it)."""
    flt = rule.get("Filter") or {}
    return flt.get("Prefix") or (flt.get("And") or {}).get("Prefix") or rule.get("Prefix") or ""


def lifecycle_rules(resp: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": rule.get("ID", ""),
            "status": rule.get("Status", ""),
            "prefix": _rule_prefix(rule),
            "abort_incomplete_multipart_upload_days": (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
            "expiration_days": (rule.get("Expiration") or {}).get("Days"),
            "noncurrent_version_expiration_days": (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
            "transition_count": len(rule.get("Transitions") or []),
        }
        for rule in resp.get("Rules", [])
    ]


def ownership(resp: dict[str, Any]) -> str | None:
    rules = resp["OwnershipControls"].get("Rules", [])
    return rules[0]["ObjectOwnership"] if rules else None


def logging_fields(resp: dict[str, Any]) -> dict[str, Any]:
    target = resp.get("LoggingEnabled")
    if not target:
        return {"logging_enabled": False, "logging_target": None}
    return {"logging_enabled": True, "logging_target": f"{target['TargetBucket']}/{target.get('TargetPrefix', '')}"}


def tag_map(tag_set: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tag_set}


# ----- per-bucket detail calls (each one call, run concurrently) ------------------------------
def _fill_tags(ctx: CollectContext, b: dict[str, Any]) -> None:
    ctx.fill(b, "tags", "s3", b["region"], "get_bucket_tagging", {"Bucket": b["name"]},
             extract=lambda r: tag_map(r.get("TagSet", [])), missing={"NoSuchTagSet": {}})


def _fill_encryption(ctx: CollectContext, b: dict[str, Any]) -> None:
    ctx.fill(b, "encryption", "s3", b["region"], "get_bucket_encryption", {"Bucket": b["name"]},
             extract=encryption_rules, missing={"ServerSideEncryptionConfigurationNotFoundError": []})


def _fill_public_access_block(ctx: CollectContext, b: dict[str, Any]) -> None:
    ctx.fill(b, "public_access_block", "s3", b["region"], "get_public_access_block", {"Bucket": b["name"]},
             extract=lambda r: public_access_block(r["PublicAccessBlockConfiguration"]),
             missing={"NoSuchPublicAccessBlockConfiguration": None})


def _fill_acl(ctx: CollectContext, b: dict[str, Any]) -> None:
    ctx.fill(b, "acl_grants", "s3", b["region"], "get_bucket_acl", {"Bucket": b["name"]}, extract=acl_grants)


def _fill_policy(ctx: CollectContext, b: dict[str, Any]) -> None:
    """The policy, then its public status — only when a policy exists (no policy: not public)."""
    policy = ctx.fill(b, "policy", "s3", b["region"], "get_bucket_policy", {"Bucket": b["name"]},
                      extract=lambda r: json.loads(r["Policy"]), missing={"NoSuchBucketPolicy": None})
    if policy is None and "policy" in b:
        b["policy_is_public"] = False
        return
    ctx.fill(b, "policy_is_public", "s3", b["region"], "get_bucket_policy_status", {"Bucket": b["name"]},
             extract=lambda r: bool(r["PolicyStatus"]["IsPublic"]), missing={"NoSuchBucketPolicy": False})


def _fill_versioning(ctx: CollectContext, b: dict[str, Any]) -> None:
    ctx.fill(b, "versioning", "s3", b["region"], "get_bucket_versioning", {"Bucket": b["name"]},
             extract=lambda r: r.get("Status"))


def _fill_logging(ctx: CollectContext, b: dict[str, Any]) -> None:
    ctx.fill_many(b, {"logging_enabled": False, "logging_target": None}, "s3", b["region"],
                "get_bucket_logging", {"Bucket": b["name"]}, extract=logging_fields)


def _fill_lifecycle(ctx: CollectContext, b: dict[str, Any]) -> None:
    ctx.fill(b, "lifecycle_rules", "s3", b["region"], "get_bucket_lifecycle_configuration", {"Bucket": b["name"]},
             extract=lifecycle_rules, missing={"NoSuchLifecycleConfiguration": []})


def _fill_ownership(ctx: CollectContext, b: dict[str, Any]) -> None:
    ctx.fill(b, "ownership", "s3", b["region"], "get_bucket_ownership_controls", {"Bucket": b["name"]},
             extract=ownership, missing={"OwnershipControlsNotFoundError": None})


DETAILS: tuple[Callable[[CollectContext, dict[str, Any]], None], ...] = (
    _fill_tags,
    _fill_encryption,
    _fill_public_access_block,
    _fill_acl,
    _fill_policy,
    _fill_versioning,
    _fill_logging,
    _fill_lifecycle,
    _fill_ownership,
)


# ----- collectors -----------------------------------------------------------------------------
def _locate(ctx: CollectContext, bucket: dict[str, Any]) -> None:
    """Set the bucket's region, or mark all its detail fields missing with the reason."""
    if bucket.get("region"):
        return
    resp = ctx.call("s3", GLOBAL, "get_bucket_location", {"Bucket": bucket["name"]},
                    resource_type=BUCKET, resource_id=bucket["arn"])
    if resp is None:
        reason = ctx.failure_reason("s3", GLOBAL, "GetBucketLocation", bucket["arn"])
        bucket["region"] = GLOBAL  # unknown; "global" is what a finding about it can honestly say
        bucket["errors"] = {f: f"bucket region unknown, so it was not inspected: {reason}" for f in DETAIL_FIELDS}
        return
    bucket["region"] = bucket_region(resp.get("LocationConstraint"))




@collector("s3", types=(BUCKET,), scope="global")
def collect_buckets(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """Every bucket of the account with its settings (see the module docstring for fields)."""
    # No MaxBuckets/PageSize: moto truncates without a continuation token (MOTO-NOTES.md), and
    # AWS answers up to 10,000 buckets in one page without it.
    listed = ctx.paginate("s3", region, "list_buckets", "Buckets", resource_type=BUCKET)
    if listed is None:
        return {}
    buckets = [
        {
            "type": BUCKET,
            "name": b["Name"],
            "arn": f"arn:{ctx.partition}:s3:::{b['Name']}",
            "region": b.get("BucketRegion") or "",
            "creation_date": b["CreationDate"].isoformat() if b.get("CreationDate") else None,
        }
        for b in sorted(listed, key=lambda b: b["Name"])
    ]
    ctx.map(lambda b: _locate(ctx, b), buckets)
    located = [b for b in buckets if b["region"] != GLOBAL]
    # One task per (bucket, call) rather than per bucket: a few slow buckets do not hold a worker
    # for ten sequential calls, so collection time tracks the total number of calls.
    ctx.map(lambda task: task[1](ctx, task[0]), [(b, detail) for b in located for detail in DETAILS])
    return {BUCKET: buckets}


@collector("s3", types=(ACCOUNT_SETTINGS,), scope="global")
def collect_account_settings(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """Account-level Block Public Access, which overrides every bucket's own flags when on."""
    record: dict[str, Any] = {
        "type": ACCOUNT_SETTINGS,
        "arn": f"arn:{ctx.partition}:iam::{ctx.account}:root",
        "id": ctx.account,
        "name": "account",
        "region": GLOBAL,
    }
    ctx.fill(record, "public_access_block", "s3control", region, "get_public_access_block", {"AccountId": ctx.account},
             extract=lambda r: public_access_block(r["PublicAccessBlockConfiguration"]),
             missing={"NoSuchPublicAccessBlockConfiguration": None})
    return {ACCOUNT_SETTINGS: [record]}
