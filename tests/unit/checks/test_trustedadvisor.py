"""Cases for the Trusted Advisor check (checks/trustedadvisor.py): both APIs, plans, savings, dedupe."""

from __future__ import annotations

from typing import Any

import pytest

from opsctl.snapshot import CoverageGap
from tests.helpers import ACCOUNT, Case, run, snapshot

CHECK = "trustedadvisor.check"
SUPPORT = "support.trusted_advisor_check"
NEWER = "trustedadvisor.recommendation"
EC2_COLUMNS = ("Region/AZ", "Instance ID", "Instance Name", "Instance Type", "Estimated Monthly Savings")


def account() -> dict[str, Any]:
    return {"arn": f"arn:aws:iam::{ACCOUNT}:root", "id": ACCOUNT, "name": ACCOUNT, "region": "global", "tags": {}}


def row(resource_id: str, status: str = "warning", region: str | None = "us-east-1", suppressed: bool = False,
        **metadata: str) -> dict[str, Any]:
    """A Support API flagged resource (metadata keys use _ for spaces)."""
    return {"resource_id": resource_id, "status": status, "region": region, "is_suppressed": suppressed,
            "metadata": {k.replace("_", " "): v for k, v in metadata.items()}}


def ec2_row(instance: str, savings: str | None, status: str = "warning") -> dict[str, Any]:
    values = ("us-east-1a", instance, f"{instance}-name", "m5.large", savings)
    return {"resource_id": f"hash-{instance}", "status": status, "region": "us-east-1", "is_suppressed": False,
            "metadata": dict(zip(EC2_COLUMNS, values, strict=True))}


