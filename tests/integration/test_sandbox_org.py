"""The sandbox organisation (opsctl/sandbox_seed/org.py) on the sandbox server, and the STS patch
it relies on (moto_patches, patch 6): AssumeRole into a role that does not exist is AccessDenied."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from opsctl import sandbox
from opsctl.sandbox_seed import moto_patches
from opsctl.sandbox_seed import org as sandbox_org
from tests.integration.test_sandbox_e2e import OPSCTL

pytestmark = pytest.mark.slow

N = 8  # the smallest organisation with every kind of account
ROLE = sandbox_org.AUDIT_ROLE
REACHABLE = (sandbox_org.REFERENCE, sandbox_org.DATA_ONLY, sandbox_org.COMPUTE_ONLY, sandbox_org.IDLE)


def client(url, service, credentials=None, region="us-east-1"):
    creds = credentials or {"AccessKeyId": "sandbox", "SecretAccessKey": "sandbox"}
    return boto3.client(service, region_name=region, endpoint_url=url, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds.get("SessionToken"))


def assume(url, account_id, role=ROLE, credentials=None):
    return client(url, "sts", credentials).assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role}",
                                                       RoleSessionName="opsctl-test")["Credentials"]


def tags(tag_list):
    return {t["Key"]: t["Value"] for t in tag_list or []}


def test_outside_the_sandbox_moto_assumes_any_role_as_before():
    """Runs before the module's server exists: the patch holds only while someone applies it."""
    from moto import mock_aws
    from moto.sts.responses import TokenResponse

    assert not moto_patches.is_applied()
    original = TokenResponse.assume_role
    missing = "arn:aws:iam::123456789012:role/NoSuchRole"
    with mock_aws():
        sts = boto3.client("sts", region_name="us-east-1")
        boto3.client("iam", region_name="us-east-1").create_user(UserName="someone")  # the account is known
        with moto_patches.patched():
            with pytest.raises(ClientError) as denied:
                sts.assume_role(RoleArn=missing, RoleSessionName="in-process")
            assert denied.value.response["Error"]["Code"] == "AccessDenied"
        assert sts.assume_role(RoleArn=missing, RoleSessionName="in-process")["AssumedRoleUser"]["Arn"] == (
            "arn:aws:sts::123456789012:assumed-role/NoSuchRole/in-process")
    assert TokenResponse.assume_role is original


@pytest.fixture(scope="module")
def org():
    """An organisation of 4, then (after a reset) one of N, both seeded on one sandbox server."""
    with sandbox.running_server() as url:
        small = sandbox_org.seed_organization(url, 4)
        sandbox.moto_api(url, "reset")
        seeded = sandbox_org.seed_organization(url, N)
        yield url, seeded, small


