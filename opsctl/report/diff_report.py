"""Rendering of `opsctl report diff` (opsctl.diff): table (terminal), Markdown, JSON. Pure: dict in, text out.

Each format shows the money when either result has any (``diff["savings"]``): the potential
savings per month before, now and the change, in total and for each check whose figure changed,
and the new waste (the figures of the new FAILs) and the resolved money (those of the FAILs fixed)."""

from __future__ import annotations

import io
import json
from typing import Any

from opsctl.report.common import resource_label

DIFF_FORMATS = ("table", "markdown", "json")
HEADINGS = {
    "new": "New",
    "resolved": "Resolved",
    "unchanged": "Unchanged",
    "unknown": "Unknown now (not resolved: could not be evaluated, or not checked)",
    "waived": "Waived (accepted, not fixed)",
}


def render_diff(diff: dict[str, Any], fmt: str = "table", *, color: bool = False, width: int = 160,
                show_unchanged: bool = True) -> str:
    if fmt == "json":
        return json.dumps(diff, indent=2, default=str) + "\n"
    if fmt == "markdown":
        return _markdown(diff, show_unchanged)
    if fmt == "table":
        return _table(diff, color, width, show_unchanged)
    raise ValueError(f"unknown diff format {fmt!r}")


def headline(diff: dict[str, Any]) -> str:
    c = diff["counts"]
    text = f"{c['new']} new, {c['resolved']} resolved, {c['unchanged']} unchanged"
    if c["unknown"]:
        text += f", {c['unknown']} unknown now"
    if c["waived"]:
        text += f", {c['waived']} waived"
    return text


def _when(side: dict[str, Any]) -> str:
    return side.get("file") or side.get("evaluated_at") or "?"


def _change(e: dict[str, Any]) -> str:
    return f"{e['before'] or 'absent'} → {e['after'] or 'absent'}"


def has_money(diff: dict[str, Any]) -> bool:
    """Whether the diff has any savings figure to show (either total, new waste or resolved)."""
    m = diff.get("savings")
    if not isinstance(m, dict):
        return False
    return bool(m["total"]["old"] or m["total"]["new"] or m["new_waste_monthly_usd"] or m["resolved_monthly_usd"])


def _usd(x: float | None) -> str:
    return "-" if x is None else f"${x:,.2f}"


def _usd_delta(x: float | None) -> str:
    if x is None:
        return "-"
    return "$0.00" if not x else f"{'+' if x > 0 else '-'}${abs(x):,.2f}"


def money_line(diff: dict[str, Any]) -> str:
    """`new waste $12.00/month, resolved $40.00/month`: the money of the new and resolved FAILs."""
    m = diff["savings"]
    return f"new waste {_usd(m['new_waste_monthly_usd'])}/month, resolved {_usd(m['resolved_monthly_usd'])}/month"


def _markdown(diff: dict[str, Any], show_unchanged: bool) -> str:
    out = [f"## opsctl: changes since the previous audit\n\n"
           f"`{_when(diff['old'])}` → `{_when(diff['new'])}`: **{headline(diff)}**.\n"]
    for w in diff["warnings"]:
        out.append(f"\n> **Warning:** {w}.\n")
    if diff["scores"]:
        out.append("\n| score | before | now | change |\n|---|---:|---:|---:|\n")
        for name, s in diff["scores"].items():
            out.append(f"| {name} | {_num(s['old'])} | {_num(s['new'])} | {_delta(s['delta'])} |\n")
    if diff.get("tier_scores"):
        out.append("\n| tier | before | now | change |\n|---|---:|---:|---:|\n")
        for name, s in diff["tier_scores"].items():
            out.append(f"| {_md(name)} | {_num(s['old'])} | {_num(s['new'])} | {_delta(s['delta'])} |\n")
    if has_money(diff):
        m = diff["savings"]
        out.append("\n### Potential savings (USD / month)\n\n| savings / month | before | now | change |\n"
                   "|---|---:|---:|---:|\n")
        t = m["total"]
        out.append(f"| **total** | **{_usd(t['old'])}** | **{_usd(t['new'])}** | **{_usd_delta(t['delta'])}** |\n")
        for cid, c in m["by_check"].items():
            out.append(f"| `{_md(cid)}` | {_usd(c['old'])} | {_usd(c['new'])} | {_usd_delta(c['delta'])} |\n")
        out.append(f"\n**New waste:** {_usd(m['new_waste_monthly_usd'])} / month (the new FAILs' figures) · "
                   f"**resolved:** {_usd(m['resolved_monthly_usd'])} / month (the fixed FAILs' figures).\n")
    for cat in ("new", "resolved", "unknown", "waived", "unchanged"):
        entries = diff["findings"][cat]
        if not entries or (cat == "unchanged" and not show_unchanged):
            continue
        out.append(f"\n### {HEADINGS[cat]} ({len(entries)})\n\n| severity | check | resource | region | change | note |\n"
                   "|---|---|---|---|---|---|\n")
        for e in entries:
            out.append(f"| {e['severity']} | `{e['check_id']}` | {_md(resource_label(e['resource_id']))} | {e['region']} | "
                       f"{_change(e)} | {_md(e['note'])} |\n")
    return "".join(out)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:g}"


