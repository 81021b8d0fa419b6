"""The organisation audit's pure parts and its faults: shards, selection, discovery errors, the rate
limiter, role credentials (refresh, throttling), Ctrl-C mid-run, merge refusals, bad flags."""

from __future__ import annotations

import _thread
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.engine import Result
from opsctl.errors import UsageError
from opsctl.findings import Finding, Severity, Status
from opsctl.org import Account, discover, github_matrix, parse_shard, plan_shards, select_accounts, shard_of
from opsctl.org_audit import OrgOptions, OrgScope, audit_organization
from opsctl.ratelimit import RateLimiter

IDS = [f"{100000000000 + i * 7919:012d}" for i in range(1000)]


# ----- shards --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [("1/3", (1, 3)), ("3/3", (3, 3)), ("0/3", (3, 3)), (" 2 / 4 ", (2, 4)),
                                           ("1/1", (1, 1))])
def test_parse_shard(text, expected):
    s = parse_shard(text)
    assert (s.index, s.count) == expected


@pytest.mark.parametrize("text,says", [("3/2", "between 1 and N"), ("0/0", "at least 1"), ("a/b", "not I/N"),
                                       ("1", "not I/N"), ("-1/3", "not I/N")])
def test_bad_shards_are_one_line_usage_errors(text, says):
    with pytest.raises(UsageError, match=says):
        parse_shard(text)
    res = CliRunner().invoke(cli, ["audit", "--org", "--shard", text])
    assert res.exit_code == 2 and says in res.output and len(res.output.strip().splitlines()) == 1


def test_shards_are_balanced_and_stable_when_accounts_join_or_leave():
    plan = plan_shards([Account(i) for i in IDS], 4)
    sizes = [len(v) for v in plan.values()]
    assert sum(sizes) == 1000 and max(sizes) - min(sizes) < 100, sizes
    before = {i: shard_of(i, 4) for i in IDS}
    after = plan_shards([Account(i) for i in IDS[100:]] + [Account("999999999999")], 4)  # 100 left, one joined
    assert all(before[a.id] == idx for idx, accts in after.items() for a in accts if a.id in before)
    assert all(parse_shard(f"{shard_of(i, 7)}/7").holds(i) for i in IDS[:50])


def test_github_matrix_caps_at_256():
    assert len(github_matrix(256)["include"]) == 256
    with pytest.raises(UsageError, match="at most 256"):
        github_matrix(257)


# ----- selection -------------------------------------------------------------------------------------
LISTED = [Account("111111111111", "shop-prod", parents=("r-1", "ou-prod"), ou_path="Root/Prod"),
          Account("222222222222", "shop-dev", parents=("r-1", "ou-dev"), ou_path="Root/Dev"),
          Account("333333333333", "team-x", parents=("r-1", "ou-dev"), ou_path="Root/Dev"),
          Account("444444444444", "gone", state="SUSPENDED", parents=("r-1",)),
          Account("555555555555", "closing", state="PENDING_CLOSURE", parents=("r-1",))]


def test_select_keeps_active_accounts_and_says_why_others_are_left_out():
    scope = select_accounts(LISTED)
    assert [a.id for a in scope.accounts] == ["111111111111", "222222222222", "333333333333"]
    assert {s["id"]: s["why"].split(":")[0] for s in scope.skipped} == {
        "444444444444": "state SUSPENDED", "555555555555": "state PENDING_CLOSURE"}


def test_select_by_glob_ou_and_exclusion():
    assert [a.name for a in select_accounts(LISTED, accounts=["shop-*"]).accounts] == ["shop-prod", "shop-dev"]
    assert [a.name for a in select_accounts(LISTED, accounts=["222222222222,team-x"]).accounts] == ["shop-dev", "team-x"]
    assert [a.name for a in select_accounts(LISTED, ous=["ou-dev"], exclude=["team-*"]).accounts] == ["shop-dev"]
    with pytest.raises(UsageError, match="matches no account"):
        select_accounts(LISTED, accounts=["shpo-*"])
    with pytest.raises(UsageError, match="--ou: 'ou-nope'"):
        select_accounts(LISTED, ous=["ou-nope"])


# ----- discovery errors ------------------------------------------------------------------------------
def _orgs_client():
    return boto3.client("organizations", region_name="us-east-1")


