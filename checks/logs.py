"""CloudWatch Logs checks (CATALOGUE.md, "Monitoring, logging, audit trail")."""

from __future__ import annotations

from typing import Any

from opsctl.registry import FAIL, PASS, CheckContext, check


@check(id="logs.group_retention", title="CloudWatch Logs group has a retention period",
       pillar="cost", severity="low", resource_type="logs.log_group")
def group_retention(group: dict[str, Any], ctx: CheckContext):
    """A group that never expires keeps every debug line of every deploy, billed per GB-month forever."""
    days = ctx.need(group, "retention_days")
    name = group["name"]
    if days:
        return PASS(f"CloudWatch Logs group {name} keeps events for {days} days.", retention_days=days)
    return FAIL(f"CloudWatch Logs group {name} has no retention period, so its events never expire.",
                stored_bytes=group.get("stored_bytes"))
