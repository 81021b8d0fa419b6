"""Cases for the AWS Budgets checks (checks/budgets.py)."""

from __future__ import annotations

from typing import Any

from opsctl.snapshot import CoverageGap
from tests.helpers import ACCOUNT, Case

BUDGET = "budgets.budget"
ACCOUNT_REC = {"id": ACCOUNT, "name": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "region": "global", "tags": {}}
NOTIFICATION = {"type": "ACTUAL", "comparison": "GREATER_THAN", "threshold": 80.0, "threshold_type": "PERCENTAGE",
                "subscriber_count": 1}
GAP = CoverageGap("budgets", "global", "DescribeBudgets", "AccessDeniedException", "denied", BUDGET, "")


def budget(name: str, notifications: list[dict[str, Any]] | None = None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    record = {"name": name, "arn": f"arn:aws:budgets::{ACCOUNT}:budget/{name}", "region": "global", "budget_type": "COST",
              "limit_amount": 2500.0, "limit_unit": "USD", "time_unit": "MONTHLY", "tags": {}}
    if errors:
        record["errors"] = errors
    else:
        record["notifications"] = list(notifications or [])
    return record


def account_with(*budgets: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"iam.account": [ACCOUNT_REC], BUDGET: list(budgets)}


UNREAD = {"notifications": "budgets:DescribeNotificationsForBudget failed"}

CASES = [
    Case("budgets.budget_configured", "a budget with a notification", account_with(budget("monthly", [NOTIFICATION])), ["PASS"],
         message_contains="has 1 budget(s) with a notification: monthly."),
    Case("budgets.budget_configured", "no budget", account_with(), ["FAIL"],
         message_contains=f"AWS account {ACCOUNT} has no AWS Budget."),
    Case("budgets.budget_configured", "a budget nobody hears about", account_with(budget("monthly")), ["FAIL"],
         message_contains="none notifies anyone: monthly"),
    Case("budgets.budget_configured", "one notifying budget is enough, even next to an unread one",
         account_with(budget("monthly", [NOTIFICATION]), budget("other", errors=UNREAD)), ["PASS"]),
    Case("budgets.budget_configured", "notifications unread and none seen: ERROR",
         account_with(budget("monthly"), budget("other", errors=UNREAD)), ["ERROR"]),
    Case("budgets.budget_configured", "budgets not listed: ERROR, never FAIL", account_with(), ["ERROR"], coverage=[GAP]),
]
