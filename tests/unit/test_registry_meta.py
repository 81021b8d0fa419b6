"""Lints the whole registry (after Ruff's and Cloud Custodian's meta-tests): every check has valid
metadata, a runbook with the required sections, unit cases expecting PASS and FAIL, and matches
the product catalogue (../shared/CATALOGUE.md) on pillar and severity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opsctl.paths import runbook_path
from opsctl.registry import load_builtin_checks
from tests.unit.checks.test_cases import all_cases

REGISTRY = load_builtin_checks()
IDS = sorted(REGISTRY)
RUNBOOK_SECTIONS = ["## What it checks", "## Why it matters", "## How to fix", "## Known false positives", "## References"]
CATALOGUE = Path(__file__).resolve().parents[3] / "shared" / "CATALOGUE.md"

#: Catalogue sections delivered so far: every section, architecture conformance (arch.*, issue 6) included.
IN_SCOPE_PREFIXES = ("s3.", "cloudfront.", "elb.", "autoscaling.", "ec2.", "lambda.", "rds.", "dynamodb.",
                     "route53.", "cloudwatch.", "logs.", "cloudtrail.", "budgets.", "iam.", "kms.", "acm.",
                     "quotas.", "trustedadvisor.", "arch.")
LATER: set[str] = set()


def catalogue_rows() -> dict[str, tuple[str, str]]:
    if not CATALOGUE.is_file():
        pytest.skip(f"{CATALOGUE} is not beside the checkout")
    rows = {}
    for line in CATALOGUE.read_text().splitlines():
        m = re.match(r"^\| ([a-z0-9]+\.[a-z0-9_]+) \| ([a-z]+|by category) \| ([a-z]+|by TA status[^|]*) \|", line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def test_registry_is_not_empty():
    assert len(REGISTRY) >= 50


@pytest.mark.parametrize("check_id", IDS)
def test_runbook_exists_with_required_sections(check_id):
    path = runbook_path(check_id)
    assert path.is_file(), f"{check_id} has no runbook at {path}"
    text = path.read_text()
    assert text.startswith(f"# {check_id}"), f"{path} must start with '# {check_id}: <title>'"
    positions = [text.find(h) for h in RUNBOOK_SECTIONS]
    assert all(p >= 0 for p in positions), f"{path} lacks {[h for h, p in zip(RUNBOOK_SECTIONS, positions, strict=True) if p < 0]}"
    assert positions == sorted(positions), f"{path}: sections out of order"
    fix = text[text.find("## How to fix"):text.find("## Known false positives")]
    assert re.search(r"### (AWS CLI|Console)", fix) and re.search(r"### (CloudFormation|Terraform)", fix), f"{path}: How to fix needs console/CLI and IaC"
    assert "http" in text[text.find("## References"):], f"{path}: References need links"


def test_every_check_has_pass_and_fail_cases():
    cases = all_cases()
    expectations: dict[str, set[str]] = {}
    for case in cases:
        expectations.setdefault(case.check_id, set()).update(case.expect)
    missing = {cid: sorted({"PASS", "FAIL"} - expectations.get(cid, set())) for cid in IDS}
    missing = {cid: m for cid, m in missing.items() if m}
    assert not missing, f"checks without PASS/FAIL unit cases: {missing}"
    unknown = sorted(set(expectations) - set(IDS))
    assert not unknown, f"CASES name unregistered checks: {unknown}"


def test_every_runbook_belongs_to_a_check():
    folder = runbook_path("x").parent
    orphans = sorted(p.stem for p in folder.glob("*.md") if p.stem not in REGISTRY and p.stem != "README")
    assert not orphans, f"runbooks without a check: {orphans}"


def test_checks_match_the_catalogue():
    rows = catalogue_rows()
    for cid, spec in REGISTRY.items():
        if cid in rows and rows[cid][0] != "by category":
            assert (spec.pillar, spec.severity.value) == rows[cid], f"{cid}: catalogue says {rows[cid]}"
    in_scope = {cid for cid in rows if cid.startswith(IN_SCOPE_PREFIXES) and cid not in LATER}
    assert in_scope - set(REGISTRY) == set(), f"catalogue checks not implemented: {sorted(in_scope - set(REGISTRY))}"


def test_checks_import_no_boto():
    checks_dir = Path(__import__("opsctl.checks", fromlist=["x"]).__file__).parent
    offenders = [p.name for p in checks_dir.glob("*.py") if re.search(r"^\s*(import|from)\s+(boto3|botocore)", p.read_text(), re.M)]
    assert not offenders, f"checks must be pure (no boto3/botocore): {offenders}"
