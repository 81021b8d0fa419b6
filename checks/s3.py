"""S3 bucket checks (CATALOGUE.md, "S3 (bucket)"): encryption, public access, TLS, durability, cost."""

from __future__ import annotations

from typing import Any

from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, Outcome, check

#: ACL grantees that make a bucket public (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#specifying-grantee-predefined-groups).
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
ENCRYPTION_ALGORITHMS = {"AES256", "aws:kms", "aws:kms:dsse"}
PAB_FLAGS = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")


def _name(bucket: dict[str, Any]) -> str:
    return f"S3 bucket {bucket.get('name') or bucket.get('arn', '?')}"


@check(id="s3.bucket_encrypted", title="S3 bucket has default encryption", pillar="security",
       severity="medium", resource_type="s3.bucket")
def bucket_encrypted(bucket: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Default encryption makes every new object encrypted at rest, whatever the uploader sends."""
    rules = ctx.need(bucket, "encryption")
    algorithms = sorted({r.get("sse_algorithm") for r in rules if r.get("sse_algorithm") in ENCRYPTION_ALGORITHMS})
    if algorithms:
        return PASS(f"{_name(bucket)} encrypts new objects by default with {', '.join(algorithms)}.", algorithms=algorithms)
    return FAIL(f"{_name(bucket)} has no default encryption configuration.", encryption=rules)


def _all_on(flags: dict[str, bool] | None) -> bool:
    return bool(flags) and all(flags.get(f) for f in PAB_FLAGS)


def _off(flags: dict[str, bool] | None) -> list[str]:
    return [f for f in PAB_FLAGS if not (flags or {}).get(f)]


@check(id="s3.bucket_public_access_blocked", title="S3 Block Public Access is fully on for the bucket",
       pillar="security", severity="high", resource_type="s3.bucket")
def bucket_public_access_blocked(bucket: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Block Public Access stops a bad ACL or policy from ever exposing the bucket; the account level covers every bucket."""
    try:
        own = ctx.need(bucket, "public_access_block")
        own_missing = None
    except MissingData as missing:  # the account level may still settle it
        own, own_missing = None, missing
    if _all_on(own):
        return PASS(f"{_name(bucket)} has all four Block Public Access flags on at bucket level.", level="bucket")
    settings = ctx.snapshot.require_global("s3.account_settings")
    account = ctx.need(settings[0], "public_access_block") if settings else None
    if _all_on(account):
        return PASS(f"{_name(bucket)} is covered by all four Block Public Access flags at account level.", level="account")
    if own_missing is not None:
        raise own_missing
    return FAIL(
        f"{_name(bucket)} is not fully covered by Block Public Access "
        f"(bucket level: {_describe(own)}; account level: {_describe(account)}).",
        bucket_flags_off=_off(own),
        account_flags_off=_off(account),
    )


def _describe(flags: dict[str, bool] | None) -> str:
    if flags is None:
        return "not configured"
    return f"{', '.join(_off(flags))} off"


@check(id="s3.bucket_not_public", title="S3 bucket is not public", pillar="security", severity="critical",
       resource_type="s3.bucket")
def bucket_not_public(bucket: dict[str, Any], ctx: CheckContext) -> Outcome:
    """A public bucket serves (or accepts) objects to anyone on the internet, bypassing CloudFront and WAF."""
    grants = ctx.need(bucket, "acl_grants")
    policy_public = ctx.need(bucket, "policy_is_public")
    public_grants = sorted(
        {f"{PUBLIC_GRANTEES[g['grantee_uri']]}:{g['permission']}" for g in grants if g.get("grantee_uri") in PUBLIC_GRANTEES}
    )
    reasons = []
    if public_grants:
        reasons.append(f"its ACL grants {', '.join(public_grants)}")
    if policy_public:
        reasons.append("its bucket policy is public")
    if reasons:
        return FAIL(f"{_name(bucket)} is public: {' and '.join(reasons)}.", public_grants=public_grants, policy_is_public=policy_public)
    return PASS(f"{_name(bucket)} has no public ACL grant and no public bucket policy.")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_wildcard_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    """Deny, to everyone, of every S3 action, when aws:SecureTransport is false."""
    if statement.get("Effect") != "Deny" or not _is_wildcard_principal(statement.get("Principal")):
        return False
    if not {"*", "s3:*"} & {str(a).lower() for a in _as_list(statement.get("Action"))}:
        return False
    for operator, conditions in (statement.get("Condition") or {}).items():
        if operator.lower() not in ("bool", "boolifexists"):
            continue
        for key, value in conditions.items():
            if key.lower() == "aws:securetransport" and any(str(v).lower() == "false" for v in _as_list(value)):
                return True
    return False


@check(id="s3.bucket_tls_only", title="S3 bucket policy denies requests without TLS", pillar="security",
       severity="medium", resource_type="s3.bucket")
def bucket_tls_only(bucket: dict[str, Any], ctx: CheckContext) -> Outcome:
    """S3 accepts plain HTTP unless the bucket policy denies it; a deny on aws:SecureTransport=false enforces TLS."""
    policy = ctx.need(bucket, "policy")
    if policy is None:
        return FAIL(f"{_name(bucket)} has no bucket policy, so it accepts requests over plain HTTP.")
    statements = [s for s in _as_list(policy.get("Statement")) if isinstance(s, dict)]
    enforcing = [s.get("Sid", "") for s in statements if _denies_insecure_transport(s)]
    if enforcing:
        return PASS(f"{_name(bucket)} policy denies requests made without TLS.", statements=enforcing)
    return FAIL(f"{_name(bucket)} policy has no statement denying s3:* when aws:SecureTransport is false.")


@check(id="s3.bucket_versioning", title="S3 bucket versioning is enabled", pillar="availability",
       severity="medium", resource_type="s3.bucket")
def bucket_versioning(bucket: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Versioning lets you recover objects after an accidental overwrite or delete."""
    status = ctx.need(bucket, "versioning")
    if status == "Enabled":
        return PASS(f"{_name(bucket)} has versioning enabled.")
    if status:
        return FAIL(f"{_name(bucket)} has versioning {status.lower()}.", versioning=status)
    return FAIL(f"{_name(bucket)} has never had versioning enabled.", versioning=status)


@check(id="s3.bucket_access_logging", title="S3 server access logging is on", pillar="operations",
       severity="low", resource_type="s3.bucket")
def bucket_access_logging(bucket: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Server access logs are the record of who read or changed which object, for incidents and audits."""
    if ctx.need(bucket, "logging_enabled"):
        target = ctx.need(bucket, "logging_target")
        return PASS(f"{_name(bucket)} delivers server access logs to {target}.", logging_target=target)
    return FAIL(f"{_name(bucket)} has server access logging off.")


@check(id="s3.bucket_lifecycle", title="S3 lifecycle aborts incomplete multipart uploads", pillar="cost",
       severity="low", resource_type="s3.bucket")
def bucket_lifecycle(bucket: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Parts of abandoned multipart uploads are billed as storage forever unless a lifecycle rule aborts them."""
    rules = ctx.need(bucket, "lifecycle_rules")
    aborting = [
        r for r in rules if r.get("status") == "Enabled" and r.get("abort_incomplete_multipart_upload_days") is not None
    ]
    if aborting:
        days = min(r["abort_incomplete_multipart_upload_days"] for r in aborting)
        return PASS(f"{_name(bucket)} aborts incomplete multipart uploads after {days} day{'s' if days != 1 else ''}.",
                    rules=[r.get("id", "") for r in aborting])
    if not rules:
        return FAIL(f"{_name(bucket)} has no lifecycle configuration.")
    return FAIL(f"{_name(bucket)} has {len(rules)} lifecycle rule(s) but none enabled that aborts incomplete multipart uploads.",
                rules=[r.get("id", "") for r in rules])


@check(id="s3.bucket_acls_disabled", title="S3 bucket ACLs are disabled", pillar="security", severity="low",
       resource_type="s3.bucket")
def bucket_acls_disabled(bucket: dict[str, Any], ctx: CheckContext) -> Outcome:
    """With ACLs disabled (BucketOwnerEnforced) only policies grant access, and the bucket owner owns every object."""
    owner = ctx.need(bucket, "ownership")
    if owner == "BucketOwnerEnforced":
        return PASS(f"{_name(bucket)} has ACLs disabled (object ownership BucketOwnerEnforced).")
    return FAIL(f"{_name(bucket)} has ACLs enabled (object ownership {owner or 'not configured'}).", ownership=owner)
