"""The money of a diff (issue 13, item 7): potential savings before and now, in total and per
check, the new waste and the resolved money, in every format of `report diff`; --fail-on-savings
against a baseline; the config's `fail_on_savings`."""

from __future__ import annotations

import json
import re

import pytest

from opsctl.audit import savings_breach
from opsctl.config import parse_config
from opsctl.diff import compare_savings, diff_results
from opsctl.engine import Result
from opsctl.errors import UsageError
from opsctl.findings import Status
from opsctl.registry import load_builtin_checks
from opsctl.report.diff_report import render_diff
from tests.helpers import ACCOUNT
from tests.unit.report.test_savings_money import EAST, WEST, priced, result


# ----- the diff's money ---------------------------------------------------------------------------
def _old_new():
    old = result(priced("ec2.volume_unattached", "volume/vol-1", 10.0),   # fixed since: resolved $10
                 priced("ec2.volume_unattached", "volume/vol-2", 20.0),   # still failing
                 priced("ec2.eip_unassociated", "elastic-ip/eip-1", 3.65))  # gone: resolved $3.65
    new = result(priced("ec2.volume_unattached", "volume/vol-1", 10.0, Status.PASS),
                 priced("ec2.volume_unattached", "volume/vol-2", 20.0),
                 priced("ec2.volume_unattached", "volume/vol-3", 40.0),   # new waste
                 priced("ec2.volume_gp2", "volume/vol-3", 8.0),           # the same volume: counted once
                 priced("ec2.eip_unassociated", "elastic-ip/eip-2", 3.65, region=WEST),  # new waste
                 checks=("ec2.volume_unattached", "ec2.eip_unassociated", "ec2.volume_gp2"))
    return old.to_dict(), new.to_dict()


def test_diff_money_totals_per_check_new_waste_and_resolved():
    m = diff_results(*_old_new())["savings"]
    assert m["currency"] == "USD"
    assert m["total"] == {"old": 33.65, "new": 63.65, "delta": 30.0}
    assert m["new_waste_monthly_usd"] == 43.65  # 40 + 3.65; the gp2 figure for vol-3 is an alternative
    assert m["resolved_monthly_usd"] == 13.65  # vol-1 passes now, eip-1 is gone
    # only the checks whose figure changed, largest change first; the eip total did not change
    assert m["by_check"] == {"ec2.volume_unattached": {"old": 30.0, "new": 60.0, "delta": 30.0}}


def test_diff_entries_carry_their_figure_resolved_ones_the_figure_they_had():
    d = diff_results(*_old_new())
    resolved = {e["resource_id"].rsplit(":", 1)[-1]: e["monthly_savings_usd"] for e in d["findings"]["resolved"]}
    assert resolved == {"volume/vol-1": 10.0, "elastic-ip/eip-1": 3.65}
    assert {e["monthly_savings_usd"] for e in d["findings"]["new"]} == {40.0, 8.0, 3.65}


def test_diff_money_without_any_figure_is_all_zero_and_not_shown():
    old = {"schema_version": 1, "account": ACCOUNT, "regions": [EAST], "checks_run": ["a.x"], "findings": []}
    d = diff_results(old, old)
    assert d["savings"] == {"currency": "USD", "total": {"old": 0.0, "new": 0.0, "delta": 0.0}, "by_check": {},
                            "new_waste_monthly_usd": 0.0, "resolved_monthly_usd": 0.0}
    for fmt in ("table", "markdown"):
        assert "Potential savings" not in render_diff(d, fmt)


def test_diff_money_falls_in_every_format():
    d = diff_results(*_old_new())
    text = render_diff(d, "table", width=120)
    assert "Potential savings (USD / month)" in text
    assert re.search(r"total\s+│\s+\$33\.65\s+│\s+\$63\.65\s+│\s+\+\$30\.00", text)
    assert "New waste $43.65/month, resolved $13.65/month." in text
    md = render_diff(d, "markdown")
    assert "| **total** | **$33.65** | **$63.65** | **+$30.00** |" in md
    assert "| `ec2.volume_unattached` | $30.00 | $60.00 | +$30.00 |" in md
    assert "**New waste:** $43.65 / month" in md and "**resolved:** $13.65 / month" in md
    data = json.loads(render_diff(d, "json"))
    assert data["savings"]["new_waste_monthly_usd"] == 43.65 and data["savings"]["total"]["delta"] == 30.0


def test_savings_going_down_shows_a_negative_change():
    old, new = _old_new()
    m = compare_savings(new, old)
    assert m["total"]["delta"] == -30.0
    assert "-$30.00" in render_diff({**diff_results(new, old)}, "markdown")


def test_fail_on_savings_with_baseline_weighs_the_new_waste_only():
    old, new = _old_new()
    diff = diff_results(old, new)
    r = Result.from_dict(new)
    assert savings_breach(r, 50.0, diff) is None  # $63.65 in total, but only $43.65 is new
    line = savings_breach(r, 40.0, {**diff, "old": {**diff["old"], "file": "yesterday.json"}})
    assert line == "--fail-on-savings 40: new waste since yesterday.json is $43.65/month, above $40.00 (exit 1)"


def test_config_fail_on_savings():
    cfg = parse_config("fail_on_savings: 250\n", "opsctl.yaml", load_builtin_checks())
    assert cfg.fail_on_savings == 250.0
    assert parse_config("fail_on_savings: 0\n", "c.yaml", {}).fail_on_savings == 0.0
    for bad in ("-1", "lots", "true", "[1]", ".inf"):
        with pytest.raises(UsageError, match=r"c.yaml:1: fail_on_savings"):
            parse_config(f"fail_on_savings: {bad}\n", "c.yaml", {})
