"""HTML report: self-contained, autoescaped, with cards, pillar scores, savings and a findings table
whose rows carry what the filters read. (The real-browser test is tests/integration/test_report_browser.py.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from opsctl.report.html import render_html
from tests.unit.report.fixtures import HOSTILE_IMG, HOSTILE_SCRIPT, sample_result


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts += 1


def _parse(text: str) -> _Collect:
    p = _Collect()
    p.feed(text)
    return p


def test_self_contained_no_fetch():
    out = render_html(sample_result(), runbook_base_url="https://github.com/acme/opsctl/blob/v1/")
    p = _parse(out)
    for tag, attrs in p.tags:
        assert "src" not in attrs, (tag, attrs)  # no external script, image, frame
        if tag == "link":
            assert attrs.get("href", "").startswith("data:"), attrs  # the empty favicon only; no stylesheet
    assert p.scripts == 1
    csp = next(a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "connect-src" not in csp
    # links to runbooks are plain anchors
    assert 'href="https://github.com/acme/opsctl/blob/v1/runbooks/s3.bucket_not_public.md"' in out


def test_account_data_is_escaped():
    out = render_html(sample_result())
    assert HOSTILE_SCRIPT not in out and HOSTILE_IMG not in out
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in out
    assert "User is not authorized &lt;b&gt;" in out
    assert "shop-exports-ünïcødé" in out  # unicode kept as is
    assert "&#34;quoted&#34;" in out and "&#39;single&#39;" in out


def test_cards_pillars_savings_waivers_and_gaps():
    out = render_html(sample_result())
    assert re.search(r'id="overall-score">35\.3<', out)
    assert re.search(r'<div class="card FAIL"><div class="v">2</div>', out)
    assert re.search(r'<div class="card WAIVED"><div class="v">1</div><div class="k">WAIVED \(accepted, not failing\)', out)
    assert "$8.00" in out and "Potential savings: $8.00 / month" in out
    pillars = re.search(r'<table class="small" id="pillars">.*?</table>', out, re.S).group(0)
    assert pillars.count("<tr data-pillar=") == 6  # every pillar, n/a where nothing was evaluated
    assert 'title="nothing evaluated">n/a' in pillars and "33.3" in pillars
    assert 'id="waivers"' in out and "expired" in out and "waivers.yaml:9" in out
    assert 'id="coverage"' in out and "DescribeDBInstances" in out


def test_findings_rows_carry_filter_attributes_and_pass_starts_hidden():
    out = render_html(sample_result())
    rows = re.findall(r"<tr class=\"(\w+)\" data-status=\"(\w+)\" data-pillar=\"(\w+)\" data-severity=\"(\w+)\" "
                      r"data-service=\"(\w+)\"[^>]*?( hidden)?>", out)
    assert len(rows) == 7
    assert all(r[0] == r[1] for r in rows)
    assert {r[1] for r in rows if r[5]} == {"PASS"}  # hidden before any script runs: default "all but PASS"
    assert {r[4] for r in rows} == {"s3", "ec2", "rds", "trustedadvisor"}  # the account-level TA finding: its own service
    assert 'Showing <strong id="shown">5</strong> of <span id="total">7</span>' in out
    waived = next(line for line in out.splitlines() if 'data-status="WAIVED"' in line)
    assert 'class="WAIVED"' in waived
    assert '<div class="waiver">waived by platform@example.com until 2099-12-31: scratch bucket, rebuilt nightly (OPS-1234)</div>' in out
    for select in ("f-status", "f-pillar", "f-severity", "f-service", "f-q"):
        assert f'id="{select}"' in out
