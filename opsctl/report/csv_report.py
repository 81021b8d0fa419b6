"""CSV: one row per finding (PASS included), for spreadsheets and ad-hoc analysis.

Columns: status, severity, pillar, service, check_id, title, resource_id, resource_name,
resource_type, region, message, monthly_savings_usd, waiver, runbook, evidence (JSON), tier (the
tiers of the architecture spec the finding belongs to, ``;``-separated — a resource can be in two;
empty when the result has no topology or the resource is in no tier: the columns stay the same, so
files of several runs line up), account (the 12-digit AWS account of the finding: in an
organisation result each finding's own, in a one-account result the result's account — appended
last, so files of both kinds share one header and positional readers of older files keep their
columns). RFC 4180
quoting, CRLF line ends, UTF-8. Safe against formula injection: a text cell that starts (after
spaces) with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so a
spreadsheet shows it as text instead of evaluating it (OWASP's advice). Savings stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from opsctl.engine import Result
from opsctl.escape import inert, inert_json
from opsctl.findings import Status
from opsctl.report.common import resource_label
from opsctl.report.helpers import runbook_url, service_of, waiver_text
from opsctl.report.tiers import tier_index, tiers_text

COLUMNS = ("status", "severity", "pillar", "service", "check_id", "title", "resource_id", "resource_name",
           "resource_type", "region", "message", "monthly_savings_usd", "waiver", "runbook", "evidence", "tier",
           "account")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not evaluate: text starting like a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = inert(value)
    if text.lstrip(" ").startswith(_FORMULA_START) or text.startswith(_FORMULA_START):
        return "'" + text
    return text


def render_csv(result: Result, *, runbook_base_url: str | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    tiers = tier_index(result)
    for f in result.findings:
        row = {
            "status": f.status.value,
            "severity": f.severity.value,
            "pillar": f.pillar,
            "service": service_of(f),
            "check_id": f.check_id,
            "title": f.title,
            "resource_id": f.resource_id,
            "resource_name": resource_label(f.resource_id),
            "resource_type": f.resource_type,
            "region": f.region,
            "message": f.message,
            "monthly_savings_usd": f.monthly_savings_usd,
            "waiver": waiver_text(f) if f.status is Status.WAIVED else "",
            "runbook": runbook_url(f, runbook_base_url),
            "evidence": inert_json(json.dumps(f.evidence, sort_keys=True, ensure_ascii=False, default=str))
            if f.evidence else "",
            "tier": tiers_text(tiers.of(f)),
            "account": f.account or result.account,
        }
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
    return buf.getvalue()
