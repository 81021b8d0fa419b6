"""FinOps in the loop (issue 13, item 7): --fail-on-savings without a baseline, the savings by
region and by tag in the terminal, Markdown and HTML, tags carried on priced findings, and an
audit whose selection evaluated nothing saying so. The diff's money: tests/unit/test_diff_money.py."""

from __future__ import annotations

import re

import pytest

from opsctl.audit import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, exit_code, savings_breach, with_savings
from opsctl.engine import Result, run_check
from opsctl.findings import Finding, Severity, Status
from opsctl.pricing import load_price_table
from opsctl.registry import load_builtin_checks
from opsctl.report.html import render_html
from opsctl.report.markdown import render_markdown
from opsctl.report.savings import (
    UNTAGGED,
    Group,
    as_groups,
    breakdowns,
    capped,
    parse_group,
    parse_groups,
    savings_by,
    tag_value,
)
from opsctl.report.terminal import render_terminal
from tests.helpers import ACCOUNT, snapshot
from tests.unit.report.fixtures import finding

EAST, WEST = "us-east-1", "eu-west-1"


def priced(check: str, rid: str, usd: float | None, status: Status = Status.FAIL, region: str = EAST,
           tags: dict | None = None, **kw) -> Finding:
    evidence = {"tags": tags} if tags else {}
    return finding(check, status, Severity.LOW, pillar="cost", resource_id=f"arn:aws:ec2:{region}:{ACCOUNT}:{rid}",
                   resource_type="ec2.volume", region=region, monthly_savings_usd=usd, evidence=evidence, **kw)


def result(*findings: Finding, checks: tuple[str, ...] = ("ec2.volume_unattached", "ec2.eip_unassociated")) -> Result:
    return Result(findings=sorted(findings, key=Finding.sort_key), coverage=[], account=ACCOUNT, regions=[EAST, WEST],
                  checks_run=list(checks), metadata={"evaluated_at": "2026-11-25T09:00:00+00:00"})


# ----- --fail-on-savings -------------------------------------------------------------------------
def test_fail_on_savings_without_baseline_weighs_the_total():
    r = result(priced("ec2.volume_unattached", "volume/vol-1", 60.0), priced("ec2.volume_unattached", "volume/vol-2", 50.0))
    assert savings_breach(r, None) is None
    assert savings_breach(r, 110.0) is None  # not above
    line = savings_breach(r, 100.0)
    assert line == "--fail-on-savings 100: potential savings total $110.00/month, above $100.00 (exit 1)"
    assert with_savings(EXIT_OK, line) == EXIT_FINDINGS


def test_savings_breach_wins_over_incomplete_and_clean_like_findings_do():
    assert with_savings(EXIT_INCOMPLETE, "over") == EXIT_FINDINGS
    assert with_savings(EXIT_INCOMPLETE, None) == EXIT_INCOMPLETE
    assert with_savings(EXIT_FINDINGS, None) == EXIT_FINDINGS
    r = result(priced("ec2.volume_unattached", "volume/vol-1", 5.0))
    assert exit_code(r, "none", False) == EXIT_OK  # --fail-on none: only money can fail the run now
    assert with_savings(exit_code(r, "none", False), savings_breach(r, 1.0)) == EXIT_FINDINGS


def test_waived_findings_carry_no_money_that_counts():
    r = result(priced("ec2.volume_unattached", "volume/vol-1", 500.0, Status.WAIVED))
    assert savings_breach(r, 0.0) is None


# ----- savings by region and by tag -----------------------------------------------------------------
def _tagged():
    return result(
        priced("ec2.volume_unattached", "volume/vol-1", 40.0, tags={"Owner": "team-a"}),
        priced("ec2.volume_gp2", "volume/vol-1", 8.0, tags={"Owner": "team-a"}),  # alternative: not added
        priced("ec2.volume_unattached", "volume/vol-2", 20.0, region=WEST, tags={"owner": "team-b"}),
        priced("ec2.eip_unassociated", "elastic-ip/eip-1", 3.65),                   # untagged
        priced("ec2.eip_unassociated", "elastic-ip/eip-2", 3.65, region=WEST, tags={"env": "prod"}),
        priced("ec2.eip_unassociated", "elastic-ip/eip-3", 99.0, Status.PASS, tags={"Owner": "team-z"}),
        checks=("ec2.volume_unattached", "ec2.volume_gp2", "ec2.eip_unassociated"))