def _delta(x: float | None) -> str:
    if x is None:
        return "-"
    return "0" if x == 0 else f"{x:+g}"


def _table(diff: dict[str, Any], color: bool, width: int, show_unchanged: bool) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False, soft_wrap=False)
    console.print(Text(f"opsctl report diff — {_when(diff['old'])} → {_when(diff['new'])}", style="bold"))
    console.print(Text(headline(diff), style="bold"))
    for w in diff["warnings"]:
        console.print(Text(f"warning: {w}", style="yellow"))
    styles = {"new": "bold red", "resolved": "green", "unknown": "yellow", "waived": "magenta", "unchanged": "dim"}
    if diff["scores"]:
        table = Table(title="Scores", title_justify="left", title_style="bold")
        for col in ("Score", "Before", "Now", "Change"):
            table.add_column(col, justify="left" if col == "Score" else "right")
        for name, s in diff["scores"].items():
            d = s["delta"]
            style = "green" if d and d > 0 else "red" if d and d < 0 else ""
            table.add_row(name, _num(s["old"]), _num(s["new"]), Text(_delta(d), style=style))
        console.print()
        console.print(table)
    if diff.get("tier_scores"):
        table = Table(title="Tier scores", title_justify="left", title_style="bold")
        for col in ("Tier", "Before", "Now", "Change"):
            table.add_column(col, justify="left" if col == "Tier" else "right")
        for name, s in diff["tier_scores"].items():
            d = s["delta"]
            style = "green" if d and d > 0 else "red" if d and d < 0 else ""
            table.add_row(name, _num(s["old"]), _num(s["new"]), Text(_delta(d), style=style))
        console.print()
        console.print(table)
    if has_money(diff):
        m = diff["savings"]
        table = Table(title="Potential savings (USD / month)", title_justify="left", title_style="bold")
        table.add_column("Savings", no_wrap=True)
        for col in ("Before", "Now", "Change"):
            table.add_column(col, justify="right", no_wrap=True)
        for name, c in [("total", m["total"]), *m["by_check"].items()]:
            d = c["delta"]
            style = "red" if d and d > 0 else "green" if d and d < 0 else ""  # more waste is worse
            table.add_row(Text(name, style="bold" if name == "total" else ""), _usd(c["old"]), _usd(c["new"]),
                          Text(_usd_delta(d), style=style))
        console.print()
        console.print(table)
        console.print(Text(money_line(diff).capitalize() + ".", style="bold"))
    for cat in ("new", "resolved", "unknown", "waived", "unchanged"):
        entries = diff["findings"][cat]
        if not entries or (cat == "unchanged" and not show_unchanged):
            continue
        table = Table(title=f"{HEADINGS[cat]} ({len(entries)})", title_justify="left", title_style=styles[cat],
                      expand=True, pad_edge=False)
        for col in ("Severity", "Check", "Resource · region", "Change", "Note"):
            table.add_column(col, overflow="fold", no_wrap=col in ("Severity", "Check"))
        for e in entries:
            table.add_row(e["severity"], e["check_id"], f"{resource_label(e['resource_id'])} · {e['region']}",
                          _change(e), e["note"])
        console.print()
        console.print(table)
    return buf.getvalue()
