"""AWS Budgets checks (CATALOGUE.md, "Monitoring, logging, audit trail")."""

from __future__ import annotations

from typing import Any

from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, check

BUDGET = "budgets.budget"


@check(id="budgets.budget_configured", title="An AWS Budget with a notification exists",
       pillar="cost", severity="medium", resource_type="iam.account")
def budget_configured(account: dict[str, Any], ctx: CheckContext):
    """Without a budget that notifies someone, a runaway bill is discovered on the invoice.

    Account-wide (the subject may not exist at all), so it runs on the account record.
    """
    budgets = sorted(ctx.snapshot.require_global(BUDGET), key=lambda b: str(b.get("name")))
    notified, silent, unread = [], [], []
    for budget in budgets:
        try:
            (notified if ctx.need(budget, "notifications") else silent).append(budget["name"])
        except MissingData as missing:
            unread.append(missing)
    subject = f"AWS account {account['id']}"
    if notified:
        return PASS(f"{subject} has {len(notified)} budget(s) with a notification: {', '.join(notified)}.",
                    budgets=notified)
    if unread:
        raise unread[0]  # an unread budget may be the one that notifies
    if silent:
        return FAIL(f"{subject} has {len(silent)} budget(s) but none notifies anyone: {', '.join(silent)}.",
                    budgets=silent)
    return FAIL(f"{subject} has no AWS Budget.")
