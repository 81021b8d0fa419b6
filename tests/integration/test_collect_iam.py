"""IAM collector against moto: the account record, users' credentials (credential report and
its per-user fallback), admin policies read once, and the gaps denied calls leave."""

from __future__ import annotations

import json

import boto3
import botocore.exceptions
import pytest

from opsctl.collect.iam import grants_admin, key_last_used_from_report, parse_credential_report, report_date

ACCOUNT = "iam.account"
USER = "iam.user"
ADMIN_DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
S3_DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}}
)


def refuse_with(code: str, operation: str):
    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": code, "Message": f"refused by test: {operation}"}}, operation
        )

    return refuse


def seed_users(iam):
    iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=5)
    admin = iam.create_policy(PolicyName="shop-deploy-admin", PolicyDocument=ADMIN_DOC)["Policy"]["Arn"]
    iam.create_user(UserName="deploy-bot", Tags=[{"Key": "tier", "Value": "ops"}])
    key = iam.create_access_key(UserName="deploy-bot")["AccessKey"]["AccessKeyId"]
    iam.attach_user_policy(UserName="deploy-bot", PolicyArn=admin)
    iam.put_user_policy(UserName="deploy-bot", PolicyName="assets", PolicyDocument=S3_DOC)
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Sh0p!passw0rd")
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Sh0p!passw0rd")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="bob", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    iam.create_user(UserName="carol")
    iam.put_user_policy(UserName="carol", PolicyName="break-glass", PolicyDocument=ADMIN_DOC)
    return admin, key


def test_account_record(collect_services):
    iam = boto3.client("iam", region_name="us-east-1")
    seed_users(iam)

    snap = collect_services(["iam"])

    (account,) = snap.of_type(ACCOUNT)
    assert account["arn"] == "arn:aws:iam::123456789012:root" and account["region"] == "global"
    assert account["root_mfa_enabled"] is False and account["root_access_keys_present"] is False
    assert account["account_summary"]["Users"] == 4
    assert (
        account["password_policy"]["minimum_length"] == 8
        and account["password_policy"]["reuse_prevention"] == 5
    )
    assert (
        account["password_policy"]["require_symbols"] is False
        and account["password_policy"]["max_age_days"] is None
    )
    assert account["credential_report_generated"] is True
    assert snap.collected[ACCOUNT] == ["global"] and snap.collected[USER] == ["global"] and not snap.coverage


def test_no_password_policy_is_data(collect_services):
    snap = collect_services(["iam"])

    (account,) = snap.of_type(ACCOUNT)
    assert account["password_policy"] is None and "errors" not in account
    assert snap.of_type(USER) == [] and not snap.coverage


def test_user_fields(collect_services):
    iam = boto3.client("iam", region_name="us-east-1")
    admin, key = seed_users(iam)

    snap = collect_services(["iam"])

    users = {u["name"]: u for u in snap.of_type(USER)}
    bot = users["deploy-bot"]
    assert (
        bot["arn"] == "arn:aws:iam::123456789012:user/deploy-bot"
        and bot["region"] == "global"
        and bot["user_id"]
    )
    assert bot["password_enabled"] is False and bot["password_last_used"] is None
    assert bot["mfa_active"] is False and bot["mfa_devices"] == 0
    (k,) = bot["access_keys"]
    assert k == {
        "id_suffix": key[-4:],
        "status": "Active",
        "create_date": k["create_date"],
        "last_used_date": None,
    }
    assert bot["attached_policies"] == [{"name": "shop-deploy-admin", "arn": admin}]
    assert bot["inline_policy_names"] == ["assets"]
    assert bot["admin_policy"] is True and bot["admin_policies"] == ["shop-deploy-admin"]
    assert bot["tags"] == {"tier": "ops"}

    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    assert alice["password_enabled"] is True and alice["mfa_active"] is False and alice["access_keys"] == []
    assert alice["admin_policy"] is False and alice["admin_policies"] == []
    assert bob["password_enabled"] is True and bob["mfa_active"] is True and bob["mfa_devices"] == 1
    assert (
        carol["admin_policy"] is True
        and carol["admin_policies"] == ["break-glass"]
        and carol["password_enabled"] is False
    )
    assert key not in snap.to_json()  # only the last 4 characters of a key id are kept


def test_managed_policy_is_read_once_for_many_users(collect_services, moto_aws):
    iam = boto3.client("iam", region_name="us-east-1")
    admin = iam.create_policy(PolicyName="shop-admin", PolicyDocument=ADMIN_DOC)["Policy"]["Arn"]
    for i in range(5):
        iam.create_user(UserName=f"ops{i}")
        iam.attach_user_policy(UserName=f"ops{i}", PolicyArn=admin)
    calls = []
    moto_aws.session.events.register("before-call.iam.*", lambda model, **_: calls.append(model.name))

    snap = collect_services(["iam"])

    assert all(u["admin_policy"] for u in snap.of_type(USER))
    assert calls.count("GetAccountAuthorizationDetails") == 2  # users, then customer-managed policies
    assert "GetPolicy" not in calls and "GetPolicyVersion" not in calls
    assert calls.count("GetCredentialReport") == 1 and "GetLoginProfile" not in calls  # the report answered


