"""Diffing two results: every status change lands in the right category; scores compare when present."""

from __future__ import annotations

import json
import re

import pytest

from opsctl.diff import compare_scores, diff_results, load_result, new_failures
from opsctl.errors import UsageError
from opsctl.findings import Finding, Severity, Status
from opsctl.report.diff_report import render_diff


def f(check, resource, status, severity="high", region="us-east-1"):
    return {"check_id": check, "resource_id": resource, "status": status, "severity": severity, "pillar": "security",
            "region": region, "title": "t", "message": f"{check} on {resource} is {status}."}


def result(*findings, checks=("a.x", "a.y", "b.z"), account="123456789012", scores=None):
    summary = {"scores": scores} if scores is not None else {}
    return {"schema_version": 1, "account": account, "regions": ["us-east-1"], "checks_run": list(checks),
            "findings": list(findings), "summary": summary, "metadata": {"evaluated_at": "2026-01-01T00:00:00+00:00"}}


def keys(d, cat):
    return [(e["check_id"], e["resource_id"], e["before"], e["after"]) for e in d["findings"][cat]]


@pytest.mark.parametrize(
    "before, after, category",
    [
        (None, "FAIL", "new"),
        ("PASS", "FAIL", "new"),
        ("ERROR", "FAIL", "new"),
        ("WAIVED", "FAIL", "new"),
        ("SKIPPED", "FAIL", "new"),
        ("FAIL", "FAIL", "unchanged"),
        ("FAIL", "PASS", "resolved"),
        ("FAIL", "ERROR", "unknown"),
        ("FAIL", "SKIPPED", "unknown"),
        ("FAIL", "WAIVED", "waived"),
        ("PASS", "PASS", None),
        ("ERROR", "PASS", None),
        ("WAIVED", "WAIVED", None),
        ("PASS", None, None),
    ],
)
def test_status_changes(before, after, category):
    old = result(*([f("a.x", "r1", before)] if before else []))
    new = result(*([f("a.x", "r1", after)] if after else []))
    d = diff_results(old, new)
    found = [c for c, entries in d["findings"].items() if entries]
    assert found == ([category] if category else [])
    if category:
        (entry,) = d["findings"][category]
        assert (entry["before"], entry["after"]) == (before, after)
        assert d["counts"][category] == 1


def test_fail_that_disappears_is_resolved_only_if_its_check_ran():
    old = result(f("a.x", "deleted-bucket", "FAIL"), f("b.z", "r", "FAIL"))
    new = result(checks=("a.x",))
    d = diff_results(old, new)
    assert keys(d, "resolved") == [("a.x", "deleted-bucket", "FAIL", None)]
    assert keys(d, "unknown") == [("b.z", "r", "FAIL", None)]
    assert "did not run" in d["findings"]["unknown"][0]["note"]


def test_matching_is_by_check_and_resource_and_sorted_by_severity():
    old = result(f("a.x", "r1", "FAIL"), f("a.y", "r1", "PASS"))
    new = result(f("a.x", "r2", "FAIL", "low"), f("a.y", "r1", "FAIL", "critical"), f("a.x", "r1", "FAIL"))
    d = diff_results(old, new)
    assert keys(d, "new") == [("a.y", "r1", "PASS", "FAIL"), ("a.x", "r2", None, "FAIL")]
    assert keys(d, "unchanged") == [("a.x", "r1", "FAIL", "FAIL")]
    assert d["counts"] == {"new": 2, "resolved": 0, "unchanged": 1, "unknown": 0, "waived": 0}


def test_duplicate_key_counts_its_worst_status():
    old = result(f("a.x", "r1", "FAIL", region="us-east-1"), f("a.x", "r1", "PASS", region="eu-west-1"))
    new = result(f("a.x", "r1", "PASS", region="us-east-1"), f("a.x", "r1", "PASS", region="eu-west-1"))
    assert keys(diff_results(old, new), "resolved") == [("a.x", "r1", "FAIL", "PASS")]


def test_warnings_for_different_accounts_and_regions():
    d = diff_results(result(), {**result(account="210987654321"), "regions": ["eu-west-1"]})
    assert any("different accounts" in w for w in d["warnings"]) and any("different regions" in w for w in d["warnings"])


def test_scores_compared_per_pillar_when_both_have_them():
    s1 = {"overall": 60.0, "by_pillar": {"security": 50.0, "cost": None, "performance": None}, "weights": {"high": 5}}
    s2 = {"overall": 70.5, "by_pillar": {"security": 80.0, "cost": 90.0, "performance": None}, "weights": {"high": 5}}
    got = compare_scores(result(scores=s1), result(scores=s2))
    assert got == {"overall": {"old": 60.0, "new": 70.5, "delta": 10.5}, "security": {"old": 50.0, "new": 80.0, "delta": 30.0},
                   "cost": {"old": None, "new": 90.0, "delta": None}}
    assert compare_scores(result(), result(scores=s2)) is None
    assert diff_results(result(scores=s1), result())["scores"] is None
    assert compare_scores(result(scores={"security": 1}), result(scores={"security": 3})) == {
        "security": {"old": 1.0, "new": 3.0, "delta": 2.0}}


def test_new_failures_for_fail_on_new():
    baseline = result(f("a.x", "r1", "FAIL"), f("a.y", "r1", "WAIVED"))
    now = [Finding(c, "t", Status(s), Severity.HIGH, "security", r, "x", "us-east-1", "m.")
           for c, r, s in [("a.x", "r1", "FAIL"), ("a.y", "r1", "FAIL"), ("b.z", "r9", "FAIL"), ("b.z", "r8", "PASS")]]
    assert {k[1:] for k in new_failures(baseline, now)} == {("a.y", "r1"), ("b.z", "r9")}


def test_renderings():
    old = result(f("a.x", "r1", "FAIL"), f("a.y", "arn:aws:s3:::b|1", "FAIL"), scores={"overall": 50.0, "by_pillar": {}})
    new = result(f("a.x", "r1", "PASS"), f("a.y", "arn:aws:s3:::b|1", "ERROR"), f("b.z", "r3", "FAIL"),
                 scores={"overall": 55.0, "by_pillar": {}})
    d = diff_results(old, new)
    md = render_diff(d, "markdown")
    assert "**1 new, 1 resolved, 0 unchanged, 1 unknown now**" in md
    assert "### Resolved (1)" in md and "FAIL → PASS" in md and "FAIL → ERROR" in md and "not resolved" in md
    assert "b\\|1" in md and "| overall | 50 | 55 | +5 |" in md
    table = render_diff(d, "table")
    assert "1 new, 1 resolved" in table and "Resolved (1)" in table and "\x1b[" not in table
    assert json.loads(render_diff(d, "json"))["counts"]["unknown"] == 1
    assert "Unchanged" not in render_diff(diff_results(old, old), "table", show_unchanged=False)


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "bad.json:1: not valid JSON"),
        ('{"a": 1}', "bad.json: not an opsctl result (no findings list)"),
        ('{"schema_version": 9, "findings": []}', "schema_version 9 is not supported"),
        ('{"schema_version": 1, "findings": [{"check_id": "a.b"}]}', "finding #1 lacks status, severity, pillar, resource_id, message"),
    ],
)
def test_load_result_rejects_what_is_not_a_result(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text(content)
    with pytest.raises(UsageError, match=re.escape(message)):
        load_result("bad.json", "OLD.json")
    with pytest.raises(UsageError, match="OLD.json: cannot read"):
        load_result("missing.json", "OLD.json")
