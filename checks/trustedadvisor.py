"""Trusted Advisor: AWS's own findings, one per flagged resource, with pillar, severity and savings.

The data comes from two APIs (opsctl/collect/support.py, opsctl/collect/trustedadvisor.py) and
may be missing altogether, so the check does not run on either type — a listing gap there would
make the engine report ERROR, where a missing support plan must be one SKIPPED finding. It runs
on the account record (`iam.account`, one per snapshot) and reads both types itself.

Deduplication: a Trusted Advisor check appears in both APIs under the same check id (the Support
API's `id`, the last part of the newer API's `checkArn`). The newer API's recommendation wins
when it was read completely; the Support API's record is used when the newer API is unreachable,
lacks that check, or failed to list its resources. Recommendations without a check (other
sources) are keyed by their own ARN.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opsctl.errors import MissingData
from opsctl.findings import Severity, Status
from opsctl.registry import CheckContext, Outcome, check

SUPPORT_TYPE = "support.trusted_advisor_check"
NEWER_TYPE = "trustedadvisor.recommendation"

#: Trusted Advisor category (Support API) or pillar (TrustedAdvisor API) → opsctl pillar.
PILLAR_BY_CATEGORY = {
    "cost_optimizing": "cost",
    "security": "security",
    "fault_tolerance": "availability",
    "performance": "performance",
    "service_limits": "scalability",
    "operational_excellence": "operations",
}
DEFAULT_PILLAR = "operations"
SEVERITY_BY_STATUS = {"error": Severity.HIGH, "warning": Severity.MEDIUM}
FLAGGED = ("warning", "error")

#: Error codes of the Support API meaning "this account's plan does not include Trusted Advisor".
NO_PLAN_CODES = ("SubscriptionRequiredException", "AccessDeniedException", "AccessDenied")

#: Metadata columns carrying a per-resource savings figure ("Estimated Monthly Savings",
#: "Estimated Monthly Savings (On Demand)", …).
SAVINGS_COLUMN = re.compile(r"^Estimated Monthly Savings\b", re.IGNORECASE)
_AMOUNT = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
#: Daily series ("Day 1" … "Day 14") make evidence long without supporting the verdict.
_NOISE_COLUMN = re.compile(r"^Day \d+$")
#: Columns naming the resource, and id columns naming what contains it rather than the resource.
_ID_COLUMN = re.compile(r"(\bID|Id|ARN)$")
_CONTAINER_COLUMN = re.compile(r"^(VPC|Subnet|Snapshot|Case|Connection) ID$")


@dataclass(frozen=True)
class TaCheck:
    """One Trusted Advisor check as the findings need it, whichever API it came from."""

    key: str
    name: str
    arn: str
    pillar: str
    category: str
    source: str  # "trustedadvisor" (the newer API) | "support"
    status: str | None = None
    flagged: list[dict[str, Any]] = field(default_factory=list)
    savings: float | None = None
    error: str | None = None  # why the result could not be read


@check(id="trustedadvisor.check", title="Trusted Advisor flags no resources", pillar=DEFAULT_PILLAR,
       severity="medium", resource_type="iam.account", per_finding=True)
def trusted_advisor(account: dict[str, Any], ctx: CheckContext) -> Iterator[Outcome]:
    """Trusted Advisor sees usage, billing and limits opsctl cannot; its flags belong in the same report."""
    support, support_gap = _records(ctx, SUPPORT_TYPE)
    newer, _ = _records(ctx, NEWER_TYPE)
    if support is None and newer is None:
        yield _unavailable(ctx, support_gap)
        return
    checks = merge(support or [], newer or [])
    if len(checks) > 1 and all(ta.error for ta in checks):
        yield _none_readable(checks)
        return
    for ta in checks:
        yield from evaluate(ta)


def _none_readable(checks: list[TaCheck]) -> Outcome:
    """Every check's result failed (an endpoint without the results API, a role allowed only to list
    checks): one ERROR for the account, naming the first failure, instead of one per check."""
    return Outcome(Status.ERROR,
                   f"Could not read the result of any of the {len(checks)} Trusted Advisor checks listed; "
                   f"the first failure: {checks[0].error}",
                   {"ta_check_ids": [ta.key for ta in checks], "source": sorted({ta.source for ta in checks})})


# ----- reading the snapshot ---------------------------------------------------------------------


def _records(ctx: CheckContext, resource_type: str) -> tuple[list[dict[str, Any]] | None, str]:
    """A type's records, or None with the reason it is missing (its listing gap's, if any)."""
    try:
        return ctx.snapshot.require_global(resource_type), ""
    except MissingData as missing:
        return None, missing.reason


def _unavailable(ctx: CheckContext, reason: str) -> Outcome:
    """SKIPPED without a qualifying plan; ERROR naming the call for any other failure."""
    gaps = ctx.snapshot.listing_gaps(SUPPORT_TYPE)
    code = gaps[0].error_code if gaps else ""
    if code in NO_PLAN_CODES:
        hint = "" if code == "SubscriptionRequiredException" else (
            " (no such plan, or the audit role lacks support:DescribeTrustedAdvisorChecks)")
        return Outcome(Status.SKIPPED,
                       "Trusted Advisor needs a Business, Enterprise On-Ramp or Enterprise support plan; "
                       f"this account's Support API answered {code}{hint}.", {"error_code": code})
    raise MissingData(f"Trusted Advisor results could not be read: {reason}")


def _field(record: dict[str, Any], name: str) -> tuple[Any, str | None]:
    errors = record.get("errors") or {}
    if name in errors:
        return None, errors[name]
    if name not in record:
        return None, f"field {name!r} of {record.get('arn', 'the record')} was not collected"
    return record[name], None


def _status_and_rows(record: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]], str | None]:
    status, error = _field(record, "status")
    if error:
        return None, [], error
    if status not in FLAGGED:
        return status, [], None
    rows, error = _field(record, "flagged_resources")
    return status, rows or [], error


def from_support(record: dict[str, Any]) -> TaCheck:
    status, rows, error = _status_and_rows(record)
    category = record.get("category") or ""
    return TaCheck(key=record["id"], name=record.get("name") or record["id"], arn=record["arn"],
                   pillar=PILLAR_BY_CATEGORY.get(category, DEFAULT_PILLAR), category=category, source="support",
                   status=status, flagged=rows, savings=record.get("estimated_monthly_savings"), error=error)


def from_newer(record: dict[str, Any], support: TaCheck | None) -> TaCheck:
    status, rows, error = _status_and_rows(record)
    pillars = [p for p in record.get("pillars") or [] if p in PILLAR_BY_CATEGORY]
    if record.get("estimated_monthly_savings") is not None:  # a recommendation with savings is a cost finding
        pillars.sort(key=lambda p: p != "cost_optimizing")
    category = support.category if support else (pillars[0] if pillars else "")
    return TaCheck(key=record.get("check_id") or record["arn"], name=record.get("name") or record["arn"],
                   arn=record["arn"], pillar=PILLAR_BY_CATEGORY.get(category, DEFAULT_PILLAR), category=category,
                   source="trustedadvisor", status=status, flagged=rows,
                   savings=record.get("estimated_monthly_savings"), error=error)


def merge(support: list[dict[str, Any]], newer: list[dict[str, Any]]) -> list[TaCheck]:
    """One TaCheck per Trusted Advisor check: the newer API's when complete, else the Support API's."""
    chosen = {r["id"]: from_support(r) for r in support}
    # Standard recommendations before priority ones, so a check's own recommendation wins.
    for record in sorted(newer, key=lambda r: (r.get("recommendation_type") != "standard", r["arn"])):
        key = record.get("check_id") or record["arn"]
        current = chosen.get(key)
        if current is not None and current.source == "trustedadvisor":
            continue
        candidate = from_newer(record, current)
        if candidate.error is None or current is None:
            chosen[key] = candidate
    return sorted(chosen.values(), key=lambda t: (t.pillar, t.name, t.key))


# ----- findings ---------------------------------------------------------------------------------


def evaluate(ta: TaCheck) -> Iterator[Outcome]:
    """ok → one PASS; warning/error → one FAIL per flagged resource; not_available → nothing."""
    base = {"ta_check_id": ta.key, "ta_check": ta.name, "category": ta.category, "source": ta.source}
    if ta.error:
        yield Outcome(Status.ERROR, f'Could not read Trusted Advisor check "{ta.name}": {ta.error}', base,
                      resource_id=ta.arn, pillar=ta.pillar)
        return
    if ta.status == "ok":
        yield Outcome(Status.PASS, f'Trusted Advisor check "{ta.name}" flags no resources.',
                      {**base, "ta_status": "ok"}, resource_id=ta.arn, pillar=ta.pillar)
        return
    if ta.status not in FLAGGED:
        return  # not_available (or a status Trusted Advisor may add): nothing to report
    rows = [r for r in ta.flagged if r.get("status") in FLAGGED and not r.get("is_suppressed")]
    if not rows:
        yield _check_level_fail(ta, base)
        return
    per_row = [row_savings(r) for r in rows] if ta.pillar == "cost" else [None] * len(rows)
    carry_total = ta.pillar == "cost" and all(s is None for s in per_row)
    for index, (row, amount) in enumerate(zip(rows, per_row, strict=True)):
        evidence = {**base, "ta_status": row["status"], "resource": label(row), "aws_resource_id": aws_resource_id(row),
                    "metadata": {k: v for k, v in _metadata(row).items() if not _NOISE_COLUMN.match(k)}}
        if carry_total:
            amount, evidence["savings_note"] = _total_on_first(ta, index)
        elif ta.pillar == "cost" and amount is None:
            evidence["savings_note"] = "Trusted Advisor gives no savings figure for this resource"
        yield Outcome(Status.FAIL, _row_message(ta, row, amount), evidence, resource_id=row_arn(ta, row),
                      region=row.get("region") or "global", severity=SEVERITY_BY_STATUS[row["status"]],
                      pillar=ta.pillar, monthly_savings_usd=amount)


def _check_level_fail(ta: TaCheck, base: dict[str, Any]) -> Outcome:
    """A flagged check without resource rows (account-level checks such as MFA on Root Account)."""
    amount = ta.savings if ta.pillar == "cost" else None
    evidence = {**base, "ta_status": ta.status}
    if ta.pillar == "cost" and amount is None:
        evidence["savings_note"] = "Trusted Advisor gives no savings estimate for this check"
    suffix = f", estimated savings ${amount:,.2f}/month" if amount is not None else ""
    return Outcome(Status.FAIL, f'Trusted Advisor check "{ta.name}" has status {ta.status}{suffix}.', evidence,
                   resource_id=ta.arn, severity=SEVERITY_BY_STATUS[ta.status or "warning"], pillar=ta.pillar,
                   monthly_savings_usd=amount)


def _total_on_first(ta: TaCheck, index: int) -> tuple[float | None, str]:
    """Without per-resource figures, the check's total rides on its first finding, once."""
    if ta.savings is None:
        return None, "Trusted Advisor gives no savings estimate for this check"
    if index == 0:
        return ta.savings, "Trusted Advisor's estimate for the whole check, carried on this finding only"
    return None, "Trusted Advisor gives this check's savings as one total, carried on another finding"


