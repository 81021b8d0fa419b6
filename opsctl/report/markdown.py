"""Markdown report, made for GitHub's job summary (``$GITHUB_STEP_SUMMARY``) and pull-request comments.

Headline counts and score, a table per pillar (score, counts, savings) and, when the result has a
topology, one per tier of the architecture spec (score, counts, alarm coverage) and the deployed
architecture as a Mermaid diagram (GitHub draws ```mermaid blocks); then the savings by check (and
by region or tag, ``group_savings_by``), the top FAIL findings worst first with a link to each runbook, then the WAIVED findings apart (they
are accepted risks, not failures), the waivers that expired or went stale, and what could not be
evaluated (ERROR findings, coverage gaps) or was SKIPPED.

GitHub refuses a step summary over 1 MiB, so the document stays under ``max_bytes`` (default
1,000,000 bytes): rows are added worst first while they fit, and a closing note says how many of
which were left out. The diagram counts toward it too; a diagram larger than Mermaid draws
(``max_diagram_chars``, Mermaid's default ``maxTextSize`` of 50,000 characters, or more than 500
links) or than the room left is replaced by a line saying so. Every value from the account (names, messages, tags) is escaped, so it
renders as text — never as Markdown, HTML or a link.

An organisation result (``Result.is_org``) opens with its account table — one row per account,
worst first: id, name, OU path, status (NOT REACHED with the reason), score, FAILs by severity,
savings, then the totals. That table is never cut (it is written before any finding, outside the
budget's choice); the finding tables that follow gain an Account column and are cut to fit as
above, the closing note saying how many were left out and that the JSON, HTML or CSV report has
them all.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from opsctl.engine import Result
from opsctl.escape import inert_line
from opsctl.findings import SEVERITIES, Finding, Status, severity_rank
from opsctl.report.common import resource_label
from opsctl.report.helpers import (
    SEVERITY_ICON,
    nothing_evaluated,
    pillar_rows,
    prices_note,
    runbook_url,
    service_of,
    usd,
    waiver_text,
)
from opsctl.report.org import (
    AccountRow,
    account_index,
    account_rows,
    fails_text,
    org_counts,
    org_scope,
    org_totals,
    row_of,
    skipped_text,
)
from opsctl.report.tiers import spec_name, tier_rows
from opsctl.scores import score_text

MAX_BYTES = 1_000_000  # GitHub's limit for one step's summary is 1 MiB (1,048,576 bytes)
_RESERVE = 4_096  # kept free for the closing notes
MERMAID_MAX_TEXT = 50_000  # Mermaid's default maxTextSize: a longer diagram is not drawn, only an error
MERMAID_MAX_EDGES = 500  # Mermaid's default maxEdges

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # what can start emphasis, code, links or cells mid-line


def md(text: Any, limit: int = 500) -> str:
    """Account data as inert Markdown text, on one line, in a table cell or a paragraph."""
    s = inert_line(text)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


def _link(text: str, url: str) -> str:
    url = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    return f"[{md(text)}]({url})"


class _Budget:
    """Accumulates lines while the document stays under `limit` bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self.lines: list[str] = []

    def fits(self, line: str) -> bool:
        return self.size + len(line.encode("utf-8")) + 1 <= self.limit

    def add(self, line: str = "", force: bool = False) -> bool:
        if not force and not self.fits(line):
            return False
        self.lines.append(line)
        self.size += len(line.encode("utf-8")) + 1
        return True

    def add_block(self, lines: list[str]) -> bool:
        """All of `lines` or none of them."""
        need = sum(len(x.encode("utf-8")) + 1 for x in lines)
        if self.size + need > self.limit:
            return False
        for line in lines:
            self.add(line, force=True)
        return True


def _account_cell(accounts: dict[str, AccountRow] | None, f: Finding) -> str:
    """``| name<br>id `` for an organisation result's finding rows; '' otherwise."""
    if accounts is None:
        return ""
    row = row_of(accounts, f.account)
    return f"| {md(row.name, 60)}<br>{md(f.account, 20)} " if row.name else f"| {md(f.account, 20)} "


