"""The AWS edge of `opsctl alarms`: read the prefixed alarms, write the planned ones.

Calls: cloudwatch:DescribeAlarms (AlarmNamePrefix, paginated) per region; ListTagsForResource
only for a prefixed alarm whose description lacks the marker (is it tagged as opsctl's?);
PutMetricAlarm per alarm to create or update. Nothing is ever deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from opsctl.alarms.plan import MARKER, ExistingAlarm, Plan, PlannedAlarm, from_describe
from opsctl.errors import OpsctlError

_CALL_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)


def read_alarms(aws: Any, regions: Iterable[str], prefix: str) -> dict[str, list[ExistingAlarm]]:
    """The alarms whose names start with `prefix`, per region, as they are now."""
    out: dict[str, list[ExistingAlarm]] = {}
    for region in regions:
        client = aws.client("cloudwatch", region)
        alarms: list[ExistingAlarm] = []
        try:
            for page in client.get_paginator("describe_alarms").paginate(
                    AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
                for record in page.get("MetricAlarms") or []:
                    if MARKER not in (record.get("AlarmDescription") or ""):
                        record = {**record, "Tags": _tags(client, record)}
                    alarms.append(from_describe(record, region, prefix))
                for record in page.get("CompositeAlarms") or []:
                    alarms.append(from_describe(record, region, prefix, kind="composite"))
        except _CALL_ERRORS as exc:
            raise OpsctlError(f"cannot read the alarms of {region} (cloudwatch:DescribeAlarms): {_why(exc)}") from None
        out[region] = alarms
    return out


def _tags(client: Any, record: dict[str, Any]) -> list[dict[str, str]]:
    try:
        return client.list_tags_for_resource(ResourceARN=record["AlarmArn"]).get("Tags") or []
    except _CALL_ERRORS:
        return []  # unknown tags: not provably opsctl's, so left alone


@dataclass
class ApplyReport:
    done: list[PlannedAlarm] = field(default_factory=list)
    failed: list[tuple[PlannedAlarm, str]] = field(default_factory=list)


def apply_plan(aws: Any, plan: Plan, progress: Callable[[PlannedAlarm, str | None], None] | None = None) -> ApplyReport:
    """PutMetricAlarm for each create and update of the plan; a failed call is recorded, the rest go on."""
    report = ApplyReport()
    for item in plan.writes:
        try:
            aws.client("cloudwatch", item.region).put_metric_alarm(**item.params)
        except _CALL_ERRORS as exc:
            report.failed.append((item, _why(exc)))
            if progress:
                progress(item, _why(exc))
            continue
        report.done.append(item)
        if progress:
            progress(item, None)
    return report


def _why(exc: Exception) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code')}: {err.get('Message')}"
    return str(exc)
