"""Pictures of the topology (opsctl/topology.py): pure functions, topology + findings in, text out.

* ``render_mermaid`` — a Mermaid flowchart: one subgraph per tier of the spec, nodes classed by the
  worst finding on them (FAIL red, ERROR amber, PASS green, none grey), broken edges dashed red,
  missing tiers as dashed red boxes, and flows the spec declares that nothing implements drawn
  between the tiers as dashed red links. GitHub, GitLab and most Markdown viewers render it.
* ``render_svg`` — the same graph as a standalone SVG (a simple layered layout: one column per
  tier, in the spec's order), for HTML reports; no dependency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any

from opsctl.escape import inert_line

_RANK = {"FAIL": 3, "ERROR": 2, "PASS": 1}
_CLASSES = {3: "fail", 2: "error", 1: "pass", 0: "none"}
_OUTSIDE = "\0outside"
_INTERNET = "\0internet"
COLORS = {  # fill, stroke, text
    "fail": ("#fde2e1", "#c62828", "#5f1010"),
    "error": ("#fff1cc", "#d08c00", "#5a3d00"),
    "pass": ("#def5e0", "#2e7d32", "#123d15"),
    "none": ("#f0f0f0", "#8a8a8a", "#333333"),
    "missing": ("#ffffff", "#c62828", "#c62828"),
}


def _get(f: Any, key: str) -> Any:
    return f.get(key) if isinstance(f, dict) else getattr(f, key)


def node_status(findings: Iterable[Any]) -> dict[str, str]:
    """Resource id -> "fail" | "error" | "pass": the worst FAIL/ERROR/PASS finding on it."""
    worst: dict[str, int] = {}
    for f in findings:
        status = _get(f, "status")
        rank = _RANK.get(getattr(status, "value", status), 0)
        rid = _get(f, "resource_id")
        if rank > worst.get(rid, 0):
            worst[rid] = rank
    return {rid: _CLASSES[r] for rid, r in worst.items()}


def _columns(topology: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None, list[dict[str, Any]]]]:
    """(tier name, tier, its nodes) in the spec's order, then the nodes outside the spec."""
    nodes = topology.get("nodes") or []
    internet = [n for n in nodes if n["id"] == "internet"]  # a source: drawn first, left of the tiers
    out = [(_INTERNET, None, internet)] if internet else []
    out += [(t["name"], t, [n for n in nodes if n.get("tier") == t["name"]]) for t in topology.get("tiers") or []]
    outside = [n for n in nodes if n.get("tier") not in {t["name"] for t in topology.get("tiers") or []} and n not in internet]
    if outside:
        out.append((_OUTSIDE, None, outside))
    return out


#: What XML 1.0 cannot carry even escaped, once inert_line has escaped the control characters.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
_MM_ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "|": "#124;", "`": "#96;", "%": "#37;",
               "&": "#38;", "\\": "#92;"}
_MM_SPECIAL = re.compile("[" + re.escape("".join(_MM_ESCAPES)) + "]")


def _text(text: Any) -> str:
    """One line of plain text: whitespace runs (newlines too) become one space, control and bidi
    characters are shown escaped (opsctl.escape.inert_line: ``\\x1b``, ``\\u202e``), and what XML
    cannot carry (lone surrogates, U+FFFE/U+FFFF) goes."""
    return _NOT_XML.sub("", inert_line(text))


def _esc(text: Any) -> str:
    """Text for SVG/XML: one line, no character XML 1.0 forbids, markup escaped."""
    return escape(_text(text))


def _mm(text: Any) -> str:
    """Text safe inside a quoted Mermaid label (or a %% comment): one line, and every character that
    could end the string, start a directive (``%%{``), a Markdown string (`` ` ``), markup or an
    entity written as Mermaid's ``#code;`` entity, so a resource name shows as itself."""
    return _MM_SPECIAL.sub(lambda m: _MM_ESCAPES[m.group()], _text(text))


def _short(text: str, limit: int = 48) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tier_title(name: str, tier: dict[str, Any] | None) -> str:
    if tier is None:
        return "the internet" if name == _INTERNET else "outside the spec"
    title = name if name == tier["kind"] else f"{name} · {tier['kind']}"
    if tier.get("present") is False:
        return f"{title} — missing"
    if tier.get("present") is None:
        return f"{title} — not seen"
    return title