def _finding_row(f: Finding, base_url: str | None, accounts: dict[str, AccountRow] | None = None) -> str:
    savings = usd(f.monthly_savings_usd) if f.monthly_savings_usd else ""
    return (f"{_account_cell(accounts, f)}| {SEVERITY_ICON.get(f.severity.value, '')} {f.severity.value} | {_link(f.check_id, runbook_url(f, base_url))} "
            f"| {md(resource_label(f.resource_id), 120)}<br>{md(f.resource_id, 300)} | {md(f.region, 40)} "
            f"| {md(f.message)} | {savings} |")


def render_markdown(result: Result, *, runbook_base_url: str | None = None, max_findings: int | None = 100,
                    max_bytes: int = MAX_BYTES, max_diagram_chars: int = MERMAID_MAX_TEXT,
                    group_savings_by: tuple = ()) -> str:
    """The Markdown report. ``max_findings`` caps the FAIL rows (None: as many as fit in ``max_bytes``);
    runbook links are ``runbook_base_url`` + ``runbooks/<check>.md`` (default: the repo-relative path).
    ``max_diagram_chars``: a larger Mermaid diagram is left out, saying so (0: never include it).
    ``group_savings_by`` (``region``, ``tag:KEY``): a savings breakdown after the savings by check for each."""
    summary = result.summary()
    by_status = summary["by_status"]
    scores = summary["scores"]
    savings = summary["savings"]
    budget = _Budget(max(max_bytes - _RESERVE, 1024))
    left_out: list[str] = []

    # --- headline -------------------------------------------------------------------------
    sev = summary["failed_by_severity"]
    sev_text = " · ".join(f"{sev[s]} {s}" for s in SEVERITIES if sev.get(s))
    headline = f"**{by_status['FAIL']} FAIL**" + (f" ({sev_text})" if sev_text else "")
    headline += " · " + " · ".join(f"{by_status[s.value]} {s.value}" for s in (Status.ERROR, Status.WAIVED, Status.SKIPPED, Status.PASS))
    rows_ = account_rows(result)
    accounts = account_index(rows_) if result.is_org else None
    acol, asep = ("| Account ", "|---") if result.is_org else ("", "")
    if result.is_org:
        budget.add(f"## opsctl audit — {md(org_scope(result))} ({org_counts(rows_)})", force=True)
    else:
        budget.add(f"## opsctl audit — account {md(result.account)}", force=True)
    budget.add(force=True)
    budget.add(headline, force=True)
    budget.add(force=True)
    facts = [f"**Score {score_text(scores['overall'])}/100**" if scores["overall"] is not None else "**Score n/a** (nothing evaluated)",
             f"potential savings **{usd(savings['total_monthly_usd'])}/month**",
             f"regions {md(', '.join(result.regions) or '-')}",
             f"{summary['checks_run']} checks"]
    if summary["coverage_gaps"]:
        facts.append(f"⚠️ {summary['coverage_gaps']} failed API calls (coverage gaps)")
    if result.metadata.get("evaluated_at"):
        facts.append(f"evaluated {md(result.metadata['evaluated_at'])}")
    budget.add(" · ".join(facts), force=True)
    budget.add(force=True)
    if result.is_org:
        _accounts_table(budget, result, rows_, summary)

    # --- per pillar ------------------------------------------------------------------------
    rows = pillar_rows(summary)
    if rows:
        block = ["### By pillar", "",
                 "| Pillar | Score | FAIL | ERROR | WAIVED | SKIPPED | PASS | Savings / month |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in rows:
            c = r.counts
            block.append(f"| {r.pillar} | {r.score_text} | {c['FAIL']} | {c['ERROR']} | {c['WAIVED']} | {c['SKIPPED']} "
                         f"| {c['PASS']} | {usd(r.savings) if r.savings else ''} |")
        block += [f"| **all** | **{score_text(scores['overall'])}** | **{by_status['FAIL']}** | **{by_status['ERROR']}** "
                  f"| **{by_status['WAIVED']}** | **{by_status['SKIPPED']}** | **{by_status['PASS']}** "
                  f"| **{usd(savings['total_monthly_usd'])}** |", "",
                  "<sub>Score: 100 × (1 − weighted FAIL / weighted PASS+FAIL), weights critical 10, high 5, medium 3, "
                  "low 1, info 0; ERROR, SKIPPED and WAIVED not counted; n/a = nothing evaluated.</sub>", ""]
        budget.add_block(block)

    # --- per tier, and the architecture -------------------------------------------------------------
    _tier_table(budget, result, summary, left_out)
    diagram_at = len(budget.lines)  # the diagram goes here, but last: findings come first in the budget

    # --- savings ---------------------------------------------------------------------------
    if savings["by_check"] or savings["unpriced_findings"]:
        block = [f"### Potential savings: {usd(savings['total_monthly_usd'])} / month", "",
                 "| Check | USD / month |", "|---|---:|"]
        block += [f"| {_link(cid, runbook_url(cid, runbook_base_url))} | {usd(v)} |" for cid, v in savings["by_check"].items()]
        block.append("")
        if savings.get("overlap_monthly_usd"):
            block += [f"{usd(savings['overlap_monthly_usd'])} more is flagged twice for the same resources and counted once.", ""]
        if savings["unpriced_findings"]:
            block += [f"{savings['unpriced_findings']} cost finding(s) have no figure: the price table does not back one (each finding's savings_note says why).", ""]
        note = prices_note(result.metadata)
        if note:
            block += [note.replace("--prices FILE", "`--prices FILE`"), ""]
        if not budget.add_block(block):
            left_out.append("the savings table")
    _savings_breakdowns(budget, result, group_savings_by, left_out)

    # --- top FAIL findings -----------------------------------------------------------------
    fails = [f for f in result.findings if f.status is Status.FAIL]
    if fails:
        budget.add_block(["### Top findings", "", f"{acol}| Severity | Check (runbook) | Resource | Region | Finding | Savings / month |",
                          f"{asep}|---|---|---|---|---|---:|"])
        shown = 0
        cap = len(fails) if max_findings is None else max(0, max_findings)
        for f in fails[:cap]:
            if not budget.add(_finding_row(f, runbook_base_url, accounts)):
                break
            shown += 1
        budget.add()
        if shown < len(fails):
            rest = Counter(f.severity.value for f in fails[shown:])
            detail = ", ".join(f"{n} {s}" for s, n in sorted(rest.items(), key=lambda kv: -severity_rank(kv[0])))
            why = "to stay under GitHub's 1 MiB summary limit" if shown < cap else f"(only the top {cap} are listed)"
            note = f"{len(fails) - shown} more FAIL findings ({detail}) left out {why}; the JSON, HTML or CSV report has them all."
            budget.add(f"_{note}_", force=True)
            budget.add(force=True)
            if shown < cap:
                left_out.append(f"{min(cap, len(fails)) - shown} FAIL findings")
    elif nothing_evaluated(result):
        budget.add(f"⚠️ {nothing_evaluated(result)}", force=True)
        budget.add(force=True)
    else:
        budget.add("No FAIL findings. ✅", force=True)
        budget.add(force=True)

    # --- waived (apart: accepted risks, not failures) ---------------------------------------------
    waived = [f for f in result.findings if f.status is Status.WAIVED]
    if waived:
        budget.add_block([f"### Waived ({len(waived)}) — accepted risks, not counted as failures", "",
                          f"{acol}| Severity | Check | Resource | Waiver |", f"{asep}|---|---|---|---|"])
        shown = 0
        for f in waived:
            row = (f"{_account_cell(accounts, f)}| {f.severity.value} | {_link(f.check_id, runbook_url(f, runbook_base_url))} "
                   f"| {md(resource_label(f.resource_id), 120)} | {md(waiver_text(f))} |")
            if not budget.add(row):
                break
            shown += 1
        budget.add()
        if shown < len(waived):
            budget.add(f"_{len(waived) - shown} more WAIVED findings left out to stay under 1 MiB._", force=True)
            budget.add(force=True)
            left_out.append(f"{len(waived) - shown} WAIVED findings")
    attention = [w for w in getattr(result, "waivers", []) or [] if w.get("status") in ("expired", "stale")]
    if attention:
        block = ["### Waivers needing attention", "", "| Status | Check | Resource | Owner | Expires | Where |", "|---|---|---|---|---|---|"]
        block += [f"| {md(w.get('status'))} | {md(w.get('check'))} | {md(w.get('resource'))} | {md(w.get('owner'))} "
                  f"| {md(w.get('expires'))} | {md(w.get('source'))} |" for w in attention]
        block.append("")
        if not budget.add_block(block):
            left_out.append(f"{len(attention)} expired or stale waivers")

    # --- what could not be seen --------------------------------------------------------------------
    errors = [f for f in result.findings if f.status is Status.ERROR]
    if errors or result.coverage:
        block = [f"### Not evaluated: {len(errors)} ERROR findings, {len(result.coverage)} failed API calls", ""]
        if result.coverage and result.is_org:
            by_account = Counter((g.account, g.service, g.region, g.operation, g.error_code) for g in result.coverage)
            block += ["| Account | Service | Region | Operation | Error | Calls |", "|---|---|---|---|---|---:|"]
            block += [f"| {md(a)} | {md(s)} | {md(r)} | {md(o)} | {md(e)} | {n} |"
                      for (a, s, r, o, e), n in sorted(by_account.items())]
            block.append("")
        elif result.coverage:
            grouped = Counter((g.service, g.region, g.operation, g.error_code) for g in result.coverage)
            block += ["| Service | Region | Operation | Error | Calls |", "|---|---|---|---|---:|"]
            block += [f"| {md(s)} | {md(r)} | {md(o)} | {md(e)} | {n} |" for (s, r, o, e), n in sorted(grouped.items())]
            block.append("")
        if not budget.add_block(block):
            left_out.append("the coverage-gap table")
        unreached = {r.id for r in rows_ if not r.reached}
        if unreached and errors:  # one ERROR per check saying "not audited": the account table says it once
            folded = sum(f.account in unreached for f in errors)
            errors = [f for f in errors if f.account not in unreached]
            budget.add_block([f"{folded} of them are the checks of the {len(unreached)} account(s) not reached "
                              "(see the account table); the others:", ""])
        if errors:
            by_check = Counter(f.check_id for f in errors)
            budget.add_block(["| Check | ERROR findings | First message |", "|---|---:|---|"])
            shown = 0
            for cid, n in sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0])):
                first = next(f for f in errors if f.check_id == cid)
                if not budget.add(f"| {md(cid)} | {n} | {md(first.message, 200)} |"):
                    break
                shown += 1
            budget.add()
            if shown < len(by_check):
                left_out.append(f"ERROR rows of {len(by_check) - shown} checks")
    skipped = [f for f in result.findings if f.status is Status.SKIPPED]
    if skipped:
        by_check = Counter(f.check_id for f in skipped)
        block = [f"<details><summary>Skipped: {len(skipped)} findings of {len(by_check)} checks</summary>", "",
                 "| Check | Findings | Reason |", "|---|---:|---|"]
        for cid, n in sorted(by_check.items()):
            first = next(f for f in skipped if f.check_id == cid)
            block.append(f"| {md(cid)} | {n} | {md(first.message, 200)} |")
        block += ["", "</details>", ""]
        if not budget.add_block(block):
            left_out.append(f"the SKIPPED summary ({len(skipped)} findings)")

    _diagram(budget, diagram_at, result, left_out, max_diagram_chars)

    services = sorted({service_of(f) for f in result.findings})
    if services:
        budget.add(f"<sub>opsctl · services {md(', '.join(services), 400)} · `opsctl explain CHECK` shows a runbook.</sub>")
    if left_out:
        budget.add(force=True)
        budget.add(f"> **Left out to stay under {max_bytes:,} bytes:** {', '.join(left_out)}.", force=True)
    return "\n".join(budget.lines).rstrip("\n") + "\n"


