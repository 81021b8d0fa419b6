"""FinOps in the loop from the command line: `audit --fail-on-savings` with and without a baseline,
`--group-savings-by` on `audit` and `report render`, the diff's money in `report diff` (and its
--fail-on-savings), and an audit whose selection evaluated nothing."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.snapshot import save_snapshot
from tests.helpers import ACCOUNT, snapshot

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "opsctl" / "schemas" / "result.schema.json").read_text())
EAST, WEST = "us-east-1", "eu-west-1"
COST = ["--select", "ec2.eip_unassociated", "--select", "ec2.volume_unattached"]


def eip(i: int, region: str, tags: dict) -> dict:
    return {"allocation_id": f"eipalloc-{i}", "public_ip": f"203.0.113.{i}", "name": f"spare{i}",
            "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:elastic-ip/eipalloc-{i}", "region": region, "domain": "vpc",
            "association_id": None, "instance_id": None, "network_interface_id": None, "tags": tags}


def volume(i: int, region: str, tags: dict, size: int = 100) -> dict:
    return {"id": f"vol-{i}", "name": f"data{i}", "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:volume/vol-{i}",
            "region": region, "encrypted": True, "attachments": [], "state": "available", "size_gb": size,
            "volume_type": "gp3", "iops": 3000, "throughput": 125, "tags": tags}


def write(path: Path, addresses: list[dict], volumes: list[dict]) -> Path:
    save_snapshot(snapshot({"ec2.address": addresses, "ec2.volume": volumes}, regions=(EAST, WEST)), path)
    return path


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def snaps(tmp_path):
    """Yesterday: two idle Elastic IPs ($3.65 a month each). Today: the same, plus two unattached
    gp3 volumes of 100 GiB ($8.00 in us-east-1, owner team-a; $8.80 in eu-west-1, untagged)."""
    addresses = [eip(1, EAST, {"Owner": "team-a"}), eip(2, WEST, {"owner": "team-b"})]
    old = write(tmp_path / "old-snap.json", addresses, [])
    new = write(tmp_path / "new-snap.json", addresses, [volume(1, EAST, {"owner": "team-a"}), volume(2, WEST, {})])
    return old, new


@pytest.fixture
def baseline(runner, snaps, tmp_path):
    out = tmp_path / "old.json"
    res = runner.invoke(cli, ["audit", "--snapshot", str(snaps[0]), *COST, "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_result_carries_tags_on_priced_findings_and_matches_the_schema(runner, snaps, tmp_path):
    out = tmp_path / "r.json"
    res = runner.invoke(cli, ["audit", "--snapshot", str(snaps[1]), *COST, "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    tags = {f["resource_id"].rsplit("/", 1)[-1]: f["evidence"].get("tags") for f in data["findings"]}
    assert tags == {"eipalloc-1": {"Owner": "team-a"}, "eipalloc-2": {"owner": "team-b"},
                    "vol-1": {"owner": "team-a"}, "vol-2": None}
    assert data["summary"]["savings"]["total_monthly_usd"] == 24.1


def test_fail_on_savings_without_baseline_weighs_the_total(runner, snaps):
    args = ["audit", "--snapshot", str(snaps[1]), *COST]  # low and medium FAILs: under --fail-on high
    assert runner.invoke(cli, [*args, "--fail-on-savings", "24.1"]).exit_code == 0
    res = runner.invoke(cli, [*args, "--fail-on-savings", "20"])
    assert res.exit_code == 1
    assert "opsctl: --fail-on-savings 20: potential savings total $24.10/month, above $20.00 (exit 1)" in res.output


def test_fail_on_savings_with_baseline_weighs_only_the_new_waste(runner, snaps, baseline):
    args = ["audit", "--snapshot", str(snaps[1]), *COST, "--baseline", str(baseline)]
    ok = runner.invoke(cli, [*args, "--fail-on-savings", "20"])  # $24.10 in all, $16.80 of it new
    assert ok.exit_code == 0, ok.output
    res = runner.invoke(cli, [*args, "--fail-on-savings", "16"])
    assert res.exit_code == 1
    assert f"new waste since {baseline} is $16.80/month, above $16.00 (exit 1)" in res.output


def test_fail_on_savings_with_strict_gaps_is_1(runner, tmp_path):
    snap = snapshot({"ec2.address": [eip(1, EAST, {})]}, regions=(EAST,), collected={"ec2.address": [EAST]})
    save_snapshot(snap, tmp_path / "s.json")
    args = ["audit", "--snapshot", str(tmp_path / "s.json"), "--select", "ec2.eip_unassociated", "--select", "s3.*", "--strict"]
    assert runner.invoke(cli, args).exit_code == 3  # s3 was not collected: ERROR
    assert runner.invoke(cli, [*args, "--fail-on-savings", "1"]).exit_code == 1  # 1 wins over 3


def test_fail_on_savings_from_the_config_file_and_the_flag_wins(runner, snaps, tmp_path):
    cfg = tmp_path / "opsctl.yaml"
    cfg.write_text("fail_on_savings: 10\n")
    args = ["audit", "--config", str(cfg), "--snapshot", str(snaps[1]), *COST]
    assert runner.invoke(cli, args).exit_code == 1
    assert runner.invoke(cli, [*args, "--fail-on-savings", "100"]).exit_code == 0


@pytest.mark.parametrize("value", ["-1", "lots"])
def test_fail_on_savings_must_be_a_non_negative_number(runner, snaps, value):
    res = runner.invoke(cli, ["audit", "--snapshot", str(snaps[1]), "--fail-on-savings", value])
    assert res.exit_code == 2 and "--fail-on-savings" in res.output and "Traceback" not in res.output


def test_group_savings_by_region_and_owner_in_the_table(runner, snaps):
    res = runner.invoke(cli, ["audit", "--snapshot", str(snaps[1]), *COST, "--group-savings-by", "region",
                              "--group-savings-by", "tag:owner"], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    out = res.output
    assert out.index("Potential savings: $24.10 per month") < out.index("Savings by region") < out.index("Savings by tag owner")
    region = out[out.index("Savings by region"):out.index("Savings by tag owner")]
    assert "us-east-1" in region and "11.65" in region and "eu-west-1" in region and "12.45" in region
    owner = out[out.index("Savings by tag owner"):]
    assert "team-a" in owner and "11.65" in owner and "(untagged)" in owner and "8.80" in owner


def test_group_savings_by_in_the_report_dir_markdown_and_html(runner, snaps, tmp_path):
    res = runner.invoke(cli, ["audit", "--snapshot", str(snaps[1]), *COST, "--group-savings-by", "region,tag:owner",
                              "--report-dir", str(tmp_path / "reports")])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "reports" / "opsctl-report.md").read_text()
    assert "#### Savings by tag owner" in md and "| team-a | 2 | $11.65 |" in md and "| (untagged) | 1 | $8.80 |" in md
    html = (tmp_path / "reports" / "opsctl-report.html").read_text()
    assert 'data-group="region"' in html and 'data-group="tag:owner"' in html


def test_group_savings_by_rejects_a_bad_value(runner, snaps):
    res = runner.invoke(cli, ["audit", "--snapshot", str(snaps[1]), "--group-savings-by", "owner"])
    assert res.exit_code == 2 and "give region or tag:KEY" in res.output


def test_report_render_group_savings_by(runner, snaps, tmp_path):
    out = tmp_path / "r.json"
    runner.invoke(cli, ["audit", "--snapshot", str(snaps[1]), *COST, "--format", "json", "-o", str(out)])
    res = runner.invoke(cli, ["report", "render", str(out), "--format", "markdown", "--group-savings-by", "tag:owner"])
    assert res.exit_code == 0, res.output
    assert "| team-b | 1 | $3.65 |" in res.output
    bad = runner.invoke(cli, ["report", "render", str(out), "--group-savings-by", "tag:"])
    assert bad.exit_code == 2


def test_report_diff_shows_the_money_and_fails_on_new_waste(runner, snaps, baseline, tmp_path):
    now = tmp_path / "new.json"
    runner.invoke(cli, ["audit", "--snapshot", str(snaps[1]), *COST, "--format", "json", "-o", str(now)])
    table = runner.invoke(cli, ["report", "diff", str(baseline), str(now)])
    assert table.exit_code == 0, table.output
    assert "Potential savings (USD / month)" in table.output and "New waste $16.80/month, resolved $0.00/month." in table.output
    md = runner.invoke(cli, ["report", "diff", str(baseline), str(now), "--format", "markdown"]).output
    assert "| **total** | **$7.30** | **$24.10** | **+$16.80** |" in md
    data = json.loads(runner.invoke(cli, ["report", "diff", str(baseline), str(now), "--format", "json"]).output)
    assert data["savings"]["new_waste_monthly_usd"] == 16.8
    assert data["savings"]["by_check"] == {"ec2.volume_unattached": {"old": 0.0, "new": 16.8, "delta": 16.8}}
    assert runner.invoke(cli, ["report", "diff", str(baseline), str(now), "--fail-on-savings", "20"]).exit_code == 0
    res = runner.invoke(cli, ["report", "diff", str(baseline), str(now), "--fail-on-savings", "10"])
    assert res.exit_code == 1 and "new waste since" in res.output and "$16.80/month, above $10.00" in res.output


def test_audit_with_baseline_writes_the_money_in_the_diff_files(runner, snaps, baseline, tmp_path):
    res = runner.invoke(cli, ["audit", "--snapshot", str(snaps[1]), *COST, "--baseline", str(baseline),
                              "--report-dir", str(tmp_path / "reports")])
    assert res.exit_code == 0, res.output
    diff = json.loads((tmp_path / "reports" / "opsctl-diff.json").read_text())
    assert diff["savings"]["total"] == {"old": 7.3, "new": 24.1, "delta": 16.8}
    assert "**New waste:** $16.80 / month" in (tmp_path / "reports" / "opsctl-diff.md").read_text()


def test_a_selection_that_evaluated_nothing_says_so(runner, snaps, tmp_path):
    res = runner.invoke(cli, ["audit", "--snapshot", str(snaps[0]), "--select", "rds.*"])
    assert res.exit_code == 0, res.output
    assert "Nothing was evaluated: the" in res.output and "selected checks found no resources to check." in res.output
    assert "every evaluated check passed" not in res.output
    md = runner.invoke(cli, ["audit", "--snapshot", str(snaps[0]), "--select", "rds.*", "--format", "markdown"]).output
    assert "Nothing was evaluated" in md and "No FAIL findings" not in md
