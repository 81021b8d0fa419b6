"""End to end: the real `opsctl` executable against the sandbox (moto's server over HTTP)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from opsctl import sandbox
from opsctl.registry import load_builtin_checks

ROOT = Path(__file__).resolve().parents[2]
OPSCTL = str(Path(sys.executable).parent / "opsctl")
SCHEMA = json.loads((ROOT / "opsctl" / "schemas" / "result.schema.json").read_text())
pytestmark = pytest.mark.slow


def run_opsctl(args, env_extra=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(env_extra or {})
    env = {k: v for k, v in env.items() if v is not None}  # None in env_extra removes a variable
    return subprocess.run([OPSCTL, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def seeded_sandbox():
    with sandbox.running_server() as url:
        sandbox.seed(url)
        yield url


def fails_by_check(findings):
    out = {}
    for f in findings:
        out.setdefault(f["check_id"], set()).add(f["status"])
    return out


def test_sandbox_demo_fails_every_check_writes_reports_and_applies_as_code(tmp_path):
    """What `make demo` runs: every check FAILs somewhere, every format is written, the dashboards
    plan is empty after apply, and the alarms opsctl applies turn alarm coverage into passes."""
    out = tmp_path / "demo.json"
    proc = run_opsctl(["sandbox", "demo", "--format", "json", "-o", str(out), "--report-dir", "reports/demo"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    statuses = fails_by_check(data["findings"])
    without_fail = sorted(cid for cid in load_builtin_checks() if "FAIL" not in statuses.get(cid, set()))
    assert not without_fail, f"the sandbox must seed a defect for every check; no FAIL for {without_fail}"

    reports = tmp_path / "reports" / "demo"
    for ext in ("txt", "json", "md", "html", "sarif", "xml", "csv"):
        path = reports / f"opsctl-report.{ext}"
        assert path.stat().st_size > 0 and f"wrote reports/demo/opsctl-report.{ext}" in proc.stderr
    sarif = json.loads((reports / "opsctl-report.sarif").read_text())
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"] for loc in r["locations"]}
    assert uris == {"reports/demo/opsctl.yaml"} and (reports / "opsctl.yaml").is_file()

    as_code = proc.stderr[proc.stderr.index("dashboards as code"):]
    assert "6 to create" in as_code and "created opsctl-overview" in as_code
    assert "No changes: the dashboards match the templates." in as_code
    coverage = next(line for line in as_code.splitlines() if "cloudwatch.alarm_coverage: before" in line)
    before, after = coverage.split("after")
    assert "FAIL" in before and "FAIL" not in after and "PASS" in after


def test_audit_via_endpoint_then_offline(seeded_sandbox, tmp_path):
    env = sandbox.environment(seeded_sandbox)
    result, snap = tmp_path / "r.json", tmp_path / "snap.json"
    proc = run_opsctl(["audit", "--region", "us-east-1", "--region", "eu-west-1", "--format", "json", "-o", str(result),
                       "--save-snapshot", str(snap)], env, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # the sandbox has high-severity defects
    online = json.loads(result.read_text())
    jsonschema.validate(online, SCHEMA)
    assert online["regions"] == ["us-east-1", "eu-west-1"] and online["account"] == sandbox.ACCOUNT
    assert online["metadata"]["endpoint_url"] == seeded_sandbox

    offline_out = tmp_path / "offline.json"
    proc = run_opsctl(["audit", "--snapshot", str(snap), "--format", "json", "-o", str(offline_out)], cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    offline = json.loads(offline_out.read_text())
    key = lambda f: (f["check_id"], f["resource_id"], f["status"], f["message"])  # noqa: E731
    assert sorted(map(key, offline["findings"])) == sorted(map(key, online["findings"]))

    table = run_opsctl(["audit", "--snapshot", str(snap), "--fail-on", "none"], cwd=tmp_path)
    assert table.returncode == 0 and "Summary" in table.stdout and "FAIL" in table.stdout


def test_audit_is_read_only(seeded_sandbox, monkeypatch):
    """Every API call the collectors make is a read (List/Describe/Get, plus the credential report)."""
    from opsctl.aws import Aws
    from opsctl.collect.runner import collect

    for k, v in sandbox.environment(seeded_sandbox).items():
        monkeypatch.setenv(k, v)
    aws = Aws(workers=8)
    seen: set[str] = set()
    aws.session.events.register("before-call.*.*", lambda model, **_: seen.add(model.name))
    collect(aws, list(sandbox.REGIONS), account=sandbox.ACCOUNT, workers=8)
    writes = sorted(op for op in seen if not op.startswith(("List", "Describe", "Get", "GenerateCredentialReport", "Lookup", "Search")))
    assert seen and not writes, f"the audit must not write: {writes}"