def _accounts_table(budget: _Budget, result: Result, rows: list[AccountRow], summary: dict[str, Any]) -> None:
    """The account table of an organisation result, worst first, with the totals. Forced: never
    cut, whatever the budget (each cell is capped, so a row stays a few hundred bytes)."""
    lines = ["### Accounts, worst first", "",
             "| Account | Name | OU | Status | Score | FAIL | Savings / month |", "|---|---|---|---|---:|---|---:|"]
    for r in rows:
        status = "audited" if r.reached else (f"**NOT REACHED**: {md(r.reason, 300)}" if r.reason else "**NOT REACHED**")
        lines.append(f"| {md(r.id, 20)} | {md(r.name, 60)} | {md(r.ou_path, 120)} | {status} | {r.score_text} "
                     f"| {fails_text(r.failed_by_severity, compact=False)} | {usd(r.savings) if r.savings else ''} |")
    t = org_totals(result, rows, summary)
    lines += [f"| **all** | | | **{t['audited']} of {t['accounts']} audited** | **{score_text(t['score'])}** "
              f"| **{fails_text(t['failed_by_severity'], compact=False)}** | **{usd(t['savings'])}** |", "",
              "<sub>Each account's score is over its own findings; an account not reached has no score and is "
              "listed first (its checks are ERROR, never PASS).</sub>", ""]
    if skipped_text(result):
        lines += [md(skipped_text(result), 4000), ""]
    for line in lines:
        budget.add(line, force=True)


