"""The HTML report in a real headless Chromium (Debian's `chromium`, installed by `make test` and
.ci/run): it loads with no console error, exception or blocked fetch, hostile account data stays
text, the findings filter and sort work — set from the URL fragment, and from the controls — and
the architecture diagram (inline SVG) and the per-tier table show. With mermaid.js at hand
(``OPSCTL_TEST_MERMAID=/path/to/mermaid.min.js``, e.g. from ``npm install mermaid``), the Markdown
report's diagram is parsed and drawn by the real Mermaid too."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from opsctl.engine import Result
from opsctl.findings import Severity, Status
from opsctl.report.html import render_html
from opsctl.report.markdown import render_markdown
from tests.browser import Browser, find_chromium
from tests.unit.report.fixtures import HOSTILE_LABEL, finding, sample_result, topology_result

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test and .ci/run install it: "
                                                 "apt-get install chromium)"),
]

VISIBLE = "document.querySelectorAll('#findings tbody tr:not([hidden])').length"
VISIBLE_STATUSES = ("Array.from(document.querySelectorAll('#findings tbody tr:not([hidden])'))"
                    ".map(function (tr) { return tr.getAttribute('data-status'); })")


@pytest.fixture(scope="module")
def browser():
    with Browser(CHROMIUM) as b:
        yield b


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(sample_result()), encoding="utf-8")
    return path.as_uri()


def test_loads_without_console_errors_and_hostile_data_stays_text(browser, page):
    browser.errors.clear()
    browser.open(page)
    assert browser.eval("document.documentElement.getAttribute('data-ready')") == "1"
    assert browser.eval("typeof window.__pwned") == "undefined"  # neither <script> nor onerror from the data ran
    assert browser.eval("document.querySelectorAll('#findings script, #findings img').length") == 0
    assert "<script>window.__pwned = 1</script>" in browser.eval("document.querySelector('#findings tbody').textContent")
    assert browser.errors == []


def test_default_view_hides_pass(browser, page):
    browser.open(page)
    assert browser.eval(VISIBLE) == 5
    assert "PASS" not in browser.eval(VISIBLE_STATUSES)
    assert browser.eval("document.getElementById('shown').textContent") == "5"


@pytest.mark.parametrize("fragment, expected", [
    ("status=FAIL", ["FAIL", "FAIL"]),
    ("status=all", ["FAIL", "FAIL", "ERROR", "WAIVED", "SKIPPED", "PASS", "PASS"]),
    ("status=all&pillar=cost", ["FAIL", "PASS"]),
    ("status=all&severity=low&service=ec2", ["FAIL", "PASS"]),
    ("status=WAIVED", ["WAIVED"]),
    ("q=vol-0abc", ["FAIL"]),
    ("status=all&q=SHOP-TMP", ["WAIVED"]),  # case-insensitive text over the row, ARN included
    ("status=all&q=nothing%20matches%20this", []),
])
def test_filter_from_url_fragment(browser, page, fragment, expected):
    browser.errors.clear()
    browser.open(f"{page}#{fragment}")
    assert browser.eval(VISIBLE_STATUSES) == expected
    assert browser.eval("document.getElementById('shown').textContent") == str(len(expected))
    assert browser.eval("document.getElementById('none').hidden") is (len(expected) != 0)
    assert browser.errors == []


def test_filter_from_the_controls_updates_rows_count_and_fragment(browser, page):
    browser.open(page)
    browser.eval("""(function () {
        var s = document.getElementById('f-status'); s.value = 'all'; s.dispatchEvent(new Event('change'));
        var p = document.getElementById('f-pillar'); p.value = 'security'; p.dispatchEvent(new Event('change'));
    })()""")
    assert browser.eval(VISIBLE_STATUSES) == ["FAIL", "PASS"]
    assert browser.eval("location.hash") == "#status=all&pillar=security"
    browser.eval("""(function () {
        var q = document.getElementById('f-q'); q.value = 'encrypted'; q.dispatchEvent(new Event('input'));
    })()""")
    assert browser.eval(VISIBLE_STATUSES) == ["PASS"]
    browser.eval("document.getElementById('f-reset').click()")
    assert browser.eval(VISIBLE) == 5 and browser.eval("location.hash") == ""
    # a fragment change on the open page (a pasted link) applies too
    browser.eval("location.hash = '#status=ERROR'")
    browser.eval("new Promise(function (r) { setTimeout(r, 0); })")
    assert browser.eval(VISIBLE_STATUSES) == ["ERROR"]
    assert browser.errors == []


def test_sort_by_column(browser, page):
    browser.open(f"{page}#status=all")
    severities = "Array.from(document.querySelectorAll('#findings tbody tr')).map(function (tr) { return tr.getAttribute('data-severity'); })"
    browser.eval("document.querySelector('#findings th[data-key=severity]').click()")
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    got = [ranks[s] for s in browser.eval(severities)]
    assert got == sorted(got, reverse=True)
    browser.eval("document.querySelector('#findings th[data-key=severity]').click()")
    got = [ranks[s] for s in browser.eval(severities)]
    assert got == sorted(got)
    assert "sort=severity&dir=asc" in browser.eval("location.hash")
    browser.eval("document.querySelector('#findings th[data-key=check]').click()")
    checks = browser.eval("Array.from(document.querySelectorAll('#findings tbody tr td:nth-child(5)')).map(function (td) { return td.textContent; })")
    assert checks == sorted(checks)
    assert browser.errors == []


def test_large_real_result_loads_without_errors(browser, tmp_path):
    """A result the size of the sandbox demo's (hundreds of findings) renders and filters."""
    findings = [finding(f"s3.check_{i % 40}", [Status.PASS, Status.FAIL][i % 2], list(Severity)[i % 5],
                        pillar=["security", "cost", "operations"][i % 3], resource_id=f"arn:aws:s3:::b-{i}")
                for i in range(600)]
    result = Result(findings, [], "123456789012", ["us-east-1"], [])
    path = tmp_path / "big.html"
    path.write_text(render_html(result), encoding="utf-8")
    browser.errors.clear()
    browser.open(path.as_uri() + "#status=FAIL&pillar=cost")
    expected = sum(1 for f in findings if f.status is Status.FAIL and f.pillar == "cost")
    assert browser.eval(VISIBLE) == expected
    assert browser.errors == []


