"""The composite GitHub Action (action.yml) and the example workflow: their structure, and the
action's own shell steps run for real (offline, against a snapshot) the way the runner runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from opsctl.registry import load_builtin_checks
from opsctl.snapshot import save_snapshot
from opsctl.waivers import check_known, load_waivers
from tests.helpers import snapshot
from tests.unit.checks.test_s3 import bucket, buckets

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
WORKFLOW_FILE = ROOT / "docs" / "examples" / "opsctl-audit.workflow.yml"
BIN = Path(sys.executable).parent


def steps_by_name() -> dict[str, dict]:
    return {s["name"]: s for s in ACTION["runs"]["steps"]}


def uses(steps) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps if "uses" in s]


def test_action_is_composite_with_the_inputs_callers_need():
    assert ACTION["runs"]["using"] == "composite"
    inputs = ACTION["inputs"]
    for name in ("regions", "config", "waivers", "fail-on", "fail-on-new", "baseline", "report-dir", "args",
                 "role-to-assume", "aws-region", "upload-sarif", "artifact-name"):
        assert name in inputs and inputs[name].get("description"), name
        assert inputs[name].get("required") is False, f"{name}: the action must run with defaults"
    assert inputs["fail-on"]["default"] == "high" and inputs["report-dir"]["default"] == "opsctl-report"
    assert {"exit-code", "result", "sarif", "report-dir"} <= set(ACTION["outputs"])


def test_action_steps_install_audit_summarise_upload_and_fail():
    steps = steps_by_name()
    assert uses(ACTION["runs"]["steps"]) == ["actions/setup-python", "aws-actions/configure-aws-credentials",
                                            "github/codeql-action/upload-sarif", "actions/upload-artifact"]
    assert steps["AWS credentials (OIDC)"]["if"] == "inputs.role-to-assume != ''"
    install = steps["Install opsctl"]
    assert "pip install" in install["run"] and install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    audit = steps["Audit"]["run"]
    assert "opsctl \"${args[@]}\"" in audit and "audit --report-dir" in audit and "--fail-on" in audit
    assert "--baseline" in audit and "--fail-on-new" in audit and "$GITHUB_OUTPUT" in audit
    assert "GITHUB_STEP_SUMMARY" in steps["Job summary"]["run"] and "opsctl report diff" in steps["Job summary"]["run"]
    sarif = steps["Upload SARIF to code scanning"]
    assert sarif["with"]["sarif_file"] == "${{ steps.audit.outputs.sarif }}"
    assert steps["Upload the report directory"]["with"]["path"] == "${{ inputs.report-dir }}"
    assert "exit 1" in steps["Verdict"]["run"] and steps["Verdict"]["env"]["RC"] == "${{ steps.audit.outputs.exit-code }}"
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], f"{step['name']}: inputs go through env, never into the script"


def test_example_workflow_runs_nightly_and_on_pull_requests():
    text = WORKFLOW_FILE.read_text()
    wf = yaml.safe_load(text)
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as true
    assert on["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]
    assert "pull_request" in on
    assert wf["permissions"]["id-token"] == "write" and wf["permissions"]["security-events"] == "write"
    (job,) = wf["jobs"].values()
    names = uses(job["steps"])
    assert "aws-actions/configure-aws-credentials" in names and "actions/cache/restore" in names
    opsctl = [s for s in job["steps"] if s.get("id") == "opsctl"][0]
    assert set(opsctl["with"]) <= set(ACTION["inputs"]), "the example only uses inputs the action has"
    assert opsctl["with"]["baseline"] and "pull_request" in opsctl["with"]["fail-on-new"]


def test_example_waivers_and_crontab_are_valid():
    check_known(load_waivers(ROOT / "docs" / "examples" / "waivers.yaml"), load_builtin_checks())
    line = [ln for ln in (ROOT / "docs" / "examples" / "crontab").read_text().splitlines() if re.match(r"^[\d*]", ln)][0]
    assert len(line.split()) > 6 and "opsctl-cron.sh" in line


# ----- the action's scripts, run as the runner runs them -------------------------------------------
def run_step(name: str, inputs: dict[str, str], tmp_path: Path, step_outputs: dict[str, str] | None = None):
    """Run a `run:` step of action.yml with bash, its env resolved from `inputs` (else the defaults)
    and `step_outputs` (steps.audit.outputs.*). Returns (process, outputs written to GITHUB_OUTPUT)."""
    step = steps_by_name()[name]
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | inputs

    def resolve(expr: str) -> str:
        m = re.fullmatch(r"\$\{\{ (inputs|steps\.audit\.outputs)\.([\w-]+) \}\}", expr)
        assert m, f"unexpected expression {expr!r}"
        return values[m.group(2)] if m.group(1) == "inputs" else (step_outputs or {}).get(m.group(2), "")

    out, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {**os.environ, **{k: resolve(v) for k, v in step.get("env", {}).items()},
           "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    out.write_text("")
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    return proc, outputs


@pytest.fixture
def snap(tmp_path):
    path = tmp_path / "snap.json"
    save_snapshot(snapshot(buckets(bucket("shop-assets"), bucket("shop-tmp-1", versioning=None))), path)
    (tmp_path / "opsctl.yaml").write_text("# the audited account's standards\n")
    return path


def test_audit_step_runs_opsctl_writes_outputs_and_never_fails_itself(tmp_path, snap):
    inputs = {"args": "--snapshot snap.json --select s3.bucket_versioning", "fail-on": "medium", "config": "opsctl.yaml"}
    proc, outputs = run_step("Audit", inputs, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert outputs["exit-code"] == "1" and outputs["result"] == "opsctl-report/opsctl-report.json"
    assert outputs["sarif"] == "opsctl-report/opsctl-report.sarif"
    sarif = json.loads((tmp_path / outputs["sarif"]).read_text())
    assert sarif["runs"][0]["results"]
    assert "baseline" not in outputs

    proc, summary_outputs = run_step("Job summary", {}, tmp_path, outputs)
    assert proc.returncode == 0, proc.stderr
    assert "s3.bucket_versioning" in (tmp_path / "step_summary").read_text()

    verdict, _ = run_step("Verdict", {"fail-on": "medium"}, tmp_path, outputs)
    assert verdict.returncode == 1 and "::error title=opsctl::FAIL findings at or above medium" in verdict.stdout


def test_audit_step_with_baseline_and_fail_on_new(tmp_path, snap):
    base = {"args": "--snapshot snap.json --select s3.bucket_versioning", "fail-on": "medium", "config": "opsctl.yaml",
            "fail-on-new": "true", "baseline": "baseline/opsctl-report.json"}
    proc, outputs = run_step("Audit", base, tmp_path)
    assert outputs["exit-code"] == "1" and "no baseline at baseline/opsctl-report.json" in proc.stdout

    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "opsctl-report.json").write_text((tmp_path / outputs["result"]).read_text())
    proc, outputs = run_step("Audit", {**base, "report-dir": "second"}, tmp_path)
    assert outputs["exit-code"] == "0", proc.stdout + proc.stderr
    assert outputs["baseline"] == "baseline/opsctl-report.json"
    assert (tmp_path / "second" / "opsctl-diff.md").is_file()
    proc, _ = run_step("Job summary", {"report-dir": "second"}, tmp_path, outputs)
    assert proc.returncode == 0, proc.stderr
    assert "0 new, 0 resolved, 1 unchanged" in (tmp_path / "step_summary").read_text()
    verdict, _ = run_step("Verdict", {}, tmp_path, outputs)
    assert verdict.returncode == 0