def _savings_breakdowns(budget: _Budget, result: Result, groups: tuple, left_out: list[str]) -> None:
    """The savings by region or tag value (opsctl.report.savings), one table per group; a table
    that does not fit the budget is left out and named in the closing note."""
    from opsctl.report.savings import breakdowns

    for group, rows in breakdowns(result, groups):
        block = [f"#### Savings by {md(group.title, 120)}", "", f"| {md(group.column, 120)} | Resources | USD / month |",
                 "|---|---:|---:|"]
        block += [f"| {'_' + md(r.label) + '_' if r.rest else md(r.label, 200)} | {r.resources} | {usd(r.usd)} |"
                  for r in rows]
        block.append("")
        if not budget.add_block(block):
            left_out.append(f"the savings by {md(group.title, 120)}")


def _tier_table(budget: _Budget, result: Result, summary: dict[str, Any], left_out: list[str]) -> None:
    """The "By tier" table; nothing when the result has no topology."""
    tiers = tier_rows(result, summary)
    if not tiers:
        return
    block = [f"### By tier — {md(spec_name(result), 120)}", "",
             "| Tier | Kind | Resources | Score | FAIL | PASS | Alarm coverage |", "|---|---|---:|---:|---:|---:|---|"]
    for t in tiers:
        resources = str(t.resources) if t.present else f"**{t.state}**"
        block.append(f"| {md(t.name, 80)} | {md(t.kind, 40)} | {resources} | {t.score_text} | {t.counts['FAIL']} "
                     f"| {t.counts['PASS']} | {md(t.alarm_text, 80)} |")
    block += ["", "<sub>Tier score: the same formula over the findings on the tier's resources (and the arch.* findings "
              "naming it); alarm coverage: resources with the alarms `cloudwatch.alarm_coverage` asks for.</sub>", ""]
    if not budget.add_block(block):
        left_out.append("the per-tier table")


