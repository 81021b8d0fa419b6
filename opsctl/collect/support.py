"""Trusted Advisor (Support API, us-east-1): every check with its latest result.

DescribeTrustedAdvisorChecks(language=en) once, then DescribeTrustedAdvisorCheckResult per
check, concurrently. Without a Business, Enterprise On-Ramp or Enterprise support plan the
first call fails with SubscriptionRequiredException: that is recorded as the listing gap of
`support.trusted_advisor_check` with that error code, which the Trusted Advisor check turns
into one SKIPPED finding. A failed result call leaves the check record with
errors["result"] (and the result-derived fields) set to the reason.

Resource type `support.trusted_advisor_check` (region "global"):

- id, name, category (cost_optimizing | security | fault_tolerance | performance | service_limits | …)
- arn — arn:aws:trustedadvisor::<account>:checks/<category>/<id>
- status — ok | warning | error | not_available
- flagged_resources — [{resource_id, status (ok | warning | error), region (None for global),
  is_suppressed, metadata {column name: value}}] in the API's order
- resources_summary — {processed, flagged, ignored, suppressed}
- estimated_monthly_savings — float from categorySpecificSummary.costOptimizing, or None
- result_timestamp — when Trusted Advisor last refreshed the result
- tags — {} (Trusted Advisor checks have none)
"""

from __future__ import annotations

from typing import Any

from opsctl.collect.runner import CollectContext, collector

TA_CHECK = "support.trusted_advisor_check"
LANGUAGE = "en"
RESULT_FIELDS = (
    "result",
    "status",
    "flagged_resources",
    "resources_summary",
    "estimated_monthly_savings",
    "result_timestamp",
)


def normalise_check(ctx: CollectContext, check: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": TA_CHECK,
        "id": check["id"],
        "name": check.get("name", check["id"]),
        "category": check.get("category", ""),
        "arn": f"arn:{ctx.partition}:trustedadvisor::{ctx.account}:checks/{check.get('category', '')}/{check['id']}",
        "region": "global",
        "tags": {},
        "_columns": list(check.get("metadata") or []),
    }


def flagged_resource(columns: list[str], resource: dict[str, Any]) -> dict[str, Any]:
    values = list(resource.get("metadata") or [])
    return {
        "resource_id": resource.get("resourceId"),
        "status": resource.get("status"),
        "region": resource.get("region"),
        "is_suppressed": bool(resource.get("isSuppressed", False)),
        "metadata": {column: values[i] if i < len(values) else None for i, column in enumerate(columns)},
    }


def savings(result: dict[str, Any]) -> float | None:
    cost = (result.get("categorySpecificSummary") or {}).get("costOptimizing") or {}
    value = cost.get("estimatedMonthlySavings")
    return float(value) if value is not None else None


def resources_summary(result: dict[str, Any]) -> dict[str, int]:
    summary = result.get("resourcesSummary") or {}
    return {
        "processed": int(summary.get("resourcesProcessed", 0)),
        "flagged": int(summary.get("resourcesFlagged", 0)),
        "ignored": int(summary.get("resourcesIgnored", 0)),
        "suppressed": int(summary.get("resourcesSuppressed", 0)),
    }


def fill_result(ctx: CollectContext, region: str, check: dict[str, Any]) -> None:
    columns = check.pop("_columns")
    resp = ctx.fill_many(check,
        RESULT_FIELDS,
        "support",
        region,
        "describe_trusted_advisor_check_result",
        {"checkId": check["id"], "language": LANGUAGE},
    )
    if resp is None:
        return
    result = resp.get("result") or {}
    check.update(
        {
            "status": result.get("status"),
            "flagged_resources": [flagged_resource(columns, r) for r in result.get("flaggedResources") or []],
            "resources_summary": resources_summary(result),
            "estimated_monthly_savings": savings(result),
            "result_timestamp": result.get("timestamp"),
        }
    )


@collector("support", types=(TA_CHECK,), scope="global")
def collect_trusted_advisor(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate(
        "support",
        region,
        "describe_trusted_advisor_checks",
        "checks",
        {"language": LANGUAGE},
        resource_type=TA_CHECK,
    )
    if listed is None:
        return {}
    checks = sorted(
        (normalise_check(ctx, c) for c in listed), key=lambda c: (c["category"], c["name"], c["id"])
    )
    ctx.map(lambda c: fill_result(ctx, region, c), checks)
    return {TA_CHECK: checks}
