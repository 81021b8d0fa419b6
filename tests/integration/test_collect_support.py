"""Trusted Advisor collector. moto lists the checks but does not implement their results, so
the happy path runs on botocore's Stubber; moto shows the per-check gaps."""

from __future__ import annotations

from botocore.stub import Stubber

from opsctl.collect.runner import collect

TA = "support.trusted_advisor_check"
ACCOUNT = "123456789012"
EC2_COLUMNS = ["Region/AZ", "Instance ID", "Instance Name", "Instance Type", "Estimated Monthly Savings"]
SG_COLUMNS = ["Region", "Security Group Name", "Security Group ID", "Protocol", "Port", "Status", "IP Range"]
CHECKS = [
    {
        "id": "Qch7DwouX1",
        "name": "Low Utilization Amazon EC2 Instances",
        "description": "…",
        "category": "cost_optimizing",
        "metadata": EC2_COLUMNS,
    },
    {
        "id": "HCP4007jGY",
        "name": "Security Groups - Specific Ports Unrestricted",
        "description": "…",
        "category": "security",
        "metadata": SG_COLUMNS,
    },
]


def result(check_id, status, flagged, summary, savings=None):
    category = (
        {"costOptimizing": {"estimatedMonthlySavings": savings, "estimatedPercentMonthlySavings": 12.5}}
        if savings is not None
        else {}
    )
    return {
        "result": {
            "checkId": check_id,
            "timestamp": "2026-01-02T03:04:05Z",
            "status": status,
            "resourcesSummary": summary,
            "categorySpecificSummary": category,
            "flaggedResources": flagged,
        }
    }


def summary(processed, flagged):
    return {
        "resourcesProcessed": processed,
        "resourcesFlagged": flagged,
        "resourcesIgnored": 0,
        "resourcesSuppressed": 0,
    }


def test_happy_path_with_stubbed_results(moto_aws):
    client = moto_aws.client("support", "us-east-1")  # the very client the collector will use
    stub = Stubber(client)
    stub.add_response("describe_trusted_advisor_checks", {"checks": CHECKS}, {"language": "en"})
    # the collector sorts by (category, name, id): cost_optimizing first; workers=1 keeps that order
    stub.add_response(
        "describe_trusted_advisor_check_result",
        result(
            "Qch7DwouX1",
            "warning",
            [
                {
                    "status": "warning",
                    "region": "us-east-1",
                    "resourceId": "a1b2c3",
                    "isSuppressed": False,
                    "metadata": ["us-east-1a", "i-0abc", "shop-api", "m5.large", "$61.32"],
                },
            ],
            summary(12, 1),
            savings=61.32,
        ),
        {"checkId": "Qch7DwouX1", "language": "en"},
    )
    stub.add_response(
        "describe_trusted_advisor_check_result",
        result(
            "HCP4007jGY",
            "error",
            [
                {
                    "status": "error",
                    "region": "eu-west-1",
                    "resourceId": "d4e5f6",
                    "isSuppressed": True,
                    "metadata": ["eu-west-1", "legacy-admin", "sg-0123", "tcp", "22", "Red", "0.0.0.0/0"],
                },
                {
                    "status": "ok",
                    "resourceId": "g7h8",
                    "metadata": ["us-east-1", "web", "sg-0456", "tcp", "443"],
                },
            ],
            summary(30, 1),
        ),
        {"checkId": "HCP4007jGY", "language": "en"},
    )

    with stub:
        snap = collect(moto_aws, ["us-east-1"], account=ACCOUNT, services=["support"], workers=1)
        stub.assert_no_pending_responses()

    assert snap.collected[TA] == ["global"] and not snap.coverage
    checks = {c["id"]: c for c in snap.of_type(TA)}
    ec2 = checks["Qch7DwouX1"]
    assert (
        ec2["arn"] == f"arn:aws:trustedadvisor::{ACCOUNT}:checks/cost_optimizing/Qch7DwouX1"
        and ec2["region"] == "global"
    )
    assert (ec2["name"], ec2["category"], ec2["status"]) == (
        "Low Utilization Amazon EC2 Instances",
        "cost_optimizing",
        "warning",
    )
    assert ec2["estimated_monthly_savings"] == 61.32
    assert ec2["resources_summary"] == {"processed": 12, "flagged": 1, "ignored": 0, "suppressed": 0}
    assert ec2["flagged_resources"] == [
        {
            "resource_id": "a1b2c3",
            "status": "warning",
            "region": "us-east-1",
            "is_suppressed": False,
            "metadata": {
                "Region/AZ": "us-east-1a",
                "Instance ID": "i-0abc",
                "Instance Name": "shop-api",
                "Instance Type": "m5.large",
                "Estimated Monthly Savings": "$61.32",
            },
        }
    ]
    sg = checks["HCP4007jGY"]
    assert sg["status"] == "error" and sg["estimated_monthly_savings"] is None
    first, second = sg["flagged_resources"]
    assert first["is_suppressed"] is True and first["metadata"]["Port"] == "22"
    assert second["region"] is None and second["metadata"]["IP Range"] is None  # short metadata row padded
    assert "_columns" not in sg and "errors" not in sg


def test_without_a_support_plan_the_listing_gap_carries_the_code(moto_aws):
    client = moto_aws.client("support", "us-east-1")
    stub = Stubber(client)
    stub.add_client_error(
        "describe_trusted_advisor_checks",
        "SubscriptionRequiredException",
        "AWS Premium Support Subscription is required to use this service.",
        400,
    )

    with stub:
        snap = collect(moto_aws, ["us-east-1"], account=ACCOUNT, services=["support"], workers=1)

    assert "global" not in snap.collected.get(TA, []) and snap.of_type(TA) == []
    (gap,) = snap.listing_gaps(TA)
    assert (gap.service, gap.operation, gap.error_code, gap.region) == (
        "support",
        "DescribeTrustedAdvisorChecks",
        "SubscriptionRequiredException",
        "global",
    )


def test_moto_lists_checks_but_results_are_recorded_gaps(collect_services):
    snap = collect_services(["support"])

    checks = snap.of_type(TA)
    assert len(checks) > 50 and snap.collected[TA] == ["global"]
    assert all("NotImplemented" in c["errors"]["result"] and "status" in c["errors"] for c in checks)
    assert {g.operation for g in snap.coverage} == {"DescribeTrustedAdvisorCheckResult"}
    assert len(snap.coverage) == len(checks) and not snap.listing_gaps(TA)
    assert [c["category"] for c in checks] == sorted(c["category"] for c in checks)
