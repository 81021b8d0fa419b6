"""The sharded organisation audit as shipped: the reusable workflow (.github/workflows/opsctl-org-audit.yml),
its copy-paste caller, the AWS Batch job definition and the Kubernetes Indexed Job.

- Both workflows are valid against GitHub's workflow schema (SchemaStore's, vendored by
  check-jsonschema: no network).
- Their structure: plan → a matrix of shard audits → a merge that runs after failed shards too.
- Their shell scripts run the way the runner (bash) and the containers (sh) run them, with a stand-in
  `opsctl` and `aws` that record their arguments, so the quoting and the arrays are exercised.
- Every opsctl command line those scripts ran is parsed by opsctl's own click commands: the flags
  and choices exist (skipped while the command itself is not built).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import botocore.session
import botocore.validate
import click
import pytest
import yaml

from opsctl.cli import cli

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_FILE = ROOT / ".github" / "workflows" / "opsctl-org-audit.yml"
CALLER_FILE = ROOT / "docs" / "examples" / "org-audit-caller.workflow.yml"
BATCH_FILE = ROOT / "docs" / "examples" / "aws-batch-org-audit.json"
K8S_FILE = ROOT / "docs" / "examples" / "k8s-org-audit-indexed-job.yaml"
README = ROOT / "README.md"


def load_workflow(path: Path) -> dict:
    wf = yaml.safe_load(path.read_text())
    if True in wf:  # YAML 1.1 reads the key `on` as true
        wf["on"] = wf.pop(True)
    return wf


WF = load_workflow(WORKFLOW_FILE)
INPUTS = WF["on"]["workflow_call"]["inputs"]
JOBS = WF["jobs"]


def step(job: str, *, name: str | None = None, uses: str | None = None, id: str | None = None) -> dict:
    found = [s for s in JOBS[job]["steps"]
             if (name is None or s.get("name") == name) and (id is None or s.get("id") == id)
             and (uses is None or s.get("uses", "").split("@")[0] == uses)]
    assert len(found) == 1, (job, name, uses, id, found)
    return found[0]


def all_steps(wf: dict):
    for job_id, job in wf["jobs"].items():
        for s in job.get("steps", []):
            yield job_id, s


# ----- GitHub's workflow schema ----------------------------------------------------------------------
def check_schema(*files: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with its vendored copy of SchemaStore's github-workflow schema (offline). It
    reads YAML 1.2 (`on` stays a key) and matches the schema's patterns as ECMAScript regexes."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           *map(str, files)], capture_output=True, text=True, timeout=120)


def test_workflows_are_valid_against_githubs_schema():
    proc = check_schema(WORKFLOW_FILE, CALLER_FILE)
    assert proc.returncode == 0, proc.stdout + proc.stderr + "\n(check-jsonschema comes with pip install -e '.[dev]')"


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    """The check above is not vacuous: an input type GitHub does not have is refused."""
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW_FILE.read_text().replace("type: number", "type: integer", 1))
    proc = check_schema(bad)
    assert proc.returncode == 1 and "'integer' is not one of" in proc.stdout


# ----- structure -------------------------------------------------------------------------------------
def test_workflow_call_inputs_are_described_and_typed():
    for name, spec in INPUTS.items():
        assert spec.get("description"), name
        assert spec["type"] in ("string", "number", "boolean"), name
        assert spec.get("required") is True or "default" in spec, f"{name}: optional inputs have a default"
    assert {n for n, s in INPUTS.items() if s.get("required")} == {"opsctl-package", "role-to-assume"}
    for name in ("shards", "regions", "org-role", "external-id", "fail-on", "strict", "config", "python-version",
                 "aws-region", "upload-sarif", "audit-args", "max-parallel", "artifact-prefix"):
        assert name in INPUTS, name
    assert INPUTS["fail-on"]["default"] == "high" and INPUTS["upload-sarif"]["default"] is True
    outputs = WF["on"]["workflow_call"]["outputs"]
    for name, spec in outputs.items():
        m = re.fullmatch(r"\$\{\{ jobs\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"])
        assert m and m.group(2) in JOBS[m.group(1)]["outputs"], name
    assert {"matrix", "exit-code", "report-artifact"} <= set(outputs)


def test_permissions_are_minimal_and_the_caller_grants_them():
    assert WF["permissions"] == {}
    allowed = {"contents": "read", "id-token": "write", "security-events": "write", "actions": "read"}
    granted: dict[str, str] = {}
    for job_id, job in JOBS.items():
        perms = job["permissions"]
        assert perms.items() <= allowed.items(), job_id
        uses_oidc = any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in job["steps"])
        assert ("id-token" in perms) == uses_oidc, f"{job_id}: id-token only where a job assumes the AWS role"
        uploads_sarif = any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in job["steps"])
        assert ("security-events" in perms) == uploads_sarif, job_id
        granted |= perms
    caller = load_workflow(CALLER_FILE)
    (job,) = caller["jobs"].values()
    assert granted.items() <= job["permissions"].items(), "a called job gets no more than its caller grants"


def test_no_expression_inside_run_scripts_and_actions_are_pinned():
    for job_id, s in all_steps(WF):
        if "run" in s:
            assert "${{" not in s["run"], f"{job_id}/{s.get('name')}: inputs go through env, never into the script"
        if "uses" in s:
            assert re.search(r"@(v\d+|[0-9a-f]{40})$", s["uses"]), s["uses"]
    assert WF["defaults"]["run"]["shell"] == "bash"


def test_plan_prints_the_matrix_the_audit_job_runs():
    plan = JOBS["plan"]
    assert plan["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    assert "opsctl org plan" in step("plan", id="plan")["run"] and "--format github-matrix" in step("plan", id="plan")["run"]
    audit = JOBS["audit"]
    assert audit["needs"] == "plan"
    assert audit["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert audit["strategy"]["fail-fast"] is False
    shard = step("audit", id="shard")
    assert shard["env"]["SHARD"] == "${{ matrix.shard }}"
    assert "opsctl audit --org --shard \"$SHARD\" --fail-on none" in shard["run"], "a shard's findings never fail the matrix"


def shard_artifact(index: int, count: int, prefix: str = "opsctl-org") -> tuple[str, str]:
    """(artifact name, file path) the audit job uploads for shard index/count."""
    upload = step("audit", uses="actions/upload-artifact")
    assert upload["if"].startswith("always()"), "a shard's result is uploaded whatever the audit step did"
    assert upload["with"]["overwrite"] is True, "a re-run shard replaces its artifact"
    values = {"inputs.artifact-prefix": prefix, "steps.shard.outputs.name": f"shard-{index}-of-{count}"}
    sub = lambda text: re.sub(r"\$\{\{ ([\w.-]+) \}\}", lambda m: values[m.group(1)], text)  # noqa: E731
    return sub(upload["with"]["name"]), sub(upload["with"]["path"])


def test_the_merge_job_downloads_every_shard_and_runs_after_failed_shards():
    merge = JOBS["merge"]
    assert "audit" in merge["needs"]
    assert "!cancelled()" in merge["if"] or "always()" in merge["if"]
    download = step("merge", uses="actions/download-artifact")["with"]
    assert download["merge-multiple"] is True
    pattern = download["pattern"].replace("${{ inputs.artifact-prefix }}", "opsctl-org")
    files = set()
    for i in range(1, 257):
        name, path = shard_artifact(i, 256)
        assert fnmatch.fnmatchcase(name, pattern), name
        files.add(Path(path).name)
    assert not fnmatch.fnmatchcase("opsctl-org-report", pattern) and not fnmatch.fnmatchcase("opsctl-org-sarif", pattern)
    assert len(files) == 256, "merge-multiple puts every shard's file in one directory: their names differ"
    assert Path(shard_artifact(1, 3)[1]).parent.name == download["path"] == "shards"
    run = step("merge", id="merge")["run"]
    assert "opsctl report merge \"${files[@]}\"" in run and "--report-dir \"$REPORT_DIR\"" in run and "files=(shards/*.json)" in run
    assert "GITHUB_STEP_SUMMARY" in step("merge", name="Job summary")["run"]
    report = step("merge", name="Upload the report directory")["with"]
    assert report["path"] == merge["env"]["REPORT_DIR"] and report["name"] == "${{ inputs.artifact-prefix }}-report"
    verdict = step("merge", name="Verdict")
    assert verdict == JOBS["merge"]["steps"][-1], "the verdict comes last: every upload happens first"
    assert verdict["env"]["RC"] == "${{ steps.merge.outputs.exit-code }}" and "exit 1" in verdict["run"]


def test_sarif_goes_to_code_scanning_at_most_20_runs_per_upload():
    job = JOBS["code-scanning"]
    assert job["needs"] == "merge" and "inputs.upload-sarif" in job["if"] and "!cancelled()" in job["if"]
    assert job["strategy"]["matrix"]["part"] == "${{ fromJSON(needs.merge.outputs.sarif-parts) }}"
    assert JOBS["merge"]["outputs"]["sarif-parts"] == "${{ steps.sarif.outputs.parts }}"
    upload = step("code-scanning", uses="github/codeql-action/upload-sarif")["with"]
    assert upload["sarif_file"] == "sarif-parts/${{ matrix.part }}" and upload["category"]
    download = step("code-scanning", uses="actions/download-artifact")["with"]
    assert download["name"] == step("merge", name="Upload the SARIF parts")["with"]["name"]
    assert download["path"] == step("merge", name="Upload the SARIF parts")["with"]["path"] == "sarif-parts"


def test_the_caller_example_calls_the_reusable_workflow():
    caller = load_workflow(CALLER_FILE)
    assert caller["on"]["schedule"][0]["cron"] and "workflow_dispatch" in caller["on"]
    (job,) = caller["jobs"].values()
    assert job["uses"].split("@")[0].endswith("/.github/workflows/" + WORKFLOW_FILE.name)
    assert set(job["with"]) <= set(INPUTS), "the caller only passes inputs the workflow has"
    assert {n for n, s in INPUTS.items() if s.get("required")} <= set(job["with"])
    kinds = {"string": str, "number": int, "boolean": bool}
    for name, value in job["with"].items():
        assert isinstance(value, kinds[INPUTS[name]["type"]]), name
    assert job["with"]["opsctl-package"].endswith("@" + job["uses"].split("@")[1]), "the same opsctl as the workflow"


# ----- the scripts, run with a stand-in opsctl and aws -------------------------------------------------
FAKE = r'''#!{python}
"""Stand-in for {name}: records its arguments, writes what the scripts expect to find."""
import json, os, pathlib, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(["{name}", *args]) + "\n")
def opt(flag):
    return args[args.index(flag) + 1] if flag in args else None
if "{name}" == "aws":
    if args[:2] == ["s3", "cp"]:
        src, dest = [a for a in args[2:] if not a.startswith("--")]
        target = pathlib.Path(os.environ["FAKE_S3"], dest.removeprefix("s3://"), pathlib.Path(src).name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(pathlib.Path(src).read_text())
    sys.exit(0)
if args[:2] == ["org", "plan"]:
    n = int(opt("--shards"))
    print(json.dumps({{"include": [{{"shard": f"{{i}}/{{n}}"}} for i in range(1, n + 1)]}}, separators=(",", ":")))
elif args[:1] == ["audit"]:
    pathlib.Path(opt("-o")).write_text(json.dumps({{"shard": opt("--shard")}}))
elif args[:2] == ["report", "merge"]:
    out = pathlib.Path(opt("--report-dir"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "opsctl-report.md").write_text("# opsctl organisation report\n")
    runs = [{{"tool": {{"driver": {{"name": "opsctl"}}}}, "automationDetails": {{"id": f"opsctl/{{i:012d}}/"}}, "results": []}}
            for i in range(int(os.environ.get("FAKE_RUNS", "1")))]
    if runs:
        (out / "opsctl-report.sarif").write_text(json.dumps({{"version": "2.1.0", "runs": runs}}))
    pathlib.Path(opt("-o")).write_text("{{}}")
sys.exit(int(os.environ.get("FAKE_RC", "0")))
'''


@pytest.fixture
def fake(tmp_path):
    """PATH with stand-ins for opsctl and aws; returns a function giving the calls made so far."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    for name in ("opsctl", "aws"):
        exe = bin_dir / name
        exe.write_text(FAKE.format(python=sys.executable, name=name))
        exe.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    log.write_text("")
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_LOG": str(log), "FAKE_S3": str(tmp_path / "s3"),
           "RUNNER_TEMP": str(tmp_path / "runner-temp")}
    (tmp_path / "runner-temp").mkdir()

    def calls(program: str = "opsctl") -> list[list[str]]:
        return [c[1:] for c in map(json.loads, log.read_text().splitlines()) if c[0] == program]

    calls.env = env  # type: ignore[attr-defined]
    return calls


