"""Terminal report: findings grouped by pillar and severity, then a summary (per pillar, and per tier
of the architecture when the result has a topology), savings and coverage gaps.

An organisation result leads with one row per account, worst first (id, name, OU path, status —
NOT REACHED with its reason —, overall score, FAILs by severity, savings) and the organisation's
totals; its findings tables gain an Account column (the account's name over its id).

Text from AWS (messages, resource names, account names, OU paths) is shown as text: never read as
rich markup, and with control characters escaped (opsctl.escape.inert), so neither a ``[/red]``
nor an ESC sequence in a tag or an account name reaches the terminal as such."""

from __future__ import annotations

import io
import math
from collections import Counter

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from opsctl.engine import Result
from opsctl.escape import inert
from opsctl.findings import PILLARS, Finding, Status
from opsctl.report.common import resource_label
from opsctl.report.helpers import nothing_evaluated, prices_note
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

STATUS_STYLE = {
    Status.FAIL: "bold red",
    Status.ERROR: "bold yellow",
    Status.WAIVED: "magenta",
    Status.SKIPPED: "dim",
    Status.PASS: "green",
}
SEVERITY_STYLE = {"critical": "bold white on red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


# The findings tables have three layouts, by the width they are given (a terminal's own, COLUMNS, or
# 160 in a file): at FULL_WIDTH and wider one column per field; from MEDIUM_WIDTH severity over
# status in one cell and the resource (region after it, or on its own line, dim) under the check id;
# narrower, two columns: severity over status, then the check id, the resource and the finding
# text in one cell. A layout is used only if the finding text keeps FINDING_SHARE of the width,
# else the next narrower one. A check id is never split: its column (or cell) is at least as wide
# as the longest id in the table, and it is never wrapped.
FULL_WIDTH = 150
MEDIUM_WIDTH = 100
FINDING_SHARE = 0.35
MIN_WIDTH, MAX_WIDTH = 60, 200  # what terminal_width() gives the report


def terminal_width(stream) -> int:
    """The width to render the table report at on ``stream``: ``COLUMNS`` when set (as for any
    tool), else the terminal's own width when ``stream`` is one, else 160 (a file, a pipe); within
    MIN_WIDTH-MAX_WIDTH."""
    import os

    from opsctl.output import is_terminal

    width = 160
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        width = int(columns)
    elif is_terminal(stream):
        try:
            width = os.get_terminal_size(stream.fileno()).columns or 160
        except (AttributeError, ValueError, OSError):
            width = 160
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


def _overhead(columns: int) -> int:
    """The borders and padding of a findings table of that many columns (pad_edge=False)."""
    return 3 * columns - 1


def _finding_floor(width: int) -> int:
    return max(30, math.ceil(width * FINDING_SHARE))


def _pack(parts: list[tuple[str, str, str]], width: int) -> Text:
    """``(text, style, separator before it)`` parts on one line while they fit in ``width``; a part
    that does not fit starts a new line, without its separator (so no line starts with a ``·``)."""
    out = Text()
    used = 0
    for text, style, sep in parts:
        if not text:
            continue
        if used and used + len(sep) + len(text) > width:
            out.append("\n")
            used = 0
        elif used:
            out.append(sep)
            used += len(sep)
        out.append(text, style=style)
        used += len(text)
    return out


def _severity_status(f: Finding, stacked: bool) -> list[Text]:
    severity = Text(f.severity.value, style=SEVERITY_STYLE[f.severity.value])
    status = Text(f.status.value, style=STATUS_STYLE[f.status])
    return [Text.assemble(severity, "\n", status)] if stacked else [severity, status]


def _layout(findings: list[Finding], width: int, accounts: dict[str, AccountRow] | None) -> tuple[str, int]:
    """``("full", resource column width)``, ``("medium", check · resource cell width)`` or
    ``("narrow", main cell width)`` for these findings at ``width``."""
    ids = max(len(inert(f.check_id)) for f in findings)
    floor = _finding_floor(width)
    stacked = max(len("Severity"), *(len(f.status.value) for f in findings))
    if width >= FULL_WIDTH:
        if accounts is None:
            first = (max(len("Severity"), *(len(f.severity.value) for f in findings))
                     + max(len("Status"), *(len(f.status.value) for f in findings)))
            cap = 40
        else:
            first, cap = stacked + 14, 24
        resource = min(cap, width - _overhead(5) - first - ids - floor)
        if resource >= 12:
            return "full", resource
    if width >= MEDIUM_WIDTH:
        longest = max(len(inert(resource_label(f.resource_id))) + 3 + len(inert(f.region)) for f in findings)
        if accounts is not None:
            longest = max(longest, *(len(inert(row_of(accounts, f.account).label)) + 3 + len(inert(f.account))
                                     for f in findings))
        where = min(max(ids, min(40, longest)), width - _overhead(3) - stacked - floor)
        if where >= ids:
            return "medium", where
    return "narrow", max(ids, width - _overhead(2) - stacked)


def _findings_table(pillar: str, findings: list[Finding], accounts: dict[str, AccountRow] | None = None,
                    width: int = 160) -> Table:
    """One pillar's findings, laid out for ``width`` (see FULL_WIDTH). With ``accounts`` (an
    organisation result) the account's name and id too: an Account column in the full layout,
    severity and status in one column so the message keeps its room; a line of the check's cell
    in the others."""
    table = Table(title=f"{pillar.capitalize()} ({len(findings)})", title_justify="left", title_style="bold",
                  show_lines=False, expand=True, pad_edge=False)
    org = accounts is not None
    layout, room = _layout(findings, width, accounts)
    ids = max(len(inert(f.check_id)) for f in findings)
    stacked = org or layout != "full"
    if stacked:
        table.add_column("Severity\nStatus", no_wrap=True)
    else:
        table.add_column("Severity", no_wrap=True)
        table.add_column("Status", no_wrap=True)
    if layout == "full":
        if org:
            table.add_column("Account", overflow="fold", max_width=14)
        table.add_column("Check", no_wrap=True, min_width=ids)
        table.add_column("Resource · region", overflow="fold", max_width=room)
        table.add_column("Finding", ratio=1, overflow="fold", min_width=_finding_floor(width))
    elif layout == "medium":
        table.add_column("Check\nResource · region" + ("\nAccount" if org else ""), overflow="fold", width=room)
        table.add_column("Finding", ratio=1, overflow="fold", min_width=_finding_floor(width))
    else:
        table.add_column("Check  resource · region" + ("\nAccount" if org else "") + "\nFinding",
                         overflow="fold", ratio=1, min_width=ids)

    def order(f: Finding) -> tuple:
        rank = row_of(accounts, f.account).rank if accounts is not None else 0
        return -f.severity.rank, f.status != Status.FAIL, f.check_id, rank, f.resource_id

    for f in sorted(findings, key=order):
        message = inert(f.message)
        if f.monthly_savings_usd:
            message += f" (saves ${f.monthly_savings_usd:,.2f}/month)"
        check_id, label, region = inert(f.check_id), inert(resource_label(f.resource_id)), inert(f.region)
        account: list[tuple[str, str, str]] = []
        if accounts is not None:
            row = row_of(accounts, f.account)
            account = [(inert(row.label), "", ""), (inert(f.account), "dim", " · ")] if row.name else \
                      [(inert(f.account), "", "")]
        cells = _severity_status(f, stacked)
        if layout == "full":
            if org:  # the name over the id
                cells.append(Text("\n").join(Text(t, style=style) for t, style, _ in account))
            cells += [Text(check_id), Text.assemble(label, ("\n" + region, "dim")), Text(message)]
        elif layout == "medium":
            where = Text.assemble(Text(check_id, style="bold"), "\n",
                                  _pack([(label, "", ""), (region, "dim", " · ")], room))
            if account:
                where.append("\n")
                where.append_text(_pack(account, room))
            cells += [where, Text(message)]
        else:
            main = _pack([(check_id, "bold", ""), (label, "", "  "), (region, "dim", " · ")], room)
            if account:
                main.append("\n")
                main.append_text(_pack(account, room))
            main.append("\n")
            main.append(message)
            cells.append(main)
        table.add_row(*cells)
    return table


def _accounts_table(result: Result, rows: list[AccountRow], console: Console) -> Table:
    """One row per account, worst first, and the organisation's totals: a column per field when
    that fits the console, else the name over the id and OU path (dim) in one cell."""
    title = f"Accounts ({org_counts(rows)}), worst first"
    t = org_totals(result, rows)
    total = [Text(f"{t['audited']}/{t['accounts']} audited", style="bold"),
             Text(score_text(t["score"]), style="bold"), Text(fails_text(t["failed_by_severity"]), style="bold"),
             Text(f"{t['savings']:,.2f}" if t["savings"] else "", style="bold")]

    def status(r: AccountRow) -> Text:
        return Text("audited", style="green") if r.reached else Text(r.status_text, style="bold red")

    def numbers(r: AccountRow) -> list:
        return [r.score_text, Text(r.fails_text(), style="red" if r.fail_count else "dim"),
                f"{r.savings:,.2f}" if r.savings else ""]

    def numeric_columns(table: Table) -> None:
        table.add_column("Status", no_wrap=True)
        table.add_column("Score", justify="right", no_wrap=True)
        table.add_column("FAIL", justify="right", overflow="fold", max_width=14)
        table.add_column("USD/mo", justify="right", no_wrap=True)

    table = Table(title=title, title_justify="left", title_style="bold", pad_edge=False, collapse_padding=True)
    table.add_column("Account", no_wrap=True)
    table.add_column("Name", overflow="fold", max_width=18)
    table.add_column("OU", overflow="fold", max_width=28)
    numeric_columns(table)
    for r in rows:
        table.add_row(Text(inert(r.id)), Text(inert(r.name)), Text(inert(r.ou_path)), status(r), *numbers(r))
    table.add_section()
    table.add_row(Text("total", style="bold"), "", "", *total)
    if Measurement.get(console, console.options.update_width(10_000), table).maximum <= console.width:
        return table

    room = max(24, min(44, console.width - 50))  # the other columns take about 50
    table = Table(title=title, title_justify="left", title_style="bold", pad_edge=False, collapse_padding=True)
    table.add_column("Account\nid · OU", overflow="fold", max_width=room)
    numeric_columns(table)
    for r in rows:
        where = _pack([(inert(r.id), "dim" if r.name else "", ""), (inert(r.ou_path), "dim", " · ")], room)
        account = Text.assemble(inert(r.name), "\n", where) if r.name else where
        table.add_row(account, status(r), *numbers(r))
    table.add_section()
    table.add_row(Text("total", style="bold"), *total)
    return table


def _summary_table(result: Result) -> Table:
    summary = result.summary()
    table = Table(title="Summary — all accounts" if result.is_org else "Summary", title_justify="left", title_style="bold")
    table.add_column("Pillar")
    for status in Status:
        table.add_column(status.value, justify="right", style=STATUS_STYLE[status])
    table.add_column("Score", justify="right")
    scores = summary["scores"]
    for pillar in PILLARS:
        counts = summary["by_pillar"][pillar]
        if any(counts.values()):
            table.add_row(pillar, *[str(counts[s.value] or "") for s in Status], score_text(scores["by_pillar"].get(pillar)))
    table.add_row(Text("total", style="bold"), *[Text(str(summary["by_status"][s.value]), style="bold") for s in Status],
                  Text(score_text(scores["overall"]), style="bold"))
    table.caption = "Score 0-100, weighted by severity (README, Scores); n/a: nothing evaluated."
    return table


def _tiers_table(result: Result) -> Table | None:
    """Score, counts and alarm coverage per tier of the spec; None without a topology."""
    rows = tier_rows(result)
    if not rows:
        return None
    table = Table(title=Text(f"Tiers of {inert(spec_name(result))}"), title_justify="left", title_style="bold")
    for col in ("Tier", "Kind", "Resources", "FAIL", "PASS", "Score", "Alarms"):
        table.add_column(col, justify="right" if col in ("Resources", "FAIL", "PASS", "Score") else "left",
                         style=STATUS_STYLE[Status(col)] if col in ("FAIL", "PASS") else None)
    for t in rows:
        resources = Text(str(t.resources)) if t.present else Text(t.state, style="bold red" if t.present is False else "yellow")
        table.add_row(Text(inert(t.name)), Text(inert(t.kind)), resources, str(t.counts["FAIL"] or ""),
                      str(t.counts["PASS"] or ""), t.score_text, t.alarm_text)
    table.caption = "Alarms: resources with the alarms cloudwatch.alarm_coverage asks for."
    return table


def _savings_table(result: Result) -> tuple[Table, list[str]] | None:
    """The savings table and the notes printed under it (full width, not wrapped to the table)."""
    savings = result.summary()["savings"]
    if not savings["by_check"] and not savings["unpriced_findings"]:
        return None
    table = Table(title=f"Potential savings: ${savings['total_monthly_usd']:,.2f} per month", title_justify="left",
                  title_style="bold green")
    table.add_column("Check", no_wrap=True)
    table.add_column("Pillar")
    table.add_column("USD / month", justify="right", no_wrap=True)
    pillars: dict[str, set[str]] = {}
    for f in result.findings:
        if f.monthly_savings_usd:
            pillars.setdefault(f.check_id, set()).add(f.pillar)
    for check_id, usd in savings["by_check"].items():
        table.add_row(check_id, ", ".join(sorted(pillars.get(check_id, ()))), f"{usd:,.2f}")
    notes = []
    if savings.get("overlap_monthly_usd"):
        notes.append(f"${savings['overlap_monthly_usd']:,.2f} more is flagged twice for the same resources "
                     "(e.g. by Trusted Advisor too) and counted once.")
    if savings["unpriced_findings"]:
        notes.append(f"{savings['unpriced_findings']} cost finding(s) have no figure: the price table does not back "
                     "one (each finding's savings_note says why).")
    note = prices_note(result.metadata)
    if note:
        notes.append(note)
    return table, notes


def _savings_breakdowns(result: Result, groups: tuple) -> list[Table]:
    """One small table per --group-savings-by group (opsctl.report.savings): USD per month and
    priced resources per region or tag value, largest first."""
    from opsctl.report.savings import breakdowns

    tables = []
    for group, rows in breakdowns(result, groups):
        table = Table(title=Text(f"Savings by {inert(group.title)}"), title_justify="left", title_style="bold green")
        table.add_column(Text(inert(group.column)), overflow="fold", max_width=48)
        table.add_column("Resources", justify="right", no_wrap=True)
        table.add_column("USD / month", justify="right", no_wrap=True)
        for r in rows:
            table.add_row(Text(inert(r.label), style="dim" if r.rest else ""), str(r.resources), f"{r.usd:,.2f}")
        tables.append(table)
    return tables


def _coverage_table(result: Result) -> Table | None:
    if not result.coverage:
        return None
    table = Table(title=f"Coverage gaps ({len(result.coverage)} failed calls; checks on that data say ERROR)",
                  title_justify="left", title_style="bold yellow")
    if result.is_org:
        by_account = Counter((g.account, g.service, g.region, g.operation, g.error_code) for g in result.coverage)
        for col in ("Account", "Service", "Region", "Operation", "Error", "Calls"):
            table.add_column(col, justify="right" if col == "Calls" else "left")
        for (account, service, region, op, code), n in sorted(by_account.items()):
            table.add_row(*(Text(inert(x)) for x in (account, service, region, op, code)), str(n))
        return table
    grouped = Counter((g.service, g.region, g.operation, g.error_code) for g in result.coverage)
    for col in ("Service", "Region", "Operation", "Error", "Calls"):
        table.add_column(col, justify="right" if col == "Calls" else "left")
    for (service, region, op, code), n in sorted(grouped.items()):
        table.add_row(*(Text(inert(x)) for x in (service, region, op, code)), str(n))
    return table


def render_terminal(result: Result, *, color: bool = True, width: int = 160, show_pass: bool = False,
                    group_savings_by: tuple = ()) -> str:
    """The human report as a string (ANSI-coloured when `color`); ``group_savings_by`` (``region``,
    ``tag:KEY``: opsctl.report.savings) adds a savings breakdown after the savings table for each."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                      highlight=False, soft_wrap=False)
    shown = [f for f in result.findings if show_pass or f.status is not Status.PASS]
    rows = account_rows(result)
    unreached = {r.id for r in rows if not r.reached}
    folded = [f for f in shown if f.account in unreached]
    if folded:  # one ERROR per check saying "not audited": the account table says it once
        shown = [f for f in shown if f.account not in unreached]
    by_pillar: dict[str, list[Finding]] = {}
    for f in shown:
        by_pillar.setdefault(f.pillar, []).append(f)
    who = f"{org_scope(result)} · {org_counts(rows)}" if result.is_org else f"account {result.account}"
    scope = f"{who} · regions {', '.join(result.regions) or '-'} · {len(result.checks_run)} checks"
    console.print(Text(f"opsctl audit — {inert(scope)}", style="bold"))
    accounts = account_index(rows) if result.is_org else None
    if result.is_org:
        console.print()
        console.print(_accounts_table(result, rows, console))
        console.print(Text("FAIL: C critical, H high, M medium, L low, I info; each score is over the account's own "
                           "findings.", style="dim"))
        for r in rows:
            if not r.reached:
                console.print(Text.assemble(("NOT REACHED ", "bold red"), inert(r.title),
                                            (": " + inert(r.reason)) if r.reason else ""))
    if result.is_org and skipped_text(result):
        console.print(Text(inert(skipped_text(result)), style="dim"))
    if folded:
        whose = "the account" if len(unreached) == 1 else f"the {len(unreached)} accounts"
        console.print(Text(f"{len(folded)} ERROR findings of {whose} not reached are not listed below: nothing "
                           "was audited there.", style="yellow"))
    if not shown:
        console.print(Text(nothing_evaluated(result), style="yellow") if nothing_evaluated(result)
                      else Text("No findings to show (every evaluated check passed).", style="green"))
    for pillar in PILLARS:
        if pillar in by_pillar:
            console.print()
            console.print(_findings_table(pillar, by_pillar[pillar], accounts, width))
    console.print()
    console.print(_summary_table(result))
    tiers = _tiers_table(result)
    if tiers is not None:
        console.print()
        console.print(tiers)
    savings = _savings_table(result)
    if savings is not None:
        console.print()
        table, notes = savings
        console.print(table)
        for line in notes:
            console.print(Text(line, style="dim"))
    for breakdown in _savings_breakdowns(result, group_savings_by):
        console.print()
        console.print(breakdown)
    coverage = _coverage_table(result)
    if coverage is not None:
        console.print()
        console.print(coverage)
    if not show_pass:
        passed = result.summary()["by_status"]["PASS"]
        if passed:
            console.print(Text(f"{passed} passing findings hidden; --show-pass lists them.", style="dim"))
    return buf.getvalue()
