"""Trusted Advisor through the newer TrustedAdvisor API (us-east-1): recommendations.

The TrustedAdvisor API (2022-09-15) serves the same checks as the Support API's Trusted Advisor
operations, plus recommendations from other sources (Security Hub, Compute Optimizer, …), with
real ARNs for recommendations and their resources. It needs the same support plans; where it
cannot be reached the listing gap of `trustedadvisor.recommendation` records why, and the
Trusted Advisor check falls back to the Support API's data (opsctl/collect/support.py).

Calls:

1. ListRecommendations, paginated: every recommendation with its status, pillars, resource
   counts and estimated savings.
2. Only when some recommendation has warning or error resources: ListChecks, paginated, once —
   the column headings that name the resources' metadata (the API keys it "0", "1", …). Without
   them the rows cannot be read, so its failure is a listing gap too.
3. Per recommendation with warning or error resources, concurrently: ListRecommendationResources,
   paginated, once per status it has resources in (status=warning, status=error), so the
   account's "ok" resources (often thousands) are never fetched. A failure sets
   errors["flagged_resources"] on that recommendation.

Resource type `trustedadvisor.recommendation` (region "global"):

- arn, id — the recommendation's; name
- check_arn — arn:aws:trustedadvisor:::check/<check id>, or None (recommendations not made by a
  check); check_id — the last part of check_arn (the Support API's check id), or None
- status — ok | warning | error
- pillars — [cost_optimizing | security | fault_tolerance | performance | service_limits |
  operational_excellence], in the API's order
- source — ta_check | security_hub | compute_optimizer | …; recommendation_type — standard | priority
- lifecycle_stage — in_progress | pending_response | dismissed | resolved, or None
- aws_services — sorted service names
- resources_aggregates — {ok, warning, error, excluded} counts
- estimated_monthly_savings — float from pillarSpecificAggregates.costOptimizing, or None
- last_updated_at — ISO 8601, or None
- flagged_resources — the warning and error resources: [{resource_id (awsResourceId), arn,
  status (warning | error), region (None for global), is_suppressed (exclusionStatus excluded),
  metadata {column name: value}}]; [] when there are none
- tags — {} (recommendations have none)
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import iso, paginate_detail
from opsctl.collect.runner import CollectContext, collector

RECOMMENDATION = "trustedadvisor.recommendation"
SERVICE = "trustedadvisor"
#: Resource statuses worth fetching: the ones a finding is made of.
FLAGGED_STATUSES = ("warning", "error")


def check_id(check_arn: str | None) -> str | None:
    return check_arn.rsplit("/", 1)[-1] if check_arn else None


def aggregates(summary: dict[str, Any]) -> dict[str, int]:
    counts = summary.get("resourcesAggregates") or {}
    return {
        "ok": int(counts.get("okCount", 0)),
        "warning": int(counts.get("warningCount", 0)),
        "error": int(counts.get("errorCount", 0)),
        "excluded": int(counts.get("excludedCount", 0)),
    }


def savings(summary: dict[str, Any]) -> float | None:
    cost = (summary.get("pillarSpecificAggregates") or {}).get("costOptimizing") or {}
    value = cost.get("estimatedMonthlySavings")
    return float(value) if value is not None else None


def normalise_recommendation(summary: dict[str, Any]) -> dict[str, Any]:
    arn_of_check = summary.get("checkArn")
    return {
        "type": RECOMMENDATION,
        "arn": summary["arn"],
        "id": summary.get("id"),
        "name": summary.get("name") or summary.get("id"),
        "region": "global",
        "check_arn": arn_of_check,
        "check_id": check_id(arn_of_check),
        "status": summary.get("status"),
        "pillars": list(summary.get("pillars") or []),
        "source": summary.get("source"),
        "recommendation_type": summary.get("type"),
        "lifecycle_stage": summary.get("lifecycleStage"),
        "aws_services": sorted(summary.get("awsServices") or []),
        "resources_aggregates": aggregates(summary),
        "estimated_monthly_savings": savings(summary),
        "last_updated_at": iso(summary.get("lastUpdatedAt")),
        "tags": {},
    }


def _position(key: str) -> tuple[int, str]:
    return (int(key), key) if key.isdigit() else (1 << 30, key)


def flagged_resource(columns: dict[str, str], resource: dict[str, Any]) -> dict[str, Any]:
    metadata = resource.get("metadata") or {}
    return {
        "resource_id": resource.get("awsResourceId"),
        "arn": resource.get("arn"),
        "status": resource.get("status"),
        "region": resource.get("regionCode"),
        "is_suppressed": resource.get("exclusionStatus") == "excluded",
        "metadata": {columns.get(k, k): metadata[k] for k in sorted(metadata, key=_position)},
    }


def fill_flagged(ctx: CollectContext, region: str, rec: dict[str, Any], columns: dict[str, str]) -> None:
    rows: list[dict[str, Any]] = []
    for status in FLAGGED_STATUSES:
        if not rec["resources_aggregates"][status]:
            continue
        items = paginate_detail(
            ctx,
            rec,
            ("flagged_resources",),
            SERVICE,
            region,
            "list_recommendation_resources",
            "recommendationResourceSummaries",
            {"recommendationIdentifier": rec["arn"], "status": status},
        )
        if items is None:
            return
        rows.extend(flagged_resource(columns, r) for r in items)
    rec["flagged_resources"] = rows


def needs_resources(rec: dict[str, Any]) -> bool:
    return any(rec["resources_aggregates"][s] for s in FLAGGED_STATUSES)


@collector(SERVICE, types=(RECOMMENDATION,), scope="global")
def collect_recommendations(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate(
        SERVICE, region, "list_recommendations", "recommendationSummaries", resource_type=RECOMMENDATION
    )
    if listed is None:
        return {}
    recs = sorted((normalise_recommendation(r) for r in listed), key=lambda r: (r["name"] or "", r["arn"]))
    flagged = [r for r in recs if needs_resources(r)]
    for rec in recs:
        if not needs_resources(rec):
            rec["flagged_resources"] = []
    if flagged:
        checks = ctx.paginate(SERVICE, region, "list_checks", "checkSummaries", resource_type=RECOMMENDATION)
        if checks is None:
            return {}
        # ListChecks' metadata: {"0": "Region", "1": "Instance ID", …}, keyed by column position.
        columns = {c.get("arn"): dict(c.get("metadata") or {}) for c in checks}
        ctx.map(lambda r: fill_flagged(ctx, region, r, columns.get(r["check_arn"], {})), flagged)
    return {RECOMMENDATION: recs}