def test_the_org_lists_every_account_with_its_state_and_ou(org):
    url, seeded, _ = org
    orgs = client(url, "organizations")
    described = orgs.describe_organization()["Organization"]
    assert (described["Id"], described["MasterAccountId"], described["FeatureSet"]) == (
        seeded.org_id, sandbox.ACCOUNT, "ALL")
    listed = {a["Id"]: a for page in orgs.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    assert len(listed) == N and set(listed) == {a.id for a in seeded.accounts}
    for account in seeded.accounts:
        expected = "SUSPENDED" if account.kind == sandbox_org.SUSPENDED else "ACTIVE"
        assert (account.state, listed[account.id]["State"], listed[account.id]["Status"]) == (expected,) * 3, account
        assert listed[account.id]["Name"] == account.name
    assert [a.kind for a in seeded.accounts].count(sandbox_org.SUSPENDED) == 1
    assert [a.kind for a in seeded.accounts].count(sandbox_org.MISSING_ROLE) == 1
    assert seeded.management.id == seeded.management_account_id == sandbox.ACCOUNT

    names = {"Root": orgs.list_roots()["Roots"][0]["Id"]}
    ou_names = {names["Root"]: "Root"}
    for path in sandbox_org.OU_PATHS:  # parents first
        parent, _, name = path.rpartition("/")
        [ou] = [o for o in orgs.list_organizational_units_for_parent(ParentId=names[parent])["OrganizationalUnits"]
                if o["Name"] == name]
        names[path], ou_names[ou["Id"]] = ou["Id"], path
    for account in seeded.accounts:
        [parent] = orgs.list_parents(ChildId=account.id)["Parents"]
        assert ou_names[parent["Id"]] == account.ou_path, account


def test_each_reachable_member_holds_its_own_resources_only(org):
    url, seeded, _ = org
    management_buckets = {b["Name"] for b in client(url, "s3").list_buckets()["Buckets"]}
    assert f"3d-shop-assets-{sandbox.ACCOUNT}" in management_buckets
    reached = set()
    for member in seeded.members:
        if member.kind not in REACHABLE:
            continue
        creds = assume(url, member.id)
        assert client(url, "sts", creds).get_caller_identity()["Account"] == member.id
        buckets = {b["Name"] for b in client(url, "s3", creds).list_buckets()["Buckets"]}
        ec2 = client(url, "ec2", creds)
        volumes = {tags(v.get("Tags")).get("Name") for v in ec2.describe_volumes()["Volumes"]}
        groups = {g["AutoScalingGroupName"] for g in client(url, "autoscaling", creds).describe_auto_scaling_groups()["AutoScalingGroups"]}
        own = {
            sandbox_org.REFERENCE: f"3d-shop-assets-{member.id}" in buckets and "shop-web-asg" in groups,
            sandbox_org.DATA_ONLY: buckets == {f"3d-shop-datalake-{member.id}", f"3d-shop-partner-share-{member.id}"},
            sandbox_org.COMPUTE_ONLY: groups == {"batch-asg"} and "batch-scratch" in volumes and not buckets,
            sandbox_org.IDLE: "dev-scratch" in volumes and not buckets and not groups,
        }[member.kind]
        assert own, (member, buckets, groups, volumes)
        assert not buckets & management_buckets, member  # nothing of the management account shows here…
        assert not any(member.id in b for b in management_buckets)  # … and nothing of the member there
        reached.add(member.kind)
    assert reached == set(REACHABLE)
    assert len(seeded.of_kind(sandbox_org.REFERENCE)) == 3  # the management account, shop-prod, shop-staging


def test_the_variants_carry_their_defects_and_the_tags(org):
    url, seeded, _ = org
    [data] = seeded.of_kind(sandbox_org.DATA_ONLY)
    creds = assume(url, data.id)
    s3 = client(url, "s3", creds)
    assert s3.get_bucket_policy_status(Bucket=f"3d-shop-partner-share-{data.id}")["PolicyStatus"]["IsPublic"] is True
    lake = f"3d-shop-datalake-{data.id}"
    assert s3.get_public_access_block(Bucket=lake)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert tags(s3.get_bucket_tagging(Bucket=lake)["TagSet"]) == {"app": "3d-shop", "tier": "assets", "Name": lake}
    ddb = client(url, "dynamodb", creds)

    def pitr(table):
        return ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
            "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]

    assert (pitr("orders-archive"), pitr("events-raw")) == ("ENABLED", "DISABLED")

    [batch] = seeded.of_kind(sandbox_org.COMPUTE_ONLY)
    creds = assume(url, batch.id)
    [group] = client(url, "autoscaling", creds).describe_auto_scaling_groups()["AutoScalingGroups"]
    assert len(group["AvailabilityZones"]) == 1 and tags(group["Tags"])["app"] == "3d-shop"
    [scratch] = client(url, "ec2", creds).describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["batch-scratch"]}])["Volumes"]
    assert scratch["Encrypted"] is False and scratch["Attachments"][0]["InstanceId"] == group["Instances"][0]["InstanceId"]

    [idle] = seeded.of_kind(sandbox_org.IDLE)
    ec2 = client(url, "ec2", assume(url, idle.id))
    [volume] = ec2.describe_volumes()["Volumes"]
    [address] = ec2.describe_addresses()["Addresses"]
    assert (volume["State"], volume["Encrypted"], tags(volume["Tags"])["tier"]) == ("available", True, "compute")
    assert "AssociationId" not in address and tags(address["Tags"]) == {"app": "3d-shop", "tier": "compute", "Name": "dev-spare-eip"}


