"""Helpers shared by the account-wide and monitoring collectors (Route 53, CloudWatch, Logs,
CloudTrail, IAM, KMS, ACM, SNS, Budgets, Trusted Advisor, Service Quotas).

`CollectContext.fill` sets ONE field from one call. Many detail calls here feed several fields
(DescribeKey → key_manager, key_spec, key_state …) or are paginated (ListSubscriptionsByTopic),
and a failure must mark EVERY field they would have filled in `resource["errors"]`, so each
check reading any of them reports ERROR with the failed call's reason, never PASS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from opsctl.collect.runner import CollectContext, mark_missing


def tag_dict(tags: Iterable[dict[str, Any]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS tag lists ([{Key, Value}], KMS's [{TagKey, TagValue}]) as one flat, sorted dict."""
    return dict(sorted((t[key], t.get(value, "")) for t in tags or []))


def iso(value: datetime | None) -> str | None:
    """A botocore datetime as ISO 8601 (snapshots are JSON)."""
    return value.isoformat() if isinstance(value, datetime) else None


def iso_from_millis(millis: int | float | None) -> str | None:
    """Epoch milliseconds (CloudWatch Logs' creationTime) as ISO 8601 UTC."""
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).isoformat()










def paginate_detail(
    ctx: CollectContext,
    resource: dict[str, Any],
    fields: Iterable[str],
    service: str,
    region: str,
    operation: str,
    result_key: str,
    params: dict[str, Any] | None = None,
    *,
    not_found: Iterable[str] = (),
) -> list[Any] | None:
    """A paginated detail listing of one resource; None after marking `fields` missing."""
    arn = resource.get("arn", "")
    items = ctx.paginate(
        service,
        region,
        operation,
        result_key,
        params,
        resource_type=resource.get("type", ""),
        resource_id=arn,
        not_found=not_found,
    )
    if items is None:
        mark_missing(resource, fields, ctx.failure_reason(service, region, operation, arn))
    return items


_OCTAL_ESCAPE = re.compile(r"\\(\d{3})")


def dns_name(name: str | None) -> str | None:
    """Route 53's "\\052.shop.example.com." → "*.shop.example.com" (octal escapes decoded, no final dot)."""
    if name is None:
        return None
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), name).rstrip(".")


def batches(items: list[Any], size: int) -> list[list[Any]]:
    """Consecutive slices of at most `size` items (APIs that take a bounded id list)."""
    return [items[i : i + size] for i in range(0, len(items), size)]
