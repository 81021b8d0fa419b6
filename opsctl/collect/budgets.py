"""AWS Budgets: budgets with their notifications.

DescribeBudgets(AccountId) paginated, then per budget DescribeNotificationsForBudget
(paginated) and per notification DescribeSubscribersForNotification (paginated, for the count).
Tags are not read: no check needs them. Budgets answers NotFoundException for "none exist", which is data (an
empty list), not a gap.

Resource type `budgets.budget` (region "global"):

- name, arn — arn:aws:budgets::<account>:budget/<name>
- budget_type — COST | USAGE | RI_UTILIZATION | SAVINGS_PLANS_COVERAGE | …
- limit_amount — float (None for budgets without a fixed limit); limit_unit — e.g. USD
- time_unit — DAILY | MONTHLY | QUARTERLY | ANNUALLY | CUSTOM
- notifications — [{type (ACTUAL | FORECASTED), comparison, threshold (float), threshold_type
  (PERCENTAGE | ABSOLUTE_VALUE), subscriber_count (int, or None when the subscribers could
  not be read: the failure is in coverage and errors["subscriber_count"])}]
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import mark_missing, paginate_detail
from opsctl.collect.runner import CollectContext, collector

BUDGET = "budgets.budget"
NONE_EXIST = ("NotFoundException",)


def normalise_budget(ctx: CollectContext, budget: dict[str, Any]) -> dict[str, Any]:
    limit = budget.get("BudgetLimit") or {}
    name = budget["BudgetName"]
    return {
        "type": BUDGET,
        "name": name,
        "arn": f"arn:{ctx.partition}:budgets::{ctx.account}:budget/{name}",
        "region": "global",
        "budget_type": budget.get("BudgetType"),
        "limit_amount": float(limit["Amount"]) if limit.get("Amount") is not None else None,
        "limit_unit": limit.get("Unit"),
        "time_unit": budget.get("TimeUnit"),
    }


def subscriber_count(
    ctx: CollectContext, region: str, budget: dict[str, Any], notification: dict[str, Any]
) -> int | None:
    params = {"AccountId": ctx.account, "BudgetName": budget["name"], "Notification": notification}
    subscribers = ctx.paginate(
        "budgets",
        region,
        "describe_subscribers_for_notification",
        "Subscribers",
        params,
        resource_type=BUDGET,
        resource_id=budget["arn"],
        not_found=NONE_EXIST,
    )
    if subscribers is None:
        mark_missing(
            budget,
            ("subscriber_count",),
            ctx.failure_reason("budgets", region, "describe_subscribers_for_notification", budget["arn"]),
        )
        return None
    return len(subscribers)


def fill_budget(ctx: CollectContext, region: str, budget: dict[str, Any]) -> None:
    params = {"AccountId": ctx.account, "BudgetName": budget["name"]}
    notifications = paginate_detail(
        ctx,
        budget,
        ("notifications",),
        "budgets",
        region,
        "describe_notifications_for_budget",
        "Notifications",
        params,
        not_found=NONE_EXIST,
    )
    if notifications is not None:
        budget["notifications"] = [
            {
                "type": n.get("NotificationType"),
                "comparison": n.get("ComparisonOperator"),
                "threshold": float(n["Threshold"]) if n.get("Threshold") is not None else None,
                "threshold_type": n.get("ThresholdType", "PERCENTAGE"),
                "subscriber_count": subscriber_count(ctx, region, budget, n),
            }
            for n in notifications
        ]


@collector("budgets", types=(BUDGET,), scope="global")
def collect_budgets(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate(
        "budgets",
        region,
        "describe_budgets",
        "Budgets",
        {"AccountId": ctx.account},
        resource_type=BUDGET,
        not_found=NONE_EXIST,
    )
    if listed is None:
        return {}
    budgets = [normalise_budget(ctx, b) for b in listed]
    ctx.map(lambda b: fill_budget(ctx, region, b), budgets)
    return {BUDGET: budgets}
