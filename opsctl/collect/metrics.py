"""CloudWatch metric history for the cost checks, fetched once through GetMetricData (phase 2).

The idle and over-provisioning checks judge a resource by its recent use. This collector runs
after every phase-1 collector, so it asks only for the resources that exist (`ctx.inventory`),
only in their region, and only over the window the checks' parameters name
(`ctx.check_params`, e.g. ec2.instance_idle's `idle_days`). All queries of a region that share
a window go out in GetMetricData calls of at most 500 queries (the API's limit), each paginated
with NextToken; datapoints are daily (Period 86400) over whole UTC days ending at today's
midnight, so a partial day never dilutes an average.

What is queried (metric key — namespace, metric, statistic, dimension; for which resources;
window parameter):

- cpu_daily_avg — AWS/EC2 CPUUtilization Average by InstanceId; running EC2 instances;
  ec2.instance_idle idle_days
- requests_daily_sum — AWS/ApplicationELB RequestCount Sum by LoadBalancer ("app/<name>/<id>"
  from the ARN); application load balancers; elb.alb_idle idle_days
- connections_daily_max — AWS/RDS DatabaseConnections Maximum by DBInstanceIdentifier; RDS DB
  instances; rds.instance_idle idle_days
- consumed_read_daily_sum / consumed_write_daily_sum — AWS/DynamoDB ConsumedReadCapacityUnits /
  ConsumedWriteCapacityUnits Sum by TableName; PROVISIONED tables only;
  dynamodb.table_overprovisioned idle_days

Resource type `cloudwatch.metric_series` (one record per resource and metric):

- arn — "<resource arn>#<metric key>" (what checks look up); region; tags — always {}
- resource_arn, metric_key — the resource and which of the metrics above
- namespace, metric_name, stat, period (seconds), dimensions — {Name: Value} of the query
- start, end — the window queried (ISO 8601 UTC; end is exclusive)
- timestamps, values — the datapoints, oldest first (empty lists: CloudWatch has no data)

When a GetMetricData call fails (or answers a query with InternalError/Forbidden), the series
of that call carry `errors` {"values", "timestamps": reason} instead of datapoints, so the
checks reading them report ERROR, never PASS or FAIL on data nobody saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from opsctl.collect._details import batches
from opsctl.collect.runner import CollectContext, collector, mark_missing

SERIES = "cloudwatch.metric_series"
SERVICE = "cloudwatch"
#: GetMetricData accepts at most 500 MetricDataQuery structures per call.
MAX_QUERIES_PER_CALL = 500
DAY_SECONDS = 86_400
#: The series fields a failed call leaves unfilled.
DATA_FIELDS = ("values", "timestamps")
#: Query result status codes that mean the datapoints are not trustworthy.
_FAILED_STATUS = ("InternalError", "Forbidden")


@dataclass(frozen=True)
class MetricSpec:
    """One metric a cost check reads, and which resources it is fetched for."""

    check_id: str  # whose `idle_days` parameter sets the window
    resource_type: str
    metric_key: str
    namespace: str
    metric_name: str
    stat: str
    dimension: str
    dimension_value: Callable[[dict[str, Any]], str | None]
    applies: Callable[[dict[str, Any]], bool]


def alb_dimension(lb: dict[str, Any]) -> str | None:
    """The LoadBalancer dimension of an ALB: "app/<name>/<id>", the ARN's resource part."""
    _, sep, suffix = str(lb.get("arn", "")).partition(":loadbalancer/")
    return suffix if sep and suffix.startswith("app/") else None


def _always(_: dict[str, Any]) -> bool:
    return True


def _running(instance: dict[str, Any]) -> bool:
    return instance.get("state") == "running"


def _provisioned(table: dict[str, Any]) -> bool:
    return table.get("billing_mode") == "PROVISIONED"


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("ec2.instance_idle", "ec2.instance", "cpu_daily_avg", "AWS/EC2", "CPUUtilization", "Average",
               "InstanceId", lambda r: r.get("id"), _running),
    MetricSpec("elb.alb_idle", "elbv2.load_balancer", "requests_daily_sum", "AWS/ApplicationELB", "RequestCount", "Sum",
               "LoadBalancer", alb_dimension, _always),
    MetricSpec("rds.instance_idle", "rds.db_instance", "connections_daily_max", "AWS/RDS", "DatabaseConnections",
               "Maximum", "DBInstanceIdentifier", lambda r: r.get("id"), _always),
    MetricSpec("dynamodb.table_overprovisioned", "dynamodb.table", "consumed_read_daily_sum", "AWS/DynamoDB",
               "ConsumedReadCapacityUnits", "Sum", "TableName", lambda r: r.get("name"), _provisioned),
    MetricSpec("dynamodb.table_overprovisioned", "dynamodb.table", "consumed_write_daily_sum", "AWS/DynamoDB",
               "ConsumedWriteCapacityUnits", "Sum", "TableName", lambda r: r.get("name"), _provisioned),
)


def window_end() -> datetime:
    """Today's 00:00 UTC: windows cover whole days (a function, so tests can pin the clock)."""
    return datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def window_days(ctx: CollectContext, check_id: str) -> int | None:
    """The check's effective `idle_days` (config over default); None if the check is unknown."""
    params = ctx.check_params.get(check_id)
    if params is None:  # a caller that passed no parameters: the check's own default
        from opsctl.registry import load_builtin_checks

        spec = load_builtin_checks().get(check_id)
        params = spec.params if spec else None
    if not params or "idle_days" not in params:
        return None
    return max(1, int(params["idle_days"]))


