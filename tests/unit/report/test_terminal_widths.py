"""The terminal report at 80, 100, 120 and 160 columns (issue 13, item 1): golden files of the
report without colour, no line wider than the width, check ids never split, the finding text
keeping at least 35 % of the width, the 100-column report at most 1.5 times as long as the
160-column one, the organisation's account table within 80 columns, the width the CLI renders at
(COLUMNS, else the terminal's, else 160), and `checks list` never splitting an id.

The golden files are tests/unit/report/golden/terminal_<fixture>_<width>.txt (trailing spaces
stripped). After an intended change to the layout, regenerate them and review the diff:

    OPSCTL_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/unit/report/test_terminal_widths.py

They follow rich's rendering, so a new rich release can change them too."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsctl.engine import NOT_REACHED, Result
from opsctl.findings import PILLARS, Finding, Severity, Status
from opsctl.report.terminal import FINDING_SHARE, render_terminal, terminal_width
from tests.org_fixtures import account_id, org_result
from tests.unit.report.fixtures import finding, sample_result, topology_result

GOLDEN = Path(__file__).parent / "golden"
WIDTHS = (80, 100, 120, 160)
FIXTURES = {"topology": topology_result, "org": org_result}  # topology_result: sample_result() and tiers
LONG_ID = "cloudfront.distribution_s3_origin_access"  # the longest built-in id (40)
SENTENCE = ("the load balancer admits the whole internet on port 443 through security group sg-028a4795ed53b3171 "
            "and has no regional WAF web ACL attached while its listener still allows TLS 1.0")


def many_findings_result() -> Result:
    """63 findings over five pillars: check ids of 12-40 characters, resource names of 3-60,
    messages of one clause to a paragraph (as the sandbox demo's), one with savings."""
    ids = [LONG_ID, "route53.failover_record_health_check", "iam.root_mfa", "ec2.volume_unattached",
           "rds.instance_multi_az", "elbv2.load_balancer_multi_az", "s3.bucket_versioning"]
    words = SENTENCE.split()
    sevs, pillars = list(Severity), [p for p in PILLARS if p != "performance"]
    findings = []
    for i in range(63):
        name = ("shop-" + "x" * (i % 7) * 8 + f"-{i:02d}")[: 3 + (i * 11) % 58]
        message = " ".join(words[: 4 + (i * 7) % (len(words) - 3)]) + "."
        findings.append(finding(ids[i % len(ids)], Status.FAIL if i % 9 else Status.ERROR, sevs[i % len(sevs)],
                                pillar=pillars[i % len(pillars)], resource_id=f"arn:aws:s3:::{name}",
                                message=message, region=("us-east-1", "eu-west-1", "global")[i % 3],
                                monthly_savings_usd=12.5 if i == 5 else None))
    return Result(findings=sorted(findings, key=Finding.sort_key), coverage=[], account="123456789012",
                  regions=["us-east-1", "eu-west-1"], checks_run=sorted(set(ids)),
                  metadata={"source": "snapshot", "evaluated_at": "2026-11-25T09:00:00+00:00"})


def _shown(result: Result) -> list[Finding]:
    """The findings the table lists: not PASS, and not those of an account not reached."""
    unreached = {a["id"] for a in result.accounts or [] if a.get("status") == NOT_REACHED}
    return [f for f in result.findings if f.status is not Status.PASS and f.account not in unreached]


# ----- golden files ------------------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_report_matches_its_golden_file(name, width):
    out = "\n".join(line.rstrip() for line in render_terminal(FIXTURES[name](), color=False, width=width).splitlines())
    path = GOLDEN / f"terminal_{name}_{width}.txt"
    if os.environ.get("OPSCTL_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(out + "\n", encoding="utf-8")
    assert path.exists(), f"no {path}; OPSCTL_UPDATE_GOLDEN=1 writes it"
    assert out + "\n" == path.read_text(encoding="utf-8"), (
        f"the {width}-column report of {name} differs from {path}; if intended, regenerate (module docstring)")


# ----- what holds at every width -----------------------------------------------------------------
RESULTS = {**FIXTURES, "sample": sample_result, "many": many_findings_result,
           "hostile_org": lambda: org_result(5, hostile=True)}


@pytest.mark.parametrize("width", (60, *WIDTHS, 200))
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_no_line_is_wider_than_the_width(name, width):
    for color in (False, True):
        out = render_terminal(RESULTS[name](), color=color, width=width)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
        too_wide = [line for line in plain.splitlines() if len(line) > width]
        assert not too_wide, too_wide[:3]


@pytest.mark.parametrize("width", (60, *WIDTHS))
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_check_id_appears_unbroken_on_each_of_its_rows(name, width):
    result = RESULTS[name]()
    out = render_terminal(result, color=False, width=width)
    rows: dict[str, int] = {}
    for f in _shown(result):
        rows[f.check_id] = rows.get(f.check_id, 0) + 1
    for check_id, n in rows.items():
        found = len(re.findall(r"(?<![\w.])" + re.escape(check_id) + r"(?![\w.])", out))
        assert found >= n, f"{check_id}: {found} unbroken of {n} rows at {width} columns"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(RESULTS))
def test_the_finding_text_keeps_its_share_of_the_width(name, width):
    out = render_terminal(RESULTS[name](), color=False, width=width)
    lines = out.splitlines()
    tops = [lines[i] for i in range(1, len(lines)) if lines[i].startswith("┏")
            and re.match(r"[A-Z][a-z]+ \(\d+\)", lines[i - 1])]  # the findings tables, under "Security (3)"
    assert tops
    for top in tops:
        finding_column = len(top.rstrip("┓").split("┳")[-1])
        assert finding_column >= FINDING_SHARE * width, (top, finding_column)


def test_the_100_column_report_is_at_most_half_as_long_again_as_the_160_column_one():
    result = many_findings_result()
    lines = {w: len(render_terminal(result, color=False, width=w).splitlines()) for w in WIDTHS}
    assert lines[100] <= 1.5 * lines[160], lines
    assert lines[80] <= 2 * lines[160], lines


def test_layouts_by_width():
    """Full width: severity and status apart; below it, one stacked cell; at 80, the check id, the
    resource and the finding in one cell."""
    result = sample_result()
    head = {w: render_terminal(result, color=False, width=w).split("Security (")[1].splitlines()[2] for w in WIDTHS}
    assert "┃Severity ┃ Status ┃ Check" in head[160]
    assert "Status" not in head[100] and "Check" in head[100] and "Finding" not in head[100]
    assert "Check  resource · region" in head[80]
    out = render_terminal(result, color=False, width=100)
    assert re.search(r"│critical │ s3\.bucket_not_public +│ S3 bucket", out)
    assert re.search(r"│FAIL     │ shop-exports-ünïcødé · us-east-1 +│", out)
    assert "arn:aws:s3:::shop-exports" not in out  # the resource by name; the ARN is in JSON, CSV, HTML


def test_text_from_aws_stays_inert_at_every_width():
    for width in WIDTHS:
        out = render_terminal(org_result(5, hostile=True), color=True, width=width)
        assert "\x1b[2J" not in out and "\x1b]0;" not in out and "\x07" not in out and "\x1b]8;" not in out
        assert "\\x1b[2J" in out and "[/red]" in out
        plain = render_terminal(sample_result(), color=False, width=width)
        assert "\\x07" in plain and "\x07" not in plain and "[x](http://e.vil)" in plain and "<script>" in plain


# ----- the organisation's account table ----------------------------------------------------------
@pytest.mark.parametrize("hostile", (False, True))
def test_the_account_table_fits_80_columns(hostile):
    result = org_result(5, hostile=hostile)
    out = render_terminal(result, color=False, width=80)
    table = out.split("Accounts (")[1].split("FAIL: C critical")[0]
    assert max(len(line) for line in table.splitlines()) <= 80
    assert "OU" in table and "Name" not in table  # the name over the id and OU, in one column
    for i in range(5):
        assert account_id(i) in table
    assert "NOT REACHED" in table and (hostile or "Root/Workloads/Production" in table)
    assert re.search(r"│total +│4/5 audited │", table)


def test_the_account_table_keeps_its_columns_where_they_fit():
    table = render_terminal(org_result(), color=False, width=100).split("Accounts (")[1].split("FAIL: C")[0]
    assert re.search(r"┃Account +┃Name +┃OU +┃Status", table)


# ----- the width the CLI renders at ----------------------------------------------------------------
class _Tty:
    def __init__(self, fd: int):
        self.fd = fd

    def isatty(self):
        return True

    def fileno(self):
        return self.fd


def test_terminal_width_columns_then_the_terminal_then_160(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width(None) == 160
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((93, 40)))
    assert terminal_width(_Tty(1)) == 93
    monkeypatch.setenv("COLUMNS", "80")
    assert terminal_width(_Tty(1)) == 80 and terminal_width(None) == 80
    monkeypatch.setenv("COLUMNS", "20")
    assert terminal_width(None) == 60  # clamped
    monkeypatch.setenv("COLUMNS", "999")
    assert terminal_width(None) == 200
    monkeypatch.setenv("COLUMNS", "wide")
    assert terminal_width(None) == 160


def test_report_render_uses_columns(tmp_path, monkeypatch):
    from opsctl.cli import cli
    from opsctl.report import render

    path = tmp_path / "result.json"
    path.write_text(render(many_findings_result(), "json"), encoding="utf-8")
    out = CliRunner().invoke(cli, ["report", "render", str(path)], env={"COLUMNS": "80"}).output
    assert max(len(line) for line in out.splitlines()) == 80 and "Check  resource · region" in out
    out = CliRunner().invoke(cli, ["report", "render", str(path)], env={"COLUMNS": None}).output
    assert max(len(line) for line in out.splitlines()) == 160


def test_audit_uses_columns(tmp_path):
    from opsctl.cli import cli
    from opsctl.snapshot import CoverageGap, save_snapshot
    from tests.helpers import snapshot

    path = tmp_path / "snap.json"
    save_snapshot(snapshot({}, coverage=[CoverageGap("s3", "global", "ListBuckets", "AccessDenied", "denied",
                                                     "s3.bucket", "")]), path)
    for columns, width in (("80", 80), ("100", 100), (None, 160)):
        res = CliRunner().invoke(cli, ["audit", "--snapshot", str(path)], env={"COLUMNS": columns})
        assert res.exit_code == 0, res.output
        assert max(len(line) for line in res.output.splitlines()) == width


# ----- checks list --------------------------------------------------------------------------------
@pytest.mark.parametrize("width", WIDTHS)
def test_checks_list_never_splits_an_id(width):
    from opsctl.cli import cli
    from opsctl.registry import load_builtin_checks

    out = CliRunner().invoke(cli, ["checks", "list"], env={"COLUMNS": str(width)}).output
    assert max(len(line) for line in out.splitlines()) <= width
    for check_id in load_builtin_checks():
        assert re.search(r"│" + re.escape(check_id) + r" +│", out), check_id
    assert LONG_ID in out
