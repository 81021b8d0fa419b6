"""IAM checks (CATALOGUE.md, "Identity and keys"): the root user, the password policy, and each
user's MFA, access keys, unused credentials and directly attached administrator policies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from opsctl.checks._time import parse_time, taken_at

from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, check

ACCOUNT = "iam.account"
USER = "iam.user"
#: The catalogue's password policy floor (CIS AWS Foundations 1.8 asks for 14 characters).
MIN_PASSWORD_LENGTH = 14


def root_subject(account: dict[str, Any]) -> str:
    return f"The root user of AWS account {account['id']}"


# ----- account ------------------------------------------------------------------------------------
@check(id="iam.root_mfa", title="Root user has MFA", pillar="security", severity="critical", resource_type=ACCOUNT)
def root_mfa(account: dict[str, Any], ctx: CheckContext):
    """The root user can do anything, closing the account included: a password alone must not be enough."""
    if ctx.need(account, "root_mfa_enabled"):
        return PASS(f"{root_subject(account)} has MFA enabled.")
    return FAIL(f"{root_subject(account)} has no MFA device.")


@check(id="iam.root_access_keys", title="Root user has no access keys", pillar="security", severity="critical",
       resource_type=ACCOUNT)
def root_access_keys(account: dict[str, Any], ctx: CheckContext):
    """A leaked root access key gives full, unrestrictable control of the account to whoever finds it."""
    if ctx.need(account, "root_access_keys_present"):
        return FAIL(f"{root_subject(account)} has access keys.")
    return PASS(f"{root_subject(account)} has no access keys.")


@check(id="iam.password_policy", title="Password policy requires 14 characters and prevents reuse",
       pillar="security", severity="medium", resource_type=ACCOUNT)
def password_policy(account: dict[str, Any], ctx: CheckContext):
    """Short or recycled IAM passwords fall to guessing and credential stuffing."""
    policy = ctx.need(account, "password_policy")
    subject = f"AWS account {account['id']}"
    if policy is None:
        return FAIL(f"{subject} has no IAM password policy, so AWS's default (8 characters, reuse allowed) applies.")
    length = policy.get("minimum_length") or 0
    reuse = policy.get("reuse_prevention") or 0
    problems = []
    if length < MIN_PASSWORD_LENGTH:
        problems.append(f"allows {length}-character passwords (fewer than {MIN_PASSWORD_LENGTH})")
    if not reuse:
        problems.append("does not prevent password reuse")
    if problems:
        return FAIL(f"The password policy of {subject} {' and '.join(problems)}.",
                    minimum_length=length, reuse_prevention=reuse or None)
    return PASS(f"The password policy of {subject} requires {length} characters and prevents reuse of the last {reuse} password(s).",
                minimum_length=length, reuse_prevention=reuse)


# ----- users --------------------------------------------------------------------------------------
@check(id="iam.user_console_mfa", title="IAM user with a console password has MFA", pillar="security", severity="high",
       resource_type=USER)
def user_console_mfa(user: dict[str, Any], ctx: CheckContext):
    """A phished console password is a signed-in attacker unless a second factor is needed."""
    if not ctx.need(user, "password_enabled"):
        return None  # no console access
    if ctx.need(user, "mfa_active"):
        return PASS(f"IAM user {user['name']} has a console password and MFA.")
    return FAIL(f"IAM user {user['name']} has a console password but no MFA device.")


def active_keys(user: dict[str, Any], ctx: CheckContext) -> list[dict[str, Any]]:
    return [k for k in ctx.need(user, "access_keys") if k.get("status") == "Active"]


def key_created(user: dict[str, Any], key: dict[str, Any]) -> datetime:
    if not key.get("create_date"):
        raise MissingData(f"the creation date of access key …{key.get('id_suffix')} of IAM user {user['name']} is unknown")
    return parse_time(key["create_date"])


@check(id="iam.access_key_rotation", title="Active access keys are rotated", pillar="security", severity="medium",
       resource_type=USER, params={"max_key_age_days": 90})
def access_key_rotation(user: dict[str, Any], ctx: CheckContext):
    """The older a key, the more places it has been copied to, and the longer a leaked one stays valid."""
    keys = active_keys(user, ctx)
    if not keys:
        return None  # no active key to rotate
    limit = int(ctx.params["max_key_age_days"])
    now = taken_at(ctx)
    ages = {f"…{k.get('id_suffix')}": (now - key_created(user, k)).days for k in keys}
    old = {key: days for key, days in ages.items() if days >= limit}
    name = user["name"]
    if old:
        listed = ", ".join(f"{key} ({days} days)" for key, days in old.items())
        return FAIL(f"IAM user {name} has {len(old)} active access key(s) {limit} days old or older: {listed}.",
                    key_ages_days=ages, max_key_age_days=limit)
    return PASS(f"IAM user {name} has {len(keys)} active access key(s), all younger than {limit} days.",
                key_ages_days=ages)


def stale_password(user: dict[str, Any], ctx: CheckContext, now: datetime, limit: timedelta) -> str | None:
    """'console password unused since …' when the password is unused beyond the limit, else None.

    A never-used password counts from the user's creation: the snapshot has no date for the
    password itself, and it cannot be older than its user.
    """
    if not ctx.need(user, "password_enabled"):
        return None
    last = ctx.need(user, "password_last_used")
    since = parse_time(last or ctx.need(user, "create_date"))
    if now - since <= limit:
        return None
    if last:
        return f"console password unused since {since.date().isoformat()}"
    return f"console password never used since the user was created on {since.date().isoformat()}"


def stale_keys(user: dict[str, Any], ctx: CheckContext, now: datetime, limit: timedelta) -> list[str]:
    """One phrase per active key unused beyond the limit (a never-used key counts from its creation)."""
    out = []
    for key in active_keys(user, ctx):
        last = key.get("last_used_date")
        since = parse_time(last) if last else key_created(user, key)
        if now - since > limit:
            how = "unused since" if last else "never used since its creation on"
            out.append(f"access key …{key.get('id_suffix')} {how} {since.date().isoformat()}")
    return out


@check(id="iam.user_unused_credentials", title="IAM user has no long-unused credentials", pillar="security",
       severity="medium", resource_type=USER, params={"max_unused_days": 90})
def user_unused_credentials(user: dict[str, Any], ctx: CheckContext):
    """A credential nobody uses is pure risk: it can only be used by someone it was not meant for."""
    has_password = ctx.need(user, "password_enabled")
    if not has_password and not active_keys(user, ctx):
        return None  # no password and no active key: nothing that can sign in
    days = int(ctx.params["max_unused_days"])
    now, limit = taken_at(ctx), timedelta(days=days)
    stale = [p for p in [stale_password(user, ctx, now, limit)] if p] + stale_keys(user, ctx, now, limit)
    name = user["name"]
    if stale:
        return FAIL(f"IAM user {name} has credentials unused for more than {days} days: {'; '.join(stale)}.",
                    unused=stale, max_unused_days=days)
    return PASS(f"IAM user {name} used each of its credentials within the last {days} days, or created it since.")


@check(id="iam.user_admin_policy", title="No administrator policy is attached to an IAM user directly",
       pillar="security", severity="high", resource_type=USER)
def user_admin_policy(user: dict[str, Any], ctx: CheckContext):
    """Full administrator rights on a user (not a role or group) are long-lived, personal and rarely reviewed."""
    if ctx.need(user, "admin_policy"):
        policies = user.get("admin_policies") or []
        return FAIL(f"IAM user {user['name']} has a policy granting Action * on Resource * attached directly: "
                    f"{', '.join(policies)}.", admin_policies=policies)
    return PASS(f"IAM user {user['name']} has no policy granting Action * on Resource * attached directly.")
