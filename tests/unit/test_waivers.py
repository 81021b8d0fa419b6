"""Waivers: parsing (every mistake names its line), glob matching, expiry, stale — applied as a pure
function over a Result."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from opsctl.audit import exit_code
from opsctl.config import parse_config
from opsctl.engine import Result
from opsctl.errors import UsageError
from opsctl.findings import Finding, Severity, Status
from opsctl.waivers import Waiver, apply_waivers, check_known, describe, load_waivers, parse_waivers

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "opsctl" / "schemas" / "result.schema.json").read_text())
TODAY = date(2026, 6, 15)
BUCKET = "arn:aws:s3:::shop-tmp-1"
OTHER = "arn:aws:s3:::shop-assets"


def parse(text: str):
    return parse_waivers(textwrap.dedent(text), "w.yaml")


def finding(check="s3.bucket_versioning", resource=BUCKET, status=Status.FAIL, severity=Severity.HIGH) -> Finding:
    return Finding(check, "t", status, severity, "availability", resource, "s3.bucket", "us-east-1", "Bucket is not versioned.")


def result(*findings: Finding, checks=("s3.bucket_versioning", "s3.bucket_not_public")) -> Result:
    return Result(list(findings), [], "123456789012", ["us-east-1"], list(checks))


def waiver(check="s3.bucket_versioning", resource="arn:aws:s3:::shop-tmp-*", expires=date(2026, 12, 31), **kw) -> Waiver:
    return Waiver(check, resource, kw.pop("reason", "scratch"), kw.pop("owner", "ops@example.com"), expires, source="w.yaml:2", **kw)


# ----- parsing ----------------------------------------------------------------------------------
def test_parse_mapping_form_with_all_fields():
    (w,) = parse("""
        waivers:
          - check: s3.bucket_versioning
            resource: "arn:aws:s3:::shop-tmp-*"
            reason: scratch bucket
            owner: platform@example.com
            expires: 2026-12-31
            ticket: OPS-1234
    """)
    assert w == Waiver("s3.bucket_versioning", "arn:aws:s3:::shop-tmp-*", "scratch bucket", "platform@example.com",
                       date(2026, 12, 31), "OPS-1234", "w.yaml:3")


def test_parse_bare_list_quoted_date_numeric_ticket_and_empty_files():
    (w,) = parse("""
        - {check: "s3.*", resource: "*", reason: r, owner: o, expires: "2027-01-02", ticket: 42}
    """)
    assert w.expires == date(2027, 1, 2) and w.ticket == "42" and w.check == "s3.*"
    assert parse("") == [] and parse("waivers:\n") == [] and parse("waivers: []\n") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("waivers:\n  - check: a.b\n    resource: '*'\n    reason: r\n    owner: o\n",
         "w.yaml:2: waiver #1: missing required expires"),
        ("- check: a.b\n  resource: '*'\n  owner: o\n  expires: 2026-01-01\n",
         "w.yaml:1: waiver #1: missing required reason"),
        ("- {check: a.b, resource: '*', reason: r, owner: o, expires: 2026-01-01}\n"
         "- check: a.b\n  resource: '*'\n  reason: r\n  owner: o\n  expires: 2026-13-01\n",
         "w.yaml:6: waiver #2: expires must be a date YYYY-MM-DD, got '2026-13-01'"),
        ("- check: a.b\n  resource: '*'\n  reason: r\n  owner: o\n  expires: next year\n",
         "w.yaml:5: waiver #1: expires must be a date YYYY-MM-DD, got 'next year'"),
        ("- check: a.b\n  resource: '*'\n  reason: r\n  owner: o\n  expires: 2026-01-01\n  expiry: 2027-01-01\n",
         "w.yaml:6: waiver #1: unknown key 'expiry' (did you mean 'expires'?"),
        ("- check: a.b\n  resource: '*'\n  reason: ''\n  owner: o\n  expires: 2026-01-01\n",
         "w.yaml:3: waiver #1: reason must be a non-empty string"),
        ("- check: a.b\n  resource: [a, b]\n  reason: r\n  owner: o\n  expires: 2026-01-01\n",
         "w.yaml:2: waiver #1: resource must be a non-empty string"),
        ("- check: a.b\n  check: c.d\n", "w.yaml:2: waiver #1: key 'check' appears twice"),
        ("- just a string\n", "w.yaml:1: waiver #1 must be a mapping"),
        ("waivers: {check: a.b}\n", "w.yaml:1: waivers must be a list"),
        ("exemptions: []\n", "w.yaml:1: a waivers file is a list of waivers, or a mapping with the single key 'waivers'"),
        ("- check: [a\n", "w.yaml:2: not valid YAML"),
    ],
)
def test_malformed_waiver_names_file_and_line(text, expected):
    with pytest.raises(UsageError) as exc:
        parse_waivers(text, "w.yaml")
    assert str(exc.value).startswith(expected), str(exc.value)
    assert "\n" not in str(exc.value)


def test_load_missing_file_is_usage_error(tmp_path):
    with pytest.raises(UsageError, match="--waivers: cannot read"):
        load_waivers(tmp_path / "nope.yaml")


def test_unknown_check_glob_is_an_error_naming_the_line():
    ws = parse("""
        - {check: s3.bucket_versioning, resource: "*", reason: r, owner: o, expires: 2026-01-01}
        - {check: s3.bucket_versionin, resource: "*", reason: r, owner: o, expires: 2026-01-01}
    """)
    with pytest.raises(UsageError) as exc:
        check_known(ws, ["s3.bucket_versioning", "s3.bucket_not_public"])
    assert str(exc.value).startswith("w.yaml:3: check 's3.bucket_versionin' matches no check id (did you mean")
    check_known(ws[:1], ["s3.bucket_versioning"])


def test_config_section_path_relative_to_config_file_or_inline(tmp_path):
    (tmp_path / "w.yaml").write_text("- {check: 's3.*', resource: '*', reason: r, owner: o, expires: 2026-01-01}\n")
    cfg = parse_config("waivers: w.yaml\n", str(tmp_path / "opsctl.yaml"), {})
    assert [w.check for w in cfg.sections["waivers"]] == ["s3.*"]
    assert cfg.sections["waivers"][0].source == f"{tmp_path / 'w.yaml'}:1"
    inline = parse_config("regions: [us-east-1]\nwaivers:\n  - check: 'ec2.*'\n    resource: '*'\n    reason: r\n"
                          "    owner: o\n    expires: 2026-01-01\n", "opsctl.yaml", {})
    assert inline.sections["waivers"][0].source == "opsctl.yaml:3"
    with pytest.raises(UsageError, match=r"opsctl.yaml:1: waivers: no such file"):
        parse_config("waivers: missing.yaml\n", str(tmp_path / "opsctl.yaml"), {})
    with pytest.raises(UsageError, match=r"opsctl.yaml:2: waiver #1: missing required owner"):
        parse_config("waivers:\n  - check: a\n    resource: b\n    reason: r\n    expires: 2026-01-01\n", "opsctl.yaml", {})


# ----- applying ---------------------------------------------------------------------------------
def test_matching_unexpired_waiver_turns_fail_into_waived_and_does_not_fail_the_run():
    r = result(finding(), finding(resource=OTHER))
    out = apply_waivers(r, [waiver(ticket="OPS-1")], TODAY)
    waived = [f for f in out.findings if f.resource_id == BUCKET][0]
    assert waived.status is Status.WAIVED
    assert waived.evidence["waiver"]["owner"] == "ops@example.com" and waived.evidence["waiver"]["expires"] == "2026-12-31"
    assert "Waived by ops@example.com until 2026-12-31, OPS-1: scratch." in waived.message
    assert [f.status for f in out.findings if f.resource_id == OTHER] == [Status.FAIL]
    assert out.waivers == [{**waiver(ticket="OPS-1").to_dict(), "status": "active", "matched": 1}]
    assert out.summary()["by_status"]["WAIVED"] == 1 and out.summary()["by_status"]["FAIL"] == 1
    assert r.findings[0].status is Status.FAIL, "pure: the input result is unchanged"
    assert exit_code(apply_waivers(result(finding()), [waiver()], TODAY), "high", False) == 0
    assert exit_code(result(finding()), "high", False) == 1


def test_waiver_applies_through_its_expiry_day_and_then_expires():
    on_the_day = apply_waivers(result(finding()), [waiver(expires=TODAY)], TODAY)
    assert on_the_day.findings[0].status is Status.WAIVED and on_the_day.waivers[0]["status"] == "active"
    after = apply_waivers(result(finding()), [waiver(expires=date(2026, 6, 14))], TODAY)
    assert after.findings[0].status is Status.FAIL
    assert after.waivers[0]["status"] == "expired" and after.waivers[0]["matched"] == 1
    assert exit_code(after, "high", False) == 1
    assert any("expired 2026-06-14" in line and "FAIL again" in line for line in describe(after.waivers))


def test_glob_matching_on_check_and_resource():
    w = waiver(check="s3.*", resource="arn:aws:s3:::shop-*")
    assert w.matches(finding()) and w.matches(finding(check="s3.bucket_not_public", resource=OTHER))
    assert not w.matches(finding(check="ec2.volume_encrypted"))
    assert not w.matches(finding(resource="arn:aws:s3:::other"))
    assert not waiver(resource="shop-tmp-*").matches(finding()), "the resource glob is over the whole ARN"


def test_stale_not_evaluated_and_first_waiver_wins():
    passing = result(finding(status=Status.PASS))
    assert apply_waivers(passing, [waiver()], TODAY).waivers[0]["status"] == "stale"
    not_run = result(finding(status=Status.PASS), checks=("s3.bucket_not_public",))
    assert apply_waivers(not_run, [waiver()], TODAY).waivers[0]["status"] == "not_evaluated"
    errored = result(finding(status=Status.ERROR))
    out = apply_waivers(errored, [waiver()], TODAY)
    assert out.waivers[0]["status"] == "not_evaluated" and out.findings[0].status is Status.ERROR

    first, second = waiver(reason="first"), waiver(resource="*", reason="second")
    out = apply_waivers(result(finding()), [first, second], TODAY)
    assert out.findings[0].evidence["waiver"]["reason"] == "first"
    assert [w["matched"] for w in out.waivers] == [1, 1] and {w["status"] for w in out.waivers} == {"active"}
    expired_first = apply_waivers(result(finding()), [waiver(expires=date(2020, 1, 1)), second], TODAY)
    assert expired_first.findings[0].evidence["waiver"]["reason"] == "second"
    assert [w["status"] for w in expired_first.waivers] == ["expired", "active"]
    assert any("stale" in line for line in describe(apply_waivers(passing, [waiver()], TODAY).waivers))


def test_waived_result_validates_against_schema_and_roundtrips():
    out = apply_waivers(result(finding(), finding(resource=OTHER)), [waiver(), waiver(check="s3.bucket_not_public")], TODAY)
    data = json.loads(json.dumps(out.to_dict(), default=str))
    jsonschema.validate(data, SCHEMA)
    assert [w["status"] for w in data["waivers"]] == ["active", "stale"]
    back = Result.from_dict(data)
    assert back.waivers == data["waivers"] and [f.status for f in back.findings] == [f.status for f in out.findings]
    assert out.findings[0].status is Status.FAIL, "findings stay sorted worst first"
