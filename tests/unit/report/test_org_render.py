"""Organisation results in the terminal, Markdown, HTML and CSV reports (issue 12, item 4): the
account table first, worst first, never cut; an account column in the findings; an HTML account
filter; hostile account names inert everywhere. JUnit and SARIF: test_org_junit_sarif.py."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

from opsctl.engine import Result
from opsctl.findings import Status
from opsctl.report.csv_report import COLUMNS, render_csv
from opsctl.report.html import render_html
from opsctl.report.markdown import render_markdown
from opsctl.report.org import account_rows, fails_text, skipped_text
from opsctl.report.terminal import render_terminal
from tests.org_fixtures import LEGACY, ORG_ID, PROD, STAGING, account_id, org_result
from tests.unit.report.fixtures import sample_result


def _skipped(result: Result) -> Result:
    result.organization = {**(result.organization or {}),
                           "skipped": [{"id": "444444444444", "name": "retired", "why": "state SUSPENDED: only ACTIVE "
                                        "accounts are audited"}]}
    return result


# ----- the shared rows ---------------------------------------------------------------------------
def test_account_rows_are_worst_first_not_reached_leading():
    rows = account_rows(org_result())
    assert [r.id for r in rows] == [LEGACY, PROD, STAGING]
    assert not rows[0].reached and rows[0].score_text == "-" and rows[0].status_line.startswith("NOT REACHED: sts:")
    assert rows[1].fails_text() == "1C 1H 1L" and rows[1].savings == 8.0
    assert fails_text({"critical": 2, "medium": 1}, compact=False) == "2 critical · 1 medium"
    assert account_rows(sample_result()) == []


def test_skipped_text_names_the_accounts_left_out_on_purpose():
    assert skipped_text(org_result()) == ""
    assert skipped_text(_skipped(org_result())) == ("Skipped 1 account (not audited on purpose): 444444444444 "
                                                    "(retired): state SUSPENDED: only ACTIVE accounts are audited")


# ----- terminal ----------------------------------------------------------------------------------
def test_terminal_leads_with_the_accounts_then_findings_with_their_account():
    out = render_terminal(_skipped(org_result()), color=False, width=160)
    head = out.split("Security (")[0]
    assert f"organisation {ORG_ID} · 3 accounts: 2 audited, 1 not reached" in head
    table_rows = [line for line in head.splitlines() if re.search(r"\d{12}", line) and "│" in line]
    assert [re.search(r"\d{12}", line).group() for line in table_rows] == [LEGACY, PROD, STAGING]
    assert "NOT REACHED" in table_rows[0] and "1C 1H 1L" in table_rows[1]
    assert "Skipped 1 account" in head and f"NOT REACHED {LEGACY} (legacy): sts:AssumeRole" in head
    # the unreached account's ERROR-per-check is said once, not listed
    assert "5 ERROR findings of the account not reached are not listed below" in out
    findings = out.split("Security (")[1]
    assert "Account" in findings and "prod-payments" in findings and LEGACY not in findings.split("Summary")[0]


def test_terminal_without_show_pass_and_a_one_account_result_is_unchanged():
    out = render_terminal(sample_result(), color=False, width=160)
    assert "Accounts (" not in out and "Account" not in out.split("\n", 3)[2]


def test_terminal_escapes_hostile_account_names_and_ou_paths():
    out = render_terminal(org_result(5, hostile=True), color=True, width=160)
    assert "\x1b[2J" not in out and "\x1b]0;" not in out and "\x07" not in out
    assert "\\x1b[2J" in out  # shown, escaped
    assert "[/red]" in out and "[link=http" in out  # rich markup shown as text, not applied
    assert "\x1b]8;" not in out  # no hyperlink escape emitted from a [link] in a name


# ----- Markdown ----------------------------------------------------------------------------------
def test_markdown_account_table_first_then_findings_with_an_account_column():
    out = render_markdown(_skipped(org_result()))
    assert out.index("### Accounts, worst first") < out.index("### Top findings")
    table = out.split("### Accounts, worst first")[1].split("###")[0]
    ids = re.findall(r"^\| (\d{12}) \|", table, re.M)
    assert ids == [LEGACY, PROD, STAGING]
    assert "**NOT REACHED**: sts:AssumeRole" in table and "| **all** |" in table
    assert "Skipped 1 account (not audited on purpose): 444444444444 (retired): state SUSPENDED" in table
    top = out.split("### Top findings")[1]
    assert top.splitlines()[2].startswith("| Account | Severity |")
    assert f"| prod-payments<br>{PROD} |" in top


def test_markdown_stays_under_the_limit_cutting_findings_never_accounts():
    big = org_result(40, extra_fails={account_id(5): 20_000})
    out = render_markdown(big, max_findings=None, max_bytes=200_000)
    assert len(out.encode()) <= 200_000
    table = out.split("### Accounts, worst first")[1].split("###")[0]
    assert len(re.findall(r"^\| \d{12} \|", table, re.M)) == 40  # every account, whatever the budget
    assert "Left out to stay under 200,000 bytes" in out or "not shown" in out
    shown = len(re.findall(r"^\| [^|]*<br>\d{12} \| ", out.split("### Top findings")[1], re.M))
    assert 0 < shown < 20_000


def test_markdown_escapes_hostile_names():
    out = render_markdown(org_result(5, hostile=True))
    assert "<script>" not in out and "<img" not in out and "\x1b" not in out
    assert "\\x1b" in out
    table = out.split("### Accounts, worst first")[1].split("###")[0]
    for line in (x for x in table.splitlines() if re.match(r"^\| \d{12} \|", x)):
        assert line.count(" | ") + 2 == 8, line  # pipes in names are escaped: 7 cells per row


# ----- HTML --------------------------------------------------------------------------------------
class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[dict[str, str]]] = {}
        self.options: list[str] = []
        self._table = ""
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or ""
        elif tag == "tr" and self._table:
            self.rows.setdefault(self._table, []).append(a)
        elif tag == "option" and a.get("value") is not None:
            self.options.append(a["value"])
        elif tag == "script":
            self.scripts += 1


def test_html_has_the_account_table_filter_and_column():
    html = render_html(_skipped(org_result()))
    parser = _Cells()
    parser.feed(html)
    assert [r["data-account"] for r in parser.rows["accounts"] if "data-account" in r] == [LEGACY, PROD, STAGING]
    assert {PROD, STAGING, LEGACY} <= set(parser.options)
    finding_rows = [r for r in parser.rows["findings"] if "data-status" in r]
    assert {r["data-account"] for r in finding_rows} == {PROD, STAGING, LEGACY}
    assert 'href="#account=' + LEGACY + '"' in html and "f-account" in html
    assert "Skipped 1 account" in html
    assert "data-account" not in render_html(sample_result())


def test_html_escapes_hostile_names():
    html = render_html(org_result(5, hostile=True))
    parser = _Cells()
    parser.feed(html)
    assert parser.scripts == 1  # only the report's own script
    assert "<script>window.__pwned" not in html and "<img src=x" not in html and "\x1b" not in html


# ----- CSV ---------------------------------------------------------------------------------------
def test_csv_has_the_account_column_last():
    result = org_result()
    rows = list(csv.DictReader(io.StringIO(render_csv(result))))
    assert COLUMNS[-1] == "account" and len(rows) == len(result.findings)
    assert {r["account"] for r in rows} == {PROD, STAGING, LEGACY}
    fails = {(r["account"], r["check_id"]) for r in rows if r["status"] == Status.FAIL.value}
    assert (PROD, "s3.bucket_not_public") in fails and (STAGING, "s3.bucket_not_public") not in fails
    one = list(csv.DictReader(io.StringIO(render_csv(sample_result()))))
    assert {r["account"] for r in one} == {sample_result().account}