def render_mermaid(topology: dict[str, Any], findings: Iterable[Any] = ()) -> str:
    """The topology as a Mermaid flowchart (text), nodes classed by their worst finding."""
    status = node_status(findings)
    ids: dict[str, str] = {}
    lines = ["flowchart LR", f"  %% opsctl topology of {_mm(topology.get('spec', {}).get('name', 'the architecture'))}"]
    classes: dict[str, list[str]] = {}
    tier_ids: dict[str, str] = {}
    for index, (name, tier, nodes) in enumerate(_columns(topology)):
        sid = "tier_" + re.sub(r"[^A-Za-z0-9_]", "_", name.strip("\0"))
        sid = sid if sid not in tier_ids.values() else f"{sid}_{index}"
        tier_ids[name] = sid
        lines.append(f'  subgraph {sid}["{_mm(_tier_title(name, tier))}"]')
        if tier is not None and tier.get("present") is not True and not nodes:
            lines.append(f'    {sid}_none["{_mm("no resource matches" if tier.get("present") is False else "could not be listed")}"]')
            classes.setdefault("missing" if tier.get("present") is False else "error", []).append(f"{sid}_none")
        for node in nodes:
            nid = ids.setdefault(node["id"], f"n{len(ids)}")
            kind = node.get("kind", "")
            sub = kind.replace(".", " ").replace("_", " ")
            lines.append(f'    {nid}["{_mm(_short(node.get("label") or node["id"]))}<br/><small>{_mm(sub)}</small>"]')
            classes.setdefault(status.get(node["id"], "none"), []).append(nid)
        lines.append("  end")
        if tier is not None and tier.get("present") is False:
            lines.append(f"  style {sid} stroke:#c62828,stroke-width:2px,stroke-dasharray:6 4")
    link = 0
    broken_links: list[int] = []
    for edge in topology.get("edges") or []:
        if edge["from"] not in ids or edge["to"] not in ids:
            continue
        label = edge.get("label") or ""
        if edge.get("ok") is False:
            text = _short("✗ " + (label or edge["kind"]), 40)
            lines.append(f'  {ids[edge["from"]]} -.->|"{_mm(text)}"| {ids[edge["to"]]}')
            broken_links.append(link)
        elif edge.get("ok") is None:
            lines.append(f'  {ids[edge["from"]]} -.->' + (f'|"{_mm(_short(label, 40))}"|' if label else "") + f' {ids[edge["to"]]}')
        else:
            lines.append(f'  {ids[edge["from"]]} -->' + (f'|"{_mm(_short(label, 40))}"|' if label else "") + f' {ids[edge["to"]]}')
        link += 1
    for flow in topology.get("flows") or []:
        if flow.get("status") == "missing" and flow["from"] in tier_ids and flow["to"] in tier_ids:
            lines.append(f'  {tier_ids[flow["from"]]} -.->|"expected {_mm(flow["kind"])}: missing"| {tier_ids[flow["to"]]}')
            broken_links.append(link)
            link += 1
    for index in broken_links:
        lines.append(f"  linkStyle {index} stroke:#c62828,stroke-width:2px,stroke-dasharray:5 4")
    for name, (fill, stroke, color) in COLORS.items():
        dash = ",stroke-dasharray:5 4" if name == "missing" else ""
        lines.append(f"  classDef {name} fill:{fill},stroke:{stroke},color:{color}{dash}")
    for name in COLORS:
        if classes.get(name):
            lines.append(f"  class {','.join(classes[name])} {name}")
    return "\n".join(lines) + "\n"


# ----- SVG ------------------------------------------------------------------------------------------
COL_W, NODE_W, NODE_H, GAP, TOP, PAD = 230, 196, 40, 14, 56, 17


