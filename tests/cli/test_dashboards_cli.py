"""`opsctl dashboards …` as a user meets it: render offline, plan/apply/prune/list on moto."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.snapshot import save_snapshot
from tests.unit.dashboards.fixtures import shop_snapshot

DASHBOARDS = ["opsctl-compute", "opsctl-data", "opsctl-dns", "opsctl-edge", "opsctl-load-balancing", "opsctl-overview"]
HANDMADE = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 2, "properties": {"markdown": "mine"}}]})


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def snap_file(tmp_path):
    path = tmp_path / "snap.json"
    save_snapshot(shop_snapshot(), path)
    return str(path)


def run(runner, *args, input=None):
    return runner.invoke(cli, ["dashboards", *args], input=input, catch_exceptions=False)


def test_render_offline_to_a_folder(runner, snap_file, tmp_path):
    out = tmp_path / "out"
    result = run(runner, "render", "--snapshot", snap_file, "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in out.glob("*.json")) == DASHBOARDS
    assert json.loads((out / "opsctl-edge.json").read_text())["widgets"][0]["type"] == "text"


def test_render_says_dash_o_is_a_file_and_names_output_dir(runner, snap_file, tmp_path):
    out = tmp_path / "out"
    for args in (["-o", str(out)], [f"-o{out}"]):
        result = run(runner, "render", "--snapshot", snap_file, *args)
        assert result.exit_code == 2
        assert result.output.count("\n") == 1, result.output
        assert "-o: render writes a folder, use --output-dir DIR (-o is always a FILE)" in result.output
    assert not out.exists()


def test_render_to_stdout_is_one_json_object(runner, snap_file):
    result = run(runner, "render", "--snapshot", snap_file)
    assert result.exit_code == 0
    assert sorted(json.loads(result.stdout)) == DASHBOARDS


def test_render_refuses_an_invalid_template_and_writes_nothing(runner, snap_file, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "wide.json.j2").write_text('{"widgets": [{"type": "text", "x": 0, "y": 0, "width": 30, "height": 2, '
                                       '"properties": {"markdown": "## Wide note"}}]}')
    config = tmp_path / "opsctl.yaml"
    config.write_text("dashboards:\n  templates_dir: mine\n")
    out = tmp_path / "out"
    result = run(runner, "render", "--snapshot", snap_file, "--config", str(config), "--output-dir", str(out))
    assert result.exit_code == 2
    assert "dashboard opsctl-wide, widget 2 ('Wide note'): width=30 is not 1-24" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_plan_apply_plan_on_a_fresh_account(runner, moto_aws, snap_file):
    import boto3

    cw = boto3.client("cloudwatch", region_name="us-east-1")
    cw.put_dashboard(DashboardName="team-ops", DashboardBody=HANDMADE)
    result = run(runner, "plan", "--snapshot", snap_file, "--region", "us-east-1", "--detailed-exitcode")
    assert result.exit_code == 1, result.output
    assert "+ opsctl-overview" in result.output and "Plan: 6 to create" in result.output
    assert "Left alone: 1 dashboard(s) opsctl does not own (team-ops)." in result.output

    result = run(runner, "apply", "--snapshot", snap_file, "--region", "us-east-1", "--yes")
    assert result.exit_code == 0, result.output
    assert "  created opsctl-data" in result.output and "Applied: 6 dashboard(s) written in us-east-1." in result.output

    result = run(runner, "plan", "--snapshot", snap_file, "--region", "us-east-1", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "No changes" in result.output

    result = run(runner, "apply", "--snapshot", snap_file, "--region", "us-east-1", "--yes")
    assert result.exit_code == 0 and "Nothing to apply." in result.output
    assert cw.get_dashboard(DashboardName="team-ops")["DashboardBody"] == HANDMADE

    result = run(runner, "list", "--region", "us-east-1")
    assert result.exit_code == 0
    assert "7 dashboard(s) in us-east-1: 6 owned by opsctl, 1 not." in result.output
    assert "no: name lacks the prefix 'opsctl-'" in result.output


def test_plan_json(runner, moto_aws, snap_file):
    result = run(runner, "plan", "--snapshot", snap_file, "--region", "us-east-1", "--format", "json")
    data = json.loads(result.output)
    assert data["counts"]["create"] == 6 and data["has_changes"] and data["region"] == "us-east-1"


def test_format_text_still_works_says_table_once(runner, moto_aws, snap_file):
    table = run(runner, "plan", "--snapshot", snap_file, "--region", "us-east-1")
    result = run(runner, "plan", "--snapshot", snap_file, "--region", "us-east-1", "--format", "text")
    assert result.exit_code == 0, result.output
    assert result.stdout == table.stdout and "Plan: 6 to create" in result.stdout
    assert result.stderr == "opsctl: --format text is deprecated and will be removed; use --format table (the same output)\n"
    result = run(runner, "list", "--region", "us-east-1", "--format", "text")
    assert result.exit_code == 0 and "No dashboards in us-east-1." in result.stdout
    assert "use --format table" in result.stderr


def test_format_help_says_table_and_json(runner):
    for command in ("plan", "apply", "list"):
        helptext = run(runner, command, "--help").stdout
        assert "--format [table|json]" in helptext and "[default: table]" in helptext, command
    helptext = run(runner, "render", "--help").stdout
    assert "--output-dir DIR" in helptext and "-o," not in helptext


def test_list_reads_one_region_and_says_so(runner, moto_aws):
    helptext = run(runner, "list", "--help").stdout
    options = helptext[helptext.index("Options:"):]
    assert "audit" not in options.lower() and "--all-regions" not in options and "--workers" not in options
    assert "The dashboards region to list" in helptext
    result = run(runner, "list", "--all-regions")
    assert result.exit_code == 2 and "dashboards list reads one region, the dashboards region; drop --all-regions" in result.output


def test_apply_asks_and_a_no_writes_nothing(runner, moto_aws, snap_file, monkeypatch):
    import boto3

    from opsctl.commands import dashboards as cmd

    monkeypatch.setattr(cmd, "_interactive", lambda: True)
    result = run(runner, "apply", "--snapshot", snap_file, "--region", "us-east-1", input="n\n")
    assert result.exit_code == 2 and "apply declined; nothing was written" in result.output
    assert boto3.client("cloudwatch", region_name="us-east-1").list_dashboards()["DashboardEntries"] == []
    result = run(runner, "apply", "--snapshot", snap_file, "--region", "us-east-1", input="y\n")
    assert result.exit_code == 0 and "Applied: 6" in result.output


def test_apply_and_prune_without_a_terminal_need_yes(runner, moto_aws, snap_file):
    for command in ("apply", "prune"):
        result = run(runner, command, "--snapshot", snap_file, "--region", "us-east-1")
        assert result.exit_code == 2
        assert "pass --yes" in result.output


def test_prune_deletes_owned_leftovers_only(runner, moto_aws, snap_file, tmp_path):
    import boto3

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "checkout.json.j2").write_text('{"widgets": [{"type": "text", "width": 24, "height": 2, "properties": {"markdown": "c"}}]}')
    config = tmp_path / "opsctl.yaml"
    config.write_text("dashboards:\n  templates_dir: mine\n")
    assert run(runner, "apply", "--snapshot", snap_file, "--config", str(config), "--region", "us-east-1", "--yes").exit_code == 0
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    cw.put_dashboard(DashboardName="opsctl-notes", DashboardBody=HANDMADE)

    result = run(runner, "plan", "--snapshot", snap_file, "--region", "us-east-1")
    assert "- opsctl-checkout" in result.output and "prune` deletes it" in result.output
    result = run(runner, "prune", "--snapshot", snap_file, "--region", "us-east-1", "--yes")
    assert result.exit_code == 0, result.output
    assert "deleted opsctl-checkout" in result.output and "Pruned: 1" in result.output
    left = sorted(d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"])
    assert left == sorted([*DASHBOARDS, "opsctl-notes"])
    result = run(runner, "prune", "--snapshot", snap_file, "--region", "us-east-1", "--yes")
    assert "Nothing to prune" in result.output


def test_a_snapshot_of_another_account_is_refused(runner, moto_aws, tmp_path):
    snap = shop_snapshot()
    snap.account = "999999999999"
    path = tmp_path / "other.json"
    save_snapshot(snap, path)
    result = run(runner, "plan", "--snapshot", str(path), "--region", "us-east-1")
    assert result.exit_code == 2 and "is of account 999999999999" in result.output


def test_plan_collects_when_no_snapshot(runner, moto_aws):
    result = run(runner, "plan", "--region", "us-east-1")
    assert result.exit_code == 0, result.output
    # an empty account: no resources, so no template renders a dashboard
    assert "no templates rendered a dashboard" in result.output


def test_apply_refuses_an_invalid_template_before_any_write(runner, moto_aws, snap_file, tmp_path):
    import boto3

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "noregion.json.j2").write_text('{"widgets": [{"type": "metric", "width": 6, "height": 6, '
                                           '"properties": {"title": "Orders", "metrics": [["Shop", "Orders"]]}}]}')
    config = tmp_path / "opsctl.yaml"
    config.write_text("dashboards:\n  templates_dir: mine\n")
    result = run(runner, "apply", "--snapshot", snap_file, "--config", str(config), "--region", "us-east-1", "--yes")
    assert result.exit_code == 2
    assert "dashboard opsctl-noregion, widget 2 ('Orders'): metric widget has no region" in result.output
    assert boto3.client("cloudwatch", region_name="us-east-1").list_dashboards()["DashboardEntries"] == []