def test_assume_role_into_the_member_without_the_audit_role_is_access_denied(org):
    url, seeded, _ = org
    [missing] = seeded.of_kind(sandbox_org.MISSING_ROLE)
    assert missing.state == "ACTIVE"
    caller = client(url, "sts").get_caller_identity()["Arn"]
    role = f"arn:aws:iam::{missing.id}:role/{ROLE}"
    with pytest.raises(ClientError) as denied:
        assume(url, missing.id)
    error = denied.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"] == {"Type": "Sender", "Code": "AccessDenied",
                              "Message": f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"}
    # The account itself is reachable through the role it was created with: the patch checks the role.
    legacy = assume(url, missing.id, sandbox_org.LEGACY_ROLE)
    assert f"3d-shop-partner-share-{missing.id}" in {b["Name"] for b in client(url, "s3", legacy).list_buckets()["Buckets"]}
    # From inside another account the message names that caller (an assumed role).
    member = next(a for a in seeded.members if a.kind == sandbox_org.DATA_ONLY)
    inside = assume(url, member.id)
    with pytest.raises(ClientError, match=f"User: arn:aws:sts::{member.id}:assumed-role/{ROLE}/opsctl-test is not authorized"):
        assume(url, missing.id, credentials=inside)


def test_the_patch_only_judges_roles_of_accounts_this_moto_knows(org):
    url, seeded, _ = org
    # An account moto never saw: assumed as before (the patch cannot know its roles).
    assert assume(url, "210987654321", "Auditor")["AccessKeyId"]
    assert assume(url, "210987654321", "Auditor")["AccessKeyId"]  # and still, once moto holds its access key
    # The management account is known: its real roles work, a made-up one does not.
    assert assume(url, sandbox.ACCOUNT, "shop-functions-exec")["AccessKeyId"]
    with pytest.raises(ClientError, match="AccessDenied"):
        assume(url, sandbox.ACCOUNT, "NoSuchRole")


def test_the_suspended_member_is_suspended(org):
    url, seeded, _ = org
    [closed] = seeded.of_kind(sandbox_org.SUSPENDED)
    account = client(url, "organizations").describe_account(AccountId=closed.id)["Account"]
    assert (closed.name, closed.ou_path, account["State"], account["Status"]) == (
        "sandbox-retired", "Root/Suspended", "SUSPENDED", "SUSPENDED")


def test_names_ous_and_kinds_are_deterministic(org):
    _, seeded, small = org

    def shape(org_seed):
        return [(a.name, a.ou_path, a.kind, a.state) for a in org_seed.accounts]

    assert shape(small) == shape(seeded)[:4]
    assert [(a.name, a.ou_path, a.kind) for a in seeded.members] == sandbox_org.layout(N)
    assert sandbox_org.layout(50) == sandbox_org.layout(50) and sandbox_org.layout(50)[:N - 1] == sandbox_org.layout(N)
    assert {kind for _, _, kind in sandbox_org.layout(N)} | {"reference"} == set(sandbox_org.KINDS)
    names = [name for name, _, _ in sandbox_org.layout(sandbox_org.MAX_ACCOUNTS)]
    assert len(set(names)) == len(names) == sandbox_org.MAX_ACCOUNTS - 1
    assert seeded.table()[0].split() == ["id", "name", "OU", "kind", "state"]
    assert seeded.table()[1].split() == [sandbox.ACCOUNT, "master", "Root", "reference", "(management)", "ACTIVE"]