def ta(check_id: str, name: str, category: str, status: str, rows: list[dict[str, Any]] | None = None,
       savings: float | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    record = {"id": check_id, "name": name, "category": category,
              "arn": f"arn:aws:trustedadvisor::{ACCOUNT}:checks/{category}/{check_id}", "region": "global", "tags": {},
              "status": status, "has_flagged_resources": bool(rows), "flagged_resources": rows or [],
              "resources_summary": {"processed": 3, "flagged": len(rows or []), "ignored": 0, "suppressed": 0},
              "estimated_monthly_savings": savings, "result_timestamp": "2026-01-02T03:04:05Z"}
    if errors:
        record["errors"] = errors
    return record


def rec(check_id: str | None, name: str, pillars: list[str], status: str, rows: list[dict[str, Any]] | None = None,
        savings: float | None = None, errors: dict[str, str] | None = None, kind: str = "standard") -> dict[str, Any]:
    rec_id = f"rec-{check_id or name}".lower().replace(" ", "-")
    record = {"arn": f"arn:aws:trustedadvisor::{ACCOUNT}:recommendation/{rec_id}", "id": rec_id, "name": name,
              "region": "global", "check_arn": f"arn:aws:trustedadvisor:::check/{check_id}" if check_id else None,
              "check_id": check_id, "status": status, "pillars": pillars, "source": "ta_check" if check_id else "security_hub",
              "recommendation_type": kind, "lifecycle_stage": None, "aws_services": ["ec2"],
              "resources_aggregates": {"ok": 1, "warning": len(rows or []), "error": 0, "excluded": 0},
              "estimated_monthly_savings": savings, "last_updated_at": "2026-01-02T03:04:05+00:00",
              "flagged_resources": rows or [], "tags": {}}
    if errors:
        record["errors"] = errors
        for name_ in errors:
            record.pop(name_, None)
    return record


def nrow(aws_id: str, status: str = "warning", region: str = "us-east-1", **metadata: str) -> dict[str, Any]:
    """A TrustedAdvisor API resource: a real ARN and the resource's own id."""
    return {"resource_id": aws_id, "arn": f"arn:aws:trustedadvisor::{ACCOUNT}:recommendation-resource/r/{aws_id}",
            "status": status, "region": region, "is_suppressed": False,
            "metadata": {k.replace("_", " "): v for k, v in metadata.items()}}


def data(support: list[dict[str, Any]] | None = None, newer: list[dict[str, Any]] | None = None) -> dict[str, list]:
    return {"iam.account": [account()], SUPPORT: support or [], NEWER: newer or []}


def listing_gap(resource_type: str, code: str, service: str = "support",
                operation: str = "DescribeTrustedAdvisorChecks") -> CoverageGap:
    return CoverageGap(service, "global", operation, code, "the call failed", resource_type, "")


NO_NEWER = listing_gap(NEWER, "HTTP404", "trustedadvisor", "ListRecommendations")
LOW_EC2 = ("Qch7DwouX1", "Low Utilization Amazon EC2 Instances", "cost_optimizing")
SG_PORTS = ("HCP4007jGY", "Security Groups - Specific Ports Unrestricted", "security")
EBS = ("DAvU99Dc4C", "Underutilized Amazon EBS Volumes", "cost_optimizing")
ROOT_MFA = ("7DAFEmoDos", "MFA on Root Account", "security")
SG_ROW = dict(Region="us-east-1", Security_Group_Name="legacy-db", Security_Group_ID="sg-0123", Ports="3306")

CASES = [
    Case(CHECK, "ok check", data([ta(*SG_PORTS, "ok")]), ["PASS"], message_contains='"Security Groups - Specific Ports Unrestricted"'),
    Case(CHECK, "one finding per flagged resource",
         data([ta(*LOW_EC2, "warning", [ec2_row("i-1", "$61.32"), ec2_row("i-2", "$12.00")], savings=73.32)]),
         ["FAIL", "FAIL"], message_contains="Low Utilization Amazon EC2 Instances"),
    Case(CHECK, "error status", data([ta(*SG_PORTS, "error", [row("h1", "error", **SG_ROW)])]), ["FAIL"],
         message_contains="flags sg-0123 (legacy-db) in us-east-1 (error)"),
    Case(CHECK, "ok and suppressed rows of a flagged check are not findings",
         data([ta(*SG_PORTS, "warning", [row("h1", "warning", **SG_ROW), row("h2", "ok", **SG_ROW),
                                           row("h3", "warning", suppressed=True, **SG_ROW)])]), ["FAIL"]),
    Case(CHECK, "flagged check without rows fails once", data([ta(*ROOT_MFA, "error")]), ["FAIL"],
         message_contains='"MFA on Root Account" has status error'),
    Case(CHECK, "not_available: no finding", data([ta(*EBS, "not_available")]), []),
    Case(CHECK, "no checks at all: nothing to report", data([]), []),
    Case(CHECK, "result could not be read", data([ta(*SG_PORTS, "warning", errors={
        "status": "support:DescribeTrustedAdvisorCheckResult in global failed with Throttling: slow down",
        "flagged_resources": "support:DescribeTrustedAdvisorCheckResult in global failed with Throttling: slow down"})]),
         ["ERROR"], message_contains="DescribeTrustedAdvisorCheckResult"),
    Case(CHECK, "rows could not be read", data([ta(*SG_PORTS, "warning", errors={"flagged_resources": "denied"})]), ["ERROR"]),
    Case(CHECK, "no support plan", data(), ["SKIPPED"], coverage=[listing_gap(SUPPORT, "SubscriptionRequiredException"), NO_NEWER],
         message_contains="Business, Enterprise On-Ramp or Enterprise support plan; this account's Support API answered "
                          "SubscriptionRequiredException"),
    Case(CHECK, "access denied on the Support API", data(), ["SKIPPED"],
         coverage=[listing_gap(SUPPORT, "AccessDeniedException"),
                   listing_gap(NEWER, "AccessDeniedException", "trustedadvisor", "ListRecommendations")],
         message_contains="AccessDeniedException"),
    Case(CHECK, "other failure: ERROR naming the call", data(), ["ERROR"],
         coverage=[listing_gap(SUPPORT, "ThrottlingException"), NO_NEWER], message_contains="DescribeTrustedAdvisorChecks"),
    Case(CHECK, "Support API only (newer API unreachable)", data([ta(*SG_PORTS, "ok"), ta(*ROOT_MFA, "error")]),
         ["FAIL", "PASS"], coverage=[NO_NEWER]),  # sorted by pillar, then name
    Case(CHECK, "newer API only (Support API denied)", data(newer=[rec(SG_PORTS[0], SG_PORTS[1], ["security"], "warning",
                                                                      [nrow("sg-0123", **SG_ROW)])]),
         ["FAIL"], coverage=[listing_gap(SUPPORT, "AccessDeniedException")]),
    Case(CHECK, "both APIs: one finding per resource, not two",
         data([ta(*SG_PORTS, "warning", [row("h1", **SG_ROW)])],
              [rec(SG_PORTS[0], SG_PORTS[1], ["security"], "warning", [nrow("sg-0123", **SG_ROW)])]), ["FAIL"]),
    Case(CHECK, "recommendation of another source", data(newer=[rec(None, "S3 general purpose buckets should block public access",
                                                                      ["security"], "warning", [nrow("assets-bucket")])]),
         ["FAIL"], message_contains="flags assets-bucket"),
]


def one(findings):
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def test_pillar_severity_and_savings_per_resource():
    snap = snapshot(data([ta(*LOW_EC2, "warning", [ec2_row("i-1", "$1,061.32"), ec2_row("i-2", "12", status="error")],
                            savings=1073.32)]))
    first, second = run(CHECK, snap)
    assert (first.pillar, first.severity.value, first.monthly_savings_usd) == ("cost", "medium", 1061.32)
    assert (second.severity.value, second.monthly_savings_usd) == ("high", 12.0)
    assert "estimated savings $1,061.32/month" in first.message and "i-1 (i-1-name)" in first.message
    # named by the resource's own id from the row's metadata, not Trusted Advisor's hash
    assert first.resource_id == f"arn:aws:trustedadvisor::{ACCOUNT}:checks/cost_optimizing/Qch7DwouX1/i-1"
    assert first.region == "us-east-1" and first.evidence["source"] == "support"
    assert first.evidence["metadata"]["Instance Type"] == "m5.large" and first.evidence["aws_resource_id"] == "i-1"


def test_check_total_is_carried_on_one_finding_when_rows_have_no_figure():
    rows = [row("v1", Volume_ID="vol-1", Volume_Name="scratch", Monthly_Storage_Cost="$10.00"),
            row("v2", Volume_ID="vol-2", Monthly_Storage_Cost="$4.00")]
    first, second = run(CHECK, snapshot(data([ta(*EBS, "warning", rows, savings=14.0)])))
    assert (first.monthly_savings_usd, second.monthly_savings_usd) == (14.0, None)
    assert "carried on this finding only" in first.evidence["savings_note"]
    assert "carried on another finding" in second.evidence["savings_note"]
    assert "vol-1 (scratch)" in first.message


def test_cost_check_without_any_estimate_says_so():
    finding = one(run(CHECK, snapshot(data([ta(*EBS, "warning", [row("v1", Volume_ID="vol-1")])]))))
    assert finding.monthly_savings_usd is None and "no savings estimate" in finding.evidence["savings_note"]


def test_savings_only_for_cost_checks():
    sg = row("h1", Estimated_Monthly_Savings="$5", **SG_ROW)
    finding = one(run(CHECK, snapshot(data([ta(*SG_PORTS, "warning", [sg], savings=5.0)]))))
    assert finding.pillar == "security" and finding.monthly_savings_usd is None


@pytest.mark.parametrize(("category", "pillar"), [
    ("cost_optimizing", "cost"), ("security", "security"), ("fault_tolerance", "availability"),
    ("performance", "performance"), ("service_limits", "scalability"), ("operational_excellence", "operations"),
    ("something_new", "operations"),
])
def test_category_maps_to_pillar(category, pillar):
    finding = one(run(CHECK, snapshot(data([ta("X1", "Some check", category, "ok")]))))
    assert finding.pillar == pillar and finding.status.value == "PASS"


def test_newer_api_wins_and_keeps_support_category():
    support = ta(*LOW_EC2, "warning", [ec2_row("i-1", "$61.32")], savings=61.32)
    newer = rec(LOW_EC2[0], LOW_EC2[1], ["performance", "cost_optimizing"], "warning",
                [nrow("i-1", **dict(zip(("Region/AZ", "Instance_Name", "Estimated_Monthly_Savings"),
                                        ("us-east-1a", "web", "$70.00"), strict=True)))], savings=70.0)
    finding = one(run(CHECK, snapshot(data([support], [newer]))))
    assert finding.evidence["source"] == "trustedadvisor" and finding.pillar == "cost"
    assert finding.monthly_savings_usd == 70.0 and finding.resource_id.endswith("recommendation-resource/r/i-1")
    assert "i-1 (web)" in finding.message and finding.evidence["aws_resource_id"] == "i-1"


def test_incomplete_newer_record_falls_back_to_support():
    support = ta(*SG_PORTS, "warning", [row("h1", **SG_ROW)])
    newer = rec(SG_PORTS[0], SG_PORTS[1], ["security"], "warning", errors={"flagged_resources": "trustedadvisor: denied"})
    finding = one(run(CHECK, snapshot(data([support], [newer]))))
    assert finding.status.value == "FAIL" and finding.evidence["source"] == "support"


def test_incomplete_newer_record_alone_is_error():
    newer = rec(SG_PORTS[0], SG_PORTS[1], ["security"], "warning", errors={"flagged_resources": "trustedadvisor: denied"})
    finding = one(run(CHECK, snapshot(data(newer=[newer]), coverage=[listing_gap(SUPPORT, "SubscriptionRequiredException")])))
    assert finding.status.value == "ERROR" and "trustedadvisor: denied" in finding.message


def test_newer_pillar_without_support_record():
    newer = rec("abc", "Amazon RDS Multi-AZ", ["fault_tolerance"], "warning", [nrow("reporting")])
    finding = one(run(CHECK, snapshot(data(newer=[newer]), coverage=[listing_gap(SUPPORT, "AccessDenied")])))
    assert finding.pillar == "availability" and finding.severity.value == "medium"


def test_newer_recommendation_with_savings_counts_as_cost():
    newer = rec("xyz", "Idle EBS volumes", ["performance", "cost_optimizing"], "warning",
                [nrow("vol-1", Estimated_Monthly_Savings="$4.50")], savings=4.5)
    finding = one(run(CHECK, snapshot(data(newer=[newer]), coverage=[listing_gap(SUPPORT, "AccessDenied")])))
    assert (finding.pillar, finding.monthly_savings_usd) == ("cost", 4.5)


def test_not_collected_at_all_is_error():
    snap = snapshot(data(), collected={"iam.account": ["global"]})
    finding = one(run(CHECK, snap))
    assert finding.status.value == "ERROR" and "was not collected" in finding.message


NOT_IMPLEMENTED = "support:DescribeTrustedAdvisorCheckResult in global failed with HTTP500: the endpoint does not implement it"


def test_no_result_readable_is_one_error_for_the_account_not_one_per_check():
    unreadable = {"status": NOT_IMPLEMENTED, "flagged_resources": NOT_IMPLEMENTED}
    support = [ta(*SG_PORTS, "warning", errors=unreadable), ta(*ROOT_MFA, "warning", errors=unreadable),
               ta(*EBS, "warning", errors=unreadable)]
    finding = one(run(CHECK, snapshot(data(support), coverage=[NO_NEWER])))
    assert finding.status.value == "ERROR"
    assert finding.resource_id == f"arn:aws:iam::{ACCOUNT}:root"
    assert "any of the 3 Trusted Advisor checks" in finding.message and "HTTP500" in finding.message
    assert sorted(finding.evidence["ta_check_ids"]) == sorted([SG_PORTS[0], ROOT_MFA[0], EBS[0]])


def test_some_results_readable_keeps_an_error_per_unreadable_check():
    unreadable = {"status": NOT_IMPLEMENTED, "flagged_resources": NOT_IMPLEMENTED}
    findings = run(CHECK, snapshot(data([ta(*SG_PORTS, "ok"), ta(*ROOT_MFA, "warning", errors=unreadable)]),
                                   coverage=[NO_NEWER]))
    assert sorted(f.status.value for f in findings) == ["ERROR", "PASS"]
    error = next(f for f in findings if f.status.value == "ERROR")
    assert '"MFA on Root Account"' in error.message and error.resource_id.endswith(ROOT_MFA[0])


def test_a_flagged_ec2_resource_is_named_by_its_own_arn():
    snap = snapshot(data([ta(*LOW_EC2, "warning", [ec2_row("i-0123456789abcdef0", "$5")], savings=5.0)]))
    finding = one(run(CHECK, snap))
    assert finding.resource_id == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0123456789abcdef0"
    assert finding.resource_type == "ec2.instance"  # the engine takes the type from the ARN the check names


def test_a_row_naming_an_arn_keeps_it():
    from checks.trustedadvisor import row_arn

    class _Ta:
        arn = f"arn:aws:trustedadvisor::{ACCOUNT}:checks/security/HCP4007jGY"

    arn = f"arn:aws:s3:::assets-{ACCOUNT}"
    assert row_arn(_Ta(), {"arn": "arn:aws:trustedadvisor::x:recommendation-resource/a/b", "resource_id": arn}) == arn
    # nothing but Trusted Advisor's hash: the check's ARN and the hash, as before
    assert row_arn(_Ta(), {"resource_id": "0f" * 32}) == f"{_Ta.arn}/{'0f' * 32}"