def render_svg(topology: dict[str, Any], findings: Iterable[Any] = ()) -> str:
    """The topology as inline SVG text: one column per tier, edges as curves (broken: dashed red)."""
    status = node_status(findings)
    columns = _columns(topology)
    pos: dict[str, tuple[float, float]] = {}
    body: list[str] = []
    tallest = 1
    for col, (name, tier, nodes) in enumerate(columns):
        x = PAD + col * COL_W
        missing = tier is not None and tier.get("present") is False
        rows = max(1, len(nodes))
        tallest = max(tallest, rows)
        height = rows * (NODE_H + GAP) + GAP + 26
        stroke = COLORS["missing"][1] if missing else "#b0b7c3"
        dash = ' stroke-dasharray="6 4"' if missing or tier is None else ""
        body.append(f'<rect x="{x - 8}" y="{TOP - 34}" width="{NODE_W + 16}" height="{height}" rx="8" fill="#f8f9fb" '
                    f'stroke="{stroke}"{dash}/>')
        body.append(f'<text x="{x + NODE_W / 2}" y="{TOP - 14}" text-anchor="middle" font-weight="bold" '
                    f'fill="{COLORS["missing"][2] if missing else "#222"}">{_esc(_short(_tier_title(name, tier), 30))}</text>')
        if not nodes and tier is not None:
            fill, line, text = COLORS["missing" if missing else "error" if tier.get("present") is None else "none"]
            body.append(f'<rect x="{x}" y="{TOP}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" stroke="{line}" '
                        'stroke-dasharray="5 4"/>')
            body.append(f'<text x="{x + NODE_W / 2}" y="{TOP + 25}" text-anchor="middle" fill="{text}">'
                        f'{"no resource matches" if missing else "could not be listed"}</text>')
        for row, node in enumerate(nodes):
            y = TOP + row * (NODE_H + GAP)
            pos[node["id"]] = (x, y)
            fill, line, text = COLORS[status.get(node["id"], "none")]
            kind = node.get("kind", "")
            body.append(f'<g><title>{_esc(node["id"])}</title>'
                        f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" stroke="{line}"/>'
                        f'<text x="{x + 8}" y="{y + 17}" fill="{text}">{_esc(_short(node.get("label") or node["id"], 28))}</text>'
                        f'<text x="{x + 8}" y="{y + 32}" fill="{text}" font-size="10" opacity="0.8">{_esc(kind)}</text></g>')
    edges: list[str] = []
    for edge in topology.get("edges") or []:
        if edge["from"] not in pos or edge["to"] not in pos:
            continue
        (x1, y1), (x2, y2) = pos[edge["from"]], pos[edge["to"]]
        forward = x2 >= x1
        sx, tx = (x1 + NODE_W, x2) if forward and x2 != x1 else (x1, x2 + NODE_W) if not forward else (x1 + NODE_W, x2 + NODE_W)
        sy, ty = y1 + NODE_H / 2, y2 + NODE_H / 2
        bend = max(40.0, abs(tx - sx) / 2)
        c1 = sx + (bend if sx == x1 + NODE_W else -bend)
        c2 = tx - (bend if tx == x2 else -bend)
        broken, unjudged = edge.get("ok") is False, edge.get("ok") is None
        color = COLORS["fail"][1] if broken else "#8a8a8a" if unjudged else "#4a5568"
        dash = ' stroke-dasharray="6 4"' if broken or unjudged else ""
        tip = _esc(f'{edge["kind"]}: {edge.get("label") or ""} {edge.get("reason") or ""}'.strip())
        edges.append(f'<path d="M{sx},{sy} C{c1},{sy} {c2},{ty} {tx},{ty}" fill="none" stroke="{color}" stroke-width="1.6"'
                     f'{dash} marker-end="url(#arrow{"-red" if broken else ""})"><title>{tip}</title></path>')
    width = PAD * 2 + max(1, len(columns)) * COL_W - (COL_W - NODE_W)
    height = TOP + tallest * (NODE_H + GAP) + 40
    defs = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" fill="#4a5568"/></marker>'
            '<marker id="arrow-red" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{COLORS["fail"][1]}"/></marker></defs>')
    title = _esc(f"opsctl topology of {topology.get('spec', {}).get('name', 'the architecture')}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="{title}">'
            f"<title>{title}</title>{defs}{''.join(body)}{''.join(edges)}</svg>\n")
