"""Trusted Advisor collector (the newer TrustedAdvisor API). moto has no backend for it at all, so
these run on botocore's Stubber; the sandbox test (test_seed_ta_quotas.py) runs its patched server."""

from __future__ import annotations

from datetime import datetime, timezone

from botocore.stub import Stubber

from opsctl.collect.runner import collect

REC = "trustedadvisor.recommendation"
ACCOUNT = "123456789012"
EC2_CHECK = "arn:aws:trustedadvisor:::check/Qch7DwouX1"
SG_CHECK = "arn:aws:trustedadvisor:::check/HCP4007jGY"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def rec_arn(name):
    return f"arn:aws:trustedadvisor::{ACCOUNT}:recommendation/{name}"


def recommendation(name, check_arn, status, pillars, ok=0, warning=0, error=0, savings=None):
    body = {"id": name, "arn": rec_arn(name), "name": name.replace("-", " "), "type": "standard", "status": status,
            "pillars": pillars, "source": "ta_check", "awsServices": ["EC2"], "lifecycleStage": "in_progress",
            "resourcesAggregates": {"okCount": ok, "warningCount": warning, "errorCount": error},
            "createdAt": WHEN, "lastUpdatedAt": WHEN}
    if check_arn:
        body["checkArn"] = check_arn
    if savings is not None:
        body["pillarSpecificAggregates"] = {"costOptimizing": {"estimatedMonthlySavings": savings,
                                                               "estimatedPercentMonthlySavings": 10.0}}
    return body


def resource(rec, rid, aws_id, status, region, *values):
    return {"id": rid, "arn": f"arn:aws:trustedadvisor::{ACCOUNT}:recommendation-resource/{rec}/{rid}",
            "awsResourceId": aws_id, "regionCode": region, "status": status, "lastUpdatedAt": WHEN,
            "metadata": {str(i): v for i, v in enumerate(values)}, "recommendationArn": rec_arn(rec),
            "exclusionStatus": "included"}


CHECKS = [
    {"id": "Qch7DwouX1", "arn": EC2_CHECK, "name": "Low Utilization Amazon EC2 Instances", "description": "…",
     "pillars": ["cost_optimizing"], "awsServices": ["EC2"], "source": "ta_check",
     "metadata": {"0": "Region/AZ", "1": "Instance ID", "2": "Estimated Monthly Savings"}},
    {"id": "HCP4007jGY", "arn": SG_CHECK, "name": "Security Groups - Specific Ports Unrestricted", "description": "…",
     "pillars": ["security"], "awsServices": ["EC2"], "source": "ta_check",
     "metadata": {"0": "Region", "1": "Security Group ID", "2": "Ports"}},
]


def run(moto_aws):
    return collect(moto_aws, ["us-east-1"], account=ACCOUNT, services=["trustedadvisor"], workers=1)


def resources_call(stub, rec, status, items, token=None, next_token=None):
    params = {"recommendationIdentifier": rec_arn(rec), "status": status}
    if token:
        params["nextToken"] = token
    body = {"recommendationResourceSummaries": items}
    if next_token:
        body["nextToken"] = next_token
    stub.add_response("list_recommendation_resources", body, params)


