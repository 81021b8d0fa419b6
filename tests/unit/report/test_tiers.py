"""The tier parts of every report (issue 6): per-tier scores beside the per-pillar ones, the Mermaid
diagram in Markdown (valid, escaped, inside the 1 MiB budget), the inline SVG in HTML, tier
properties in JUnit and SARIF, the CSV tier column, tier scores in `report diff` — and every format
still whole, with the tier parts left out, for a result that has no topology."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from opsctl.audit import audit
from opsctl.config import Config
from opsctl.diff import compare_tier_scores, diff_results
from opsctl.engine import Result
from opsctl.escape import inert_line
from opsctl.findings import Status
from opsctl.registry import load_builtin_checks
from opsctl.report import formats, render
from opsctl.report.csv_report import COLUMNS, render_csv
from opsctl.report.diff_report import render_diff
from opsctl.report.html import render_html
from opsctl.report.junit import render_junit
from opsctl.report.markdown import render_markdown
from opsctl.report.sarif import render_sarif
from opsctl.report.terminal import render_terminal
from opsctl.report.tiers import TierIndex, tier_rows
from opsctl.scores import scores
from opsctl.topology_render import render_mermaid, render_svg
from tests.helpers import snapshot
from tests.unit.checks.arch_fixtures import rule, sg, world
from tests.unit.report.fixtures import (
    BUCKET_ARN,
    HOSTILE_LABEL,
    HOSTILE_SCRIPT,
    VOLUME_ARN,
    sample_result,
    topology_result,
)
from tests.unit.report.mermaid_syntax import check_mermaid, unescape

TIERS = ["assets", "compute", "waf", "orders"]


def _section(text: str, heading: str) -> str:
    m = re.search(rf"^### {re.escape(heading)}.*?(?=^### |\Z)", text, re.S | re.M)
    assert m, f"no section {heading!r} in:\n{text}"
    return m.group(0)


def _mermaid_block(markdown: str) -> str:
    m = re.search(r"^```mermaid\n(.*?)^```$", markdown, re.S | re.M)
    assert m, "no mermaid block"
    return m.group(1)


def _shop_result() -> Result:
    """A realistic result: the arch.* checks over the fixture shop with its ALB open to the world."""
    w = world()
    w["ec2.security_group"][0] = sg("sg-alb", rule(443, cidr="0.0.0.0/0"), tier="load_balancer")
    w["lambda.function"] = []
    checks = [c for cid, c in load_builtin_checks().items() if cid.startswith("arch.")]
    result = audit(snapshot(w), checks, Config())
    assert result.topology and result.topology["tiers"]
    return result


# ----- the rows ------------------------------------------------------------------------------------
def test_tier_rows_score_counts_state_and_alarm_coverage():
    result = topology_result()
    rows = {t.name: t for t in tier_rows(result)}
    assert list(rows) == TIERS
    assert (rows["assets"].score, rows["assets"].counts["FAIL"], rows["assets"].counts["PASS"]) == (26.3, 3, 1)
    assert (rows["compute"].score, rows["compute"].alarm_text) == (50.0, "1/2 (1 without)")
    assert (rows["waf"].state, rows["waf"].score, rows["waf"].counts["FAIL"]) == ("missing", 0.0, 1)  # arch.tier_present
    assert (rows["orders"].state, rows["orders"].score_text, rows["orders"].alarm_text) == ("not seen", "n/a", "-")
    assert tier_rows(sample_result()) == []


@pytest.mark.parametrize("make", [topology_result, _shop_result], ids=["fixture", "shop"])
def test_tier_attribution_agrees_with_tier_scores(make):
    """The tiers a report shows a finding in are the ones its tier score counted it in."""
    result = make()
    index = TierIndex(result.topology)
    expected = result.summary()["tier_scores"]
    for name in index.names:
        assert scores([f for f in result.findings if name in index.of(f)])["overall"] == expected[name], name


def test_tier_index_orders_tiers_as_the_spec_and_ignores_unknown_names():
    result = topology_result()
    index = TierIndex(result.topology)
    volume = next(f for f in result.findings if f.resource_id == VOLUME_ARN and f.check_id == "ec2.volume_unattached")
    assert index.of(volume) == ["assets", "compute"]
    volume = dataclasses.replace(volume, evidence={"tiers": ["nope", "orders"]})
    assert index.of(volume) == ["assets", "compute", "orders"]
    assert not TierIndex(None) and TierIndex(None).of(volume) == []


# ----- Markdown --------------------------------------------------------------------------------------
def test_markdown_by_tier_table_and_diagram():
    out = render_markdown(topology_result())
    tiers = _section(out, "By tier")
    assert tiers.startswith("### By tier — shop \"prod\" &lt;i&gt;\n")
    assert "| Tier | Kind | Resources | Score | FAIL | PASS | Alarm coverage |" in tiers
    assert "| assets | assets | 2 | 26.3 | 3 | 1 | 0/1 (1 without) |" in tiers
    assert "| compute | compute | 2 | 50 | 2 | 2 | 1/2 (1 without) |" in tiers
    assert "| waf | waf | **missing** | 0 | 1 | 0 | - |" in tiers
    assert "| orders | relational\\_db | **not seen** | n/a | 0 | 0 | - |" in tiers
    assert out.index("### By pillar") < out.index("### By tier") < out.index("### Architecture") < out.index("### Top findings")
    block = _mermaid_block(_section(out, "Architecture"))
    assert block == render_mermaid(topology_result().topology, topology_result().findings)


def test_markdown_diagram_is_valid_mermaid_with_hostile_names():
    result = topology_result()
    block = _mermaid_block(render_markdown(result))
    labels = check_mermaid(block)
    shown = [unescape(label) for label in labels]
    # the hostile label shows as itself (newline folded, cut to the label length), never as markup
    assert any(s.startswith('say "hi" <b>|x|` %%{init: {}}%% #quot;') for s in shown), shown
    assert "<script>" not in block and "```" not in block and "%%{" not in block
    assert 'shop #quot;prod#quot; #lt;i#gt;' in block  # the spec name, in the comment line
    assert "class n1 fail" in block or re.search(r"class [n0-9,]*\bn1\b[n0-9,]* fail", block)  # the bucket: worst FAIL
    assert re.search(r'-\.->\|"✗ 0\.0\.0\.0/0 #quot;all#quot;"\|', block)  # the broken edge
    assert '-.->|"expected protects: missing"|' in block and "linkStyle" in block


@pytest.mark.parametrize("label", [
    HOSTILE_LABEL, 'a"]; click n0 call alert(1); n9["', "end", "x\r\ny", "`md`", "%% c", "#35; #quot; &amp;", "a\\b",
    "\x00\x07ctl", "\u2028sep", "-->|x|", "🙂 ünï" * 20,
])
def test_mermaid_escapes_every_hostile_name(label):
    topo = {"spec": {"name": label}, "tiers": [{"name": "t", "kind": "edge", "present": True, "members": []}],
            "nodes": [{"id": "a", "kind": "s3.bucket", "tier": "t", "label": label},
                      {"id": "b", "kind": label, "tier": "t", "label": "b"}],
            "edges": [{"from": "a", "to": "b", "kind": "origin", "ok": False, "label": label, "reason": ""}], "flows": []}
    text = render_mermaid(topo)
    shown = [unescape(lb) for lb in check_mermaid(text)]
    node = next(s for s in shown if s.rstrip().endswith(" s3 bucket"))
    expected = inert_line(label)  # one line; control characters shown escaped (\x00), never raw
    assert node.startswith(expected[:40])


def test_markdown_diagram_counts_toward_max_bytes():
    result = topology_result()
    full = render_markdown(result)
    diagram = len(_mermaid_block(full).encode())
    # room for everything but the diagram: it is left out, and the closing note says so
    without = render_markdown(result, max_bytes=len(full.encode()) + 4096 - diagram)
    assert "```mermaid" not in without
    assert "_The architecture diagram (5 resources) is left out: to stay under the size limit." in without
    assert "**Left out to stay under" in without and "the architecture diagram" in without.splitlines()[-1]
    assert len(without.encode()) <= len(full.encode()) + 4096 - diagram
    assert "```mermaid" in render_markdown(result, max_bytes=len(full.encode()) + 4096)


def test_markdown_diagram_larger_than_mermaid_draws_is_left_out():
    result = topology_result()
    out = render_markdown(result, max_diagram_chars=100)
    assert "```mermaid" not in out and "### By tier" in out
    note = _section(out, "Architecture")
    assert "left out: its" in note and "more than Mermaid draws" in note and "opsctl topology --result" in note
    assert "**Left out" not in out  # not a budget matter


def test_markdown_huge_topology_stays_under_1_mib():
    result = topology_result()
    nodes = [{"id": f"arn:aws:s3:::b-{i}", "kind": "s3.bucket", "tier": "assets", "label": f"bucket-{i}-" + "x" * 40}
             for i in range(3000)]
    result.topology = {**result.topology, "nodes": nodes, "edges": []}
    out = render_markdown(result)
    assert len(out.encode()) <= 1_000_000 and "```mermaid" not in out and "more than Mermaid draws" in out


def test_markdown_without_topology_has_no_tier_parts():
    out = render_markdown(sample_result())
    assert "By tier" not in out and "```mermaid" not in out and "Architecture" not in out


def test_markdown_of_the_shop_is_valid_mermaid():
    result = _shop_result()
    block = _mermaid_block(render_markdown(result))
    check_mermaid(block)
    node_lines = [line for line in block.splitlines() if re.match(r"    n\d+\[", line)]
    assert len(node_lines) == len(result.topology["nodes"])
    assert block.count("subgraph ") >= len(result.topology["tiers"])


# ----- HTML ------------------------------------------------------------------------------------------
class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.svg_groups = 0  # <g> directly inside the <svg>
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "g" and self.stack and self.stack[-1] == "svg":
            self.svg_groups += 1
        if tag not in ("rect", "path", "br", "meta", "link", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


def test_html_tier_table_and_inline_svg():
    result = topology_result()
    text = render_html(result)
    p = _Tags()
    p.feed(text)
    rows = [a for t, a in p.tags if t == "tr" and "data-tier" in a]
    assert [(a["data-tier"], a["data-present"]) for a in rows] == [
        ("assets", "present"), ("compute", "present"), ("waf", "missing"), ("orders", "not seen")]
    svg = [a for t, a in p.tags if t == "svg"]
    assert len(svg) == 1 and svg[0]["id"] == "architecture-svg" and "xmlns" not in svg[0]
    assert p.svg_groups == len(result.topology["nodes"])
    assert ('figure', {"id": "architecture", "data-nodes": "5"}) in p.tags
    assert text.index('id="pillars"') < text.index('id="tiers"') < text.index('id="architecture"') < text.index('id="findings"')
    # the hostile node label is escaped text in the SVG, like every account value
    assert HOSTILE_SCRIPT not in text and "&lt;script&gt;" in text
    assert "http://" not in text.replace("http://e.vil", "") and "https://" not in text and "url(" not in text.replace(
        "url(#arrow", "")
    # findings carry their tiers: the text filter finds them, and they show under the resource
    tiered = [a for t, a in p.tags if t == "tr" and "data-tiers" in a]
    assert {"assets compute", "waf", "assets"} <= {a["data-tiers"] for a in tiered}


def test_html_svg_is_render_svg():
    result = topology_result()
    svg = render_svg(result.topology, result.findings)
    inner = svg.split(">", 1)[1].strip()  # everything after the <svg ...> tag
    assert inner in render_html(result)


def test_html_without_topology_has_no_tier_parts():
    text = render_html(sample_result())
    assert "<svg" not in text and 'id="tiers"' not in text and 'id="architecture"' not in text and "data-tiers" not in text


# ----- terminal --------------------------------------------------------------------------------------
def test_terminal_tier_table():
    out = render_terminal(topology_result(), color=False, width=140)
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('Tiers of shop "prod" <i>'))
    assert start > next(i for i, line in enumerate(lines) if line.startswith("Summary"))
    table = "\n".join(lines[start:start + 12])
    assert re.search(r"│ assets +│ assets +│ +2 │ +3 │ +1 │ +26\.3 │ 0/1 \(1 without\) +│", table)
    assert re.search(r"│ waf +│ waf +│ +missing │ +1 │ +│ +0 │ - +│", table)
    assert re.search(r"│ orders +│ relational_db +│ +not seen │ +│ +│ +n/a │ - +│", table)
    assert "Tiers of" not in render_terminal(sample_result(), color=False)


# ----- JUnit -----------------------------------------------------------------------------------------
def test_junit_tier_properties_suite():
    result = topology_result()
    root = ET.fromstring(render_junit(result))
    suites = root.findall("testsuite")
    assert suites[-1].get("name") == "architecture tiers"
    tiers = suites[-1]
    assert (tiers.get("tests"), tiers.get("failures"), tiers.get("errors"), tiers.get("skipped")) == ("0", "0", "0", "0")
    assert tiers.findall("testcase") == []
    props = {p.get("name"): p.get("value") for p in tiers.find("properties")}
    assert props["spec"] == 'shop "prod" <i>'
    assert {k: props[f"tier.assets.{k}"] for k in ("kind", "state", "resources", "score", "fail", "pass", "alarm_coverage")} == {
        "kind": "assets", "state": "present", "resources": "2", "score": "26.3", "fail": "3", "pass": "1",
        "alarm_coverage": "0/1 (1 without)"}
    assert (props["tier.waf.state"], props["tier.orders.score"]) == ("missing", "n/a")
    # the totals still add up: the tier suite adds no test
    assert int(root.get("tests")) == len(result.findings) == sum(int(s.get("tests")) for s in suites)
    assert all(len(s.findall("testcase")) == int(s.get("tests")) for s in suites)
    assert all(set(e.attrib) == {"name", "value"} for e in root.iter("property"))


def test_junit_without_topology_has_no_tier_suite():
    root = ET.fromstring(render_junit(sample_result()))
    assert "architecture tiers" not in [s.get("name") for s in root.findall("testsuite")]


# ----- CSV -------------------------------------------------------------------------------------------
def test_csv_tier_column():
    result = topology_result()
    rows = list(csv.DictReader(io.StringIO(render_csv(result))))
    assert COLUMNS[-2:] == ("tier", "account") and len(rows) == len(result.findings)
    by = {(r["check_id"], r["resource_id"]): r["tier"] for r in rows}
    assert by[("ec2.volume_unattached", VOLUME_ARN)] == "assets;compute"
    assert by[("s3.bucket_not_public", BUCKET_ARN)] == "assets"
    assert by[("arch.tier_present", "arn:aws:iam::123456789012:root")] == "waf"
    assert by[("trustedadvisor.check", "arn:aws:iam::123456789012:root")] == ""


def test_csv_without_topology_keeps_the_column_empty():
    rows = list(csv.DictReader(io.StringIO(render_csv(sample_result()))))
    assert rows and all(r["tier"] == "" for r in rows)


# ----- SARIF -----------------------------------------------------------------------------------------
def test_sarif_tiers_in_result_and_run_properties():
    log = json.loads(render_sarif(topology_result(), sarif_location="opsctl.yaml"))
    run = log["runs"][0]
    tiers = {(r["ruleId"], r["properties"]["resource_id"]): r["properties"].get("tiers") for r in run["results"]}
    assert tiers[("ec2.volume_unattached", VOLUME_ARN)] == ["assets", "compute"]
    assert tiers[("arch.tier_present", "arn:aws:iam::123456789012:root")] == ["waf"]
    assert run["properties"]["tier_scores"] == {"assets": 26.3, "compute": 50.0, "waf": 0.0, "orders": None}
    assert run["properties"]["spec"] == 'shop "prod" <i>'


def test_sarif_without_topology_has_no_tier_properties():
    run = json.loads(render_sarif(sample_result(), sarif_location="opsctl.yaml"))["runs"][0]
    assert "tier_scores" not in run["properties"] and all("tiers" not in r["properties"] for r in run["results"])


# ----- every format, with and without a topology (a pre-architecture result file) ------------------
@pytest.mark.parametrize("fmt", formats())
def test_every_format_renders_a_result_saved_before_topologies(fmt):
    data = json.loads(render(topology_result(), "json"))
    assert "topology" in data and "tier_scores" in data["summary"]
    old = {k: v for k, v in data.items() if k != "topology"}
    old["summary"] = {k: v for k, v in data["summary"].items() if k != "tier_scores"}
    result = Result.from_dict(old)
    assert result.topology is None
    out = render(result, fmt, sarif_location="opsctl.yaml", color=False)
    assert out and "architecture tiers" not in out and "```mermaid" not in out and "<svg" not in out
    assert "Tiers of" not in out and "By tier" not in out
    with_topology = render(Result.from_dict(data), fmt, sarif_location="opsctl.yaml", color=False)
    assert ("assets" in with_topology) or fmt == "json"


# ----- report diff -----------------------------------------------------------------------------------
def _saved(tier_scores):
    summary = {"scores": {"overall": 50.0, "by_pillar": {"security": 50.0}}}
    if tier_scores is not None:
        summary["tier_scores"] = tier_scores
    return {"schema_version": 1, "account": "1", "regions": ["us-east-1"], "checks_run": [], "findings": [],
            "summary": summary, "metadata": {}}


def test_diff_compares_tier_scores():
    old = _saved({"dns": 40.0, "edge": None, "gone": 10.0})
    new = _saved({"dns": 55.5, "edge": 80.0, "waf": None})
    d = diff_results(old, new)
    assert d["tier_scores"] == {  # waf: scored on neither side, left out
        "dns": {"old": 40.0, "new": 55.5, "delta": 15.5},
        "edge": {"old": None, "new": 80.0, "delta": None},
        "gone": {"old": 10.0, "new": None, "delta": None},
    }
    assert "security" in d["scores"] and "dns" not in d["scores"]  # pillars and tiers apart
    md = render_diff(d, "markdown")
    assert "| tier | before | now | change |" in md and "| dns | 40 | 55.5 | +15.5 |" in md and "| gone | 10 | - | - |" in md
    table = render_diff(d, "table", width=120)
    assert "Tier scores" in table and re.search(r"dns +│ +40 │ +55\.5 │ +\+15\.5", table)
    assert json.loads(render_diff(d, "json"))["tier_scores"]["dns"]["delta"] == 15.5


@pytest.mark.parametrize("old, new", [(None, {"dns": 1.0}), ({"dns": 1.0}, None), (None, None)])
def test_diff_without_tier_scores_on_either_side(old, new):
    d = diff_results(_saved(old), _saved(new))
    assert d["tier_scores"] is None and compare_tier_scores(_saved(old), _saved(new)) is None
    assert "tier" not in render_diff(d, "markdown") and "Tier scores" not in render_diff(d, "table")


def test_diff_of_two_real_results_has_tier_scores():
    before = json.loads(render(topology_result(), "json"))
    after_result = topology_result()
    after_result.findings = [dataclasses.replace(f, status=Status.PASS) if f.check_id == "s3.bucket_not_public" else f
                             for f in after_result.findings]
    after = json.loads(render(after_result, "json"))
    d = diff_results(before, after)
    assert d["tier_scores"]["assets"]["delta"] > 0 and d["tier_scores"]["compute"]["delta"] == 0


def test_svg_of_hostile_names_is_well_formed_xml():
    import xml.dom.minidom

    topo = {"spec": {"name": "x\x00y"}, "tiers": [{"name": "t", "kind": "edge", "present": True, "members": []}],
            "nodes": [{"id": "a\x07", "kind": "s3.bucket", "tier": "t", "label": HOSTILE_LABEL + "\x0b\ufffe"}],
            "edges": [], "flows": []}
    svg = render_svg(topo)
    xml.dom.minidom.parseString(svg)
    assert "<script" not in svg and "<b>" not in svg and "&lt;b&gt;" in svg