def run_workflow_step(job: str, s: dict, tmp_path: Path, fake, inputs: dict | None = None,
                      context: dict[str, str] | None = None, extra_env: dict[str, str] | None = None):
    """Run a `run:` step as GitHub's `shell: bash` does (bash --noprofile --norc -eo pipefail), with its
    env (and the job's) resolved from the inputs (else their defaults) and `context` (matrix.*,
    steps.*.outputs.*). Returns (process, outputs written to GITHUB_OUTPUT, the step summary)."""
    values = {f"inputs.{k}": str(v.get("default", "")).lower() if isinstance(v.get("default"), bool) else str(v.get("default", ""))
              for k, v in INPUTS.items()}
    values |= {f"inputs.{k}": v for k, v in (inputs or {}).items()} | (context or {})

    def resolve(value) -> str:
        return re.sub(r"\$\{\{ ([\w.-]+) \}\}", lambda m: values[m.group(1)], str(value))

    out, summary = tmp_path / "github_output", tmp_path / "step_summary"
    out.write_text("")
    env = {**os.environ, **fake.env, **{k: resolve(v) for k, v in {**JOBS[job].get("env", {}), **s.get("env", {})}.items()},
           "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary), **(extra_env or {})}
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s["run"]], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=60)
    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    return proc, outputs, summary.read_text() if summary.exists() else ""