def test_parse_groups():
    assert parse_group("region") == Group("region")
    assert parse_group("tag:owner") == Group("tag", "owner")
    assert parse_group("tag:aws:cloudformation:stack-name").key == "aws:cloudformation:stack-name"
    assert parse_groups(["region,tag:owner", "region"]) == (Group("region"), Group("tag", "owner"))
    for bad in ("tag:", "owner", "regions", "tag"):
        with pytest.raises(ValueError, match="give region or tag:KEY"):
            parse_group(bad)
    assert as_groups("tag:owner") == (Group("tag", "owner"),) and as_groups(None) == ()


def test_tag_value_exact_then_case_insensitive_when_unambiguous():
    assert tag_value({"Owner": "a", "owner": "b"}, "owner") == "b"
    assert tag_value({"Owner": "a"}, "owner") == "a"
    assert tag_value({"OWNER": "a", "Owner": "b"}, "owner") is None  # ambiguous
    assert tag_value(None, "owner") is None


def test_savings_by_region_and_tag_sum_to_the_total():
    r = _tagged()
    total = r.savings()["total_monthly_usd"]
    assert total == 67.3
    regions = savings_by(r.findings, Group("region"))
    assert [(x.label, x.usd, x.resources) for x in regions] == [(EAST, 43.65, 2), (WEST, 23.65, 2)]
    owners = savings_by(r.findings, Group("tag", "owner"))
    assert [(x.label, x.usd, x.resources) for x in owners] == [("team-a", 40.0, 1), ("team-b", 20.0, 1),
                                                               (UNTAGGED, 7.3, 2)]
    assert round(sum(x.usd for x in owners), 2) == round(sum(x.usd for x in regions), 2) == total


def test_capped_sums_the_rest_in_one_row():
    rows = savings_by([priced("ec2.volume_unattached", f"volume/vol-{i}", float(i), tags={"owner": f"o{i}"})
                       for i in range(1, 31)], Group("tag", "owner"))
    cut = capped(rows, 5)
    assert len(cut) == 5 and cut[-1].rest and cut[-1].label == "26 more"
    assert round(sum(r.usd for r in cut), 2) == round(sum(r.usd for r in rows), 2)


def test_terminal_breakdown_tables_after_the_savings_table():
    out = render_terminal(_tagged(), color=False, width=120, group_savings_by=("region", "tag:owner"))
    assert out.index("Potential savings") < out.index("Savings by region") < out.index("Savings by tag owner")
    assert re.search(r"team-a\s+│\s+1\s+│\s+40\.00", out) and re.search(r"\(untagged\)\s+│\s+2\s+│\s+7\.30", out)
    assert "Savings by" not in render_terminal(_tagged(), color=False, width=120)


def test_markdown_breakdown_after_savings_by_check():
    out = render_markdown(_tagged(), group_savings_by=parse_groups(["region", "tag:owner"]))
    assert out.index("### Potential savings") < out.index("#### Savings by region") < out.index("#### Savings by tag owner")
    assert "| owner | Resources | USD / month |" in out
    assert "| team-a | 1 | $40.00 |" in out and "| (untagged) | 2 | $7.30 |" in out
    assert f"| {WEST} | 2 | $23.65 |" in out


def test_markdown_breakdown_left_out_when_over_budget_says_so():
    many = result(*[priced("ec2.volume_unattached", f"volume/vol-{i}", 1.0, tags={"owner": "x" * 100 + str(i)})
                    for i in range(24)])
    out = render_markdown(many, group_savings_by=("tag:owner",), max_bytes=6_000)
    assert "#### Savings by tag owner" not in out and "the savings by tag owner" in out