@pytest.mark.parametrize("accounts", ["3", "201", "-1"])
def test_an_org_size_out_of_range_is_a_one_line_exit_2_error(accounts):
    from click.testing import CliRunner

    from opsctl.cli import cli

    result = CliRunner().invoke(cli, ["sandbox", "up", "--accounts", accounts])
    assert result.exit_code == 2
    assert result.output == (f"opsctl: --accounts {accounts}: the sandbox organisation has 4 to 200 accounts, the management "
                             "account included (it needs one to audit, one without the audit role and one closed)\n")
    with pytest.raises(sandbox.SandboxUnavailable, match=f"^accounts {accounts}: "):
        sandbox_org.seed_organization("http://127.0.0.1:9", int(accounts))  # refused before any call


def test_sandbox_up_help_shows_the_org_example():
    from click.testing import CliRunner

    from opsctl.cli import cli

    result = CliRunner().invoke(cli, ["sandbox", "up", "--help"])
    assert result.exit_code == 0
    assert "--accounts N" in result.output and "opsctl sandbox up --accounts 6" in result.output
    assert "opsctl audit --org --region us-east-1 --region eu-west-1" in result.output


def test_sandbox_up_with_accounts_prints_exports_and_the_accounts():
    """The real executable, as a user runs it (its own process, so its own moto)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen([OPSCTL, "sandbox", "up", "--accounts", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line or line.startswith("# Ctrl-C"):
                break
            lines.append(line.rstrip("\n"))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, proc.stderr.read()
    exports = dict(line[len("export "):].partition("=")[::2] for line in lines if line.startswith("export "))
    assert set(exports) == {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}
    assert lines[0].startswith("# sandbox organisation o-") and f"management account {sandbox.ACCOUNT}" in lines[0]
    start = lines.index("# the organisation's accounts (kind: what the sandbox seeded there):")
    table = [line.removeprefix("#").split() for line in lines[start + 2:start + 6]]
    assert [row[0] for row in table][0] == sandbox.ACCOUNT and all(len(row[0]) == 12 for row in table)
    assert [(row[1], row[2], row[-1]) for row in table] == [
        ("master", "Root", "ACTIVE"), ("shop-prod", "Root/Workloads/Production", "ACTIVE"),
        ("payments-legacy", "Root/Workloads/Production", "ACTIVE"), ("sandbox-retired", "Root/Suspended", "SUSPENDED")]
    assert [row[3] for row in table] == ["reference", "reference", "missing-role", "suspended"]
    assert lines[start + 6] == "# audit the organisation: opsctl audit --org --region us-east-1 --region eu-west-1"


def test_sandbox_demo_with_accounts_audits_the_organisation(tmp_path):
    """`opsctl sandbox demo --accounts 4` as a user runs it (its own process): the org audit of the
    seeded organisation — the member without the role NOT REACHED, the closed one skipped, every
    report written."""
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out = tmp_path / "org.json"
    proc = subprocess.run([OPSCTL, "sandbox", "demo", "--accounts", "4", "--format", "json", "-o", str(out),
                           "--report-dir", str(tmp_path / "reports")], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["schema_version"] == 2 and result["organization"]["id"].startswith("o-")
    by_name = {a["name"]: a for a in result["accounts"]}
    assert set(by_name) == {"master", "shop-prod", "payments-legacy"}
    assert by_name["payments-legacy"]["status"] == "not_reached" and "AccessDenied" in by_name["payments-legacy"]["reason"]
    assert by_name["master"]["status"] == by_name["shop-prod"]["status"] == "audited"
    assert [s["name"] for s in result["organization"]["skipped"]] == ["sandbox-retired"]
    legacy = by_name["payments-legacy"]["id"]
    assert {f["status"] for f in result["findings"] if f["account"] == legacy} == {"ERROR"}
    # both reference accounts carry the shop's defects: the same checks fail in each
    fails = {a: {f["check_id"] for f in result["findings"] if f["account"] == by_name[a]["id"] and f["status"] == "FAIL"}
             for a in ("master", "shop-prod")}
    assert fails["master"] and fails["master"] == fails["shop-prod"]
    assert "payments-legacy" in proc.stderr and "2 of 3 account(s) audited, 1 not reached" in proc.stderr
    assert {p.suffix for p in (tmp_path / "reports").iterdir()} >= {".json", ".md", ".html", ".sarif", ".xml", ".csv"}
