"""SARIF 2.1.0 as GitHub code scanning accepts it, field by field (see opsctl/report/sarif.py)."""

from __future__ import annotations

import json

import pytest

from opsctl.errors import UsageError
from opsctl.findings import Status
from opsctl.report import render
from opsctl.report.sarif import fingerprint, parse_location, render_sarif
from tests.unit.report.fixtures import sample_result


@pytest.fixture
def log():
    return json.loads(render_sarif(sample_result(), sarif_location="ci/opsctl.yaml:7"))


def test_log_header(log):
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert len(log["runs"]) == 1


def test_driver_and_rules(log):
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "opsctl" and driver["semanticVersion"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["ec2.volume_unattached", "s3.bucket_not_public"]  # FAIL checks only
    for rule in rules:
        assert rule["shortDescription"]["text"].strip()
        assert rule["fullDescription"]["text"].strip() and len(rule["fullDescription"]["text"]) <= 1024
        assert rule["help"]["text"].strip() and rule["help"]["markdown"].strip()
        sev = rule["properties"]["security-severity"]
        assert isinstance(sev, str) and 0.0 < float(sev) <= 10.0
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert "opsctl" in rule["properties"]["tags"]
    by_id = {r["id"]: r for r in rules}
    public = by_id["s3.bucket_not_public"]
    assert float(public["properties"]["security-severity"]) >= 9.0  # critical
    assert "security" in public["properties"]["tags"]
    # help in Markdown is the runbook shipped with opsctl; full description its "What it checks"
    assert public["help"]["markdown"].startswith("# s3.bucket_not_public") and "## How to fix" in public["help"]["markdown"]
    assert "AllUsers" in public["fullDescription"]["text"]
    assert 0.0 < float(by_id["ec2.volume_unattached"]["properties"]["security-severity"]) < 4.0  # low


def test_results_only_fail_each_with_rule_message_location_fingerprint(log):
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = run["results"]
    assert len(results) == sum(1 for f in sample_result().findings if f.status is Status.FAIL) == 2
    for res in results:
        assert res["ruleId"] in rule_ids and rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["message"]["text"].strip()
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert uri == "ci/opsctl.yaml" and not uri.startswith("/") and "://" not in uri
        assert loc["region"]["startLine"] == 7 >= 1
        fp = res["partialFingerprints"]
        assert fp["opsctl/v1"] and fp["primaryLocationLineHash"]
    public = next(r for r in results if r["ruleId"] == "s3.bucket_not_public")
    assert "arn:aws:s3:::shop-exports-ünïcødé" in public["message"]["text"]  # the ARN is in the message
    assert public["partialFingerprints"]["opsctl/v1"] == fingerprint("s3.bucket_not_public", "arn:aws:s3:::shop-exports-ünïcødé")
    assert run["automationDetails"]["id"] == "opsctl/123456789012/"


def test_fingerprints_stable_across_runs_and_unique_per_finding():
    a = json.loads(render_sarif(sample_result(evaluated_at="2026-01-01"), sarif_location="opsctl.yaml"))
    b = json.loads(render_sarif(sample_result(evaluated_at="2027-06-30"), sarif_location="opsctl.yaml:3"))
    fps = lambda log: [r["partialFingerprints"] for r in log["runs"][0]["results"]]  # noqa: E731
    assert fps(a) == fps(b)
    assert len({f["primaryLocationLineHash"] for f in fps(a)}) == len(fps(a))


def test_waived_error_skipped_pass_are_not_results(log):
    text = json.dumps(log["runs"][0]["results"])
    assert "shop-tmp-1" not in text and "rds.instance_multi_az" not in text and "trustedadvisor" not in text


def test_location_defaults_to_the_config_file_in_metadata():
    log = json.loads(render(sample_result(config_file="opsctl.yaml"), "sarif"))
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "opsctl.yaml" and loc["region"]["startLine"] == 1


def test_location_uri_is_percent_encoded():
    log = json.loads(render(sample_result(), "sarif", sarif_location="ci/my config.yaml:3"))
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "ci/my%20config.yaml" and loc["region"]["startLine"] == 3


def test_no_location_is_a_usage_error():
    with pytest.raises(UsageError, match="--sarif-location"):
        render_sarif(sample_result())


@pytest.mark.parametrize("value, expected", [
    ("opsctl.yaml", ("opsctl.yaml", 1)),
    ("./ci/opsctl.yaml:12", ("ci/opsctl.yaml", 12)),
    ("ci\\opsctl.yaml", ("ci/opsctl.yaml", 1)),
    ({"uri": "infra/spec.yaml", "line": 4}, ("infra/spec.yaml", 4)),
    (None, None),
])
def test_parse_location(value, expected):
    assert parse_location(value) == expected


@pytest.mark.parametrize("value", ["/etc/opsctl.yaml", "../outside.yaml", "https://x/y.yaml", "C:\\x\\opsctl.yaml", "a.yaml:0"])
def test_parse_location_refuses_what_github_cannot_match(value):
    with pytest.raises(UsageError):
        parse_location(value)


def test_runbooks_can_be_passed_in():
    log = json.loads(render_sarif(sample_result(), sarif_location="opsctl.yaml",
                                  runbooks={"s3.bucket_not_public": "# custom\n\n## What it checks\nSomething.\n"},
                                  runbook_base_url="https://example.com/opsctl/"))
    rule = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "s3.bucket_not_public")
    assert rule["help"]["markdown"].startswith("# custom") and rule["fullDescription"]["text"] == "Something."
    assert rule["helpUri"] == "https://example.com/opsctl/runbooks/s3.bucket_not_public.md"
    other = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "ec2.volume_unattached")
    assert "opsctl explain ec2.volume_unattached" in other["help"]["markdown"]  # no runbook given: a pointer


def test_run_properties_carry_the_savings_summary():
    result = sample_result()
    log = json.loads(render_sarif(result, sarif_location="opsctl.yaml"))
    assert log["runs"][0]["properties"]["savings"] == result.summary()["savings"]
    assert log["runs"][0]["properties"]["savings"]["total_monthly_usd"] == 8.0
