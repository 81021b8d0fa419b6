"""Trusted Advisor through the Support API (us-east-1): every check with its latest result.

Calls:

1. DescribeTrustedAdvisorChecks(language=en), once: the checks, their category and the column
   headings of their flagged-resource rows.
2. DescribeTrustedAdvisorCheckSummaries, for every check id in batches of 100: status, resource
   counts and estimated savings — enough for every check without flagged resources, which is
   most of them, so they cost no call of their own.
3. DescribeTrustedAdvisorCheckResult, concurrently, only for checks whose summary says they have
   flagged resources (and for every check of a summaries batch that failed, so a caller allowed
   the two calls the older IAM policies grant still gets every result).

Without a Business, Enterprise On-Ramp or Enterprise support plan the first call fails with
SubscriptionRequiredException: that is recorded as the listing gap of
`support.trusted_advisor_check` with that error code, which the Trusted Advisor check turns
into one SKIPPED finding. A failed result call leaves the check record with
errors[<every result field>] set to the reason, so that check reports ERROR, never PASS.

Resource type `support.trusted_advisor_check` (region "global"):

- id, name, category (cost_optimizing | security | fault_tolerance | performance | service_limits
  | operational_excellence)
- arn — arn:aws:trustedadvisor::<account>:checks/<category>/<id>
- status — ok | warning | error | not_available
- has_flagged_resources — bool, as the summary (or result) reports it
- flagged_resources — [{resource_id, status (ok | warning | error), region (None for global),
  is_suppressed, metadata {column name: value}}] in the API's order; [] when the summary says
  there are none
- resources_summary — {processed, flagged, ignored, suppressed}
- estimated_monthly_savings — float from categorySpecificSummary.costOptimizing, or None
- result_timestamp — when Trusted Advisor last refreshed the result
- tags — {} (Trusted Advisor checks have none)
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import batches
from opsctl.collect.runner import CollectContext, collector, mark_missing

TA_CHECK = "support.trusted_advisor_check"
SERVICE = "support"
LANGUAGE = "en"
#: Check ids per DescribeTrustedAdvisorCheckSummaries call (AWS lists ~500 checks at most).
SUMMARY_BATCH = 100
SUMMARY_FIELDS = (
    "status",
    "has_flagged_resources",
    "resources_summary",
    "estimated_monthly_savings",
    "result_timestamp",
)
RESULT_FIELDS = (*SUMMARY_FIELDS, "flagged_resources")


def check_arn(ctx: CollectContext, category: str, check_id: str) -> str:
    return f"arn:{ctx.partition}:trustedadvisor::{ctx.account}:checks/{category}/{check_id}"


def normalise_check(ctx: CollectContext, check: dict[str, Any]) -> dict[str, Any]:
    category = check.get("category", "")
    return {
        "type": TA_CHECK,
        "id": check["id"],
        "name": check.get("name", check["id"]),
        "category": category,
        "arn": check_arn(ctx, category, check["id"]),
        "region": "global",
        "tags": {},
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


def savings(summary: dict[str, Any]) -> float | None:
    cost = (summary.get("categorySpecificSummary") or {}).get("costOptimizing") or {}
    value = cost.get("estimatedMonthlySavings")
    return float(value) if value is not None else None


def resources_summary(summary: dict[str, Any]) -> dict[str, int]:
    counts = summary.get("resourcesSummary") or {}
    return {
        "processed": int(counts.get("resourcesProcessed", 0)),
        "flagged": int(counts.get("resourcesFlagged", 0)),
        "ignored": int(counts.get("resourcesIgnored", 0)),
        "suppressed": int(counts.get("resourcesSuppressed", 0)),
    }


def summary_fields(summary: dict[str, Any], has_flagged: bool) -> dict[str, Any]:
    """The fields a summary and a result have in common (a result is a summary plus its rows)."""
    return {
        "status": summary.get("status"),
        "has_flagged_resources": has_flagged,
        "resources_summary": resources_summary(summary),
        "estimated_monthly_savings": savings(summary),
        "result_timestamp": summary.get("timestamp"),
    }


def read_summaries(ctx: CollectContext, region: str, checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill the summary fields; returns the checks that still need their full result."""
    by_id = {c["id"]: c for c in checks}
    need_result: list[dict[str, Any]] = []
    for batch in batches(list(by_id), SUMMARY_BATCH):
        # No resource_type: a failed batch is not a failed listing, its checks fall back to results.
        resp = ctx.call(SERVICE, region, "describe_trusted_advisor_check_summaries", {"checkIds": batch})
        summaries = {s.get("checkId"): s for s in (resp or {}).get("summaries") or []}
        for check_id in batch:
            check, summary = by_id[check_id], summaries.get(check_id)
            if summary is None:
                need_result.append(check)
                continue
            check.update(summary_fields(summary, bool(summary.get("hasFlaggedResources"))))
            if check["has_flagged_resources"]:
                need_result.append(check)
            else:
                check["flagged_resources"] = []
    return need_result


def fill_result(ctx: CollectContext, region: str, check: dict[str, Any], columns: list[str]) -> None:
    resp = ctx.call(
        SERVICE,
        region,
        "describe_trusted_advisor_check_result",
        {"checkId": check["id"], "language": LANGUAGE},
        resource_type=TA_CHECK,
        resource_id=check["arn"],
    )
    if resp is None:
        reason = ctx.failure_reason(SERVICE, region, "describe_trusted_advisor_check_result", check["arn"])
        mark_missing(check, RESULT_FIELDS, reason)
        return
    result = resp.get("result")
    if not isinstance(result, dict):
        reason = f"support:DescribeTrustedAdvisorCheckResult in {region} for {check['arn']} returned no result"
        mark_missing(check, RESULT_FIELDS, reason)
        return
    rows = [flagged_resource(columns, r) for r in result.get("flaggedResources") or []]
    check.update(summary_fields(result, bool(rows)))
    check["flagged_resources"] = rows


@collector(SERVICE, types=(TA_CHECK,), scope="global")
def collect_trusted_advisor(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate(
        SERVICE,
        region,
        "describe_trusted_advisor_checks",
        "checks",
        {"language": LANGUAGE},
        resource_type=TA_CHECK,
    )
    if listed is None:
        return {}
    columns = {c["id"]: list(c.get("metadata") or []) for c in listed}
    checks = sorted((normalise_check(ctx, c) for c in listed), key=lambda c: (c["category"], c["name"], c["id"]))
    pending = read_summaries(ctx, region, checks)
    ctx.map(lambda c: fill_result(ctx, region, c, columns[c["id"]]), pending)
    return {TA_CHECK: checks}
