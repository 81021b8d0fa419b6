"""The HTML report in a real headless Chromium (Debian's `chromium`, installed by `make test` and
.ci/run): it loads with no console error, exception or blocked fetch, hostile account data stays
text, the findings filter and sort work — set from the URL fragment, and from the controls — and
the architecture diagram (inline SVG) and the per-tier table show. With mermaid.js at hand
(``OPSCTL_TEST_MERMAID=/path/to/mermaid.min.js``, e.g. from ``npm install mermaid``), the Markdown
report's diagram is parsed and drawn by the real Mermaid too.

The layout (issue 13): the sandbox demo's result, an organisation result, one with hostile long
account names and a 300-character ARN fit a 1280 px and a 1920 px window — no horizontal scroll,
no text spilling out of its cell, the architecture picture inside its card — and a screenshot of
each (the top of the page, the findings grid) is written under the test's temporary folder (its
path is printed; ``pytest -s`` shows it)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from opsctl.engine import Result
from opsctl.findings import Severity, Status
from opsctl.report.html import render_html
from opsctl.report.markdown import render_markdown
from tests.browser import Browser, find_chromium
from tests.org_fixtures import PROD, org_result
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


# ----- the layout: fits a laptop (issue 13) -------------------------------------------------------
# 300 characters and not one place a browser would break a line (no space, no hyphen)
LONG_ARN = ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/" + "shop_orders_export_" * 13)[:300]
WIDTHS = (1280, 1920)


def _long_arn_finding(**kw):
    return finding("logs.retention_set", Status.FAIL, Severity.MEDIUM, pillar="operations", resource_id=LONG_ARN,
                   resource_type="logs.log_group", message=f"Log group {LONG_ARN} keeps its events forever.", **kw)


@pytest.fixture(scope="module")
def layout_pages(tmp_path_factory) -> dict[str, tuple[str, Result]]:
    """name -> (file URL, result): the sandbox demo (what `make demo` audits, run for real: the moto
    sandbox, seeded) with a 300-character ARN added, an organisation, hostile account names, the
    architecture fixture."""
    folder = tmp_path_factory.mktemp("layout")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    proc = subprocess.run([str(Path(sys.executable).parent / "opsctl"), "sandbox", "demo", "--format", "json",
                           "-o", str(folder / "demo.json"), "--report-dir", "demo"],
                          capture_output=True, text=True, env=env, cwd=folder, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    demo = Result.from_dict(json.loads((folder / "demo.json").read_text()))
    assert len(demo.findings) > 100 and demo.topology, "the sandbox demo has hundreds of findings and a topology"
    demo.findings.insert(0, _long_arn_finding())
    hostile = org_result(5, hostile=True)
    hostile.findings.insert(0, _long_arn_finding(account=PROD))
    pages = {}
    for name, result in (("demo", demo), ("org", org_result()), ("org-hostile", hostile), ("architecture", topology_result())):
        path = folder / f"{name}.html"
        path.write_text(render_html(result), encoding="utf-8")
        pages[name] = (path.as_uri(), result)
    return pages


MEASURE = """(function () {
  function right(sel) { var e = document.querySelector(sel); return e ? e.getBoundingClientRect().right : null; }
  // a cell whose text does not wrap spills into its neighbour (a fixed-layout table does not widen)
  var spilled = Array.from(document.querySelectorAll('#findings tbody tr:not([hidden]) td, #findings th, #accounts td, #accounts th'))
    .filter(function (c) { return c.scrollWidth > c.clientWidth + 1; })
    .map(function (c) { return c.closest('table').id + ' ' + c.cellIndex + ': ' + c.textContent.slice(0, 80); });
  var d = document.querySelector('#architecture .diagram');
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          findings: right('#findings'), accounts: right('#accounts'), filters: right('#filters'), card: right('#architecture .diagram'),
          diagramScrolls: d ? getComputedStyle(d).overflowX : null,
          columns: Array.from(document.querySelectorAll('#findings thead th')).map(function (th) {
            return th.getAttribute('data-key') + ' ' + Math.round(th.getBoundingClientRect().width); }).join(', '),
          spilled: spilled};
})()"""


def _screenshot(browser, path: Path) -> None:
    shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=browser.session)
    path.write_bytes(base64.b64decode(shot["data"]))
    print(f"screenshot: {path}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["demo", "org", "org-hostile", "architecture"])
def test_report_fits_the_window_without_horizontal_scrolling(browser, layout_pages, name, width, tmp_path):
    url, result = layout_pages[name]
    browser.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1,
                                                        "mobile": False}, session=browser.session)
    try:
        browser.errors.clear()
        browser.open(url + "#status=all")  # every row shown, PASS included
        assert browser.eval("document.documentElement.getAttribute('data-ready')") == "1"
        m = browser.eval(MEASURE)
        print(f"{name} at {width} px: {m}")
        _screenshot(browser, tmp_path / f"{name}-{width}-top.png")
        browser.eval("document.getElementById('filters').previousElementSibling.scrollIntoView()")
        _screenshot(browser, tmp_path / f"{name}-{width}-findings.png")
        if m["card"] is not None:
            browser.eval("document.getElementById('architecture').scrollIntoView()")
            _screenshot(browser, tmp_path / f"{name}-{width}-architecture.png")

        assert m["innerWidth"] == width
        assert m["scrollWidth"] <= m["innerWidth"], f"the page scrolls sideways: {m}"
        assert m["findings"] <= m["innerWidth"] and m["filters"] <= m["innerWidth"], m
        if result.is_org:
            assert m["accounts"] is not None and m["accounts"] <= m["innerWidth"], m
        if m["card"] is not None:  # the picture keeps its size (legible) and scrolls inside its card
            assert m["card"] <= m["innerWidth"] and m["diagramScrolls"] == "auto", m
        assert m["spilled"] == [], f"text runs out of its cell: {m['spilled']}"
        # the message column keeps a readable width beside the others
        message = browser.eval("document.querySelector('#findings th[data-key=message]').getBoundingClientRect().width")
        assert message >= (200 if width == 1280 else 500), m["columns"]

        # a long ARN wraps: shown whole (copy gets it all), in the cell's title too (hover)
        if any(f.resource_id == LONG_ARN for f in result.findings):
            cell = browser.eval("(function () { var td = Array.from(document.querySelectorAll('#findings td[title]'))"
                                ".find(function (c) { return c.title.length === 300; });"
                                " return [td.title, td.querySelector('.arn').textContent]; })()")
            assert cell == [LONG_ARN, LONG_ARN]
        # filters still work at this size
        failing = sum(1 for f in result.findings if f.status is Status.FAIL)
        assert browser.eval("window.opsctlReport.setFilters({status: 'FAIL'})") == failing
        if result.is_org:
            prod = sum(1 for f in result.findings if f.status is Status.FAIL and f.account == PROD)
            assert browser.eval(f"window.opsctlReport.setFilters({{status: 'FAIL', account: '{PROD}'}})") == prod
        assert browser.eval("typeof window.__pwned") == "undefined"
        assert browser.errors == []
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride", {}, session=browser.session)


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