def _diagram(budget: _Budget, at: int, result: Result, left_out: list[str], max_chars: int) -> None:
    """The Mermaid diagram of the topology, inserted at line `at` when it fits in what the rest of the
    document left of the budget (and is not more than Mermaid draws); else a line saying why not."""
    if not result.topology or not result.topology.get("tiers"):
        return
    from opsctl.topology_render import render_mermaid

    diagram = render_mermaid(result.topology, result.findings)
    links = sum("->" in line for line in diagram.splitlines())  # labels escape ">", so only links have "->"
    heading = ["### Architecture", ""]
    block = [*heading, "```mermaid", *diagram.rstrip("\n").split("\n"), "```", "",
             "<sub>Nodes by worst finding: red FAIL, amber ERROR, green PASS, grey none. Dashed red: broken edges, "
             "missing tiers, declared flows nothing implements.</sub>", ""]
    too_big = len(diagram) > max_chars or links > MERMAID_MAX_EDGES
    if not too_big and _insert(budget, at, block):
        return
    why = (f"its {len(diagram):,} characters and {links} links are more than Mermaid draws" if too_big
           else "to stay under the size limit")
    _insert(budget, at, [*heading, f"_The architecture diagram ({len(result.topology.get('nodes') or [])} resources) is "
                         f"left out: {why}. `opsctl topology --result RESULT.json --format svg` draws it._", ""], force=True)
    if not too_big:
        left_out.append("the architecture diagram")


def _insert(budget: _Budget, at: int, lines: list[str], force: bool = False) -> bool:
    need = sum(len(x.encode("utf-8")) + 1 for x in lines)
    if not force and budget.size + need > budget.limit:
        return False
    budget.lines[at:at] = lines
    budget.size += need
    return True


