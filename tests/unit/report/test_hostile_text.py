"""Hostile text from AWS is inert in every output (issue 13, item 4), as a property: for generated
strings mixing control characters (C0, DEL, C1, ESC sequences), bidirectional overrides and
isolates, markup and ordinary text, placed in resource ids, messages, titles, evidence, tags of a
topology and the names of an organisation's accounts, no output but JSON carries one of those
characters raw — they are shown escaped (``\\x1b``, ``\\u202e``) by opsctl.escape — and JSON keeps
the exact value."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsctl.engine import Result
from opsctl.escape import inert, inert_json, inert_line
from opsctl.findings import Finding, Severity, Status
from opsctl.report import render
from opsctl.topology_render import render_mermaid, render_svg
from tests.org_fixtures import org_result

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: What a renderer's own layout may hold (line ends, indentation): anything else unsafe came from the data.
LAYOUT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_danger = st.sampled_from([
    "\x1b[2J", "\x1b]0;owned\x07", "\x1b]8;;http://e.vil\x1b\\link\x1b]8;;\x1b\\", "\x1b[31m", "\x9b31m", "\x85",
    "\u202e", "\u2066", "\u2069", "\u202a", "\x00", "\x7f", "\r", "\n", "\t", "\x08",
    "[/red]", "[link=http://e.vil]x[/link]", "<script>x()</script>", "| pipe |", "=1+1", "`code`", "%%{init}%%",
])
hostile = st.lists(st.one_of(_danger, st.text(max_size=6)), min_size=1, max_size=6).map("".join)


def _finding(text: str, i: int, status: Status = Status.FAIL, account: str = "") -> Finding:
    return Finding(check_id="s3.bucket_not_public", title=f"Title {text}", status=status, severity=Severity.HIGH,
                   pillar="security", resource_id=f"arn:aws:s3:::b{i}-{text}", resource_type="s3.bucket",
                   region="us-east-1", message=f"Bucket {text} is public.", evidence={"name": text},
                   runbook="runbooks/s3.bucket_not_public.md", monthly_savings_usd=1.0 if i else None, account=account)


def _topology(text: str) -> dict:
    return {"spec": {"name": text}, "tiers": [{"name": "assets", "kind": "assets", "present": True, "members": ["a"]}],
            "nodes": [{"id": "a", "kind": "s3.bucket", "tier": "assets", "label": text},
                      {"id": "b", "kind": "cloudfront.distribution", "tier": "assets", "label": f"cdn {text}"}],
            "edges": [{"from": "b", "to": "a", "kind": "origin", "ok": False, "label": text, "reason": text}],
            "flows": []}


def _one_account(text: str) -> Result:
    return Result(findings=[_finding(text, 0), _finding(text, 1, Status.ERROR), _finding(text, 2, Status.PASS)],
                  coverage=[], account="123456789012", regions=["us-east-1"], checks_run=["s3.bucket_not_public"],
                  metadata={"evaluated_at": "2026-12-08T00:00:00+00:00", "config_file": "opsctl.yaml"},
                  topology=_topology(text))


def _org(text: str) -> Result:
    result = org_result(3, names=[f"prod {text}", f"dev {text}", text])
    result.findings.append(_finding(text, 5, account=result.accounts[0]["id"]))
    result.accounts[2]["reason"] = f"AccessDenied {text}"
    result.accounts[1]["ou_path"] = f"Root/{text}"
    return result


def _assert_inert(fmt: str, out: str) -> None:
    if fmt in ("sarif", "json"):  # JSON escapes control characters itself; what a viewer shows are the values
        values = _strings(json.loads(out))
    elif fmt == "junit":
        root = ET.fromstring(out)
        values = [v for el in root.iter() for v in (*el.attrib.values(), el.text or "")]
        values = [v.replace("\n", " ") for v in values]  # the details' own line ends
    elif fmt == "csv":
        values = [cell for row in csv.reader(io.StringIO(out, newline="")) for cell in row]
    else:
        values = [out]
    for v in values:
        raw = (LAYOUT if fmt not in ("csv", "sarif") else UNSAFE).search(v)
        assert raw is None, f"{fmt}: raw {raw.group()!r} in {v[:200]!r}"


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


FORMATS = ("table", "markdown", "html", "sarif", "junit", "csv")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_no_format_shows_hostile_text_raw_and_json_keeps_it(text):
    for result in (_one_account(text), _org(text)):
        for fmt in FORMATS:
            _assert_inert(fmt, render(result, fmt, color=False, width=120))
        data = json.loads(render(result, "json"))
        assert any(text in s for s in _strings(data))  # the exact value, for tools


@settings(max_examples=40, deadline=None)
@given(hostile)
def test_the_diagrams_show_hostile_names_escaped(text):
    topology = _topology(text)
    for out in (render_mermaid(topology), render_svg(topology)):
        assert LAYOUT.search(out) is None
    label = inert_line(text)
    if label.strip():  # and it is shown: the label as text, escaped for XML
        assert label.split()[0][:30] in html.unescape(render_svg(topology))


@settings(max_examples=60, deadline=None)
@given(hostile)
def test_the_terminal_in_colour_emits_only_its_own_styles(text):
    out = render(_org(text), "table", color=True, width=120)
    # rich's own styling is SGR (ESC [ … m) only: no screen clearing, titles, hyperlinks or cursor moves
    assert re.search("\x1b(?!\\[[0-9;]*m)", out) is None
    bare = re.sub("\x1b\\[[0-9;]*m", "", out)
    assert LAYOUT.search(bare) is None and "\r" not in bare


@given(st.text())
def test_inert_escapes_exactly_the_unsafe_characters(text):
    shown = inert(text)
    assert UNSAFE.search(shown) is None
    # nothing else changes: without the escapes, the text is the input without its unsafe characters
    assert re.sub(r"\\x[0-9a-f]{2}|\\u[0-9a-f]{4}", "", shown) == re.sub(
        r"\\x[0-9a-f]{2}|\\u[0-9a-f]{4}", "", UNSAFE.sub("", text))
    assert json.loads(inert_json(json.dumps(text, ensure_ascii=False))) == text  # JSON text stays the same value
