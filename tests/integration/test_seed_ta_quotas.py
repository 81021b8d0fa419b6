"""Trusted Advisor and Service Quotas on the full sandbox: the patched moto (opsctl/sandbox_seed/
moto_patches.py) serves both Trusted Advisor APIs and the quotas; every check of the slice fails
somewhere, Trusted Advisor's cost findings carry their savings, and nothing is a coverage gap."""

from __future__ import annotations

from collections import defaultdict

import pytest

from opsctl import sandbox
from opsctl.aws import Aws
from opsctl.collect.runner import collect
from opsctl.engine import evaluate
from opsctl.registry import load_builtin_checks

#: What the five checks read: Trusted Advisor (both APIs) on the account record; quotas and usage.
SERVICES = ["support", "trustedadvisor", "service-quotas", "iam", "ec2", "autoscaling", "lambda", "elbv2"]
OURS = ("support", "trustedadvisor", "service-quotas")
CHECKS = ("trustedadvisor.check", "quotas.ec2_on_demand_vcpus", "quotas.lambda_concurrency", "quotas.alb_count",
          "quotas.asg_count")


@pytest.fixture(scope="module")
def audited():
    with sandbox.running_server() as url, pytest.MonkeyPatch.context() as patch:
        env = sandbox.seed(url)
        for name, value in sandbox.environment(url).items():
            patch.setenv(name, value)
        snap = collect(Aws(), [env.region, env.second_region], account=env.account, services=SERVICES)
    registry = load_builtin_checks()
    return env, snap, evaluate(snap, [registry[c] for c in CHECKS])


def by_check(result):
    out = defaultdict(list)
    for f in result.findings:
        out[f.check_id].append(f)
    return out


def test_every_check_fails_somewhere_and_nothing_errors(audited):
    _, _, result = audited
    findings = by_check(result)
    for check_id in CHECKS:
        statuses = {f.status.value for f in findings[check_id]}
        assert "FAIL" in statuses, f"{check_id}: {statuses}"
        assert statuses <= {"PASS", "FAIL"}, [f.message for f in findings[check_id] if f.status.value not in ("PASS", "FAIL")]


def test_no_coverage_gap_from_trusted_advisor_or_quotas(audited):
    _, snap, _ = audited
    assert [g for g in snap.coverage if g.service in OURS] == []
    assert snap.collected["support.trusted_advisor_check"] == ["global"]
    assert snap.collected["trustedadvisor.recommendation"] == ["global"]
    assert snap.collected["servicequotas.quota"] == ["eu-west-1", "us-east-1"]


def test_quota_findings_per_region(audited):
    env, _, result = audited
    findings = by_check(result)
    for check_id in CHECKS[1:]:
        regions = {f.region: f for f in findings[check_id]}
        assert sorted(regions) == ["eu-west-1", "us-east-1"], check_id
        assert regions[env.region].status.value == "FAIL", regions[env.region].message
        assert regions[env.region].resource_id.startswith(f"arn:aws:servicequotas:{env.region}:{env.account}:")
    vcpus = next(f for f in findings["quotas.ec2_on_demand_vcpus"] if f.region == env.region)
    assert vcpus.evidence["auto_scaling_headroom_vcpus"] > 0 and vcpus.evidence["quota"] == 16


def test_trusted_advisor_findings_carry_pillars_severities_and_savings(audited):
    _, _, result = audited
    ta = by_check(result)["trustedadvisor.check"]
    fails = [f for f in ta if f.status.value == "FAIL"]
    assert {f.pillar for f in fails} >= {"cost", "security", "availability"}
    assert {f.severity.value for f in fails} == {"high", "medium"}
    cost = [f for f in fails if f.pillar == "cost"]
    assert all(f.monthly_savings_usd for f in cost), [(f.message, f.monthly_savings_usd) for f in cost]
    assert any("Low Utilization Amazon EC2 Instances" in f.message and "legacy-reporting" in f.message for f in cost)
    assert all(f.evidence["source"] == "trustedadvisor" for f in ta)  # the newer API's data wins the dedupe
    assert {f.message for f in ta if f.status.value == "PASS"} >= {'Trusted Advisor check "IAM Use" flags no resources.'}
    assert result.summary()["savings"]["by_check"]["trustedadvisor.check"] == pytest.approx(69.71)


def test_support_api_results_match_the_newer_api(audited):
    """Both APIs serve the same checks, so falling back to the Support API would say the same."""
    _, snap, _ = audited
    support = {c["id"]: c for c in snap.of_type("support.trusted_advisor_check")}
    for rec in snap.of_type("trustedadvisor.recommendation"):
        check = support[rec["check_id"]]
        assert check["status"] == rec["status"], rec["name"]
        flagged = [r for r in check["flagged_resources"] if r["status"] != "ok"]
        assert len(flagged) == len(rec["flagged_resources"]), rec["name"]
