"""IAM: the account's root and password settings, and its users' credentials and policies.

Calls, in an order that gives AWS time to build the credential report:

1. GenerateCredentialReport (asynchronous on AWS; complete within seconds).
2. GetAccountSummary, GetAccountPasswordPolicy (NoSuchEntity = no policy: data, not a gap).
3. GetAccountAuthorizationDetails(Filter=[User]) — every user with its inline policy documents,
   attached policy ARNs and tags, paginated; then (only when users attach customer-managed
   policies) GetAccountAuthorizationDetails(Filter=[LocalManagedPolicy]) — each policy's
   versions, so every distinct policy document is read once however many users attach it.
   AWS-managed policies attached to users (and any the listing lacks) are read with GetPolicy
   + GetPolicyVersion, once per ARN.
4. Per user, concurrently: ListAccessKeys, ListMFADevices.
5. GetCredentialReport: password_enabled, password_last_used and each key's last use.
   For users absent from the report (not ready yet, expired, or a user created after it),
   the same fields come from ListUsers (PasswordLastUsed), GetLoginProfile and
   GetAccessKeyLastUsed. "Report not ready" is therefore not a gap; a denied call is.

Secrets never enter the snapshot: access keys are reduced to their last 4 characters.

Resource type `iam.account` (one record, region "global"):

- id, name — the account id; arn — arn:aws:iam::<account>:root
- account_summary — GetAccountSummary's SummaryMap (AWS names: Users, MFADevices, …)
- root_mfa_enabled — bool (SummaryMap AccountMFAEnabled)
- root_access_keys_present — bool (SummaryMap AccountAccessKeysPresent)
- password_policy — None when the account has none, else {minimum_length, require_symbols,
  require_numbers, require_uppercase, require_lowercase, allow_users_to_change,
  expire_passwords, max_age_days (None = never), reuse_prevention (None = not set), hard_expiry}
- credential_report_generated — bool: this run read a credential report
- tags — {} (the account has none here)

Resource type `iam.user` (region "global"):

- name, arn, user_id, create_date (ISO)
- password_enabled — bool: the user has a console password
- password_last_used — ISO, or None (never, or no information)
- mfa_active — bool: at least one MFA device; mfa_devices — how many
- access_keys — [{id_suffix (last 4 characters), status (Active | Inactive), create_date (ISO),
  last_used_date (ISO or None = never used)}], oldest first
- attached_policies — [{name, arn}] managed policies attached to the user directly
- inline_policy_names — sorted
- admin_policy — bool: an attached or inline policy allows Action "*" on Resource "*"
- admin_policies — names of those policies, sorted
- tags — {key: value}
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from opsctl.collect._details import iso, mark_missing, paginate_detail, tag_dict
from opsctl.collect.runner import CollectContext, NotFound, collector

ACCOUNT = "iam.account"
USER = "iam.user"
#: GetCredentialReport's "no usable report yet" codes: the per-user calls fill in instead.
REPORT_UNAVAILABLE = ("ReportNotPresent", "ReportInProgress", "ReportExpired")
#: Credential report values meaning "no date".
NO_DATE = {"N/A", "no_information", "not_supported", ""}
ADMIN_WILDCARDS = {"*", "*:*"}


# ----- pure helpers -------------------------------------------------------------------------
def policy_document(document: Any) -> dict[str, Any]:
    """botocore decodes IAM policy documents to dicts; an endpoint that does not sends URL-encoded JSON."""
    if isinstance(document, str):
        return json.loads(unquote(document))
    return document or {}


def _is_wildcard(value: Any) -> bool:
    values = [value] if isinstance(value, str) else list(value or [])
    return any(v in ADMIN_WILDCARDS for v in values)


def grants_admin(document: Any) -> bool:
    """True when a statement allows Action "*" on Resource "*" (full administrator)."""
    statements = policy_document(document).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return any(
        s.get("Effect") == "Allow" and _is_wildcard(s.get("Action")) and _is_wildcard(s.get("Resource"))
        for s in statements
        if isinstance(s, dict)
    )


def normalise_password_policy(policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "minimum_length": policy.get("MinimumPasswordLength"),
        "require_symbols": bool(policy.get("RequireSymbols", False)),
        "require_numbers": bool(policy.get("RequireNumbers", False)),
        "require_uppercase": bool(policy.get("RequireUppercaseCharacters", False)),
        "require_lowercase": bool(policy.get("RequireLowercaseCharacters", False)),
        "allow_users_to_change": bool(policy.get("AllowUsersToChangePassword", False)),
        "expire_passwords": bool(policy.get("ExpirePasswords", False)),
        "max_age_days": policy.get("MaxPasswordAge") or None,
        "reuse_prevention": policy.get("PasswordReusePrevention"),
        "hard_expiry": bool(policy.get("HardExpiry", False)),
    }


def report_date(value: str | None) -> str | None:
    """A credential-report date as ISO, or None for N/A / no_information / not_supported."""
    if value is None or value in NO_DATE:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return None


def parse_credential_report(content: bytes | str) -> dict[str, dict[str, str]]:
    """The report's CSV rows keyed by user ARN (the root row is skipped)."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return {
        row["arn"]: row for row in csv.DictReader(io.StringIO(text)) if row.get("user") != "<root_account>"
    }


