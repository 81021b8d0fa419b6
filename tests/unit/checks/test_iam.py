"""Cases for the IAM checks (checks/iam.py). Dates are relative to now: the Case snapshots are
taken now, and the checks measure ages against the snapshot's taken_at."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tests.helpers import ACCOUNT, Case

ACCOUNT_TYPE = "iam.account"
USER = "iam.user"
NOW = datetime.now(timezone.utc)
POLICY = {"minimum_length": 14, "require_symbols": True, "require_numbers": True, "require_uppercase": True,
          "require_lowercase": True, "allow_users_to_change": True, "expire_passwords": False, "max_age_days": None,
          "reuse_prevention": 24, "hard_expiry": False}


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def account(**fields: Any) -> dict[str, list[dict[str, Any]]]:
    record = {"id": ACCOUNT, "name": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "region": "global", "tags": {},
              "root_mfa_enabled": True, "root_access_keys_present": False, "password_policy": dict(POLICY),
              "credential_report_generated": True}
    errors = fields.pop("errors", None)
    record.update(fields)
    if errors:
        record["errors"] = errors
        for field in errors:
            record.pop(field, None)
    return {ACCOUNT_TYPE: [record]}


def key(age_days: float, last_used_days: float | None = None, status: str = "Active", suffix: str = "ABCD") -> dict[str, Any]:
    return {"id_suffix": suffix, "status": status, "create_date": ago(age_days),
            "last_used_date": ago(last_used_days) if last_used_days is not None else None}


def user(name: str = "alice", *, password: bool = True, mfa: bool = True, keys: list[dict[str, Any]] | None = None,
         created_days: float = 30, password_used_days: float | None = 1, admin: list[str] | None = None,
         errors: dict[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    record = {"name": name, "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "region": "global", "user_id": "AIDA" + name.upper(),
              "create_date": ago(created_days), "password_enabled": password,
              "password_last_used": ago(password_used_days) if password and password_used_days is not None else None,
              "mfa_active": mfa, "mfa_devices": int(mfa), "access_keys": list(keys or []),
              "attached_policies": [], "inline_policy_names": [], "admin_policy": bool(admin),
              "admin_policies": sorted(admin or []), "tags": {}}
    if errors:
        record["errors"] = errors
        for field in errors:
            record.pop(field, None)
    return {USER: [record]}


def pol(**changes: Any) -> dict[str, Any]:
    return {**POLICY, **changes}


CASES = [
    # ----- root
    Case("iam.root_mfa", "root has MFA", account(), ["PASS"]),
    Case("iam.root_mfa", "root without MFA", account(root_mfa_enabled=False), ["FAIL"],
         message_contains=f"The root user of AWS account {ACCOUNT} has no MFA device."),
    Case("iam.root_mfa", "summary unread", account(errors={"root_mfa_enabled": "iam:GetAccountSummary failed"}), ["ERROR"]),
    Case("iam.root_access_keys", "no root keys", account(), ["PASS"]),
    Case("iam.root_access_keys", "root keys present", account(root_access_keys_present=True), ["FAIL"],
         message_contains="has access keys."),
    Case("iam.root_access_keys", "summary unread",
         account(errors={"root_access_keys_present": "iam:GetAccountSummary failed"}), ["ERROR"]),

    # ----- password policy
    Case("iam.password_policy", "14 characters and reuse prevention", account(), ["PASS"]),
    Case("iam.password_policy", "exactly 14 and remembers 1", account(password_policy=pol(reuse_prevention=1)), ["PASS"]),
    Case("iam.password_policy", "no policy", account(password_policy=None), ["FAIL"],
         message_contains="has no IAM password policy"),
    Case("iam.password_policy", "too short", account(password_policy=pol(minimum_length=8)), ["FAIL"],
         message_contains="allows 8-character passwords (fewer than 14)."),
    Case("iam.password_policy", "reuse allowed", account(password_policy=pol(reuse_prevention=None)), ["FAIL"],
         message_contains="does not prevent password reuse."),
    Case("iam.password_policy", "both", account(password_policy=pol(minimum_length=8, reuse_prevention=None)), ["FAIL"],
         message_contains="allows 8-character passwords (fewer than 14) and does not prevent password reuse."),
    Case("iam.password_policy", "policy unread", account(errors={"password_policy": "iam:GetAccountPasswordPolicy failed"}),
         ["ERROR"]),

    # ----- console MFA
    Case("iam.user_console_mfa", "password and MFA", user(), ["PASS"]),
    Case("iam.user_console_mfa", "password without MFA", user(mfa=False), ["FAIL"],
         message_contains="IAM user alice has a console password but no MFA device."),
    Case("iam.user_console_mfa", "no console password: no finding", user(password=False, mfa=False), []),
    Case("iam.user_console_mfa", "MFA devices unread", user(errors={"mfa_active": "iam:ListMFADevices failed"}), ["ERROR"]),

    # ----- access key rotation
    Case("iam.access_key_rotation", "young key", user(keys=[key(10, 1)]), ["PASS"]),
    Case("iam.access_key_rotation", "old active key", user("deploy-bot", keys=[key(200.5, 1)]), ["FAIL"],
         message_contains="IAM user deploy-bot has 1 active access key(s) 90 days old or older: …ABCD (200 days)."),
    Case("iam.access_key_rotation", "89 days passes, 90 fails", user(keys=[key(89.5), key(90.01, suffix="WXYZ")]), ["FAIL"],
         message_contains="…WXYZ (90 days)"),
    Case("iam.access_key_rotation", "old inactive key is not judged", user(keys=[key(400, status="Inactive"), key(5)]),
         ["PASS"]),
    Case("iam.access_key_rotation", "no active key: no finding", user(keys=[key(400, status="Inactive")]), []),
    Case("iam.access_key_rotation", "custom max age", user(keys=[key(40)]), ["FAIL"], params={"max_key_age_days": 30}),
    Case("iam.access_key_rotation", "keys unread", user(errors={"access_keys": "iam:ListAccessKeys failed"}), ["ERROR"]),

    # ----- unused credentials
    Case("iam.user_unused_credentials", "password and key recently used", user(keys=[key(200, 2)]), ["PASS"]),
    Case("iam.user_unused_credentials", "password unused for 120 days", user(password_used_days=120), ["FAIL"],
         message_contains="console password unused since"),
    Case("iam.user_unused_credentials", "password never used, user created 100 days ago",
         user(password_used_days=None, created_days=100), ["FAIL"],
         message_contains="console password never used since the user was created on"),
    Case("iam.user_unused_credentials", "password never used, user created 10 days ago",
         user(password_used_days=None, created_days=10), ["PASS"]),
    Case("iam.user_unused_credentials", "key never used, created 200 days ago",
         user("deploy-bot", password=False, keys=[key(200)]), ["FAIL"],
         message_contains="access key …ABCD never used since its creation on"),
    Case("iam.user_unused_credentials", "key never used, created 20 days ago", user(password=False, keys=[key(20)]), ["PASS"]),
    Case("iam.user_unused_credentials", "key last used 95 days ago", user(keys=[key(300, 95)]), ["FAIL"],
         message_contains="access key …ABCD unused since"),
    Case("iam.user_unused_credentials", "an unused inactive key is not a credential", user(keys=[key(300, status="Inactive")]),
         ["PASS"]),
    Case("iam.user_unused_credentials", "no password and no active key: no finding",
         user(password=False, keys=[key(300, status="Inactive")]), []),
    Case("iam.user_unused_credentials", "custom window", user(password_used_days=40), ["FAIL"], params={"max_unused_days": 30}),
    Case("iam.user_unused_credentials", "password use unknown",
         user(errors={"password_last_used": "iam:ListUsers failed"}), ["ERROR"]),

    # ----- admin policy
    Case("iam.user_admin_policy", "no admin policy", user(), ["PASS"]),
    Case("iam.user_admin_policy", "admin policy attached", user("deploy-bot", admin=["shop-deploy-admin"]), ["FAIL"],
         message_contains="IAM user deploy-bot has a policy granting Action * on Resource * attached directly: shop-deploy-admin."),
    Case("iam.user_admin_policy", "policy unread", user(errors={"admin_policy": "iam:GetPolicyVersion failed"}), ["ERROR"]),
]
