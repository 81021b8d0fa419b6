"""JUnit and SARIF of an organisation result: a suite / a run per account, worst first, hostile
account names escaped, GitHub's 25,000 results per run, and one-account output as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
import yaml

from opsctl.escape import inert
from opsctl.findings import Severity, Status
from opsctl.report import sarif
from opsctl.report.junit import render_junit
from opsctl.report.sarif import LEVEL, MAX_RESULTS_PER_RUN, render_sarif
from tests.org_fixtures import HOSTILE_NAMES, LEGACY, ORG_ID, PROD, REASON, STAGING, f, org_result
from tests.unit.report.fixtures import sample_result

WORKFLOW = Path(__file__).resolve().parents[3] / ".github" / "workflows" / "opsctl-org-audit.yml"


def _suites(text: str) -> tuple[ET.Element, list[ET.Element]]:
    root = ET.fromstring(text)
    return root, root.findall("testsuite")


def _props(suite: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in suite.find("properties")}


def _counts(suite: ET.Element) -> tuple[int, ...]:
    return tuple(int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped"))


def _expected(result, account: str) -> tuple[int, ...]:
    c = Counter(x.status for x in result.findings if x.account == account)
    return (sum(c.values()), c[Status.FAIL], c[Status.ERROR], c[Status.SKIPPED] + c[Status.WAIVED])


def _strings(value):
    """Every string of a parsed JSON document (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _check_run_for_github(run: dict) -> None:
    """What GitHub code scanning needs of each run (as tests/unit/report/test_sarif.py checks the
    one-account run), and that the run stands alone: its results use only its own rules."""
    driver = run["tool"]["driver"]
    assert driver["name"] == "opsctl" and driver["semanticVersion"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert set(rule_ids) == {r["ruleId"] for r in run["results"]}, "only the rules the run uses"
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"].strip() and rule["fullDescription"]["text"].strip()
        assert rule["help"]["text"].strip() and rule["help"]["markdown"].strip()
        assert isinstance(rule["properties"]["security-severity"], str)
    assert len(run["results"]) <= sarif.MAX_RESULTS_PER_RUN
    for res in run["results"]:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["message"]["text"].strip() and res["level"] in ("error", "warning", "note")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "opsctl.yaml" and loc["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["opsctl/v1"] and res["partialFingerprints"]["primaryLocationLineHash"]
    assert run["automationDetails"]["id"].startswith("opsctl/") and run["automationDetails"]["id"].endswith("/")
    for inv in run.get("invocations", []):
        assert isinstance(inv["executionSuccessful"], bool)  # required by SARIF 2.1.0
        for note in inv["toolExecutionNotifications"]:
            assert note["level"] in ("none", "note", "warning", "error") and note["message"]["text"].strip()


# --- JUnit ---------------------------------------------------------------------------------------


def test_junit_one_suite_per_account_worst_first_with_its_counts():
    result = org_result()
    root, suites = _suites(render_junit(result))
    assert root.get("name") == f"opsctl audit organisation {ORG_ID}"
    assert [s.get("name") for s in suites] == [f"opsctl audit {LEGACY} (legacy)", f"opsctl audit {PROD} (prod-payments)",
                                               f"opsctl audit {STAGING} (staging)"]
    for suite, account in zip(suites, (LEGACY, PROD, STAGING), strict=True):
        assert _props(suite)["account"] == account
        assert _counts(suite) == _expected(result, account)
        cases = suite.findall("testcase")
        assert len(cases) == int(suite.get("tests"))
        assert sum(c.find("failure") is not None for c in cases) == int(suite.get("failures"))
        assert sum(c.find("error") is not None for c in cases) == int(suite.get("errors"))
        assert sum(c.find("skipped") is not None for c in cases) == int(suite.get("skipped"))
        assert all(account in c.get("name") for c in cases)  # that account's findings only
    # totals in <testsuites>: every finding once
    totals = tuple(int(root.get(k)) for k in ("tests", "failures", "errors", "skipped"))
    assert totals == tuple(map(sum, zip(*(_counts(s) for s in suites), strict=True))) == (len(result.findings), 5, 6, 1)
    prod = _props(suites[1])
    assert prod["status"] == "audited" and prod["ou_path"] == "Root/Workloads/Production" and "reason" not in prod
    assert prod["score"] == "38.5" and prod["monthly_savings_usd"] == "8.00" and prod["coverage_gaps"] == "1"
    assert suites[1].find("system-out") is None


def test_junit_unreached_account_has_its_errors_and_the_reason():
    _, suites = _suites(render_junit(org_result()))
    legacy = suites[0]
    assert _counts(legacy) == (5, 0, 5, 0)
    assert all(c.find("error") is not None for c in legacy.findall("testcase"))
    props = _props(legacy)
    assert props["status"] == "not_reached" and props["reason"] == REASON and props["score"] == "-"
    assert legacy.find("system-out").text == f"NOT REACHED: {REASON}"


def test_junit_hostile_names_are_escaped():
    result = org_result(5, hostile=True)
    text = render_junit(result)
    root, suites = _suites(text)  # valid XML
    assert "\x1b" not in text and "\x07" not in text
    assert "<script>" not in text  # only as &lt;script&gt;
    by_account = {_props(s)["account"]: s for s in suites}
    assert len(by_account) == 5
    evil = by_account[STAGING]
    assert _props(evil)["account_name"] == inert(HOSTILE_NAMES[1]) and "\\x1b[2J" in evil.get("name")
    assert _props(by_account[PROD])["account_name"] == HOSTILE_NAMES[0]  # markup is text, parsed back intact
    legacy = by_account[LEGACY]
    assert _props(legacy)["ou_path"] == "Root/\\x1b[31mred"
    assert "<img src=x onerror=alert(1)>" in legacy.find("system-out").text  # XML-escaped, parsed back as text


def test_junit_one_account_unchanged():
    root, suites = _suites(render_junit(sample_result()))
    assert root.get("name") == "opsctl audit 123456789012"
    assert [s.get("name") for s in suites] == ["security", "availability", "cost", "operations"]
    assert all(s.find("system-out") is None for s in suites)


# --- SARIF ---------------------------------------------------------------------------------------


def test_sarif_one_run_per_audited_account_with_its_own_results_and_rules():
    result = org_result()
    log = json.loads(render_sarif(result))
    runs = log["runs"]
    ids = [r["automationDetails"]["id"] for r in runs]
    assert ids == [f"opsctl/{PROD}/", f"opsctl/{STAGING}/"]  # worst first; the unreached account has no run
    assert len(set(ids)) == len(ids)
    for run, account in zip(runs, (PROD, STAGING), strict=True):
        _check_run_for_github(run)
        fails = [x for x in result.findings if x.account == account and x.status is Status.FAIL]
        assert len(run["results"]) == len(fails)
        assert {r["properties"]["account"] for r in run["results"]} == {account}
        assert all(f"Account: {account} (" in r["message"]["text"] for r in run["results"])
        props = run["properties"]
        assert props["account"] == account and props["organization"] == ORG_ID
        assert props["by_status"]["FAIL"] == len(fails)
        assert "truncated" not in props and "invocations" not in run
    assert runs[0]["properties"]["account_name"] == "prod-payments"
    assert runs[0]["properties"]["savings"]["total_monthly_usd"] == 8.0
    assert [r["id"] for r in runs[1]["tool"]["driver"]["rules"]] == ["ec2.volume_unattached", "s3.bucket_encryption"]
    # the account not reached: no run (an empty analysis would close its alerts), said at the top
    assert log["properties"]["accounts_without_run"] == [{"id": LEGACY, "name": "legacy", "reason": REASON}]


def test_sarif_account_over_github_limit_keeps_the_worst_and_says_so():
    result = org_result(extra_fails={PROD: 25_010})
    result.findings.reverse()  # the lowest severities first: the cut must not take the result's order
    log = json.loads(render_sarif(result))
    prod = next(r for r in log["runs"] if r["automationDetails"]["id"] == f"opsctl/{PROD}/")
    fails = [x for x in result.findings if x.account == PROD and x.status is Status.FAIL]
    assert len(fails) == 25_013 and MAX_RESULTS_PER_RUN == 25_000
    _check_run_for_github(prod)
    assert len(prod["results"]) == 25_000
    assert prod["properties"]["truncated"] == {"results_total": 25_013, "results_kept": 25_000, "results_left_out": 13}
    [note] = prod["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert "13 of the 25,013" in note["message"]["text"] and "JSON result" in note["message"]["text"]
    kept = Counter(r["level"] for r in prod["results"])
    every = Counter(LEVEL[x.severity.value] for x in fails)
    assert kept["error"] == every["error"] and kept["warning"] == every["warning"]  # critical, high, medium all kept
    assert every["note"] - kept["note"] == 13  # only low/info left out
    assert Counter(r["properties"]["severity"] for r in prod["results"])["critical"] == sum(
        x.severity is Severity.CRITICAL for x in fails)
    other = next(r for r in log["runs"] if r["automationDetails"]["id"] == f"opsctl/{STAGING}/")
    assert "invocations" not in other and "truncated" not in other["properties"]


def test_sarif_cut_keeps_critical_over_low(monkeypatch):
    monkeypatch.setattr(sarif, "MAX_RESULTS_PER_RUN", 300)  # the cut as at 25,000, rendered faster
    result = org_result()
    lows = [f(PROD, "s3.bucket_logging", Status.FAIL, Severity.LOW, resource=f"arn:aws:s3:::low-{i:05d}")
            for i in range(300)]
    criticals = [f(PROD, "s3.bucket_not_public", Status.FAIL, Severity.CRITICAL, resource=f"arn:aws:s3:::crit-{i}")
                 for i in range(7)]
    result.findings = [x for x in result.findings if x.account != PROD] + lows + criticals  # criticals last
    run = json.loads(render_sarif(result))["runs"][0]
    assert run["automationDetails"]["id"] == f"opsctl/{PROD}/" and len(run["results"]) == 300
    names = {r["properties"]["resource_id"] for r in run["results"]}
    assert {x.resource_id for x in criticals} <= names
    assert run["properties"]["truncated"]["results_left_out"] == 7
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["s3.bucket_logging", "s3.bucket_not_public"]


def test_sarif_hostile_names_are_escaped():
    log = json.loads(render_sarif(org_result(5, hostile=True)))
    strings = list(_strings(log))
    assert not any("\x1b" in s or "\x07" in s for s in strings)
    by_account = {r["properties"]["account"]: r for r in log["runs"]}
    assert by_account[STAGING]["properties"]["account_name"] == inert(HOSTILE_NAMES[1])
    assert "\\x1b[2J" in by_account[STAGING]["results"][0]["message"]["text"]
    for run in log["runs"]:
        _check_run_for_github(run)


def test_sarif_one_account_unchanged_shape():
    log = json.loads(render_sarif(sample_result(), sarif_location="opsctl.yaml"))
    assert set(log) == {"$schema", "version", "runs"} and len(log["runs"]) == 1
    run = log["runs"][0]
    assert run["automationDetails"]["id"] == "opsctl/123456789012/"
    assert set(run) == {"tool", "automationDetails", "originalUriBaseIds", "results", "properties"}
    assert all("account" not in r["properties"] for r in run["results"])
    assert all("Account:" not in r["message"]["text"] for r in run["results"])
    _check_run_for_github(run)


def test_one_account_over_the_limit_is_cut_too(monkeypatch):
    monkeypatch.setattr(sarif, "MAX_RESULTS_PER_RUN", 300)
    result = sample_result(config_file="opsctl.yaml")
    result.findings += [f("", "s3.bucket_logging", Status.FAIL, Severity.INFO, resource=f"arn:aws:s3:::b-{i:05d}")
                        for i in range(300)]
    [run] = json.loads(render_sarif(result))["runs"]
    assert len(run["results"]) == 300 and run["properties"]["truncated"]["results_left_out"] == 2
    assert {"s3.bucket_not_public", "ec2.volume_unattached"} <= {r["ruleId"] for r in run["results"]}
    assert "this audit" in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


def _split_script() -> str:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    step = next(s for s in jobs["merge"]["steps"] if s.get("id") == "sarif")
    body = step["run"]
    return body[body.index("<<'PY'\n") + len("<<'PY'\n"):body.rindex("PY")]


@pytest.mark.skipif(not WORKFLOW.exists(), reason="the organisation workflow is not in this checkout")
def test_sarif_splits_as_the_workflow_does_into_self_contained_parts(tmp_path):
    result = org_result(45)
    source = tmp_path / "opsctl-report.sarif"
    source.write_text(render_sarif(result))
    out = tmp_path / "github-output"
    proc = subprocess.run([sys.executable, "-", str(source), str(tmp_path / "parts")], input=_split_script(),
                          text=True, capture_output=True, env={**os.environ, "GITHUB_OUTPUT": str(out)}, check=False)
    assert proc.returncode == 0, proc.stderr
    parts = json.loads(out.read_text().split("parts=", 1)[1])
    logs = [json.loads((tmp_path / "parts" / p).read_text()) for p in parts]
    assert [len(x["runs"]) for x in logs] == [20, 20, 4]  # 44 audited accounts, one not reached
    ids = [r["automationDetails"]["id"] for x in logs for r in x["runs"]]
    assert len(set(ids)) == 44
    for x in logs:
        assert x["version"] == "2.1.0" and x["$schema"]
        for run in x["runs"]:
            _check_run_for_github(run)