def test_page_has_no_network_references():
    text = render_html(sample_result())
    assert "http://" not in text.replace("http://e.vil", "") and "https://" not in text


# ----- the architecture (issue 6) ------------------------------------------------------------------
@pytest.fixture(scope="module")
def arch_page(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("html") / "arch.html"
    path.write_text(render_html(topology_result()), encoding="utf-8")
    return path.as_uri()


def test_architecture_diagram_and_tier_table_are_visible(browser, arch_page):
    result = topology_result()
    browser.errors.clear()
    browser.open(arch_page)
    assert browser.eval("document.documentElement.getAttribute('data-ready')") == "1"
    box = browser.eval("(function () { var r = document.querySelector('#architecture svg').getBoundingClientRect();"
                       " return [r.width, r.height]; })()")
    assert box[0] > 100 and box[1] > 50
    assert browser.eval("document.querySelectorAll('#architecture svg').length") == 1
    assert browser.eval("document.querySelector('#architecture svg').namespaceURI") == "http://www.w3.org/2000/svg"
    # one group per resource, each drawn (a box with a size), in the SVG namespace
    assert browser.eval("document.querySelectorAll('#architecture svg > g').length") == len(result.topology["nodes"])
    sizes = browser.eval("Array.from(document.querySelectorAll('#architecture svg > g > rect'))"
                         ".map(function (r) { var b = r.getBBox(); return b.width * b.height; })")
    assert len(sizes) == len(result.topology["nodes"]) and all(s > 0 for s in sizes)
    # the hostile label is text in the picture
    texts = browser.eval("Array.from(document.querySelectorAll('#architecture svg text')).map(function (t) { return t.textContent; })")
    assert any(t.startswith(HOSTILE_LABEL[:20]) for t in texts)
    assert browser.eval("typeof window.__pwned") == "undefined"
    assert browser.eval("document.querySelectorAll('#architecture script, #architecture foreignObject').length") == 0
    # the tier table beside the pillars
    tiers = browser.eval("Array.from(document.querySelectorAll('#tiers tbody tr')).map(function (tr) {"
                         " return [tr.getAttribute('data-tier'), tr.offsetHeight > 0]; })")
    assert tiers == [["assets", True], ["compute", True], ["waf", True], ["orders", True]]
    # findings carry their tier: the text filter finds them
    assert browser.eval("window.opsctlReport.setFilters({status: 'all', q: 'tier waf'})") == 1
    assert browser.errors == []


MERMAID = os.environ.get("OPSCTL_TEST_MERMAID")


@pytest.mark.skipif(not MERMAID or not Path(MERMAID).is_file(),
                    reason="set OPSCTL_TEST_MERMAID to a mermaid.min.js (npm install mermaid) to draw the Markdown diagram")
def test_markdown_diagram_parses_and_draws_in_mermaid(browser, tmp_path):
    result = topology_result()
    text = re.search(r"```mermaid\n(.*?)```", render_markdown(result), re.S).group(1)
    page = tmp_path / "mermaid.html"
    page.write_text(f'<!doctype html><meta charset="utf-8"><script src="{Path(MERMAID).resolve().as_uri()}"></script>',
                    encoding="utf-8")
    browser.errors.clear()
    browser.open(page.as_uri())
    drawn = browser.eval("""(async function (t) {
        mermaid.initialize({startOnLoad: false, securityLevel: 'strict'});
        await mermaid.parse(t);
        var r = await mermaid.render('opsctl', t), d = document.createElement('div');
        d.innerHTML = r.svg; document.body.appendChild(d);
        return {nodes: d.querySelectorAll('g.node').length, clusters: d.querySelectorAll('g.cluster').length,
                labels: Array.from(d.querySelectorAll('g.node .nodeLabel')).map(function (e) { return e.textContent; })};
    })(""" + json.dumps(text) + ")")
    placeholders = sum(1 for t in result.topology["tiers"] if t["present"] is not True)  # "no resource matches" boxes
    assert drawn["nodes"] == len(result.topology["nodes"]) + placeholders
    assert drawn["clusters"] == len(result.topology["tiers"]) + 1  # + the internet
    assert any(label.startswith('say "hi" <b>|x|` %%{init: {}}%%') for label in drawn["labels"]), drawn["labels"]
    assert browser.errors == []