def _row_message(ta: TaCheck, row: dict[str, Any], amount: float | None) -> str:
    where = f" in {row['region']}" if row.get("region") else ""
    suffix = f", estimated savings ${amount:,.2f}/month" if amount is not None else ""
    return f'Trusted Advisor check "{ta.name}" flags {label(row)}{where} ({row["status"]}){suffix}.'


def row_savings(row: dict[str, Any]) -> float | None:
    """The row's "Estimated Monthly Savings" column as dollars ("$1,234.50" → 1234.5), if any."""
    for column, value in (row.get("metadata") or {}).items():
        if SAVINGS_COLUMN.match(column) and value not in (None, ""):
            match = _AMOUNT.search(str(value))
            if match:
                return float(match.group(0).replace(",", ""))
    return None


def _metadata(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (row.get("metadata") or {}).items() if v not in (None, "")}


def aws_resource_id(row: dict[str, Any]) -> str | None:
    """The flagged AWS resource's own id: the newer API's awsResourceId, else the row's id column."""
    if row.get("arn") and row.get("resource_id"):
        return str(row["resource_id"])  # the Support API's resource_id is a Trusted Advisor hash instead
    return next((str(v) for k, v in _metadata(row).items() if _ID_COLUMN.search(k) and not _CONTAINER_COLUMN.match(k)),
                None)