@pytest.mark.parametrize("code,says", [
    ("AccessDeniedException", "management account's or a delegated administrator's credentials"),
    ("AWSOrganizationsNotInUseException", "not in an AWS Organization"),
])
def test_org_without_organizations_access_is_one_line_saying_what_to_run_it_with(code, says):
    client = _orgs_client()
    with Stubber(client) as stub:
        stub.add_client_error("describe_organization", service_error_code=code, service_message="no")
        with pytest.raises(UsageError, match=says) as err:
            discover(client)
    assert "\n" not in str(err.value)


def test_discover_pages_accounts_and_walks_the_ou_tree():
    client = _orgs_client()
    with Stubber(client) as stub:
        stub.add_response("describe_organization", {"Organization": {"Id": "o-abc123def4", "MasterAccountId": "111111111111"}})
        stub.add_response("list_accounts", {"Accounts": [{"Id": "111111111111", "Name": "mgmt", "State": "ACTIVE",
                                                          "Status": "ACTIVE"}], "NextToken": "t"})
        stub.add_response("list_accounts", {"Accounts": [{"Id": "222222222222", "Name": "prod", "State": "SUSPENDED",
                                                          "Status": "ACTIVE"}]}, {"NextToken": "t"})
        stub.add_response("list_roots", {"Roots": [{"Id": "r-ab12", "Name": "Root"}]})
        stub.add_response("list_accounts_for_parent", {"Accounts": [{"Id": "111111111111"}]}, {"ParentId": "r-ab12"})
        stub.add_response("list_organizational_units_for_parent",
                          {"OrganizationalUnits": [{"Id": "ou-ab12-11111111", "Name": "Prod"}]}, {"ParentId": "r-ab12"})
        stub.add_response("list_accounts_for_parent", {"Accounts": [{"Id": "222222222222"}]},
                          {"ParentId": "ou-ab12-11111111"})
        stub.add_response("list_organizational_units_for_parent", {"OrganizationalUnits": []},
                          {"ParentId": "ou-ab12-11111111"})
        org = discover(client)
    assert org.id == "o-abc123def4" and org.management_account == "111111111111"
    prod = org.accounts[1]
    assert (prod.state, prod.ou_path, prod.parents) == ("SUSPENDED", "Root/Prod", ("r-ab12", "ou-ab12-11111111"))


