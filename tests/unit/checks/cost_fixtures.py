"""Fixtures shared by the cost-check tests: metric series records and priced runs.

Not a test module (no `test_` prefix), so test_cases.py does not collect CASES from it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from opsctl.engine import run_check
from opsctl.findings import Finding
from opsctl.pricing import load_price_table
from opsctl.registry import load_builtin_checks
from tests.helpers import REGION, snapshot

SERIES = "cloudwatch.metric_series"
#: A fixed window end (today's midnight in a real collection).
END = datetime(2025, 6, 1, tzinfo=timezone.utc)

#: (namespace, metric, stat) per metric key, as opsctl/collect/metrics.py queries them.
METRICS = {
    "cpu_daily_avg": ("AWS/EC2", "CPUUtilization", "Average"),
    "requests_daily_sum": ("AWS/ApplicationELB", "RequestCount", "Sum"),
    "connections_daily_max": ("AWS/RDS", "DatabaseConnections", "Maximum"),
    "consumed_read_daily_sum": ("AWS/DynamoDB", "ConsumedReadCapacityUnits", "Sum"),
    "consumed_write_daily_sum": ("AWS/DynamoDB", "ConsumedWriteCapacityUnits", "Sum"),
}


def series(resource_arn: str, metric_key: str, values: list[float] | None, *, days: int = 14,
           error: str | None = None, region: str = REGION) -> dict[str, Any]:
    """A cloudwatch.metric_series record: one datapoint per day ending yesterday (values oldest
    first); values None with `error` is a failed GetMetricData call."""
    namespace, metric, stat = METRICS[metric_key]
    record: dict[str, Any] = {
        "arn": f"{resource_arn}#{metric_key}", "region": region, "resource_arn": resource_arn, "metric_key": metric_key,
        "namespace": namespace, "metric_name": metric, "stat": stat, "period": 86400, "dimensions": {},
        "start": (END - timedelta(days=days)).isoformat(), "end": END.isoformat(), "tags": {},
    }
    if error:
        record["errors"] = {"values": error, "timestamps": error}
        return record
    values = values or []
    record["timestamps"] = [(END - timedelta(days=len(values) - i)).isoformat() for i in range(len(values))]
    record["values"] = list(values)
    return record


def priced(check_id: str, resources: dict[str, list[dict[str, Any]]], *, regions: tuple[str, ...] = (REGION,),
           **params: Any) -> list[Finding]:
    """Run one check with the built-in price table (Case runs have ctx.prices None)."""
    spec = load_builtin_checks()[check_id]
    return run_check(spec, snapshot(resources, regions=regions), params or None, prices=load_price_table())
