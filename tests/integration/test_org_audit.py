"""End to end: an organisation audit against a plain moto server (no opsctl patches, as a user or
another team would seed one): a management account and members in OUs, one member whose audit
role was deleted (moto still lets AssumeRole through: opsctl must notice), one suspended member.

Through the real CLI (click's CliRunner in this process; boto3 talks HTTP to the server)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from opsctl.cli import cli

ROLE = "OrganizationAccountAccessRole"
REGIONS = ["--region", "us-east-1", "--region", "eu-west-1"]


def _client(url, service, creds=None, region="us-east-1"):
    keys = creds or {"AccessKeyId": "testing", "SecretAccessKey": "testing", "SessionToken": "testing"}
    return boto3.client(service, region_name=region, endpoint_url=url, aws_access_key_id=keys["AccessKeyId"],
                        aws_secret_access_key=keys["SecretAccessKey"], aws_session_token=keys["SessionToken"])


def _assume(url, account):
    return _client(url, "sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                           RoleSessionName="seed")["Credentials"]


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    from moto.server import ThreadedMotoServer

    from opsctl.sandbox import free_port, moto_api

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    moto_api(url, "reset")
    try:
        orgs = _client(url, "organizations")
        orgs.create_organization(FeatureSet="ALL")
        root = orgs.list_roots()["Roots"][0]["Id"]
        work = orgs.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
        prod = orgs.create_organizational_unit(ParentId=work, Name="Production")["OrganizationalUnit"]["Id"]
        ids = {}
        for name, parent in (("shop-prod", prod), ("shop-dev", work), ("no-role", work), ("closed", root)):
            aid = orgs.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
            if parent != root:
                orgs.move_account(AccountId=aid, SourceParentId=root, DestinationParentId=parent)
            ids[name] = aid
        # the management account: one public-ish bucket; members: their own resources
        _client(url, "s3").create_bucket(Bucket="mgmt-logs")
        prod_creds = _assume(url, ids["shop-prod"])
        _client(url, "s3", prod_creds).create_bucket(Bucket="prod-assets")
        ec2 = _client(url, "ec2", prod_creds)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        sg = ec2.create_security_group(GroupName="ssh-open", Description="ssh", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        dev_creds = _assume(url, ids["shop-dev"])
        _client(url, "dynamodb", dev_creds, "eu-west-1").create_table(
            TableName="catalogue", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
        iam = _client(url, "iam", _assume(url, ids["no-role"]))
        for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=ROLE, PolicyArn=p["PolicyArn"])
        for name in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
            iam.delete_role_policy(RoleName=ROLE, PolicyName=name)
        iam.delete_role(RoleName=ROLE)
        orgs.close_account(AccountId=ids["closed"])
        out = tmp_path_factory.mktemp("org")
        yield {"url": url, "ids": ids, "ous": {"workloads": work, "prod": prod}, "dir": out,
               "creds": {"shop-prod": prod_creds, "shop-dev": dev_creds}}
    finally:
        moto_api(url, "reset")
        server.stop()


def opsctl(org, args, creds=None):
    env = {"AWS_ENDPOINT_URL": org["url"], "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SESSION_TOKEN": "testing"}
    if creds:
        env.update({"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                    "AWS_SESSION_TOKEN": creds["SessionToken"]})
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def org_result(org):
    path = org["dir"] / "org.json"
    res = opsctl(org, ["audit", "--org", *REGIONS, "--format", "json", "-o", str(path), "--fail-on", "none"])
    assert res.exit_code == 0, res.output
    return json.loads(path.read_text())


def _strip(findings):
    return [{k: v for k, v in f.items() if k != "account"} for f in findings]


def test_every_active_account_is_covered_and_the_suspended_one_is_skipped(org, org_result):
    ids = org["ids"]
    entries = {a["id"]: a for a in org_result["accounts"]}
    assert set(entries) == {"123456789012", ids["shop-prod"], ids["shop-dev"], ids["no-role"]}
    assert [s["id"] for s in org_result["organization"]["skipped"]] == [ids["closed"]]
    assert "SUSPENDED" in org_result["organization"]["skipped"][0]["why"]
    assert entries[ids["shop-prod"]]["ou_path"] == "Root/Workloads/Production"
    assert entries[ids["shop-dev"]]["ou_path"] == "Root/Workloads"
    assert org_result["summary"]["accounts"] == {"total": 4, "audited": 3, "not_reached": 1}
    assert org_result["schema_version"] == 2 and org_result["organization"]["id"].startswith("o-")
    assert all(f.get("account") in entries for f in org_result["findings"])


def test_the_account_without_the_role_is_named_not_reached_with_no_pass(org, org_result):
    lost = org["ids"]["no-role"]
    entry = next(a for a in org_result["accounts"] if a["id"] == lost)
    assert entry["status"] == "not_reached" and "NoSuchEntity" in entry["reason"] and ROLE in entry["reason"]
    assert org_result["accounts"][0]["id"] == lost, "worst first: the account not reached leads"
    mine = [f for f in org_result["findings"] if f["account"] == lost]
    assert mine and {f["status"] for f in mine} == {"ERROR"}
    assert len(mine) == len(org_result["checks_run"])
    assert any(g.get("account") == lost and g["operation"] == "GetRole" for g in org_result["coverage"])


def test_each_member_gets_the_findings_a_one_account_audit_of_it_gets(org, org_result):
    for name in ("shop-prod", "shop-dev"):
        aid = org["ids"][name]
        path = org["dir"] / f"{name}.json"
        res = opsctl(org, ["audit", *REGIONS, "--format", "json", "-o", str(path), "--fail-on", "none"],
                     creds=org["creds"][name])
        assert res.exit_code == 0, res.output
        one = json.loads(path.read_text())
        assert one["account"] == aid and "accounts" not in one
        assert _strip([f for f in org_result["findings"] if f["account"] == aid]) == one["findings"], name
    prod = [f for f in org_result["findings"] if f["account"] == org["ids"]["shop-prod"]]
    assert any(f["check_id"] == "ec2.security_group_admin_ports" and f["status"] == "FAIL" for f in prod)
    assert not any("prod-assets" in f["resource_id"] for f in org_result["findings"]
                   if f["account"] != org["ids"]["shop-prod"]), "a member's bucket shows in another account"


def test_strict_exits_3_for_the_unreached_account(org):
    res = opsctl(org, ["audit", "--org", *REGIONS, "--select", "s3.*", "--fail-on", "none", "--strict",
                       "--format", "json", "-o", str(org["dir"] / "strict.json")])
    assert res.exit_code == 3


def test_shards_then_merge_give_the_single_run(org, org_result):
    files = []
    for i in (1, 2, 3):
        path = org["dir"] / f"shard-{i}.json"
        res = opsctl(org, ["audit", "--org", "--shard", f"{i}/3", *REGIONS, "--format", "json", "-o", str(path),
                           "--fail-on", "none"])
        assert res.exit_code == 0, res.output
        files.append(str(path))
    shard_accounts = [{a["id"] for a in json.loads(Path(f).read_text())["accounts"]} for f in files]
    assert sum(len(s) for s in shard_accounts) == 4 and set().union(*shard_accounts) == {
        a["id"] for a in org_result["accounts"]}
    merged_path = org["dir"] / "merged.json"
    res = CliRunner().invoke(cli, ["report", "merge", *files, "-o", str(merged_path)])
    assert res.exit_code == 0, res.output
    merged = json.loads(merged_path.read_text())
    assert merged["findings"] == org_result["findings"]
    assert merged["organization"]["shards"] == ["1/3", "2/3", "3/3"] and "missing_accounts" not in merged["organization"]
    assert [a["id"] for a in merged["accounts"]] == [a["id"] for a in org_result["accounts"]]

    # a shard left out: its accounts are named, not reached, and --strict exits 3
    present = [f for f, accts in zip(files, shard_accounts, strict=True) if accts][:-1]
    res = CliRunner().invoke(cli, ["report", "merge", *present, "-o", str(org["dir"] / "partial.json"), "--strict"])
    assert res.exit_code == 3, res.output
    partial = json.loads((org["dir"] / "partial.json").read_text())
    assert partial["organization"]["missing_accounts"]
    assert "missing from the merge" in next(a for a in partial["accounts"]
                                            if a["id"] == partial["organization"]["missing_accounts"][0])["reason"]
    assert "were in no shard result" in res.output

    # the same shard twice: named, one copy kept, findings unchanged
    twice = next(f for f, accts in zip(files, shard_accounts, strict=True) if accts)
    res = CliRunner().invoke(cli, ["report", "merge", *files, twice, "-o", str(org["dir"] / "twice.json")])
    assert res.exit_code == 0 and "account " in res.output and "more than one shard result" in res.output
    assert "shard " + json.loads(Path(twice).read_text())["organization"]["shards"][0] + " is in more than one" \
        in res.output
    assert json.loads((org["dir"] / "twice.json").read_text())["findings"] == org_result["findings"]


def test_org_accounts_lists_the_scope_with_ou_paths_and_filters(org):
    res = opsctl(org, ["org", "accounts", "--org", "--format", "json"])
    assert res.exit_code == 0, res.output
    listed = json.loads(res.output)
    assert {a["id"] for a in listed["accounts"]} == {"123456789012", *(org["ids"][n] for n in ("shop-prod", "shop-dev", "no-role"))}
    res = opsctl(org, ["org", "accounts", "--org", "--ou", org["ous"]["prod"], "--format", "json"])
    assert [a["name"] for a in json.loads(res.output)["accounts"]] == ["shop-prod"]
    res = opsctl(org, ["org", "accounts", "--org", "--ou", org["ous"]["workloads"], "--exclude-accounts", "no-*",
                       "--format", "json"])
    assert sorted(a["name"] for a in json.loads(res.output)["accounts"]) == ["shop-dev", "shop-prod"]
    res = opsctl(org, ["org", "accounts", "--org", "--accounts", "shop-*"])
    assert res.exit_code == 0 and "shop-prod" in res.output and "master" not in res.output
    res = opsctl(org, ["org", "accounts", "--org", "--accounts", "shpo-*"])
    assert res.exit_code == 2 and "matches no account" in res.output


def test_org_plan_prints_a_github_matrix_and_refuses_more_than_256(org):
    res = opsctl(org, ["org", "plan", "--org", "--shards", "3", "--format", "github-matrix"])
    assert res.exit_code == 0
    assert json.loads(res.output.strip().splitlines()[-1]) == {"include": [{"shard": f"{i}/3"} for i in (1, 2, 3)]}
    res = opsctl(org, ["org", "plan", "--org", "--shards", "257", "--format", "github-matrix"])
    assert res.exit_code == 2 and "256" in res.output


def test_accounts_without_org_audits_the_given_ids(org):
    aid = org["ids"]["shop-dev"]
    path = org["dir"] / "given.json"
    res = opsctl(org, ["audit", "--accounts", aid, *REGIONS, "--select", "dynamodb.*", "--format", "json",
                       "-o", str(path), "--fail-on", "none"])
    assert res.exit_code == 0, res.output
    data = json.loads(path.read_text())
    assert [a["id"] for a in data["accounts"]] == [aid] and data["organization"]["id"] is None
    assert any(f["resource_id"].endswith("table/catalogue") for f in data["findings"])
