"""JUnit XML (suite per pillar, case per check × resource) and CSV (row per finding, no formulas)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from opsctl.findings import Status
from opsctl.report import extension, render
from opsctl.report.csv_report import COLUMNS, render_csv, safe_cell
from opsctl.report.junit import render_junit
from tests.unit.report.fixtures import FORMULA, HOSTILE_SCRIPT, sample_result


def test_registry_has_every_format_with_its_extension():
    assert {fmt: extension(fmt) for fmt in ("markdown", "html", "sarif", "junit", "csv")} == {
        "markdown": "md", "html": "html", "sarif": "sarif", "junit": "xml", "csv": "csv"}


def test_junit_suites_counts_and_cases():
    root = ET.fromstring(render_junit(sample_result()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("7", "2", "1", "2")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["security", "availability", "cost", "operations"]
    counts = {n: tuple(s.get(k) for k in ("tests", "failures", "errors", "skipped")) for n, s in suites.items()}
    assert counts == {"security": ("2", "1", "0", "0"), "availability": ("2", "0", "1", "1"),
                      "cost": ("2", "1", "0", "0"), "operations": ("1", "0", "0", "1")}
    for s in suites.values():  # the counts agree with the cases
        cases = s.findall("testcase")
        assert len(cases) == int(s.get("tests"))
        assert sum(c.find("failure") is not None for c in cases) == int(s.get("failures"))
        assert sum(c.find("error") is not None for c in cases) == int(s.get("errors"))
        assert sum(c.find("skipped") is not None for c in cases) == int(s.get("skipped"))
    props = {p.get("name"): p.get("value") for p in suites["security"].find("properties")}
    assert props["score"] == "33.3"
    assert {p.get("name"): p.get("value") for p in suites["availability"].find("properties")}["score"] == "n/a"


def test_junit_status_mapping():
    root = ET.fromstring(render_junit(sample_result()))
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    public = cases[("s3.bucket_not_public", "arn:aws:s3:::shop-exports-ünïcødé (us-east-1)")]
    failure = public.find("failure")
    assert failure.get("type") == "critical" and HOSTILE_SCRIPT in failure.get("message")  # XML-escaped, parsed back
    assert "runbooks/s3.bucket_not_public.md" in failure.text and "AllUsers:READ" in failure.text
    assert cases[("rds.instance_multi_az", "arn:aws:rds:eu-west-1:123456789012:account (eu-west-1)")].find("error") is not None
    assert cases[("trustedadvisor.check", "arn:aws:iam::123456789012:root (global)")].find("skipped") is not None
    waived = cases[("s3.bucket_versioning", "arn:aws:s3:::shop-tmp-1 (us-east-1)")]
    assert waived.find("failure") is None
    assert waived.find("skipped").get("message").startswith("waived by platform@example.com until 2099-12-31")
    passed = cases[("s3.bucket_encryption", "arn:aws:s3:::shop-exports-ünïcødé (us-east-1)")]
    assert len(passed) == 0


def test_junit_control_characters_do_not_break_xml():
    text = render_junit(sample_result())
    assert "\x07" not in text
    ET.fromstring(text)  # parses


def test_csv_one_row_per_finding_with_header():
    rows = list(csv.DictReader(io.StringIO(render_csv(sample_result()), newline="")))
    assert len(rows) == len(sample_result().findings)
    assert tuple(rows[0]) == COLUMNS
    assert [r["status"] for r in rows] == [f.status.value for f in sample_result().findings]
    vol = next(r for r in rows if r["check_id"] == "ec2.volume_unattached")
    assert vol["monthly_savings_usd"] == "8.0" and vol["service"] == "ec2" and vol["resource_name"] == "vol-0abc"
    waived = next(r for r in rows if r["status"] == "WAIVED")
    assert waived["waiver"].startswith("waived by platform@example.com until 2099-12-31")
    public = next(r for r in rows if r["check_id"] == "s3.bucket_not_public")
    assert HOSTILE_SCRIPT in public["message"] and json.loads(public["evidence"])["public_grants"] == ["AllUsers:READ"]
    assert public["resource_id"] == "arn:aws:s3:::shop-exports-ünïcødé"


def test_csv_is_safe_against_formula_injection():
    rows = list(csv.reader(io.StringIO(render_csv(sample_result()), newline="")))
    for row in rows:
        for cell in row:
            assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), cell
    vol = next(r for r in rows if r[4] == "ec2.volume_unattached")
    assert vol[COLUMNS.index("message")].startswith("'" + FORMULA)
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("  @SUM(A1)") == "'  @SUM(A1)" and safe_cell("-2") == "'-2"
    assert safe_cell("+x") == "'+x" and safe_cell("\tx") == "\\x09x"  # a tab is shown escaped (escape.inert), so no formula either and safe_cell("plain") == "plain"
    assert safe_cell(-3.5) == -3.5 and safe_cell(None) == ""


def test_csv_keeps_pass_rows_when_called_like_audit():
    # audit passes show_pass=False for the table; CSV is one row per finding regardless
    text = render(sample_result(), "csv", color=False, width=160, show_pass=False)
    assert sum(1 for r in csv.DictReader(io.StringIO(text)) if r["status"] == Status.PASS.value) == 2


def test_junit_pillar_suites_carry_their_potential_savings():
    result = sample_result()
    suites = {s.get("name"): s for s in ET.fromstring(render_junit(result)).findall("testsuite")}
    cost = {p.get("name"): p.get("value") for p in suites["cost"].find("properties")}
    assert cost["monthly_savings_usd"] == f"{result.summary()['savings']['by_pillar']['cost']:.2f}" == "8.00"
    security = {p.get("name") for p in suites["security"].find("properties")}
    assert "monthly_savings_usd" not in security  # nothing to save there