def _series(spec: MetricSpec, resource: dict[str, Any], region: str, start: datetime, end: datetime,
            dimension_value: str) -> dict[str, Any]:
    return {
        "type": SERIES,
        "arn": f"{resource['arn']}#{spec.metric_key}",
        "region": region,
        "resource_arn": resource["arn"],
        "metric_key": spec.metric_key,
        "namespace": spec.namespace,
        "metric_name": spec.metric_name,
        "stat": spec.stat,
        "period": DAY_SECONDS,
        "dimensions": {spec.dimension: dimension_value},
        "start": start.isoformat(),
        "end": end.isoformat(),
        "tags": {},
    }


def _query(query_id: str, series: dict[str, Any]) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": series["namespace"],
                "MetricName": series["metric_name"],
                "Dimensions": [{"Name": k, "Value": v} for k, v in series["dimensions"].items()],
            },
            "Period": series["period"],
            "Stat": series["stat"],
        },
        "ReturnData": True,
    }


def plan_series(ctx: CollectContext, region: str) -> list[dict[str, Any]]:
    """Every series to fetch in `region`, sorted (window, resource, metric): deterministic calls."""
    end = window_end()
    planned: list[dict[str, Any]] = []
    for spec in METRICS:
        days = window_days(ctx, spec.check_id)
        if days is None:
            continue
        start = end - timedelta(days=days)
        for resource in ctx.inventory.get(spec.resource_type, []):
            if resource.get("region") != region or not resource.get("arn") or not spec.applies(resource):
                continue
            value = spec.dimension_value(resource)
            series = _series(spec, resource, region, start, end, value or "")
            if not value:
                mark_missing(series, DATA_FIELDS, f"no {spec.dimension} dimension can be derived from {resource['arn']}")
            planned.append(series)
    planned.sort(key=lambda s: (s["start"], s["end"], s["resource_arn"], s["metric_key"]))
    return planned


def _merge_results(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per query Id, its datapoints across pages (a NextToken page continues the same Ids)."""
    merged: dict[str, dict[str, Any]] = {}
    for result in results:
        entry = merged.setdefault(result["Id"], {"points": [], "status": None, "messages": []})
        entry["points"].extend(zip(result.get("Timestamps") or [], result.get("Values") or [], strict=True))
        entry["status"] = result.get("StatusCode") or entry["status"]
        entry["messages"].extend(m.get("Value", "") for m in result.get("Messages") or [])
    return merged


def _fill(series: dict[str, Any], entry: dict[str, Any] | None) -> None:
    if entry is None:
        mark_missing(series, DATA_FIELDS, "cloudwatch:GetMetricData returned no result for this query")
        return
    if entry["status"] in _FAILED_STATUS:
        detail = "; ".join(m for m in entry["messages"] if m)
        mark_missing(series, DATA_FIELDS, f"cloudwatch:GetMetricData answered {entry['status']}{': ' + detail if detail else ''}")
        return
    points = sorted((ts if isinstance(ts, datetime) else datetime.fromisoformat(str(ts)), float(v))
                    for ts, v in entry["points"])
    series["timestamps"] = [ts.astimezone(timezone.utc).isoformat() for ts, _ in points]
    series["values"] = [v for _, v in points]


def _fetch_batch(ctx: CollectContext, region: str, batch: list[dict[str, Any]], label: str) -> None:
    """One GetMetricData call (paginated) for up to 500 series sharing a window."""
    queries = [_query(f"q{i}", s) for i, s in enumerate(batch)]
    params = {
        "MetricDataQueries": queries,
        "StartTime": datetime.fromisoformat(batch[0]["start"]),
        "EndTime": datetime.fromisoformat(batch[0]["end"]),
        "ScanBy": "TimestampAscending",
    }
    results = ctx.paginate(SERVICE, region, "get_metric_data", "MetricDataResults", params,
                           resource_type=SERIES, resource_id=label)
    if results is None:
        reason = ctx.failure_reason(SERVICE, region, "GetMetricData", label)
        for series in batch:
            mark_missing(series, DATA_FIELDS, reason)
        return
    merged = _merge_results(results)
    for i, series in enumerate(batch):
        _fill(series, merged.get(f"q{i}"))


def call_batches(series: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Series grouped by window, then cut into calls of at most MAX_QUERIES_PER_CALL queries."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in series:
        groups.setdefault((s["start"], s["end"]), []).append(s)
    return [chunk for key in sorted(groups) for chunk in batches(groups[key], MAX_QUERIES_PER_CALL)]


@collector(SERVICE, types=(SERIES,), phase=2)
def collect_metric_series(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """Daily datapoints of the metrics the cost checks need, for this region's resources."""
    planned = plan_series(ctx, region)
    wanted = [s for s in planned if not s.get("errors")]
    chunks = call_batches(wanted)
    labels = [f"batch {n} of {len(chunks)} ({len(c)} queries)" for n, c in enumerate(chunks, start=1)]
    ctx.map(lambda job: _fetch_batch(ctx, region, *job), list(zip(chunks, labels, strict=True)))
    return {SERIES: planned}
