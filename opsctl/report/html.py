"""HTML report: one self-contained file (styles and script inline, no network fetch — its
Content-Security-Policy forbids any), autoescaped by Jinja2.

Summary cards, per-pillar scores and (when the result has a topology) per-tier scores and the
deployed architecture as inline SVG (opsctl.topology_render.render_svg: no external reference,
no font to fetch), savings, coverage gaps, waivers, and every finding in a table
that sorts by any column and filters by status, pillar, severity, service and free text. The
filters live in the URL's fragment (``report.html#status=FAIL&pillar=security&q=bucket``), so a
filtered view can be bookmarked or linked; ``#status=all`` shows PASS too (the default hides it).
The template is ``opsctl/report/templates/report.html.j2``.

An organisation result (``Result.is_org``) gets the account table first — one row per account,
worst first: id, name, OU path, status (NOT REACHED with its reason), score, FAILs by severity,
savings, and the totals; each id links to ``#account=<id>`` —, an Account column in the findings
table and an Account filter beside the others (``report.html#account=111111111111&status=FAIL``;
``window.opsctlReport.setFilters({account: "…"})``). Names, OU paths and reasons are escaped like
every other value from AWS.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from opsctl import __version__
from opsctl.engine import Result
from opsctl.escape import inert
from opsctl.findings import PILLARS, Severity, Status
from opsctl.report.common import resource_label
from opsctl.report.helpers import pillar_rows, prices_note, runbook_url, service_of, usd, waiver_text
from opsctl.report.org import (
    account_index,
    account_rows,
    fails_text,
    org_counts,
    org_scope,
    org_totals,
    row_of,
    skipped_text,
)
from opsctl.report.tiers import spec_name, tier_index, tier_rows
from opsctl.scores import score_text

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _inert_value(value: Any) -> Any:
    """Jinja2's finalize: a plain string is shown with opsctl.escape.inert (an ESC or U+202E in a
    name is written as ``\x1b`` / ``\u202e``); markup the renderer built (the SVG) is left as it is."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return inert(value)
    return value


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every value is escaped; nothing from the account is ever |safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_inert_value,  # and every {{ value }} shows its control and bidi characters escaped
    )
    env.filters["usd"] = usd
    env.filters["score"] = score_text
    return env


def _svg(result: Result) -> Any:
    """The topology as inline SVG markup (already escaped by render_svg), or None without a topology."""
    if not result.topology or not result.topology.get("tiers"):
        return None
    from markupsafe import Markup

    from opsctl.topology_render import render_svg

    svg = render_svg(result.topology, result.findings)
    # inline in HTML the parser puts <svg> in the SVG namespace itself; dropping the declaration keeps
    # the page free of any URL at all
    svg = svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1).replace("<svg ", '<svg id="architecture-svg" ', 1)
    return Markup(svg)  # noqa: S704 - every text in it went through html.escape in render_svg


def _rows(result: Result, base_url: str | None, accounts: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    rows = []
    tiers = tier_index(result)
    for i, f in enumerate(result.findings):
        extra = {}
        if accounts is not None:
            extra = {"account": f.account, "account_name": row_of(accounts, f.account).name}
        rows.append({
            **extra,
            "i": i,
            "status": f.status.value,
            "severity": f.severity.value,
            "severity_rank": f.severity.rank,
            "pillar": f.pillar,
            "service": service_of(f),
            "check_id": f.check_id,
            "title": f.title,
            "label": resource_label(f.resource_id),
            "resource_id": f.resource_id,
            "region": f.region,
            "message": f.message,
            "waiver": waiver_text(f) if f.status is Status.WAIVED else "",
            "savings": f.monthly_savings_usd,
            "runbook": runbook_url(f, base_url),
            "tiers": tiers.of(f),
        })
    return rows


def render_html(result: Result, *, runbook_base_url: str | None = None, title: str | None = None,
                group_savings_by: tuple = ()) -> str:
    """The whole HTML document as a string; ``group_savings_by`` (``region``, ``tag:KEY``) adds a
    savings breakdown table per group in the savings section (every row: the page has room)."""
    from opsctl.report.savings import breakdowns

    summary = result.summary()
    org_rows = account_rows(result)
    rows = _rows(result, runbook_base_url, account_index(org_rows) if result.is_org else None)
    org = None
    if result.is_org:
        org = {"scope": org_scope(result), "counts": org_counts(org_rows), "accounts": org_rows,
               "totals": org_totals(result, org_rows, summary), "fails_text": fails_text,
               "management": (result.organization or {}).get("management_account") or "",
               "skipped": skipped_text(result)}
    default_title = f"opsctl audit — {org['scope']}" if org else f"opsctl audit — account {result.account}"
    context = {
        "org": org,
        "title": title or default_title,
        "result": result,
        "summary": summary,
        "meta": result.metadata,
        "version": __version__,
        "statuses": [s.value for s in Status],
        "severities": [s.value for s in Severity],
        "pillars": [p for p in PILLARS if any(summary["by_pillar"][p].values())],
        "services": sorted({r["service"] for r in rows}),
        "pillar_rows": pillar_rows(summary, include_empty=True),
        "rows": rows,
        "waivers": list(getattr(result, "waivers", []) or []),
        "coverage": result.coverage,
        "savings_checks": list(summary["savings"]["by_check"].items()),
        "savings_groups": [{"title": g.title, "column": g.column, "spec": g.spec, "rows": rows}
                           for g, rows in breakdowns(result, group_savings_by, limit=None)],
        "prices_note": prices_note(result.metadata),
        "tier_rows": tier_rows(result, summary),
        "spec_name": spec_name(result),
        "svg": _svg(result),
        "topology_nodes": len((result.topology or {}).get("nodes") or []),
    }
    return _environment().get_template("report.html.j2").render(**context)