def _same_second(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    da, db = datetime.fromisoformat(a), datetime.fromisoformat(b)
    return da.astimezone(timezone.utc).replace(microsecond=0) == db.astimezone(timezone.utc).replace(
        microsecond=0
    )


def key_last_used_from_report(row: dict[str, str], create_date: str | None) -> tuple[bool, str | None]:
    """(found, last used) for the key the report lists with this creation ("last rotated") time."""
    for slot in ("1", "2"):
        if _same_second(report_date(row.get(f"access_key_{slot}_last_rotated")), create_date):
            return True, report_date(row.get(f"access_key_{slot}_last_used_date"))
    return False, None


def normalise_user(detail: dict[str, Any]) -> dict[str, Any]:
    attached = [
        {"name": p["PolicyName"], "arn": p["PolicyArn"]} for p in detail.get("AttachedManagedPolicies", [])
    ]
    return {
        "type": USER,
        "name": detail["UserName"],
        "arn": detail["Arn"],
        "region": "global",
        "user_id": detail.get("UserId"),
        "create_date": iso(detail.get("CreateDate")),
        "attached_policies": sorted(attached, key=lambda p: p["arn"]),
        "inline_policy_names": sorted(p["PolicyName"] for p in detail.get("UserPolicyList", [])),
        "tags": tag_dict(detail.get("Tags")),
    }


def default_documents(policies: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Policy ARN → its default version's document, from GetAccountAuthorizationDetails' Policies."""
    docs = {}
    for policy in policies:
        for version in policy.get("PolicyVersionList", []):
            if version.get("IsDefaultVersion"):
                docs[policy["Arn"]] = version.get("Document")
    return docs


# ----- account ------------------------------------------------------------------------------
def collect_account(ctx: CollectContext, region: str) -> dict[str, Any]:
    account: dict[str, Any] = {
        "type": ACCOUNT,
        "id": ctx.account,
        "name": ctx.account,
        "arn": f"arn:{ctx.partition}:iam::{ctx.account}:root",
        "region": "global",
        "tags": {},
    }
    summary = ctx.fill_many(account,
        ("account_summary", "root_mfa_enabled", "root_access_keys_present"),
        "iam",
        region,
        "get_account_summary",
    )
    if summary is not None:
        summary_map = summary.get("SummaryMap", {})
        account["account_summary"] = summary_map
        account["root_mfa_enabled"] = bool(summary_map.get("AccountMFAEnabled", 0))
        account["root_access_keys_present"] = bool(summary_map.get("AccountAccessKeysPresent", 0))
    ctx.fill(
        account,
        "password_policy",
        "iam",
        region,
        "get_account_password_policy",
        extract=lambda r: normalise_password_policy(r["PasswordPolicy"]),
        missing={"NoSuchEntity": None},
    )
    return account


# ----- users --------------------------------------------------------------------------------
def fetch_policy_document(ctx: CollectContext, region: str, arn: str) -> tuple[Any, str | None]:
    """(document, None) or (None, reason) via GetPolicy + GetPolicyVersion."""
    policy = ctx.call("iam", region, "get_policy", {"PolicyArn": arn}, resource_type=USER, resource_id=arn)
    if policy is None:
        return None, ctx.failure_reason("iam", region, "get_policy", arn)
    version_id = policy["Policy"]["DefaultVersionId"]
    version = ctx.call(
        "iam",
        region,
        "get_policy_version",
        {"PolicyArn": arn, "VersionId": version_id},
        resource_type=USER,
        resource_id=arn,
    )
    if version is None:
        return None, ctx.failure_reason("iam", region, "get_policy_version", arn)
    return version["PolicyVersion"].get("Document"), None


def is_aws_managed(arn: str) -> bool:
    """arn:aws:iam::aws:policy/… — the account field is "aws"."""
    return arn.split(":")[4] == "aws"


def managed_policy_documents(
    ctx: CollectContext, region: str, arns: set[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Default documents of the attached managed policies: (arn → document, arn → failure reason).

    Customer-managed ones come from one paginated GetAccountAuthorizationDetails; AWS-managed
    ones (few are attached to users directly) from GetPolicy + GetPolicyVersion each.
    """
    docs: dict[str, Any] = {}
    if any(not is_aws_managed(a) for a in arns):
        listed = ctx.paginate(
            "iam", region, "get_account_authorization_details", "Policies", {"Filter": ["LocalManagedPolicy"]}
        )
        docs = {arn: doc for arn, doc in default_documents(listed or []).items() if arn in arns}
    missing = sorted(arns - set(docs))
    failures: dict[str, str] = {}
    for arn, (doc, reason) in zip(
        missing, ctx.map(lambda a: fetch_policy_document(ctx, region, a), missing), strict=True
    ):
        if reason:
            failures[arn] = reason
        else:
            docs[arn] = doc
    return docs, failures


def evaluate_admin(
    user: dict[str, Any], detail: dict[str, Any], docs: dict[str, Any], failures: dict[str, str]
) -> None:
    admin = sorted(
        {p["PolicyName"] for p in detail.get("UserPolicyList", []) if grants_admin(p.get("PolicyDocument"))}
        | {p["name"] for p in user["attached_policies"] if p["arn"] in docs and grants_admin(docs[p["arn"]])}
    )
    unknown = [failures[p["arn"]] for p in user["attached_policies"] if p["arn"] in failures]
    user["admin_policies"] = admin
    if admin or not unknown:
        user["admin_policy"] = bool(admin)  # one admin grant suffices; an unread policy cannot undo it
    else:
        mark_missing(user, ("admin_policy", "admin_policies"), unknown[0])
        user.pop("admin_policies")


def fill_keys_and_mfa(ctx: CollectContext, region: str, user: dict[str, Any]) -> None:
    keys = paginate_detail(
        ctx,
        user,
        ("access_keys",),
        "iam",
        region,
        "list_access_keys",
        "AccessKeyMetadata",
        {"UserName": user["name"]},
    )
    if keys is not None:
        user["access_keys"] = [
            {
                "id": k["AccessKeyId"],
                "id_suffix": k["AccessKeyId"][-4:],
                "status": k.get("Status"),
                "create_date": iso(k.get("CreateDate")),
                "last_used_date": None,
            }
            for k in sorted(
                keys,
                key=lambda k: (
                    k.get("CreateDate") or datetime.min.replace(tzinfo=timezone.utc),
                    k["AccessKeyId"],
                ),
            )
        ]
    devices = paginate_detail(
        ctx,
        user,
        ("mfa_active", "mfa_devices"),
        "iam",
        region,
        "list_mfa_devices",
        "MFADevices",
        {"UserName": user["name"]},
    )
    if devices is not None:
        user["mfa_devices"] = len(devices)
        user["mfa_active"] = bool(devices)


def read_credential_report(
    ctx: CollectContext, region: str, account: dict[str, Any]
) -> dict[str, dict[str, str]] | None:
    resp = ctx.call(
        "iam",
        region,
        "get_credential_report",
        resource_type=ACCOUNT,
        resource_id=account["arn"],
        not_found=REPORT_UNAVAILABLE,
    )
    rows = None
    if resp is not None and not isinstance(resp, NotFound):
        rows = parse_credential_report(resp.get("Content", b""))
    account["credential_report_generated"] = rows is not None
    return rows


def apply_report(user: dict[str, Any], row: dict[str, str]) -> None:
    """password_enabled, password_last_used and key last use from the user's report row."""
    user["password_enabled"] = row.get("password_enabled") == "true"
    user["password_last_used"] = report_date(row.get("password_last_used"))
    for key in user.get("access_keys", []):
        found, last_used = key_last_used_from_report(row, key["create_date"])
        if found:
            key["last_used_date"] = last_used
            key["from_report"] = True


def fill_without_report(
    ctx: CollectContext,
    region: str,
    user: dict[str, Any],
    password_last_used: dict[str, Any] | None,
    listing_reason: str,
) -> None:
    """The per-user calls standing in for a missing credential report row."""
    if "password_enabled" not in user:
        profile = ctx.fill_many(user,
            ("password_enabled",),
            "iam",
            region,
            "get_login_profile",
            {"UserName": user["name"]},
            not_found=("NoSuchEntity",),
        )
        if profile is not None:
            user["password_enabled"] = not isinstance(profile, NotFound)
        if password_last_used is None:
            mark_missing(user, ("password_last_used",), listing_reason)
        else:
            user["password_last_used"] = iso(password_last_used.get(user["arn"]))
    for key in user.get("access_keys", []):
        if key.pop("from_report", False):
            continue
        used = ctx.fill_many(user, ("access_keys",), "iam", region, "get_access_key_last_used", {"AccessKeyId": key["id"]}
        )
        if used is not None:
            key["last_used_date"] = iso(used.get("AccessKeyLastUsed", {}).get("LastUsedDate"))


def finish_keys(user: dict[str, Any]) -> None:
    """Drop the full key id (only the last 4 characters are kept) and working marks."""
    for key in user.get("access_keys", []):
        key.pop("id", None)
        key.pop("from_report", None)


def password_last_used_by_arn(ctx: CollectContext, region: str) -> tuple[dict[str, Any] | None, str]:
    """ListUsers' PasswordLastUsed per user ARN, or (None, the failure's reason)."""
    scope = f"arn:{ctx.partition}:iam::{ctx.account}:user/*"
    listed = ctx.paginate("iam", region, "list_users", "Users", resource_type=USER, resource_id=scope)
    if listed is None:
        return None, ctx.failure_reason("iam", region, "list_users", scope)
    return {u["Arn"]: u.get("PasswordLastUsed") for u in listed}, ""


def fill_report_gaps(ctx: CollectContext, region: str, users: list[dict[str, Any]]) -> None:
    """Per-user calls for whatever the credential report did not answer (no row, unmatched key)."""
    pending = [
        u
        for u in users
        if "password_enabled" not in u or any(not k.get("from_report") for k in u.get("access_keys", []))
    ]
    last_used: dict[str, Any] | None = {}
    reason = ""
    if any("password_enabled" not in u for u in pending):
        last_used, reason = password_last_used_by_arn(ctx, region)
    ctx.map(lambda u: fill_without_report(ctx, region, u, last_used, reason), pending)


def collect_users(ctx: CollectContext, region: str, account: dict[str, Any]) -> list[dict[str, Any]] | None:
    details = ctx.paginate(
        "iam",
        region,
        "get_account_authorization_details",
        "UserDetailList",
        {"Filter": ["User"]},
        resource_type=USER,
    )
    if details is None:
        return None
    users = [normalise_user(d) for d in details]
    attached = {p["arn"] for u in users for p in u["attached_policies"]}
    docs, failures = managed_policy_documents(ctx, region, attached) if attached else ({}, {})
    for user, detail in zip(users, details, strict=True):
        evaluate_admin(user, detail, docs, failures)
    ctx.map(lambda u: fill_keys_and_mfa(ctx, region, u), users)
    rows = read_credential_report(ctx, region, account) or {}
    for user in users:
        if user["arn"] in rows:
            apply_report(user, rows[user["arn"]])
    fill_report_gaps(ctx, region, users)
    for user in users:
        finish_keys(user)
    return users


@collector("iam", types=(ACCOUNT, USER), scope="global")
def collect_iam(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    # Started first so AWS builds the report while the other calls run; its result is read last.
    ctx.call(
        "iam",
        region,
        "generate_credential_report",
        resource_type=ACCOUNT,
        resource_id=f"arn:{ctx.partition}:iam::{ctx.account}:root",
    )
    account = collect_account(ctx, region)
    users = collect_users(ctx, region, account)
    if "credential_report_generated" not in account:  # the user listing failed before the report was read
        read_credential_report(ctx, region, account)
    out: dict[str, list[dict[str, Any]]] = {ACCOUNT: [account]}
    if users is not None:
        out[USER] = users
    return out
