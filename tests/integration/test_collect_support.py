"""Trusted Advisor collector (Support API). moto lists the checks but has no results, so the paths
run on botocore's Stubber; the sandbox's patched moto shows the whole flow in process."""

from __future__ import annotations

from botocore.stub import Stubber

from opsctl.collect.runner import collect
from opsctl.sandbox_seed import moto_patches

TA = "support.trusted_advisor_check"
ACCOUNT = "123456789012"
EC2_COLUMNS = ["Region/AZ", "Instance ID", "Instance Name", "Instance Type", "Estimated Monthly Savings"]
SG_COLUMNS = ["Region", "Security Group Name", "Security Group ID", "Protocol", "Port", "Status", "IP Range"]
CHECKS = [
    {"id": "Qch7DwouX1", "name": "Low Utilization Amazon EC2 Instances", "description": "…",
     "category": "cost_optimizing", "metadata": EC2_COLUMNS},
    {"id": "HCP4007jGY", "name": "Security Groups - Specific Ports Unrestricted", "description": "…",
     "category": "security", "metadata": SG_COLUMNS},
    {"id": "zXCkfM1nI3", "name": "IAM Use", "description": "…", "category": "security", "metadata": []},
]
# the collector sorts by (category, name, id)
IDS = ["Qch7DwouX1", "zXCkfM1nI3", "HCP4007jGY"]
EC2_ROW = {"status": "warning", "region": "us-east-1", "resourceId": "a1b2c3", "isSuppressed": False,
           "metadata": ["us-east-1a", "i-0abc", "shop-api", "m5.large", "$61.32"]}
SG_ROWS = [
    {"status": "error", "region": "eu-west-1", "resourceId": "d4e5f6", "isSuppressed": True,
     "metadata": ["eu-west-1", "legacy-admin", "sg-0123", "tcp", "22", "Red", "0.0.0.0/0"]},
    {"status": "ok", "resourceId": "g7h8", "metadata": ["us-east-1", "web", "sg-0456", "tcp", "443"]},
]


def counts(processed, flagged):
    return {"resourcesProcessed": processed, "resourcesFlagged": flagged, "resourcesIgnored": 0, "resourcesSuppressed": 0}


def summary(check_id, status, flagged, processed=10, savings=None):
    specific = {"costOptimizing": {"estimatedMonthlySavings": savings, "estimatedPercentMonthlySavings": 12.5}} if savings else {}
    return {"checkId": check_id, "timestamp": "2026-01-02T03:04:05Z", "status": status, "hasFlaggedResources": bool(flagged),
            "resourcesSummary": counts(processed, flagged), "categorySpecificSummary": specific}


def result(check_id, status, rows, processed=10, savings=None):
    body = summary(check_id, status, sum(r["status"] != "ok" for r in rows), processed, savings)
    body.pop("hasFlaggedResources")
    return {"result": {**body, "flaggedResources": rows}}


def result_call(stub, check_id, response):
    stub.add_response("describe_trusted_advisor_check_result", response, {"checkId": check_id, "language": "en"})


def run(moto_aws):
    return collect(moto_aws, ["us-east-1"], account=ACCOUNT, services=["support"], workers=1)


def test_summaries_then_results_only_for_flagged_checks(moto_aws):
    stub = Stubber(moto_aws.client("support", "us-east-1"))  # the very client the collector will use
    stub.add_response("describe_trusted_advisor_checks", {"checks": CHECKS}, {"language": "en"})
    stub.add_response("describe_trusted_advisor_check_summaries", {"summaries": [
        summary("Qch7DwouX1", "warning", 1, 12, savings=61.32), summary("zXCkfM1nI3", "ok", 0, 1),
        summary("HCP4007jGY", "error", 1, 30)]}, {"checkIds": IDS})
    result_call(stub, "Qch7DwouX1", result("Qch7DwouX1", "warning", [EC2_ROW], 12, savings=61.32))
    result_call(stub, "HCP4007jGY", result("HCP4007jGY", "error", SG_ROWS, 30))

    with stub:
        snap = run(moto_aws)
        stub.assert_no_pending_responses()  # IAM Use (ok, nothing flagged) cost no result call

    assert snap.collected[TA] == ["global"] and not snap.coverage
    checks = {c["id"]: c for c in snap.of_type(TA)}
    ec2 = checks["Qch7DwouX1"]
    assert ec2["arn"] == f"arn:aws:trustedadvisor::{ACCOUNT}:checks/cost_optimizing/Qch7DwouX1" and ec2["region"] == "global"
    assert (ec2["name"], ec2["category"], ec2["status"], ec2["has_flagged_resources"]) == (
        "Low Utilization Amazon EC2 Instances", "cost_optimizing", "warning", True)
    assert ec2["estimated_monthly_savings"] == 61.32
    assert ec2["resources_summary"] == {"processed": 12, "flagged": 1, "ignored": 0, "suppressed": 0}
    assert ec2["flagged_resources"] == [{
        "resource_id": "a1b2c3", "status": "warning", "region": "us-east-1", "is_suppressed": False,
        "metadata": dict(zip(EC2_COLUMNS, ["us-east-1a", "i-0abc", "shop-api", "m5.large", "$61.32"], strict=True))}]
    sg = checks["HCP4007jGY"]
    assert sg["status"] == "error" and sg["estimated_monthly_savings"] is None
    first, second = sg["flagged_resources"]
    assert first["is_suppressed"] is True and first["metadata"]["Port"] == "22"
    assert second["region"] is None and second["metadata"]["IP Range"] is None  # short metadata row padded
    iam = checks["zXCkfM1nI3"]
    assert (iam["status"], iam["flagged_resources"], iam["result_timestamp"]) == ("ok", [], "2026-01-02T03:04:05Z")
    assert all("errors" not in c for c in checks.values())