def test_aws_managed_policy_is_fetched_by_arn_once(collect_services, moto_aws, monkeypatch):
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    iam = boto3.client("iam", region_name="us-east-1")
    for name in ("root-like", "also-admin"):
        iam.create_user(UserName=name)
        iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_user(UserName="reader")
    iam.attach_user_policy(UserName="reader", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    calls = []
    moto_aws.session.events.register("before-call.iam.*", lambda model, **_: calls.append(model.name))

    snap = collect_services(["iam"])

    users = {u["name"]: u for u in snap.of_type(USER)}
    assert users["root-like"]["admin_policy"] and users["also-admin"]["admin_policies"] == [
        "AdministratorAccess"
    ]
    assert users["reader"]["admin_policy"] is False
    assert calls.count("GetPolicy") == 2 and calls.count("GetPolicyVersion") == 2  # two distinct ARNs
    assert calls.count("GetAccountAuthorizationDetails") == 1  # no customer-managed policy to list


@pytest.mark.parametrize("code", ["ReportInProgress", "AccessDenied"])
def test_without_the_credential_report_users_are_filled_per_user(collect_services, moto_aws, code):
    iam = boto3.client("iam", region_name="us-east-1")
    seed_users(iam)
    moto_aws.session.events.register(
        "before-call.iam.GetCredentialReport", refuse_with(code, "GetCredentialReport")
    )
    calls = []
    moto_aws.session.events.register("before-call.iam.*", lambda model, **_: calls.append(model.name))

    snap = collect_services(["iam"])

    (account,) = snap.of_type(ACCOUNT)
    assert account["credential_report_generated"] is False
    users = {u["name"]: u for u in snap.of_type(USER)}
    assert users["alice"]["password_enabled"] is True and users["deploy-bot"]["password_enabled"] is False
    assert all("errors" not in u for u in users.values())
    assert users["deploy-bot"]["access_keys"][0]["last_used_date"] is None
    assert (
        calls.count("GetLoginProfile") == 4
        and calls.count("GetAccessKeyLastUsed") == 1
        and calls.count("ListUsers") == 1
    )
    gaps = [(g.operation, g.error_code) for g in snap.coverage]
    # "not ready yet" is no failure: the fallback covers it; a denied report is a recorded gap
    assert gaps == ([] if code == "ReportInProgress" else [("GetCredentialReport", "AccessDenied")])


def test_denied_user_listing_is_a_gap_and_the_account_is_still_collected(collect_services, moto_aws):
    seed_users(boto3.client("iam", region_name="us-east-1"))
    moto_aws.session.events.register(
        "before-call.iam.GetAccountAuthorizationDetails",
        refuse_with("AccessDenied", "GetAccountAuthorizationDetails"),
    )

    snap = collect_services(["iam"])

    assert "global" not in snap.collected.get(USER, []) and snap.collected[ACCOUNT] == ["global"]
    (gap,) = snap.listing_gaps(USER)
    assert (gap.operation, gap.error_code, gap.region) == (
        "GetAccountAuthorizationDetails",
        "AccessDenied",
        "global",
    )
    (account,) = snap.of_type(ACCOUNT)
    assert account["root_mfa_enabled"] is False and account["credential_report_generated"] is True


def test_denied_mfa_listing_marks_mfa_fields_missing(collect_services, moto_aws):
    seed_users(boto3.client("iam", region_name="us-east-1"))
    moto_aws.session.events.register(
        "before-call.iam.ListMFADevices", refuse_with("AccessDenied", "ListMFADevices")
    )

    snap = collect_services(["iam"])

    for user in snap.of_type(USER):
        assert (
            set(user["errors"]) == {"mfa_active", "mfa_devices"}
            and "ListMFADevices" in user["errors"]["mfa_active"]
        )
        assert "password_enabled" in user


# ----- pure helpers -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("statement", "admin"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": ["*"]}, True),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::shop-assets/*"}, False),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, False),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, False),
    ],
)
def test_grants_admin(statement, admin):
    assert grants_admin({"Statement": [statement]}) is admin
    assert grants_admin({"Statement": statement}) is admin  # a single statement object
    assert (
        grants_admin("%7B%22Statement%22%3A%20" + json.dumps(statement).replace('"', "%22") + "%7D") is admin
    )  # URL-encoded JSON


def test_credential_report_parsing_and_key_matching():
    csv_text = (
        "user,arn,password_enabled,password_last_used,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date\n"
        "<root_account>,arn:aws:iam::123456789012:root,not_supported,2024-01-01T00:00:00+00:00,false,N/A,N/A,false,N/A,N/A\n"
        "bot,arn:aws:iam::123456789012:user/bot,false,N/A,true,2024-02-01T10:00:00+00:00,2024-03-01T08:00:00+00:00,"
        "true,2024-02-05T10:00:00+00:00,N/A\n"
    )
    rows = parse_credential_report(csv_text.encode())
    assert list(rows) == ["arn:aws:iam::123456789012:user/bot"]
    row = rows["arn:aws:iam::123456789012:user/bot"]
    assert key_last_used_from_report(row, "2024-02-01T10:00:00.123000+00:00") == (
        True,
        "2024-03-01T08:00:00+00:00",
    )
    assert key_last_used_from_report(row, "2024-02-05T10:00:00+00:00") == (True, None)
    assert key_last_used_from_report(row, "2024-06-01T00:00:00+00:00") == (False, None)
    assert report_date("no_information") is None and report_date("N/A") is None