def label(row: dict[str, Any]) -> str:
    """How a reader finds the resource: its id (and name), from the row or its metadata."""
    ident = aws_resource_id(row)
    name = next((str(v) for k, v in _metadata(row).items() if k.endswith("Name") or k == "DB Instance"), None)
    if ident and name and name != ident:
        return f"{ident} ({name})"
    return ident or name or str(row.get("resource_id") or "an unnamed resource")


#: EC2 id prefixes → the resource part of their ARN, so a flagged `sg-…` is named by its own ARN.
_EC2_ID_KINDS = {"i": "instance", "vol": "volume", "sg": "security-group", "snap": "snapshot",
                 "eipalloc": "elastic-ip", "lt": "launch-template"}
_EC2_ID = re.compile(r"^(?P<prefix>[a-z]+)-[0-9a-f]{8,17}$")


def row_arn(ta: TaCheck, row: dict[str, Any]) -> str:
    """The flagged resource itself where the row names it: its ARN (the newer API's awsResourceId,
    or an ARN column), or for an EC2 id (`sg-…`, `vol-…`) in a region the EC2 ARN built from it;
    else the Trusted Advisor resource ARN (newer API) or the check's ARN plus the resource's id,
    name or, last, Trusted Advisor's hash (Support API)."""
    ident = aws_resource_id(row)
    if ident and ident.startswith("arn:"):
        return ident
    parts = ta.arn.split(":")
    match = _EC2_ID.match(ident or "")
    if match and match["prefix"] in _EC2_ID_KINDS and row.get("region") and len(parts) > 4 and parts[4]:
        return f"arn:{parts[1]}:ec2:{row['region']}:{parts[4]}:{_EC2_ID_KINDS[match['prefix']]}/{ident}"
    if row.get("arn"):
        return row["arn"]
    return f"{ta.arn}/{ident or row.get('resource_id') or label(row)}"
