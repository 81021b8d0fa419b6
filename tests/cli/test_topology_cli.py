"""`opsctl topology` and `opsctl audit --spec/--scope` through click's CliRunner (offline snapshots)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from tests.helpers import snapshot
from tests.unit.checks.arch_fixtures import rule, sg, world

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "opsctl" / "schemas" / "result.schema.json").read_text())


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def snap_file(tmp_path):
    w = world()
    w["ec2.security_group"][0] = sg("sg-alb", rule(443, cidr="0.0.0.0/0"), tier="load_balancer")
    w["s3.bucket"].append({"name": "other", "arn": "arn:aws:s3:::other", "region": "us-east-1", "tags": {}})
    path = tmp_path / "snap.json"
    path.write_text(snapshot(w).to_json())
    return path


def test_topology_mermaid_from_snapshot(runner, snap_file, tmp_path):
    result = runner.invoke(cli, ["topology", "--snapshot", str(snap_file)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("flowchart LR\n") and "shop-alb" in result.output and "class " in result.output


def test_topology_json_and_svg_to_files(runner, snap_file, tmp_path):
    out = tmp_path / "t.json"
    assert runner.invoke(cli, ["topology", "--snapshot", str(snap_file), "--format", "json", "-o", str(out)]).exit_code == 0
    topo = json.loads(out.read_text())
    assert {"spec", "tiers", "nodes", "edges", "flows"} <= set(topo)
    assert any(e["kind"] == "ingress" and e["ok"] is False for e in topo["edges"])
    svg = tmp_path / "t.svg"
    assert runner.invoke(cli, ["topology", "--snapshot", str(snap_file), "--format", "svg", "-o", str(svg)]).exit_code == 0
    assert svg.read_text().startswith("<svg ")


def test_topology_from_a_saved_result(runner, snap_file, tmp_path):
    out = tmp_path / "r.json"
    runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--format", "json", "-o", str(out)])
    result = runner.invoke(cli, ["topology", "--result", str(out)])
    assert result.exit_code == 0 and "flowchart LR" in result.output
    data = json.loads(out.read_text())
    del data["topology"]
    out.write_text(json.dumps(data))
    result = runner.invoke(cli, ["topology", "--result", str(out)])
    assert result.exit_code == 2 and "has no topology" in result.output


def test_audit_with_spec_and_scope(runner, snap_file, tmp_path):
    spec = tmp_path / "arch.yaml"
    spec.write_text("name: mine\ntiers:\n  api: {kind: load_balancer, select: {names: [shop-alb]}}\n"
                    "  web: {kind: compute, select: {names: ['shop-web-*']}}\nflows:\n  - {from: api, to: web}\n")
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--spec", str(spec), "--scope", "spec",
                                 "--format", "json", "-o", str(out), "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["metadata"]["spec"] == {"name": "mine", "source": str(spec), "scope": "spec"}
    assert set(data["summary"]["tier_scores"]) == {"api", "web"}
    assert not any(f["resource_id"] == "arn:aws:s3:::other" for f in data["findings"])
    assert {f["check_id"] for f in data["findings"] if f["check_id"].startswith("arch.")} >= {"arch.tier_present"}


def test_default_audit_carries_topology(runner, snap_file, tmp_path):
    out = tmp_path / "r.json"
    runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--format", "json", "-o", str(out)])
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["metadata"]["spec"]["source"] == "built-in" and data["topology"]["tiers"][0]["name"] == "dns"
    assert any(f["resource_id"] == "arn:aws:s3:::other" for f in data["findings"])
    assert any(f["check_id"] == "arch.edge_in_front_of_api" and f["status"] == "FAIL" for f in data["findings"])


@pytest.mark.parametrize("command", [["audit"], ["topology"]])
def test_bad_spec_is_one_line_with_file_and_line(runner, snap_file, tmp_path, command):
    spec = tmp_path / "bad.yaml"
    spec.write_text("tiers:\n  api:\n    kind: alb\n    select: {names: [x]}\n")
    result = runner.invoke(cli, [*command, "--snapshot", str(snap_file), "--spec", str(spec)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"opsctl: {spec}:3: tiers.api.kind: 'alb' is not one of dns, edge, waf, assets, "
                                     "load_balancer, compute, functions, relational_db, nosql_db")


def test_config_spec_key(runner, snap_file, tmp_path):
    (tmp_path / "arch.yaml").write_text("tiers: {web: {kind: compute, select: {names: ['shop-web-*']}}}\n")
    cfg = tmp_path / "opsctl.yaml"
    cfg.write_text("spec: arch.yaml\n")
    result = runner.invoke(cli, ["topology", "--snapshot", str(snap_file), "--config", str(cfg), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [t["name"] for t in json.loads(result.output)["tiers"]] == ["web"]


def test_help_has_examples(runner):
    for command in (["topology", "--help"], ["audit", "--help"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0 and "--spec" in result.output
    assert "--scope" in runner.invoke(cli, ["audit", "--help"]).output
    assert "opsctl topology --snapshot snap.json" in runner.invoke(cli, ["topology", "--help"]).output
