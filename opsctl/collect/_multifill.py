"""Helpers shared by the S3, CloudFront and WAFv2 collectors.

`fill_fields` is `CollectContext.fill` for one detail call that feeds several resource fields
(GetBucketLogging → logging_enabled + logging_target): a failure must mark EVERY field it
would have filled as missing, so each check reading any of them reports ERROR, never PASS.

`call_pages` walks a Marker-paginated listing whose items sit under a nested key
(CloudFront's DistributionList.Items) or which has no botocore paginator at all (WAFv2), which
`CollectContext.paginate` cannot do: it reads a top-level result key only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsctl.collect.runner import CollectContext

#: Stop a listing that keeps handing back markers (a misbehaving endpoint) instead of looping.
MAX_PAGES = 10_000


def fill_fields(
    ctx: CollectContext,
    resource: dict[str, Any],
    fields: dict[str, Any],
    service: str,
    region: str,
    operation: str,
    params: dict[str, Any] | None = None,
    *,
    extract: Callable[[Any], dict[str, Any]],
    missing_codes: tuple[str, ...] = (),
) -> bool:
    """Fill several fields from one call; `fields` maps each field to its "not configured" value.

    `extract(response)` returns {field: value} for every key of `fields`. On a `missing_codes`
    error the defaults of `fields` are stored. On failure each field gets the call's reason in
    resource["errors"]. Returns whether the fields were filled.
    """
    scratch = f"_pending_{operation}"
    values = ctx.fill(
        resource,
        scratch,
        service,
        region,
        operation,
        params,
        extract=extract,
        missing={code: dict(fields) for code in missing_codes},
    )
    resource.pop(scratch, None)
    if values is None:
        # Detail calls on one resource may run concurrently: only ever add to the shared dict.
        errors = resource.setdefault("errors", {})
        reason = errors.pop(scratch, None) or f"{service}:{operation} in {region} failed"
        for name in fields:
            errors[name] = reason
        return False
    resource.update({name: values[name] for name in fields})
    return True


def call_pages(
    ctx: CollectContext,
    service: str,
    region: str,
    operation: str,
    params: dict[str, Any],
    *,
    items: Callable[[dict[str, Any]], list[Any]],
    next_marker: Callable[[dict[str, Any]], str | None],
    marker_param: str,
    resource_type: str,
) -> list[Any] | None:
    """Every item of a marker-paginated listing; None (gap recorded by ctx.call) if a page failed."""
    collected: list[Any] = []
    page_params = dict(params)
    for _ in range(MAX_PAGES):
        page = ctx.call(service, region, operation, page_params, resource_type=resource_type)
        if page is None:
            return None
        collected.extend(items(page))
        marker = next_marker(page)
        if not marker:
            return collected
        page_params = {**params, marker_param: marker}
    ctx.record_listing_gap(
        service, region, operation, "TooManyPages", f"stopped after {MAX_PAGES} pages: the endpoint keeps returning a marker", resource_type
    )
    return None
