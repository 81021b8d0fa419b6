"""CloudWatch Logs: log groups with their retention, size and encryption.

DescribeLogGroups paginated, plus ListTagsForResource per group (by the group's ARN without
the trailing ":*", the form the tagging API takes).

Resource type `logs.log_group` (regional):

- name, region
- arn — the log group ARN WITHOUT the trailing ":*"
- retention_days — int, or None when events never expire
- stored_bytes — int
- kms_key_id — KMS key ARN encrypting the group, or None
- creation_time — ISO 8601 UTC
- tags — {key: value}
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import iso_from_millis
from opsctl.collect.runner import CollectContext, collector

LOG_GROUP = "logs.log_group"


def group_arn(group: dict[str, Any]) -> str:
    """logGroupArn (newer responses) or arn minus its ":*" suffix."""
    arn = group.get("logGroupArn") or group.get("arn", "")
    return arn[:-2] if arn.endswith(":*") else arn


def normalise_group(group: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "type": LOG_GROUP,
        "name": group["logGroupName"],
        "arn": group_arn(group),
        "region": region,
        "retention_days": group.get("retentionInDays"),
        "stored_bytes": group.get("storedBytes", 0),
        "kms_key_id": group.get("kmsKeyId"),
        "creation_time": iso_from_millis(group.get("creationTime")),
    }


def tag_dict_from_map(tags: dict[str, str] | None) -> dict[str, str]:
    """Logs answers tags as a map already; sort it for a stable snapshot."""
    return dict(sorted((tags or {}).items()))


def fill_tags(ctx: CollectContext, region: str, group: dict[str, Any]) -> None:
    ctx.fill(
        group,
        "tags",
        "logs",
        region,
        "list_tags_for_resource",
        {"resourceArn": group["arn"]},
        extract=lambda r: tag_dict_from_map(r.get("tags")),
    )


@collector("logs", types=(LOG_GROUP,))
def collect_log_groups(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate("logs", region, "describe_log_groups", "logGroups", resource_type=LOG_GROUP)
    if listed is None:
        return {}
    groups = [normalise_group(g, region) for g in listed]
    ctx.map(lambda g: fill_tags(ctx, region, g), groups)
    return {LOG_GROUP: groups}
