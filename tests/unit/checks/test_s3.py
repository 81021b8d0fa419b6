"""Cases for checks/s3.py (run by test_cases.py), plus a few direct tests of edge cases."""

from __future__ import annotations

from typing import Any

from tests.helpers import Case, run, snapshot

ALL_ON = {"block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True, "restrict_public_buckets": True}
PARTIAL = {**ALL_ON, "restrict_public_buckets": False}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"

TLS_DENY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::shop-assets", "arn:aws:s3:::shop-assets/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
CLOUDFRONT_READ = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::shop-assets/*",
}


def bucket(name: str = "shop-assets", **fields: Any) -> dict[str, Any]:
    """A well-configured bucket; override fields to break it."""
    base = {
        "name": name,
        "arn": f"arn:aws:s3:::{name}",
        "region": "us-east-1",
        "tags": {},
        "encryption": [{"sse_algorithm": "aws:kms", "kms_key_id": "alias/aws/s3", "bucket_key_enabled": True}],
        "public_access_block": dict(ALL_ON),
        "acl_grants": [{"grantee_uri": "", "grantee_type": "CanonicalUser", "permission": "FULL_CONTROL"}],
        "policy": {"Version": "2012-10-17", "Statement": [CLOUDFRONT_READ, TLS_DENY]},
        "policy_is_public": False,
        "versioning": "Enabled",
        "logging_enabled": True,
        "logging_target": "shop-logs/s3/",
        "lifecycle_rules": [lifecycle_rule()],
        "ownership": "BucketOwnerEnforced",
    }
    base.update(fields)
    return base


def lifecycle_rule(**fields: Any) -> dict[str, Any]:
    rule = {"id": "abort-mpu", "status": "Enabled", "prefix": "", "abort_incomplete_multipart_upload_days": 7,
            "expiration_days": None, "noncurrent_version_expiration_days": None, "transition_count": 0}
    rule.update(fields)
    return rule


def account(pab: dict[str, bool] | None = None, **fields: Any) -> dict[str, Any]:
    return {"arn": "arn:aws:iam::123456789012:root", "id": "123456789012", "name": "account", "region": "global",
            "public_access_block": pab, **fields}


def grant(uri: str, permission: str = "READ") -> dict[str, str]:
    return {"grantee_uri": uri, "grantee_type": "Group", "permission": permission}


def broken(field: str) -> dict[str, Any]:
    """A bucket whose `field` could not be collected."""
    return bucket(errors={field: "s3:GetX in us-east-1 failed with AccessDenied: denied"})


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def buckets(*items: dict[str, Any], settings: dict[str, Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    return {"s3.bucket": list(items), "s3.account_settings": [settings or account()]}


CASES = [
    # s3.bucket_encrypted
    Case("s3.bucket_encrypted", "sse-kms", buckets(bucket()), ["PASS"], message_contains="aws:kms"),
    Case("s3.bucket_encrypted", "sse-s3", buckets(bucket(encryption=[{"sse_algorithm": "AES256", "kms_key_id": None,
                                                                      "bucket_key_enabled": False}])), ["PASS"]),
    Case("s3.bucket_encrypted", "no-configuration", buckets(bucket(encryption=[])), ["FAIL"]),
    Case("s3.bucket_encrypted", "rule-without-default", buckets(bucket(encryption=[{"sse_algorithm": None, "kms_key_id": None,
                                                                                    "bucket_key_enabled": True}])), ["FAIL"]),
    Case("s3.bucket_encrypted", "not-collected", buckets(broken("encryption")), ["ERROR"], message_contains="AccessDenied"),
    # s3.bucket_public_access_blocked
    Case("s3.bucket_public_access_blocked", "bucket-level", buckets(bucket()), ["PASS"], message_contains="bucket level"),
    Case("s3.bucket_public_access_blocked", "account-level", buckets(bucket(public_access_block=None), settings=account(ALL_ON)),
         ["PASS"], message_contains="account level"),
    Case("s3.bucket_public_access_blocked", "partial-both", buckets(bucket(public_access_block=PARTIAL), settings=account(PARTIAL)),
         ["FAIL"], message_contains="restrict_public_buckets off"),
    Case("s3.bucket_public_access_blocked", "none-anywhere", buckets(bucket(public_access_block=None)), ["FAIL"]),
    Case("s3.bucket_public_access_blocked", "bucket-unknown-account-on", buckets(broken("public_access_block"), settings=account(ALL_ON)),
         ["PASS"]),
    Case("s3.bucket_public_access_blocked", "bucket-unknown-account-off", buckets(broken("public_access_block")), ["ERROR"]),
    Case("s3.bucket_public_access_blocked", "account-unknown", buckets(bucket(public_access_block=PARTIAL),
                                                                      settings=account(errors={"public_access_block": "denied"})),
         ["ERROR"]),
    Case("s3.bucket_public_access_blocked", "account-settings-empty", {"s3.bucket": [bucket(public_access_block=None)]}, ["FAIL"]),
    # s3.bucket_not_public
    Case("s3.bucket_not_public", "private", buckets(bucket(acl_grants=[grant(LOG_DELIVERY, "WRITE")])), ["PASS"]),
    Case("s3.bucket_not_public", "acl-all-users", buckets(bucket(acl_grants=[grant(ALL_USERS)])), ["FAIL"],
         message_contains="AllUsers:READ"),
    Case("s3.bucket_not_public", "acl-authenticated-users", buckets(bucket(acl_grants=[grant(AUTH_USERS, "WRITE")])), ["FAIL"]),
    Case("s3.bucket_not_public", "public-policy", buckets(bucket(policy_is_public=True)), ["FAIL"], message_contains="policy"),
    Case("s3.bucket_not_public", "acl-unknown", buckets(broken("acl_grants")), ["ERROR"]),
    Case("s3.bucket_not_public", "policy-status-unknown", buckets(broken("policy_is_public")), ["ERROR"]),
    # s3.bucket_tls_only
    Case("s3.bucket_tls_only", "deny-insecure", buckets(bucket()), ["PASS"]),
    Case("s3.bucket_tls_only", "aws-principal-list-action-bool",
         buckets(bucket(policy=policy({**TLS_DENY, "Principal": {"AWS": ["*"]}, "Action": ["s3:*"],
                                       "Condition": {"Bool": {"aws:SecureTransport": False}}}))), ["PASS"]),
    Case("s3.bucket_tls_only", "bool-if-exists", buckets(bucket(policy=policy({**TLS_DENY, "Condition": {
        "BoolIfExists": {"aws:SecureTransport": ["false"]}}}))), ["PASS"]),
    Case("s3.bucket_tls_only", "no-policy", buckets(bucket(policy=None)), ["FAIL"], message_contains="no bucket policy"),
    Case("s3.bucket_tls_only", "no-deny", buckets(bucket(policy=policy(CLOUDFRONT_READ))), ["FAIL"]),
    Case("s3.bucket_tls_only", "deny-only-get", buckets(bucket(policy=policy({**TLS_DENY, "Action": "s3:GetObject"}))), ["FAIL"]),
    Case("s3.bucket_tls_only", "allow-with-condition", buckets(bucket(policy=policy({**TLS_DENY, "Effect": "Allow"}))), ["FAIL"]),
    Case("s3.bucket_tls_only", "deny-for-one-principal",
         buckets(bucket(policy=policy({**TLS_DENY, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}))), ["FAIL"]),
    Case("s3.bucket_tls_only", "policy-unknown", buckets(broken("policy")), ["ERROR"]),
    # s3.bucket_versioning
    Case("s3.bucket_versioning", "enabled", buckets(bucket()), ["PASS"]),
    Case("s3.bucket_versioning", "suspended", buckets(bucket(versioning="Suspended")), ["FAIL"], message_contains="suspended"),
    Case("s3.bucket_versioning", "never", buckets(bucket(versioning=None)), ["FAIL"], message_contains="never had versioning"),
    Case("s3.bucket_versioning", "unknown", buckets(broken("versioning")), ["ERROR"]),
    # s3.bucket_access_logging
    Case("s3.bucket_access_logging", "on", buckets(bucket()), ["PASS"], message_contains="shop-logs/s3/"),
    Case("s3.bucket_access_logging", "off", buckets(bucket(logging_enabled=False, logging_target=None)), ["FAIL"]),
    Case("s3.bucket_access_logging", "unknown", buckets(broken("logging_enabled")), ["ERROR"]),
    # s3.bucket_lifecycle
    Case("s3.bucket_lifecycle", "aborts", buckets(bucket()), ["PASS"], message_contains="7 days"),
    Case("s3.bucket_lifecycle", "none", buckets(bucket(lifecycle_rules=[])), ["FAIL"], message_contains="no lifecycle"),
    Case("s3.bucket_lifecycle", "expiry-only", buckets(bucket(lifecycle_rules=[lifecycle_rule(
        abort_incomplete_multipart_upload_days=None, expiration_days=90)])), ["FAIL"], message_contains="none enabled"),
    Case("s3.bucket_lifecycle", "abort-rule-disabled", buckets(bucket(lifecycle_rules=[lifecycle_rule(status="Disabled")])), ["FAIL"]),
    Case("s3.bucket_lifecycle", "unknown", buckets(broken("lifecycle_rules")), ["ERROR"]),
    # s3.bucket_acls_disabled
    Case("s3.bucket_acls_disabled", "enforced", buckets(bucket()), ["PASS"]),
    Case("s3.bucket_acls_disabled", "preferred", buckets(bucket(ownership="BucketOwnerPreferred")), ["FAIL"]),
    Case("s3.bucket_acls_disabled", "not-configured", buckets(bucket(ownership=None)), ["FAIL"], message_contains="not configured"),
    Case("s3.bucket_acls_disabled", "unknown", buckets(broken("ownership")), ["ERROR"]),
    # Several buckets: one finding each, in snapshot order.
    Case("s3.bucket_versioning", "two-buckets", buckets(bucket("a-bucket"), bucket("b-bucket", versioning=None)), ["PASS", "FAIL"]),
]


def test_public_access_blocked_errors_when_account_settings_listing_failed() -> None:
    """A bucket without its own flags cannot PASS if the account level was never seen."""
    snap = snapshot(buckets(bucket(public_access_block=None)), collected={"s3.bucket": ["global"]})
    [finding] = run("s3.bucket_public_access_blocked", snap)
    assert finding.status.value == "ERROR"
    assert "s3.account_settings" in finding.message


def test_not_public_evidence_names_grants() -> None:
    snap = snapshot(buckets(bucket(acl_grants=[grant(ALL_USERS), grant(ALL_USERS, "WRITE")], policy_is_public=True)))
    [finding] = run("s3.bucket_not_public", snap)
    assert finding.evidence == {"public_grants": ["AllUsers:READ", "AllUsers:WRITE"], "policy_is_public": True}
    assert finding.resource_id == "arn:aws:s3:::shop-assets"