# ----- rate limit ---------------------------------------------------------------------------------------
def test_rate_limit_is_per_account_region_and_service():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(10, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(2):
        limiter.acquire("111111111111", "us-east-1", "ec2")
    assert not slept  # the burst
    limiter.acquire("222222222222", "us-east-1", "ec2")  # another account: its own bucket
    limiter.acquire("111111111111", "eu-west-1", "ec2")  # another region too
    assert not slept
    limiter.acquire("111111111111", "us-east-1", "ec2")
    assert slept == [pytest.approx(0.1)]
    RateLimiter(0, clock=lambda: 0.0, sleep=lambda s: pytest.fail("0 means no limit")).acquire("a", "b", "c")


# ----- role credentials ------------------------------------------------------------------------------------
class FakeSts:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def assume_role(self, **params):
        self.calls.append(params)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return {"Credentials": {"AccessKeyId": f"AK{len(self.calls)}", "SecretAccessKey": "s", "SessionToken": "t",
                                "Expiration": datetime.now(timezone.utc) + answer}}


def _access(sts, **kw):
    from opsctl.aws import Aws
    from opsctl.org_access import AccountAccess

    access = AccountAccess(Aws(workers=2), "111111111111", "aws", "AuditRole", verify_role=False, **kw)
    access._sts = sts
    return access


def test_credentials_refresh_before_they_expire_with_one_assume_role_each_time():
    sts = FakeSts([timedelta(minutes=5), timedelta(hours=1)])  # first credentials nearly expired
    access = _access(sts, external_id="xid", session_name="nightly")
    aws = access.aws_for(Account("222222222222"))
    frozen = aws.session.get_credentials().get_frozen_credentials()  # within botocore's refresh window: renews
    assert frozen.access_key == "AK2" and access.sts_calls == 2
    assert aws.session.get_credentials().get_frozen_credentials().access_key == "AK2" and access.sts_calls == 2
    assert sts.calls[0] == {"RoleArn": "arn:aws:iam::222222222222:role/AuditRole", "RoleSessionName": "nightly",
                            "DurationSeconds": 3600, "ExternalId": "xid"}
    assert access.aws_for(Account("111111111111")) is access.base  # the caller's own account: no AssumeRole
    assert access.sts_calls == 2


def test_clients_of_every_account_share_one_loader():
    access = _access(FakeSts([timedelta(hours=1)]))
    a = access.aws_for(Account("222222222222"))
    b = access.aws_for(Account("333333333333"))
    loader = access.base.session._session.get_component("data_loader")
    assert a.session._session.get_component("data_loader") is loader is b.session._session.get_component("data_loader")


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling", "RegionDisabledException"])
def test_a_refused_or_throttled_assume_role_is_a_named_failure(code):
    from botocore.exceptions import ClientError

    from opsctl.org_access import AccessFailure

    err = ClientError({"Error": {"Code": code, "Message": "not today\nsecond line"}}, "AssumeRole")
    access = _access(FakeSts([err]))
    with pytest.raises(AccessFailure) as failure:
        access.aws_for(Account("222222222222"))
    assert failure.value.code == code and "\n" not in str(failure.value) and "AssumeRole" in str(failure.value)


# ----- the run: unreached accounts, Ctrl-C -----------------------------------------------------------------
class Check:
    def __init__(self, cid):
        self.id, self.title, self.severity, self.pillar = cid, cid, Severity.HIGH, "security"
        self.resource_type, self.runbook = "s3.bucket", ""


CHECKS = [Check("s3.bucket_versioning"), Check("s3.bucket_encrypted")]


def _fake_access(monkeypatch, refuse=()):
    from opsctl import org_access

    class Access:
        def __init__(self, *a, **k):
            self.sts_calls = 0

        def aws_for(self, account):
            if account.id in refuse:
                raise org_access.AccessFailure(account.id, "sts:AssumeRole", "AccessDenied", "denied", "us-east-1",
                                               f"arn:aws:iam::{account.id}:role/R")
            return object()

    monkeypatch.setattr(org_access, "AccountAccess", Access)


def _where(ids):
    accounts = [Account(i, f"acct-{i[-1]}") for i in ids]
    return OrgScope({"id": "o-x", "role": "R", "scope": ids, "shards": [], "skipped": []}, None, accounts)


def _one_result(account):
    f = Finding("s3.bucket_versioning", "t", Status.PASS, Severity.MEDIUM, "availability",
                f"arn:aws:s3:::b-{account.id}", "s3.bucket", "us-east-1", "ok.")
    return Result([f], [], account.id, ["us-east-1"], [c.id for c in CHECKS])


class Base:
    def default_region(self):
        return "us-east-1"


def test_an_unreachable_account_errors_every_check_and_the_run_goes_on(monkeypatch):
    _fake_access(monkeypatch, refuse={"222222222222"})
    out = audit_organization(Base(), {"account": "111111111111", "partition": "aws"},
                             _where(["111111111111", "222222222222"]), ["us-east-1"],
                             lambda aws, a, r, stop: (_one_result(a), 5), CHECKS, OrgOptions(org=True))
    result = out.result
    lost = [f for f in result.findings if f.account == "222222222222"]
    assert {f.status for f in lost} == {Status.ERROR} and len(lost) == 2
    assert "AccessDenied" in lost[0].message and lost[0].resource_id == "arn:aws:iam::222222222222:root"
    assert [a["status"] for a in result.account_summaries()] == ["not_reached", "audited"]
    from opsctl.audit import exit_code

    assert exit_code(result, "none", strict=True) == 3 and exit_code(result, "none", strict=False) == 0


def test_ctrl_c_mid_run_keeps_the_accounts_already_audited(monkeypatch):
    _fake_access(monkeypatch)
    first_done = threading.Event()

    def audit_one(aws, account, regions, stop):
        from opsctl.collect.runner import Cancelled

        if account.id == "111111111111":
            first_done.set()
            return _one_result(account), 1
        first_done.wait(5)
        time.sleep(0.3)
        if account.id == "222222222222":  # one Ctrl-C: a second, after the run has ended, would hit pytest
            _thread.interrupt_main()  # the user's Ctrl-C, delivered to the main thread
        for _ in range(100):  # a collection checks `stop` at every call
            if stop.is_set():
                raise Cancelled()
            time.sleep(0.05)
        return _one_result(account), 1

    started = time.perf_counter()
    out = audit_organization(Base(), {"account": "111111111111", "partition": "aws"},
                             _where(["111111111111", "222222222222", "333333333333"]), ["us-east-1"], audit_one,
                             CHECKS, OrgOptions(org=True, account_workers=2))
    assert out.interrupted and time.perf_counter() - started < 5
    status = {a["id"]: (a["status"], a["reason"]) for a in out.result.accounts}
    assert status["111111111111"] == ("audited", "")
    assert all(s == "not_reached" and "interrupted" in r for k, (s, r) in status.items() if k != "111111111111")


# ----- config -------------------------------------------------------------------------------------------------
def test_config_org_section(tmp_path):
    from opsctl.config import load_config
    from opsctl.registry import load_builtin_checks

    cfg_file = tmp_path / "opsctl.yaml"
    cfg_file.write_text("org:\n  accounts: ['shop-*']\n  ous: [ou-ab12-11111111]\n  role: Audit\n  account_workers: 8\n"
                        "  rate_limit: 10\n")
    cfg = load_config(str(cfg_file), load_builtin_checks())
    assert cfg.sections["org"] == {"accounts": ("shop-*",), "ous": ("ou-ab12-11111111",), "role": "Audit",
                                   "account_workers": 8, "rate_limit": 10.0}
    cfg_file.write_text("org:\n  acounts: [x]\n")
    with pytest.raises(UsageError, match=r"opsctl.yaml:2.*accounts"):
        load_config(str(cfg_file), load_builtin_checks())
    cfg_file.write_text("org:\n  account_workers: 0\n")
    with pytest.raises(UsageError, match="1-64"):
        load_config(str(cfg_file), load_builtin_checks())


def test_org_flags_need_an_org_run():
    for args in (["--ou", "ou-1"], ["--shard", "1/2"], ["--org-role", "R"], ["--exclude-accounts", "x"]):
        res = CliRunner().invoke(cli, ["audit", *args])
        assert res.exit_code == 2 and "add --org" in res.output, args
    res = CliRunner().invoke(cli, ["audit", "--org", "--snapshot", "x.json"])
    assert res.exit_code == 2


# ----- merge refusals ------------------------------------------------------------------------------------------
def _shard_file(tmp_path, name, org_id="o-aaaaaaaaaa", shard="1/2", version=2, account="111111111111"):
    r = Result([Finding("s3.bucket_versioning", "t", Status.FAIL, Severity.MEDIUM, "availability",
                        "arn:aws:s3:::b", "s3.bucket", "us-east-1", "no.", account=account)], [], org_id,
               ["us-east-1"], ["s3.bucket_versioning"], {"api_calls": 3},
               accounts=[{"id": account, "name": "a", "status": "audited", "reason": "", "shard": shard}],
               organization={"id": org_id, "scope": [account], "shards": [shard], "role": "R"})
    d = r.to_dict()
    d["schema_version"] = version
    path = tmp_path / name
    path.write_text(json.dumps(d))
    return str(path)


def test_merge_refuses_another_org_another_schema_a_truncated_file_and_a_one_account_result(tmp_path):
    a = _shard_file(tmp_path, "a.json")
    cases = {
        "another org": (_shard_file(tmp_path, "b.json", org_id="o-bbbbbbbbbb", account="222222222222"),
                        "a.json's o-aaaaaaaaaa"),
        "old schema": (_shard_file(tmp_path, "c.json", version=1, account="333333333333"), "schema_version 1 differs"),
        "shard count": (_shard_file(tmp_path, "e.json", shard="1/3", account="444444444444"), "different shard counts"),
    }
    for what, (other, says) in cases.items():
        res = CliRunner().invoke(cli, ["report", "merge", a, other])
        assert res.exit_code == 2 and says in res.output, what
    truncated = tmp_path / "t.json"
    truncated.write_text(Path(a).read_text()[:200])
    res = CliRunner().invoke(cli, ["report", "merge", a, str(truncated)])
    assert res.exit_code == 2 and "t.json:1: not valid JSON" in res.output and "truncated" in res.output
    one = tmp_path / "one.json"
    one.write_text(json.dumps(Result([], [], "111111111111", ["us-east-1"], []).to_dict()))
    res = CliRunner().invoke(cli, ["report", "merge", str(one)])
    assert res.exit_code == 2 and "one-account result" in res.output


def test_merge_fails_by_fail_on_and_names_the_missing_shard(tmp_path):
    a = _shard_file(tmp_path, "a.json", shard="1/2")
    res = CliRunner().invoke(cli, ["report", "merge", a, "--fail-on", "medium", "-o", str(tmp_path / "m.json")])
    assert res.exit_code == 1
    assert "missing: 2/2" not in res.output  # the scope holds only shard 1's account
    res = CliRunner().invoke(cli, ["report", "merge", a, "--fail-on", "none", "--strict", "-o", str(tmp_path / "m.json")])
    assert res.exit_code == 0


# ----- waivers, diff and --fail-on-new on org results --------------------------------------------------------
def _org(findings):
    ids = sorted({f.account for f in findings})
    return Result(findings, [], "o-aaaaaaaaaa", ["us-east-1"], ["s3.bucket_versioning"],
                  accounts=[{"id": i, "name": i, "status": "audited", "reason": ""} for i in ids],
                  organization={"id": "o-aaaaaaaaaa", "scope": ids, "shards": []})


def _fail(account, status=Status.FAIL, rid="arn:aws:iam::{a}:root"):
    return Finding("s3.bucket_versioning", "t", status, Severity.HIGH, "availability", rid.format(a=account),
                   "s3.bucket", "us-east-1", "no.", account=account)


def test_a_waiver_with_an_account_applies_to_that_account_only():
    from datetime import date

    from opsctl.waivers import apply_waivers, parse_waivers

    waivers = parse_waivers("- {check: s3.*, resource: 'arn:aws:s3:::shared', reason: r, owner: o, expires: 2099-01-01,"
                            " account: '1111*'}\n", "w.yaml")
    assert waivers[0].account == "1111*"
    shared = "arn:aws:s3:::shared"
    out = apply_waivers(_org([_fail("111111111111", rid=shared), _fail("222222222222", rid=shared)]), waivers,
                        date(2026, 1, 1))
    assert {f.account: f.status for f in out.findings} == {"111111111111": Status.WAIVED, "222222222222": Status.FAIL}
    assert out.waivers[0]["account"] == "1111*" and out.waivers[0]["matched"] == 1
    one = Result([dataclasses_replace(_fail("111111111111", rid=shared), account="")], [], "111111111111",
                 ["us-east-1"], ["s3.bucket_versioning"])
    assert apply_waivers(one, waivers, date(2026, 1, 1)).findings[0].status is Status.WAIVED  # the result's account


def dataclasses_replace(f, **kw):
    import dataclasses

    return dataclasses.replace(f, **kw)


def test_diff_and_fail_on_new_tell_accounts_apart():
    from opsctl.audit import exit_code
    from opsctl.diff import diff_results, new_failures

    shared = "arn:aws:s3:::same-name"  # an ARN without an account: two accounts can both report it
    old = _org([_fail("111111111111", rid=shared), _fail("222222222222", Status.PASS, rid=shared)]).to_dict()
    new = _org([_fail("111111111111", rid=shared), _fail("222222222222", rid=shared)])
    d = diff_results(old, new.to_dict())
    assert d["counts"]["new"] == 1 and d["findings"]["new"][0]["account"] == "222222222222"
    assert d["counts"]["unchanged"] == 1
    keys = new_failures(old, new.findings, new.account)
    assert keys == {("222222222222", "s3.bucket_versioning", shared)}
    assert exit_code(new, "high", False, keys) == 1
    assert exit_code(new, "high", False, set()) == 0


def test_merge_adds_up_what_each_shard_waived():
    from opsctl.org_merge import merge_results

    def shard(account, shard_name, status, matched):
        r = _org([_fail(account)])
        r.organization = {"id": "o-aaaaaaaaaa", "scope": ["111111111111", "222222222222"], "shards": [shard_name]}
        r.waivers = [{"check": "s3.*", "resource": "*", "reason": "r", "owner": "o", "expires": "2099-01-01",
                      "ticket": None, "source": "w.yaml:1", "status": status, "matched": matched}]
        return r.to_dict()

    merged = merge_results([("a", shard("111111111111", "1/2", "active", 1)),
                            ("b", shard("222222222222", "2/2", "stale", 0))]).result
    assert [(w["status"], w["matched"]) for w in merged.waivers] == [("active", 1)]
    both_stale = merge_results([("a", shard("111111111111", "1/2", "stale", 0)),
                                ("b", shard("222222222222", "2/2", "stale", 0))]).result
    assert both_stale.waivers[0]["status"] == "stale"