def test_html_breakdown_in_the_savings_section_escaped():
    r = result(priced("ec2.volume_unattached", "volume/vol-1", 40.0, tags={"owner": "<b>team</b>"}))
    page = render_html(r, group_savings_by=("tag:owner", "region"))
    savings = page[page.index("<h2>Potential savings"):page.index("</table>", page.index('data-group="region"'))]
    assert '<table class="small savings-group" data-group="tag:owner">' in savings
    assert "<td>&lt;b&gt;team&lt;/b&gt;</td><td class=\"num\">1</td><td class=\"num\">$40.00</td>" in savings
    assert "<h3>Savings by region</h3>" in savings
    assert "savings-group" not in render_html(r)


def test_no_breakdown_without_priced_findings():
    r = result(finding("s3.bucket_not_public", Status.FAIL))
    assert breakdowns(r, ("region",)) == []


# ----- tags on priced findings (engine) ---------------------------------------------------------------
def test_priced_findings_carry_the_resources_tags_others_do_not():
    spec = load_builtin_checks()["ec2.eip_unassociated"]
    addresses = [{"allocation_id": f"eipalloc-{i}", "public_ip": f"203.0.113.{i}", "name": "",
                  "arn": f"arn:aws:ec2:{EAST}:{ACCOUNT}:elastic-ip/eipalloc-{i}", "region": EAST, "domain": "vpc",
                  "association_id": assoc, "instance_id": None, "network_interface_id": None, "tags": tags}
                 for i, (assoc, tags) in enumerate([(None, {"owner": "team-a"}), (None, {}), ("eipassoc-1", {"owner": "x"})])]
    findings = run_check(spec, snapshot({"ec2.address": addresses}), prices=load_price_table())
    by_id = {f.resource_id.rsplit("/", 1)[-1]: f for f in findings}
    assert by_id["eipalloc-0"].evidence["tags"] == {"owner": "team-a"}
    assert "tags" not in by_id["eipalloc-1"].evidence  # untagged
    assert by_id["eipalloc-2"].status is Status.PASS and "tags" not in by_id["eipalloc-2"].evidence


def test_a_finding_naming_another_resource_takes_that_resources_tags():
    from opsctl.engine import _resource_tags
    from opsctl.registry import Outcome

    instance = {"arn": f"arn:aws:ec2:{EAST}:{ACCOUNT}:instance/i-0abc", "region": EAST, "tags": {"owner": "team-c"}}
    snap = snapshot({"ec2.instance": [instance]})
    ta = {"arn": "arn:aws:trustedadvisor::check/xyz", "region": "global", "tags": {}}
    assert _resource_tags(Outcome(Status.FAIL, "m", resource_id=instance["arn"]), ta, snap) == {"owner": "team-c"}
    assert _resource_tags(Outcome(Status.FAIL, "m", resource_id="arn:aws:ec2:x:y:instance/i-gone"), ta, snap) is None
    assert _resource_tags(Outcome(Status.FAIL, "m"), instance, snap) == {"owner": "team-c"}


# ----- nothing evaluated -------------------------------------------------------------------------------
def test_nothing_evaluated_is_said_not_every_check_passed():
    empty = result(checks=("ec2.volume_unattached", "ec2.eip_unassociated", "ec2.volume_gp2"))
    out = render_terminal(empty, color=False)
    assert "Nothing was evaluated: the 3 selected checks found no resources to check." in out
    assert "every evaluated check passed" not in out
    md = render_markdown(empty)
    assert "Nothing was evaluated: the 3 selected checks found no resources to check." in md
    assert "No FAIL findings" not in md
    one = render_terminal(result(checks=("ec2.volume_gp2",)), color=False)
    assert "Nothing was evaluated: the selected check found no resources to check." in one


def test_only_passing_findings_still_say_every_check_passed():
    r = result(priced("ec2.volume_unattached", "volume/vol-1", None, Status.PASS))
    assert "No findings to show (every evaluated check passed)." in render_terminal(r, color=False)
    assert "No FAIL findings." in render_markdown(r)
