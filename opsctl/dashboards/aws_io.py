"""The only module of opsctl.dashboards that calls AWS: ListDashboards, GetDashboard,
PutDashboard and DeleteDashboards, through an opsctl.aws.Aws (profile, role, endpoint, retries).

CloudWatch dashboards are account-wide but served by a regional endpoint; opsctl reads and writes
them in one region (the "home region", see opsctl.dashboards.workflow.home_region).

IAM: cloudwatch:ListDashboards, cloudwatch:GetDashboard (plan, list, apply, prune),
cloudwatch:PutDashboard (apply), cloudwatch:DeleteDashboards (prune).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from opsctl.errors import OpsctlError, UsageError

#: DeleteDashboards takes a list of names; sent in slices so one call stays small.
DELETE_BATCH = 100


@dataclass(frozen=True)
class CurrentDashboard:
    """A dashboard as CloudWatch has it. `body` is fetched only for names with opsctl's prefix
    (others can never be opsctl's); None then, or when the stored body is not JSON."""

    name: str
    arn: str = ""
    last_modified: str = ""
    size: int = 0
    body: Any = None
    fetched: bool = False


def _fail(operation: str, exc: Exception, what: str = "") -> OpsctlError:
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return UsageError("no AWS credentials found; set AWS_PROFILE or pass --profile, or run `aws configure`")
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        detail = f"{err.get('Code')}: {err.get('Message')}"
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return OpsctlError(f"cloudwatch:{operation}{' ' + what if what else ''} failed ({detail})")


_CALL_ERRORS = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)


def list_dashboards(aws: Any, region: str) -> list[CurrentDashboard]:
    """Every dashboard of the account (ListDashboards, paginated), sorted by name."""
    client = aws.client("cloudwatch", region)
    out = []
    try:
        for page in client.get_paginator("list_dashboards").paginate():
            for d in page.get("DashboardEntries", []):
                modified = d.get("LastModified")
                out.append(CurrentDashboard(d["DashboardName"], d.get("DashboardArn", ""),
                                            modified.isoformat(timespec="seconds") if modified else "", int(d.get("Size") or 0)))
    except _CALL_ERRORS as exc:
        raise _fail("ListDashboards", exc) from None
    return sorted(out, key=lambda d: d.name)


def get_body(aws: Any, region: str, name: str) -> tuple[bool, Any]:
    """(exists, parsed body or None when it is not JSON) of one dashboard (GetDashboard)."""
    try:
        resp = aws.client("cloudwatch", region).get_dashboard(DashboardName=name)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("ResourceNotFound", "ResourceNotFoundException"):
            return False, None  # deleted since it was listed
        raise _fail("GetDashboard", exc, name) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise _fail("GetDashboard", exc, name) from None
    try:
        return True, json.loads(resp.get("DashboardBody") or "null")
    except json.JSONDecodeError:
        return True, None


def read_current(aws: Any, region: str, prefix: str) -> dict[str, CurrentDashboard]:
    """The account's dashboards by name; bodies fetched for the names that start with `prefix`."""
    out = {}
    for d in list_dashboards(aws, region):
        if d.name.startswith(prefix):
            exists, body = get_body(aws, region, d.name)
            if not exists:
                continue
            d = CurrentDashboard(d.name, d.arn, d.last_modified, d.size, body, True)
        out[d.name] = d
    return out


def encode(body: dict[str, Any]) -> str:
    """The DashboardBody string: compact JSON, keys in the order rendered (stable across runs)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def put(aws: Any, region: str, name: str, body: dict[str, Any]) -> list[str]:
    """Create or replace a dashboard; returns CloudWatch's validation messages (warnings)."""
    try:
        resp = aws.client("cloudwatch", region).put_dashboard(DashboardName=name, DashboardBody=encode(body))
    except _CALL_ERRORS as exc:
        raise _fail("PutDashboard", exc, name) from None
    return [f"{m.get('DataPath', '')}: {m.get('Message', '')}".strip(": ") for m in resp.get("DashboardValidationMessages", [])]


def delete(aws: Any, region: str, names: list[str]) -> None:
    client = aws.client("cloudwatch", region)
    for i in range(0, len(names), DELETE_BATCH):
        batch = names[i:i + DELETE_BATCH]
        try:
            client.delete_dashboards(DashboardNames=batch)
        except _CALL_ERRORS as exc:
            raise _fail("DeleteDashboards", exc, ", ".join(batch)) from None
