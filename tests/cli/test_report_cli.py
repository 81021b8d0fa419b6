"""`opsctl report render RESULT.json --format F [-o FILE]`: every registered format from a saved
result; bad input is one line and exit 2."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.report import formats
from opsctl.snapshot import save_snapshot
from tests.helpers import snapshot
from tests.unit.checks.test_s3 import bucket, buckets
from tests.unit.report.fixtures import sample_result

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "opsctl" / "schemas" / "result.schema.json").read_text())


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def result_file(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(sample_result(config_file="opsctl.yaml").to_dict()), encoding="utf-8")
    return path


def _one_line_error(res, needle: str):
    assert res.exit_code == 2, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("opsctl: ") and needle in lines[0], res.output


def test_format_choices_follow_the_registry(runner):
    out = runner.invoke(cli, ["report", "render", "--help"]).output
    for fmt in formats():
        assert fmt in out
    assert {"markdown", "html", "sarif", "junit", "csv"} <= set(formats())


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "html", "sarif", "junit", "csv"])
def test_renders_every_format_to_stdout(runner, result_file, fmt):
    res = runner.invoke(cli, ["report", "render", str(result_file), "--format", fmt])
    assert res.exit_code == 0, res.output
    out = res.output
    if fmt == "json":
        data = json.loads(out)
        jsonschema.validate(data, SCHEMA)
        assert data["summary"]["scores"]["overall"] == 35.3
    elif fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "opsctl.yaml"
    elif fmt == "junit":
        assert ET.fromstring(out).get("failures") == "2"
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(out)))) == 7
    elif fmt == "html":
        assert out.startswith("<!DOCTYPE html>")
    elif fmt == "markdown":
        assert out.startswith("## opsctl audit")
    else:
        assert "Summary" in out and "35.3" in out


def test_writes_output_file_and_passes_options(runner, result_file, tmp_path):
    out = tmp_path / "r.md"
    res = runner.invoke(cli, ["report", "render", str(result_file), "--format", "markdown", "-o", str(out),
                              "--runbook-base-url", "https://example.com/opsctl"])
    assert res.exit_code == 0 and res.output == ""
    assert "](https://example.com/opsctl/runbooks/s3.bucket_not_public.md)" in out.read_text(encoding="utf-8")


def test_sarif_location_flag_and_error_without_one(runner, tmp_path):
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(sample_result().to_dict()))
    _one_line_error(runner.invoke(cli, ["report", "render", str(bare), "--format", "sarif"]), "--sarif-location")
    res = runner.invoke(cli, ["report", "render", str(bare), "--format", "sarif", "--sarif-location", "infra/opsctl.yaml:4"])
    assert res.exit_code == 0, res.output
    region = json.loads(res.output)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert region["artifactLocation"]["uri"] == "infra/opsctl.yaml" and region["region"]["startLine"] == 4
    _one_line_error(runner.invoke(cli, ["report", "render", str(bare), "--format", "sarif", "--sarif-location", "/abs/x.yaml"]),
                    "relative to the repository root")


def _write(tmp_path, content) -> str:
    path = tmp_path / "in.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def _valid() -> dict:
    return sample_result().to_dict()


@pytest.mark.parametrize("content, needle", [
    ("{not json", "not valid JSON"),
    ([1, 2], "not an opsctl result"),
    ({"findings": []}, "tool.name is not opsctl"),
    ({**_valid(), "findings": "x"}, "no findings list"),
    ({**_valid(), "schema_version": 3}, "schema_version 3 is not supported"),
    ({**_valid(), "regions": "us-east-1"}, "regions must be a list"),
    ({**_valid(), "findings": [{k: v for k, v in _valid()["findings"][0].items() if k != "status"}]}, "finding #1 lacks status"),
    ({**_valid(), "findings": [{**_valid()["findings"][0], "severity": "urgent"}]}, "finding #1"),
    ({**_valid(), "findings": [{**_valid()["findings"][0], "resource_id": 5}]}, "finding #1: resource_id must be a string, got 5"),
    ({**_valid(), "findings": [{**_valid()["findings"][0], "message": None}]}, "finding #1: message must be a string"),
    ({**_valid(), "findings": [{**_valid()["findings"][0], "monthly_savings_usd": "lots"}]},
     'finding #1: monthly_savings_usd must be a number or null, got "lots"'),
    ({**_valid(), "findings": ["x"]}, "finding #1 is not an object"),
    ({**_valid(), "topology": "x"}, "topology must be an object or null"),
    ({**_valid(), "waivers": "x"}, "waivers must be a list"),
    ({**_valid(), "metadata": None}, "metadata must be an object"),
])
def test_bad_input_is_one_line_exit_2(runner, tmp_path, content, needle):
    _one_line_error(runner.invoke(cli, ["report", "render", _write(tmp_path, content), "--format", "html"]), needle)


@pytest.mark.parametrize("content, needle", [
    ({**_valid(), "findings": [{**_valid()["findings"][0], "resource_id": 5}]}, "resource_id must be a string"),
    ({**_valid(), "findings": [{**_valid()["findings"][0], "monthly_savings_usd": "lots"}]}, "monthly_savings_usd must be"),
    ({**_valid(), "topology": []}, "topology must be an object or null"),
    ({**_valid(), "coverage": "x"}, "coverage must be a list"),
])
def test_every_reader_of_results_refuses_the_same_bad_input(runner, tmp_path, content, needle):
    bad, good = _write(tmp_path, content), tmp_path / "good.json"
    good.write_text(json.dumps(_valid()), encoding="utf-8")
    for args in (["report", "diff", str(good), bad], ["report", "diff", bad, str(good)], ["topology", "--result", bad]):
        _one_line_error(runner.invoke(cli, args), needle)


def test_unreadable_file_is_one_line_exit_2(runner, tmp_path):
    _one_line_error(runner.invoke(cli, ["report", "render", str(tmp_path / "missing.json")]), "cannot read")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    _one_line_error(runner.invoke(cli, ["report", "render", str(binary)]), str(binary))


def test_audit_records_config_file_and_sarif_uses_it(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_snapshot(snapshot(buckets(bucket(policy_is_public=True))), tmp_path / "snap.json")
    (tmp_path / "opsctl.yaml").write_text("fail_on: none\n", encoding="utf-8")
    res = runner.invoke(cli, ["audit", "--snapshot", "snap.json", "--select", "s3.*", "--format", "json", "-o", "r.json"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["metadata"]["config_file"] == "opsctl.yaml"
    jsonschema.validate(data, SCHEMA)
    res = runner.invoke(cli, ["audit", "--snapshot", "snap.json", "--select", "s3.*", "--format", "sarif"])
    assert res.exit_code == 0, res.output
    log = json.loads(res.output)
    assert log["version"] == "2.1.0" and log["runs"][0]["results"]
    for r in log["runs"][0]["results"]:
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "opsctl.yaml"