def test_plan_step_writes_the_matrix_output(tmp_path, fake):
    proc, outputs, _ = run_workflow_step("plan", step("plan", id="plan"), tmp_path, fake,
                                         {"shards": "3", "config": "opsctl.yaml"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(outputs["matrix"]) == {"include": [{"shard": "1/3"}, {"shard": "2/3"}, {"shard": "3/3"}]}
    assert fake() == [["org", "plan", "--org", "--shards", "3", "--format", "github-matrix", "--config", "opsctl.yaml"]]


def test_audit_step_audits_its_shard_into_the_file_it_uploads(tmp_path, fake):
    inputs = {"regions": "us-east-1  eu-west-1", "org-role": "OpsctlAudit", "external-id": "7f3a",
              "config": "ci/my config.yaml", "audit-args": "--ou ou-ab12-prod0001 --account-workers 8"}
    proc, outputs, _ = run_workflow_step("audit", step("audit", id="shard"), tmp_path, fake, inputs, {"matrix.shard": "2/3"})
    assert proc.returncode == 0, proc.stderr
    assert outputs["name"] == "shard-2-of-3"
    name, path = shard_artifact(2, 3)
    assert name == "opsctl-org-shard-2-of-3" and (tmp_path / path).is_file()
    (args,) = fake()
    assert args == ["audit", "--org", "--shard", "2/3", "--fail-on", "none", "--format", "json", "-o", path,
                    "--region", "us-east-1", "--region", "eu-west-1", "--org-role", "OpsctlAudit", "--external-id", "7f3a",
                    "--config", "ci/my config.yaml", "--ou", "ou-ab12-prod0001", "--account-workers", "8"]


def test_audit_step_with_defaults_passes_no_empty_flags(tmp_path, fake):
    proc, _, _ = run_workflow_step("audit", step("audit", id="shard"), tmp_path, fake, {}, {"matrix.shard": "1/1"})
    assert proc.returncode == 0, proc.stderr
    assert fake() == [["audit", "--org", "--shard", "1/1", "--fail-on", "none", "--format", "json", "-o", "shards/shard-1-of-1.json"]]


def test_audit_step_refuses_a_shard_that_is_not_i_of_n(tmp_path, fake):
    proc, outputs, _ = run_workflow_step("audit", step("audit", id="shard"), tmp_path, fake, {}, {"matrix.shard": "1/3; id"})
    assert proc.returncode == 2 and "not I/N" in proc.stdout and "name" not in outputs and fake() == []


def merge_steps(tmp_path, fake, *, rc: int, runs: int, shards: int = 3, inputs: dict | None = None):
    (tmp_path / "shards").mkdir()
    for i in range(1, shards + 1):
        (tmp_path / "shards" / f"shard-{i}-of-{shards}.json").write_text("{}")
    env = {"FAKE_RC": str(rc), "FAKE_RUNS": str(runs)}
    proc, outputs, _ = run_workflow_step("merge", step("merge", id="merge"), tmp_path, fake, inputs, extra_env=env)
    assert proc.returncode == 0, proc.stderr
    return outputs


def test_merge_step_merges_every_shard_and_never_fails_itself(tmp_path, fake):
    outputs = merge_steps(tmp_path, fake, rc=1, runs=1, inputs={"fail-on": "medium", "strict": "true"})
    assert outputs["exit-code"] == "1"
    (args,) = fake()
    assert args[:2] == ["report", "merge"] and args[2:5] == [f"shards/shard-{i}-of-3.json" for i in (1, 2, 3)]
    assert args[args.index("--report-dir") + 1] == "opsctl-org-report" and args[args.index("--fail-on") + 1] == "medium"
    assert "--strict" in args

    summary_step = step("merge", name="Job summary")
    proc, _, summary = run_workflow_step("merge", summary_step, tmp_path, fake,
                                         context={"steps.merge.outputs.exit-code": "1"})
    assert proc.returncode == 0 and summary.startswith("# opsctl organisation report")
    verdict, _, _ = run_workflow_step("merge", step("merge", name="Verdict"), tmp_path, fake,
                                      {"fail-on": "medium"}, {"steps.merge.outputs.exit-code": "1"})
    assert verdict.returncode == 1 and "::error title=opsctl::FAIL findings at or above medium" in verdict.stdout
    for rc, code in (("0", 0), ("3", 3), ("4", 4)):
        verdict, _, _ = run_workflow_step("merge", step("merge", name="Verdict"), tmp_path, fake,
                                          context={"steps.merge.outputs.exit-code": rc})
        assert verdict.returncode == code


def test_merge_step_without_strict_and_without_any_shard(tmp_path, fake):
    outputs = merge_steps(tmp_path, fake, rc=0, runs=1)
    assert outputs["exit-code"] == "0" and "--strict" not in fake()[0]
    for f in (tmp_path / "shards").iterdir():
        f.unlink()
    proc, outputs, _ = run_workflow_step("merge", step("merge", id="merge"), tmp_path, fake)
    assert proc.returncode == 1 and "no shard wrote a result" in proc.stdout and "exit-code" not in outputs
    assert len(fake()) == 1


@pytest.mark.parametrize("runs, sizes", [(45, [20, 20, 5]), (20, [20]), (1, [1]), (0, [])])
def test_sarif_is_split_into_uploads_of_at_most_20_runs(tmp_path, fake, runs, sizes):
    merge_steps(tmp_path, fake, rc=0, runs=runs)
    proc, outputs, _ = run_workflow_step("merge", step("merge", id="sarif"), tmp_path, fake)
    assert proc.returncode == 0, proc.stderr
    parts = json.loads(outputs["parts"])
    assert [len(json.loads((tmp_path / "sarif-parts" / p).read_text())["runs"]) for p in parts] == sizes
    if runs:
        ids = [r["automationDetails"]["id"] for p in parts for r in json.loads((tmp_path / "sarif-parts" / p).read_text())["runs"]]
        assert len(set(ids)) == runs, "every account's run is uploaded once"
        assert all(json.loads((tmp_path / "sarif-parts" / p).read_text())["version"] == "2.1.0" for p in parts)
    else:
        assert "no SARIF report" in proc.stdout


def test_every_step_that_runs_opsctl_is_exercised_here():
    """The commands checked below are the ones these tests ran: no opsctl call in a step they skip."""
    exercised = {("plan", "plan"), ("audit", "shard"), ("merge", "merge")}
    running = {(job, s.get("id")) for job, s in all_steps(WF) if re.search(r"^\s*opsctl\s", s.get("run", ""), re.M)}
    assert running == exercised


# ----- AWS Batch and Kubernetes ----------------------------------------------------------------------
BATCH = json.loads(BATCH_FILE.read_text())
K8S = yaml.safe_load(K8S_FILE.read_text())


def env_list(items: list[dict]) -> dict[str, dict]:
    return {e["name"]: e for e in items}


def run_sh(script: str, env: dict[str, str], tmp_path: Path, fake) -> subprocess.CompletedProcess:
    """Run a container's `sh -c` script, its /tmp moved into tmp_path."""
    pod_tmp = tmp_path / "pod-tmp"
    pod_tmp.mkdir(exist_ok=True)
    script = script.replace("/tmp/", f"{pod_tmp}/")
    proc = subprocess.run(["sh", "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={**os.environ, **fake.env, **env})
    assert proc.returncode == 0, proc.stderr
    return proc


def readme_command(prefix: str) -> list[str]:
    """The README's shell command line starting with `prefix` (backslash continuations joined)."""
    text = README.read_text().replace("\\\n", " ")
    lines = [ln for ln in text.splitlines() if prefix in ln]
    assert lines, f"README shows no `{prefix}` command"
    line = lines[0]
    return shlex.split(line[line.index(prefix):].split(")")[0])


def test_batch_job_definition_is_a_valid_register_job_definition_request():
    model = botocore.session.get_session().get_service_model("batch")
    botocore.validate.validate_parameters(BATCH, model.operation_model("RegisterJobDefinition").input_shape)
    assert BATCH["type"] == "container"
    props = BATCH["containerProperties"]
    assert props["command"][:2] == ["sh", "-c"] and len(props["command"]) == 3
    assert 'opsctl audit --org --shard "$AWS_BATCH_JOB_ARRAY_INDEX/$SHARDS"' in props["command"][2]


def test_batch_array_size_is_the_shard_count():
    shards = int(env_list(BATCH["containerProperties"]["environment"])["SHARDS"]["value"])
    args = readme_command("aws batch submit-job")
    assert all(a.startswith("--") for a in args[3::2]), "every option of the command takes a value"
    options = {k: v for k, v in zip(args[3::2], args[4::2], strict=True) if k not in ("--query", "--output")}
    assert options["--array-properties"] == f"size={shards}", "the array size and SHARDS are the same N"
    assert options["--job-definition"] == BATCH["jobDefinitionName"]
    members = botocore.session.get_session().get_service_model("batch").operation_model("SubmitJob").input_shape.members
    for flag in options:
        assert re.sub(r"-(\w)", lambda m: m.group(1).upper(), flag[2:]) in members, flag


def test_batch_command_audits_the_array_index_shard_and_copies_it_to_s3(tmp_path, fake):
    props = BATCH["containerProperties"]
    env = {e["name"]: e["value"] for e in props["environment"]}
    run_sh(props["command"][2], {**env, "AWS_BATCH_JOB_ARRAY_INDEX": "0", "AWS_BATCH_JOB_ID": "a1b2c3:0"}, tmp_path, fake)
    (args,) = fake()
    assert args[:4] == ["audit", "--org", "--shard", f"0/{env['SHARDS']}"], "index 0 is shard N/N"
    assert args[args.index("--fail-on") + 1] == "none" and args[args.index("--format") + 1] == "json"
    (cp,) = fake("aws")
    assert cp[:2] == ["s3", "cp"] and cp[-1] == f"{env['RESULTS_S3_URI']}/a1b2c3/", "one prefix per array job"
    assert cp[-2] == args[args.index("-o") + 1]
    bucket = env["RESULTS_S3_URI"].removeprefix("s3://")
    assert [p.name for p in (tmp_path / "s3" / bucket / "a1b2c3").iterdir()] == [f"shard-0-of-{env['SHARDS']}.json"]


def test_k8s_indexed_job_runs_one_pod_per_shard():
    assert K8S["apiVersion"] == "batch/v1" and K8S["kind"] == "Job"
    spec = K8S["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    env = env_list(container["env"])
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == int(env["SHARDS"]["value"]), "completions and SHARDS are the same N"
    assert 1 <= spec["parallelism"] <= spec["completions"]
    assert pod["restartPolicy"] == "Never"
    assert container["command"] == ["sh", "-c"] and len(container["args"]) == 1
    assert 'opsctl audit --org --shard "$JOB_COMPLETION_INDEX/$SHARDS"' in container["args"][0]
    assert env["RUN_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/controller-uid']"
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts or not container["securityContext"].get("readOnlyRootFilesystem")


def test_k8s_command_audits_the_completion_index_shard(tmp_path, fake):
    (container,) = K8S["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    shards = env["SHARDS"]
    run_sh(container["args"][0], {**env, "JOB_COMPLETION_INDEX": "3", "RUN_ID": "0d9e-uid"}, tmp_path, fake)
    (args,) = fake()
    assert args[:4] == ["audit", "--org", "--shard", f"3/{shards}"]
    assert fake("aws")[0][-1] == f"{env['RESULTS_S3_URI']}/0d9e-uid/"


def test_readme_merges_what_the_engines_wrote():
    args = readme_command("opsctl report merge shards/")
    assert args[:3] == ["opsctl", "report", "merge"] and "--report-dir" in args
    for prefix in ("kubectl wait", "aws s3 cp --recursive"):
        readme_command(prefix)


# ----- every opsctl command line, parsed by opsctl's click commands ------------------------------------
def example_commands(tmp_path: Path, fake) -> list[tuple[str, list[str]]]:
    """(where, argv) of every opsctl call the three examples make, as their scripts ran it."""
    found: list[tuple[str, list[str]]] = []

    def record(where: str) -> None:
        found.extend((where, argv) for argv in fake()[len(found):])

    wf = tmp_path / "wf"
    (wf / "shards").mkdir(parents=True)
    run_workflow_step("plan", step("plan", id="plan"), wf, fake, {"shards": "4", "config": "opsctl.yaml"})
    run_workflow_step("audit", step("audit", id="shard"), wf, fake,
                      {"regions": "us-east-1 eu-west-1", "org-role": "OpsctlAudit", "external-id": "x",
                       "config": "opsctl.yaml", "audit-args": "--account-workers 8"}, {"matrix.shard": "4/4"})
    run_workflow_step("merge", step("merge", id="merge"), wf, fake, {"strict": "true"})
    record(WORKFLOW_FILE.name)
    props = BATCH["containerProperties"]
    run_sh(props["command"][2], {**{e["name"]: e["value"] for e in props["environment"]},
                                 "AWS_BATCH_JOB_ARRAY_INDEX": "1", "AWS_BATCH_JOB_ID": "j:1"}, tmp_path, fake)
    record(BATCH_FILE.name)
    (container,) = K8S["spec"]["template"]["spec"]["containers"]
    run_sh(container["args"][0], {**{e["name"]: e["value"] for e in container["env"] if "value" in e},
                                  "JOB_COMPLETION_INDEX": "0", "RUN_ID": "u"}, tmp_path, fake)
    record(K8S_FILE.name)
    return found


def resolve_command(argv: list[str]) -> tuple[click.Command, list[str], str]:
    """The click command argv names (skipping the test if opsctl does not have it yet), its arguments."""
    command: click.Command = cli
    path = ["opsctl"]
    args = list(argv)
    while isinstance(command, click.Group):
        name = args.pop(0)
        sub = command.commands.get(name)
        if sub is None:
            pytest.skip(f"`{' '.join(path + [name])}` is not built yet")
        command, path = sub, path + [name]
    if path == ["opsctl", "audit"] and "--org" in args and not any("--org" in p.opts for p in command.params):
        pytest.skip("`opsctl audit --org` is not built yet")
    return command, args, " ".join(path)


def check_flags(argv: list[str]) -> None:
    """Parse argv with the command's own parser: unknown options and missing option values raise;
    Choice and number values are converted (a shell variable is left to run time)."""
    command, args, name = resolve_command(argv)
    ctx = click.Context(command, info_name=name)
    opts, rest, order = command.make_parser(ctx).parse_args(args=list(args))
    if not any(isinstance(p, click.Argument) for p in command.params):
        assert not rest, f"{name}: unexpected arguments {rest}"
    for param in order:
        if not isinstance(param, click.Option) or param.is_flag:
            continue
        values = opts[param.name] if param.multiple else [opts[param.name]]
        for value in values:
            if isinstance(param.type, (click.Choice, click.types.IntParamType, click.types.FloatParamType)) and "$" not in value:
                param.type.convert(value, param, ctx)


def test_every_opsctl_command_in_the_examples_parses(tmp_path, fake):
    commands = example_commands(tmp_path, fake)
    assert {where for where, _ in commands} == {WORKFLOW_FILE.name, BATCH_FILE.name, K8S_FILE.name}
    assert len(commands) == 5
    for where, argv in commands:
        try:
            check_flags(argv)
        except click.UsageError as exc:
            pytest.fail(f"{where}: opsctl {shlex.join(argv)}: {exc.format_message()}")


@pytest.mark.parametrize("argv", [
    ["audit", "--org", "--shard", "1/3", "--no-such-flag"],
    ["audit", "--org", "--fail-on", "sometimes"],
    ["report", "merge", "a.json", "--report-dir"],
])
def test_the_flag_check_catches_mistakes(argv):
    with pytest.raises(click.UsageError):
        check_flags(argv)
