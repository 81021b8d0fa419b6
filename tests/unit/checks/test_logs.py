"""Cases for the CloudWatch Logs checks (checks/logs.py)."""

from __future__ import annotations

from typing import Any

from tests.helpers import ACCOUNT, REGION, Case

GROUP = "logs.log_group"


def group(name: str, retention: int | None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}", "region": REGION,
            "retention_days": retention, "stored_bytes": 1024, "kms_key_id": None, "tags": {}, **extra}


CASES = [
    Case("logs.group_retention", "30 days", {GROUP: [group("/shop/api", 30)]}, ["PASS"],
         message_contains="CloudWatch Logs group /shop/api keeps events for 30 days."),
    Case("logs.group_retention", "never expires", {GROUP: [group("/aws/lambda/shop-thumbnailer", None)]}, ["FAIL"],
         message_contains="has no retention period, so its events never expire."),
    Case("logs.group_retention", "ten years is still a retention period", {GROUP: [group("/audit", 3653)]}, ["PASS"]),
    Case("logs.group_retention", "retention not collected",
         {GROUP: [{"name": "/x", "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/x", "region": REGION,
                   "errors": {"retention_days": "logs:DescribeLogGroups failed"}}]}, ["ERROR"]),
]
