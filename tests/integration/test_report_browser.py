"""The HTML report in a real headless Chromium (Debian's `chromium`, installed by `make test` and
.ci/run): it loads with no console error, exception or blocked fetch, hostile account data stays
text, and the findings filter and sort work — set from the URL fragment, and from the controls."""

from __future__ import annotations

import pytest

from opsctl.engine import Result
from opsctl.findings import Severity, Status
from opsctl.report.html import render_html
from tests.browser import Browser, find_chromium
from tests.unit.report.fixtures import finding, sample_result

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
