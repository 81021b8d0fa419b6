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

from opsctl.collect.runner import CollectContext, NotFound


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


def _api_name(operation: str) -> str:
    """list_subscriptions_by_topic → ListSubscriptionsByTopic, the name coverage records."""
    return "".join(part.capitalize() for part in operation.split("_"))


def gap_reason(ctx: CollectContext, service: str, region: str, operation: str, resource_id: str) -> str:
    """The reason of the latest recorded failure of `operation` for `resource_id`.

    ctx.call / ctx.paginate record the failure but hand back only None; the reason is what a
    check's ERROR message shows, so it is read back from the coverage list.
    """
    api = _api_name(operation).lower()
    coverage = ctx.coverage  # appended to by other threads: walk back from a fixed length, no copy
    for i in range(len(coverage) - 1, -1, -1):
        gap = coverage[i]
        if (
            gap.service == service
            and gap.region == region
            and gap.resource_id == resource_id
            and gap.operation.lower() == api
        ):
            return gap.reason
    return f"{service}:{_api_name(operation)} in {region} for {resource_id} failed"


def mark_missing(resource: dict[str, Any], fields: Iterable[str], reason: str) -> None:
    """Note that `fields` could not be collected (checks reading them report ERROR)."""
    errors = resource.setdefault("errors", {})
    for name in fields:
        errors[name] = reason


def call_detail(
    ctx: CollectContext,
    resource: dict[str, Any],
    fields: Iterable[str],
    service: str,
    region: str,
    operation: str,
    params: dict[str, Any] | None = None,
    *,
    not_found: Iterable[str] = (),
) -> Any:
    """One detail call feeding several `fields` of `resource`.

    Returns the response, a NotFound for a `not_found` code (data, not a failure), or None
    after marking every field missing with the call's reason.
    """
    scratch = f"_detail_{operation}"
    resp = ctx.fill(
        resource,
        scratch,
        service,
        region,
        operation,
        params,
        missing={code: NotFound(code) for code in not_found},
    )
    resource.pop(scratch, None)
    if resp is None:
        errors = resource.get("errors", {})
        reason = errors.pop(scratch, None) or f"{service}:{_api_name(operation)} in {region} failed"
        mark_missing(resource, fields, reason)
    return resp


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
        mark_missing(resource, fields, gap_reason(ctx, service, region, operation, arn))
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
