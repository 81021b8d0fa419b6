"""Markdown for $GITHUB_STEP_SUMMARY: counts, pillars, savings, top findings with runbook links,
WAIVED apart, account data inert, and never over 1 MiB."""

from __future__ import annotations

import re

from opsctl.engine import Result
from opsctl.findings import Severity, Status
from opsctl.report.markdown import MAX_BYTES, md, render_markdown
from tests.unit.report.fixtures import HOSTILE_SCRIPT, finding, sample_result

MIB = 1024 * 1024


def _section(text: str, heading: str) -> str:
    m = re.search(rf"^### {re.escape(heading)}.*?(?=^### |\Z)", text, re.S | re.M)
    assert m, f"no section {heading!r} in:\n{text}"
    return m.group(0)


def test_headline_pillars_savings_and_scores():
    out = render_markdown(sample_result())
    assert out.startswith("## opsctl audit — account 123456789012\n")
    assert "**2 FAIL** (1 critical · 1 low) · 1 ERROR · 1 WAIVED · 1 SKIPPED · 2 PASS" in out
    assert "**Score 35.3/100**" in out and "$8.00/month" in out
    pillars = _section(out, "By pillar")
    assert "| security | 33.3 | 1 | 0 | 0 | 0 | 1 |  |" in pillars
    assert "| availability | n/a | 0 | 1 | 1 | 0 | 0 |  |" in pillars
    assert "| cost | 50 | 1 | 0 | 0 | 0 | 1 | $8.00 |" in pillars
    assert "weights critical 10, high 5, medium 3, low 1, info 0" in pillars
    assert "| [ec2.volume\\_unattached](runbooks/ec2.volume_unattached.md) | $8.00 |" in _section(out, "Potential savings")


def test_top_findings_link_runbooks_with_base_url():
    out = render_markdown(sample_result(), runbook_base_url="https://github.com/acme/opsctl/blob/v1")
    top = _section(out, "Top findings")
    assert "[s3.bucket\\_not\\_public](https://github.com/acme/opsctl/blob/v1/runbooks/s3.bucket_not_public.md)" in top
    rows = [line for line in top.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 2 and "critical" in rows[0] and "low" in rows[1]  # worst first
    assert "$8.00" in rows[1]


def test_waived_shown_apart_not_as_failure():
    out = render_markdown(sample_result())
    assert "shop-tmp-1" not in _section(out, "Top findings")
    waived = _section(out, "Waived (1)")
    assert "not counted as failures" in waived
    assert "waived by platform@example.com until 2099\\-12\\-31" not in waived  # dashes are not escaped
    assert "waived by platform@example.com until 2099-12-31: scratch bucket, rebuilt nightly (OPS-1234)" in waived
    attention = _section(out, "Waivers needing attention")
    assert "| expired | ec2.volume\\_unattached |" in attention


def test_errors_gaps_and_skipped_are_reported():
    out = render_markdown(sample_result())
    gaps = _section(out, "Not evaluated")
    assert "1 ERROR findings, 1 failed API calls" in gaps and "DescribeDBInstances" in gaps and "AccessDenied" in gaps
    assert "<details><summary>Skipped: 1 findings of 1 checks</summary>" in out


def test_account_data_is_inert():
    out = render_markdown(sample_result())
    assert HOSTILE_SCRIPT not in out and "<script>" not in out and "&lt;script&gt;" in out
    assert "[x](http://e.vil)" not in out and "\\[x\\]" in out
    assert "\\*bold\\*" in out
    # a | in a message does not add a column: every findings row has the header's 7 separators
    top = _section(out, "Top findings")
    for line in (x for x in top.splitlines() if x.startswith("| ")):
        assert len(re.findall(r"(?<!\\)\|", line)) == 7, line
    assert md("a|b\nc") == "a\\|b c"


def _big_result(n: int, message_len: int = 600) -> Result:
    findings = [finding(f"s3.check_{i % 50}", Status.FAIL, Severity.MEDIUM if i % 3 else Severity.HIGH,
                        resource_id=f"arn:aws:s3:::bucket-{i:06d}", message="x" * message_len) for i in range(n)]
    findings += [finding("s3.waived", Status.WAIVED, resource_id=f"arn:aws:s3:::w-{i}") for i in range(3000)]
    return Result(findings, [], "123456789012", ["us-east-1"], ["s3.check"])


def test_stays_under_one_mib_and_says_what_it_left_out():
    out = render_markdown(_big_result(8000), max_findings=None)
    size = len(out.encode("utf-8"))
    assert size <= MAX_BYTES < MIB
    assert "left out to stay under GitHub's 1 MiB summary limit" in out
    assert re.search(r"\*\*Left out to stay under 1,000,000 bytes:\*\* \d+ FAIL findings", out)
    assert out.count("| 🟠 high |") > 100  # it still lists as many as fit, worst first


def test_max_findings_caps_rows_and_says_so():
    out = render_markdown(_big_result(30, message_len=20), max_findings=10)
    assert "20 more FAIL findings" in out and "only the top 10 are listed" in out
    assert "Left out to stay under" not in out  # the byte limit was not the reason


def test_no_fail_says_so():
    r = Result([finding("a.b", Status.PASS)], [], "123456789012", ["us-east-1"], ["a.b"])
    assert "No FAIL findings." in render_markdown(r)