def test_failed_summaries_fall_back_to_results_and_a_failed_result_is_an_error_field(moto_aws):
    stub = Stubber(moto_aws.client("support", "us-east-1"))
    stub.add_response("describe_trusted_advisor_checks", {"checks": CHECKS}, {"language": "en"})
    stub.add_client_error("describe_trusted_advisor_check_summaries", "AccessDeniedException", "not in the policy", 400,
                          expected_params={"checkIds": IDS})
    result_call(stub, "Qch7DwouX1", result("Qch7DwouX1", "warning", [EC2_ROW], savings=61.32))
    result_call(stub, "zXCkfM1nI3", result("zXCkfM1nI3", "ok", []))
    stub.add_client_error("describe_trusted_advisor_check_result", "ThrottlingException", "slow down", 400,
                          expected_params={"checkId": "HCP4007jGY", "language": "en"})

    with stub:
        snap = run(moto_aws)
        stub.assert_no_pending_responses()

    checks = {c["id"]: c for c in snap.of_type(TA)}
    assert checks["Qch7DwouX1"]["estimated_monthly_savings"] == 61.32 and checks["zXCkfM1nI3"]["status"] == "ok"
    sg = checks["HCP4007jGY"]
    assert set(sg["errors"]) == {"status", "has_flagged_resources", "resources_summary", "estimated_monthly_savings",
                                 "result_timestamp", "flagged_resources"}
    assert "ThrottlingException" in sg["errors"]["flagged_resources"]
    assert snap.collected[TA] == ["global"] and not snap.listing_gaps(TA)  # per-call gaps, not a failed listing
    assert {(g.operation, g.error_code) for g in snap.coverage} == {
        ("DescribeTrustedAdvisorCheckSummaries", "AccessDeniedException"),
        ("DescribeTrustedAdvisorCheckResult", "ThrottlingException")}


def test_without_a_support_plan_the_listing_gap_carries_the_code(moto_aws):
    stub = Stubber(moto_aws.client("support", "us-east-1"))
    stub.add_client_error("describe_trusted_advisor_checks", "SubscriptionRequiredException",
                          "AWS Premium Support Subscription is required to use this service.", 400)

    with stub:
        snap = run(moto_aws)

    assert "global" not in snap.collected.get(TA, []) and snap.of_type(TA) == []
    (gap,) = snap.listing_gaps(TA)
    assert (gap.service, gap.operation, gap.error_code, gap.region) == (
        "support", "DescribeTrustedAdvisorChecks", "SubscriptionRequiredException", "global")


def test_access_denied_is_a_listing_gap_too(moto_aws):
    stub = Stubber(moto_aws.client("support", "us-east-1"))
    stub.add_client_error("describe_trusted_advisor_checks", "AccessDeniedException", "not authorized", 400)

    with stub:
        snap = run(moto_aws)

    (gap,) = snap.listing_gaps(TA)
    assert gap.error_code == "AccessDeniedException" and snap.of_type(TA) == []


def test_sandbox_patched_moto_serves_results(collect_services):
    """The sandbox's patch (nestable) answers summaries and results."""
    with moto_patches.patched(), moto_patches.patched():
        snap = collect_services(["support"])

    checks = {c["id"]: c for c in snap.of_type(TA)}
    assert len(checks) > 50 and snap.collected[TA] == ["global"] and not snap.coverage
    low_ec2 = checks["Qch7DwouX1"]
    assert (low_ec2["status"], low_ec2["estimated_monthly_savings"]) == ("warning", 41.46)
    assert [r["metadata"]["Estimated Monthly Savings"] for r in low_ec2["flagged_resources"]] == ["$33.87", "$7.59"]
    assert checks["7DAFEmoDos"]["status"] == "error" and checks["7DAFEmoDos"]["flagged_resources"] == []
    assert checks["zXCkfM1nI3"]["status"] == "ok"
    assert {c["status"] for i, c in checks.items() if i not in moto_patches.SANDBOX_RESULTS} == {"not_available"}


def test_sandbox_patch_is_undone_when_the_last_user_leaves():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.servicequotas.models import ServiceQuotasBackend
    from moto.support.responses import SupportResponse

    before = (DomainDispatcherApplication.__call__, ServiceQuotasBackend.get_service_quota)
    with moto_patches.patched():
        with moto_patches.patched():
            assert hasattr(SupportResponse, "describe_trusted_advisor_check_result")
        assert moto_patches.is_applied()  # the outer user still has it
    assert not moto_patches.is_applied()
    assert not hasattr(SupportResponse, "describe_trusted_advisor_check_result")
    assert (DomainDispatcherApplication.__call__, ServiceQuotasBackend.get_service_quota) == before