def test_recommendations_with_flagged_resources_and_savings(moto_aws):
    stub = Stubber(moto_aws.client("trustedadvisor", "us-east-1"))  # the very client the collector will use
    stub.add_response("list_recommendations", {"recommendationSummaries": [
        recommendation("low-ec2", EC2_CHECK, "warning", ["cost_optimizing"], ok=3, warning=2, savings=73.32)],
        "nextToken": "page-2"}, {})
    stub.add_response("list_recommendations", {"recommendationSummaries": [
        recommendation("open-ports", SG_CHECK, "error", ["security"], warning=1, error=1),
        recommendation("iam-use", "arn:aws:trustedadvisor:::check/zXCkfM1nI3", "ok", ["security"], ok=1)]},
        {"nextToken": "page-2"})
    stub.add_response("list_checks", {"checkSummaries": CHECKS}, {})
    # recommendations in (name, arn) order; per recommendation, one listing per flagged status
    resources_call(stub, "low-ec2", "warning", [resource("low-ec2", "r1", "i-0abc", "warning", "us-east-1", "us-east-1a", "i-0abc", "$61.32")],
                   next_token="more")
    resources_call(stub, "low-ec2", "warning", [resource("low-ec2", "r2", "i-0def", "warning", "eu-west-1", "eu-west-1b", "i-0def", "$12.00")],
                   token="more")
    resources_call(stub, "open-ports", "warning", [resource("open-ports", "r3", "sg-1", "warning", "us-east-1", "us-east-1", "sg-1", "22")])
    resources_call(stub, "open-ports", "error", [resource("open-ports", "r4", "sg-2", "error", "us-east-1", "us-east-1", "sg-2", "3306")])

    with stub:
        snap = run(moto_aws)
        stub.assert_no_pending_responses()

    assert snap.collected[REC] == ["global"] and not snap.coverage
    recs = {r["id"]: r for r in snap.of_type(REC)}
    assert sorted(recs) == ["iam-use", "low-ec2", "open-ports"]
    ec2 = recs["low-ec2"]
    assert (ec2["check_id"], ec2["check_arn"], ec2["status"], ec2["pillars"]) == ("Qch7DwouX1", EC2_CHECK, "warning", ["cost_optimizing"])
    assert ec2["estimated_monthly_savings"] == 73.32 and ec2["last_updated_at"] == WHEN.isoformat()
    assert ec2["resources_aggregates"] == {"ok": 3, "warning": 2, "error": 0, "excluded": 0}
    assert ec2["flagged_resources"][0] == {
        "resource_id": "i-0abc", "arn": f"arn:aws:trustedadvisor::{ACCOUNT}:recommendation-resource/low-ec2/r1",
        "status": "warning", "region": "us-east-1", "is_suppressed": False,
        "metadata": {"Region/AZ": "us-east-1a", "Instance ID": "i-0abc", "Estimated Monthly Savings": "$61.32"}}
    assert [r["resource_id"] for r in ec2["flagged_resources"]] == ["i-0abc", "i-0def"]  # both pages
    assert [(r["resource_id"], r["metadata"]["Ports"]) for r in recs["open-ports"]["flagged_resources"]] == [("sg-1", "22"), ("sg-2", "3306")]
    assert recs["iam-use"]["flagged_resources"] == [] and recs["iam-use"]["estimated_monthly_savings"] is None
    assert all("errors" not in r for r in recs.values())


def test_nothing_flagged_needs_no_further_call(moto_aws):
    stub = Stubber(moto_aws.client("trustedadvisor", "us-east-1"))
    stub.add_response("list_recommendations", {"recommendationSummaries": [
        recommendation("iam-use", "arn:aws:trustedadvisor:::check/zXCkfM1nI3", "ok", ["security"], ok=1),
        recommendation("hub-finding", None, "ok", ["security"])]}, {})

    with stub:
        snap = run(moto_aws)
        stub.assert_no_pending_responses()

    recs = {r["id"]: r for r in snap.of_type(REC)}
    assert recs["hub-finding"]["check_id"] is None and recs["hub-finding"]["check_arn"] is None


def test_failed_resource_listing_marks_the_recommendation(moto_aws):
    stub = Stubber(moto_aws.client("trustedadvisor", "us-east-1"))
    stub.add_response("list_recommendations", {"recommendationSummaries": [
        recommendation("open-ports", SG_CHECK, "error", ["security"], error=1)]}, {})
    stub.add_response("list_checks", {"checkSummaries": CHECKS}, {})
    stub.add_client_error("list_recommendation_resources", "ThrottlingException", "slow down", 429,
                          expected_params={"recommendationIdentifier": rec_arn("open-ports"), "status": "error"})

    with stub:
        snap = run(moto_aws)

    (rec,) = snap.of_type(REC)
    assert "ThrottlingException" in rec["errors"]["flagged_resources"] and "flagged_resources" not in rec
    (gap,) = snap.coverage
    assert (gap.operation, gap.resource_id, gap.resource_type) == ("ListRecommendationResources", rec_arn("open-ports"), REC)
    assert snap.collected[REC] == ["global"]


def test_without_a_support_plan_the_listing_is_a_gap(moto_aws):
    stub = Stubber(moto_aws.client("trustedadvisor", "us-east-1"))
    stub.add_client_error("list_recommendations", "AccessDeniedException",
                          "Trusted Advisor API requires a Business, Enterprise On-Ramp or Enterprise support plan", 403)

    with stub:
        snap = run(moto_aws)

    (gap,) = snap.listing_gaps(REC)
    assert (gap.service, gap.operation, gap.error_code, gap.region) == ("trustedadvisor", "ListRecommendations", "AccessDeniedException", "global")
    assert snap.of_type(REC) == [] and "global" not in snap.collected.get(REC, [])


def test_failed_check_listing_is_a_gap_because_rows_cannot_be_read(moto_aws):
    stub = Stubber(moto_aws.client("trustedadvisor", "us-east-1"))
    stub.add_response("list_recommendations", {"recommendationSummaries": [
        recommendation("open-ports", SG_CHECK, "error", ["security"], error=1)]}, {})
    stub.add_client_error("list_checks", "InternalServerException", "oops", 500)

    with stub:
        snap = run(moto_aws)

    (gap,) = snap.listing_gaps(REC)
    assert gap.operation == "ListChecks" and snap.of_type(REC) == []
