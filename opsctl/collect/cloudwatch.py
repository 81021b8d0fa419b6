"""CloudWatch: metric alarms, reduced to what alarm coverage and alarm-action checks read.

DescribeAlarms(AlarmTypes=[MetricAlarm]) paginated, plus ListTagsForResource per alarm.
Composite alarms are not collected: they watch other alarms, not a resource's metric, so they
neither add coverage nor carry the per-metric actions the checks read.

A metric-math alarm has no top-level metric; `metrics` lists the metrics its expression reads
(each MetricStat query), so coverage can match "an alarm on TargetResponseTime of this load
balancer" whichever form the alarm takes.

Resource type `cloudwatch.alarm` (regional):

- name, arn, region
- namespace, metric_name — the alarm's metric (None for metric-math alarms)
- dimensions — {Name: Value} of that metric ({} for metric-math alarms)
- statistic / extended_statistic — e.g. "Average" / "p99" (one of them is None)
- threshold — float (None for anomaly-detection alarms); comparison — ComparisonOperator
- actions_enabled — bool
- alarm_actions, ok_actions, insufficient_data_actions — action ARNs (SNS topics, scaling policies …)
- state — OK | ALARM | INSUFFICIENT_DATA
- metrics — metric-math alarms: [{namespace, metric_name, dimensions {Name: Value}}], else []
- tags — {key: value}
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import tag_dict
from opsctl.collect.runner import CollectContext, collector

ALARM = "cloudwatch.alarm"


def dimension_map(dimensions: list[dict[str, str]] | None) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in dimensions or []}


def math_metrics(queries: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The metrics a metric-math alarm reads (its MetricStat queries; expressions are skipped)."""
    out = []
    for query in queries or []:
        metric = (query.get("MetricStat") or {}).get("Metric")
        if metric:
            out.append(
                {
                    "namespace": metric.get("Namespace"),
                    "metric_name": metric.get("MetricName"),
                    "dimensions": dimension_map(metric.get("Dimensions")),
                }
            )
    return out


def normalise_alarm(alarm: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "type": ALARM,
        "name": alarm["AlarmName"],
        "arn": alarm["AlarmArn"],
        "region": region,
        "namespace": alarm.get("Namespace"),
        "metric_name": alarm.get("MetricName"),
        "dimensions": dimension_map(alarm.get("Dimensions")),
        "statistic": alarm.get("Statistic"),
        "extended_statistic": alarm.get("ExtendedStatistic"),
        "threshold": alarm.get("Threshold"),
        "comparison": alarm.get("ComparisonOperator"),
        "actions_enabled": bool(alarm.get("ActionsEnabled", False)),
        "alarm_actions": list(alarm.get("AlarmActions") or []),
        "ok_actions": list(alarm.get("OKActions") or []),
        "insufficient_data_actions": list(alarm.get("InsufficientDataActions") or []),
        "state": alarm.get("StateValue"),
        "metrics": math_metrics(alarm.get("Metrics")),
    }


def fill_tags(ctx: CollectContext, region: str, alarm: dict[str, Any]) -> None:
    ctx.fill(
        alarm,
        "tags",
        "cloudwatch",
        region,
        "list_tags_for_resource",
        {"ResourceARN": alarm["arn"]},
        extract=lambda r: tag_dict(r.get("Tags")),
    )


@collector("cloudwatch", types=(ALARM,))
def collect_alarms(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate(
        "cloudwatch",
        region,
        "describe_alarms",
        "MetricAlarms",
        {"AlarmTypes": ["MetricAlarm"]},
        resource_type=ALARM,
    )
    if listed is None:
        return {}
    alarms = [normalise_alarm(a, region) for a in listed]
    ctx.map(lambda a: fill_tags(ctx, region, a), alarms)
    return {ALARM: alarms}
