"""Runs over time against the sandbox (moto's server over HTTP): a fixed defect shows as resolved in
`report diff`, an expired waiver fails the run again, and the cron wrapper keeps dated reports,
diffs each run against the previous one and exits with the audit's code."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest

from opsctl import sandbox
from tests.integration.test_sandbox_e2e import OPSCTL, ROOT, SCHEMA, run_opsctl

pytestmark = pytest.mark.slow
REGIONS = ["--region", "us-east-1", "--region", "eu-west-1"]
UNVERSIONED = f"3d-shop-exports-{sandbox.ACCOUNT}"  # seeded without versioning (opsctl/sandbox_seed/data.py)
CRON = ROOT / "scripts" / "opsctl-cron.sh"


@pytest.fixture
def seeded():
    """A fresh sandbox per test: these tests change it."""
    with sandbox.running_server() as url:
        env = sandbox.seed(url)
        yield url, env


def statuses(path: Path, check: str) -> dict[str, str]:
    return {f["resource_id"]: f["status"] for f in json.loads(path.read_text())["findings"] if f["check_id"] == check}


def enable_versioning(env, bucket: str) -> None:
    env.client("s3").put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def test_fixing_a_seeded_defect_shows_as_resolved_in_report_diff(seeded, tmp_path):
    url, env = seeded
    aws = sandbox.environment(url)
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    proc = run_opsctl(["audit", *REGIONS, "--format", "json", "-o", str(before)], aws, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert statuses(before, "s3.bucket_versioning")[f"arn:aws:s3:::{UNVERSIONED}"] == "FAIL"

    enable_versioning(env, UNVERSIONED)
    proc = run_opsctl(["audit", *REGIONS, "--format", "json", "-o", str(after)], aws, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # the sandbox's other defects remain
    assert statuses(after, "s3.bucket_versioning")[f"arn:aws:s3:::{UNVERSIONED}"] == "PASS"

    diff = run_opsctl(["report", "diff", str(before), str(after), "--format", "json"], cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    data = json.loads(diff.stdout)
    assert [(e["check_id"], e["resource_id"], e["before"], e["after"]) for e in data["findings"]["resolved"]] == [
        ("s3.bucket_versioning", f"arn:aws:s3:::{UNVERSIONED}", "FAIL", "PASS")]
    assert data["counts"]["new"] == 0 and data["counts"]["unchanged"] > 50
    assert data["scores"]["availability"]["delta"] > 0, "fixing a defect raises its pillar's score"

    table = run_opsctl(["report", "diff", str(before), str(after), "--hide-unchanged"], cwd=tmp_path)
    assert "0 new, 1 resolved" in table.stdout and UNVERSIONED in table.stdout and "FAIL → PASS" in table.stdout
    md = run_opsctl(["report", "diff", str(before), str(after), "--format", "markdown"], cwd=tmp_path).stdout
    assert "### Resolved (1)" in md and "s3.bucket_versioning" in md


def test_an_expired_waiver_makes_the_run_fail_again(seeded, tmp_path):
    url, _ = seeded
    aws = sandbox.environment(url)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - check: s3.bucket_versioning\n"
        "    resource: 'arn:aws:s3:::*'\n"
        "    reason: versioning is rolled out with the storage migration\n"
        "    owner: data-team@example.com\n"
        "    expires: 2026-03-31\n"
        "    ticket: DATA-42\n")
    args = ["audit", *REGIONS, "--select", "s3.bucket_versioning", "--fail-on", "medium", "--waivers", str(waivers),
            "--format", "json", "-o", str(tmp_path / "r.json")]

    waived = run_opsctl(args, {**aws, "OPSCTL_TODAY": "2026-03-31"}, cwd=tmp_path)
    assert waived.returncode == 0, waived.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["summary"]["by_status"]["WAIVED"] >= 1 and data["summary"]["by_status"]["FAIL"] == 0
    assert data["waivers"][0]["status"] == "active"

    expired = run_opsctl(args, {**aws, "OPSCTL_TODAY": "2026-04-01"}, cwd=tmp_path)
    assert expired.returncode == 1, expired.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"]["by_status"]["WAIVED"] == 0 and data["summary"]["by_status"]["FAIL"] >= 1
    assert data["waivers"][0]["status"] == "expired" and data["waivers"][0]["matched"] >= 1
    assert "expired 2026-03-31" in expired.stderr and "FAIL again" in expired.stderr

    # and by the real calendar: a waiver that ended yesterday no longer applies
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    waivers.write_text(waivers.read_text().replace("2026-03-31", yesterday))
    assert run_opsctl(args, aws, cwd=tmp_path).returncode == 1


def run_cron(reports: Path, url: str, *args: str, keep: int = 2) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    env.update(sandbox.environment(url))
    env.update({"OPSCTL": OPSCTL, "OPSCTL_KEEP": str(keep)})
    return subprocess.run(["bash", str(CRON), str(reports), *args], capture_output=True, text=True, env=env, timeout=300)


def run_dirs(reports: Path) -> list[str]:
    return sorted(p.name for p in reports.iterdir() if p.is_dir() and not p.is_symlink() and p.name[0].isdigit())


def test_cron_wrapper_keeps_dated_reports_diffs_against_the_previous_run_and_prunes(seeded, tmp_path):
    url, env = seeded
    reports = tmp_path / "reports"
    args = (*REGIONS, "--fail-on", "medium", "--fail-on-new")

    first = run_cron(reports, url, *args)
    assert first.returncode == 1, first.stdout + first.stderr  # no baseline yet: every medium+ FAIL counts
    assert "first run, nothing to compare with" in first.stdout
    (run1,) = run_dirs(reports)
    assert (reports / "latest").resolve() == (reports / run1).resolve()
    assert {"opsctl-report.json", "opsctl-report.txt", "audit.log"} <= {p.name for p in (reports / run1).iterdir()}
    jsonschema.validate(json.loads((reports / run1 / "opsctl-report.json").read_text()), SCHEMA)

    enable_versioning(env, UNVERSIONED)
    second = run_cron(reports, url, *args)
    assert second.returncode == 0, second.stdout + second.stderr  # nothing new: --fail-on-new passes
    assert "0 new, 1 resolved" in second.stdout and UNVERSIONED in second.stdout
    run1_, run2 = run_dirs(reports)
    assert run1_ == run1 and (reports / "latest").resolve() == (reports / run2).resolve()
    diff = json.loads((reports / run2 / "opsctl-diff.json").read_text())
    assert diff["counts"]["resolved"] == 1 and diff["counts"]["new"] == 0
    assert diff["old"]["file"] == str(reports / run1 / "opsctl-report.json")
    meta = json.loads((reports / run2 / "opsctl-report.json").read_text())["metadata"]
    assert meta["baseline"]["file"] == str(reports / run1 / "opsctl-report.json")

    s3 = env.client("s3")
    s3.create_bucket(Bucket="3d-shop-scratch-new")  # no versioning, no lifecycle, no logging: new FAILs
    third = run_cron(reports, url, *args)
    assert third.returncode == 1, third.stdout + third.stderr
    assert "3d-shop-scratch-new" in third.stdout
    runs = run_dirs(reports)
    assert len(runs) == 2 and run1 not in runs and runs[0] == run2, "OPSCTL_KEEP=2 pruned the oldest run"
    assert (reports / "latest").resolve() == (reports / runs[1]).resolve()
    assert json.loads((reports / runs[1] / "opsctl-diff.json").read_text())["counts"]["new"] >= 1


def test_cron_wrapper_usage_errors(tmp_path):
    proc = subprocess.run(["bash", str(CRON)], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage:" in proc.stderr
    proc = subprocess.run(["bash", str(CRON), str(tmp_path / "r")], capture_output=True, text=True,
                          env={**os.environ, "OPSCTL": OPSCTL, "OPSCTL_KEEP": "zero"})
    assert proc.returncode == 2 and "OPSCTL_KEEP must be a positive integer" in proc.stderr
    proc = subprocess.run(["bash", str(CRON), str(tmp_path / "r")], capture_output=True, text=True,
                          env={**os.environ, "OPSCTL": OPSCTL, "OPSCTL_LOCK_WAIT": "soon"})
    assert proc.returncode == 2 and "OPSCTL_LOCK_WAIT must be a number of seconds" in proc.stderr


def _stub_opsctl(tmp_path: Path, seconds: float) -> Path:
    """An `opsctl` that takes `seconds` and writes no result: the lock is what these tests watch."""
    stub = tmp_path / "opsctl-stub"
    stub.write_text(f"#!/bin/sh\nsleep {seconds}\necho audited\n")
    stub.chmod(0o755)
    return stub


def _start_cron(reports: Path, stub: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(["bash", str(CRON), str(reports)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "OPSCTL": str(stub), **env}, start_new_session=True)


def _wait_for_run_dir(reports: Path, proc: subprocess.Popen) -> None:
    import time

    deadline = time.monotonic() + 20
    while not (reports.is_dir() and run_dirs(reports)):
        assert proc.poll() is None and time.monotonic() < deadline, "the first run never started"
        time.sleep(0.05)


@pytest.mark.skipif(__import__("shutil").which("flock") is None, reason="flock(1) (util-linux) is not installed")
def test_cron_wrapper_overlap_stops_in_one_line_and_a_killed_run_never_jams_the_next(tmp_path):
    """flock on REPORTS_DIR/.lock: a run that finds another going exits 2 at once with one line naming
    it (or waits OPSCTL_LOCK_WAIT seconds); a run killed with SIGKILL leaves nothing that stops the next."""
    import signal
    import time

    reports = tmp_path / "reports"
    slow = _stub_opsctl(tmp_path, 30)
    first = _start_cron(reports, slow)
    try:
        _wait_for_run_dir(reports, first)
        t0 = time.perf_counter()
        overlap = subprocess.run(["bash", str(CRON), str(reports)], capture_output=True, text=True, timeout=30,
                                 env={**os.environ, "OPSCTL": str(slow)})
        assert overlap.returncode == 2 and time.perf_counter() - t0 < 5
        lines = overlap.stderr.strip().splitlines()
        assert len(lines) == 1 and "another run holds" in lines[0] and f"pid {first.pid} since" in lines[0], lines
        assert len(run_dirs(reports)) == 1, "the overlapping run audited nothing"

        t0 = time.perf_counter()
        waited = subprocess.run(["bash", str(CRON), str(reports)], capture_output=True, text=True, timeout=30,
                                env={**os.environ, "OPSCTL": str(slow), "OPSCTL_LOCK_WAIT": "1"})
        took = time.perf_counter() - t0
        assert waited.returncode == 2 and 1 <= took < 6, took
        assert "waiting up to 1s" in waited.stderr and "this run stops without auditing" in waited.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the run dies at once, its audit with it: no trap runs
        first.wait(timeout=10)

    quick = _stub_opsctl(tmp_path, 0)
    after = subprocess.run(["bash", str(CRON), str(reports)], capture_output=True, text=True, timeout=30,
                           env={**os.environ, "OPSCTL": str(quick)})
    assert "another run holds" not in after.stderr, after.stderr
    assert "the audit wrote no result (exit 0)" in after.stderr and "audited" in after.stderr
    assert len(run_dirs(reports)) == 2, "the run after the killed one ran"


@pytest.mark.skipif(__import__("shutil").which("flock") is None, reason="flock(1) (util-linux) is not installed")
def test_cron_wrapper_waits_for_a_run_that_ends_within_opsctl_lock_wait(tmp_path):

    reports = tmp_path / "reports"
    first = _start_cron(reports, _stub_opsctl(tmp_path, 1.5))
    _wait_for_run_dir(reports, first)
    quick = tmp_path / "quick"
    quick.mkdir()
    second = subprocess.run(["bash", str(CRON), str(reports)], capture_output=True, text=True, timeout=30,
                            env={**os.environ, "OPSCTL": str(_stub_opsctl(quick, 0)), "OPSCTL_LOCK_WAIT": "20"})
    first.communicate(timeout=20)
    assert "waiting up to 20s" in second.stderr and "stops without auditing" not in second.stderr, second.stderr
    assert len(run_dirs(reports)) == 2


def test_cron_wrapper_removes_the_lock_directory_an_older_version_left(tmp_path):
    """The mkdir lock of the script before flock: a killed run left it, and it jammed every run after."""
    reports = tmp_path / "reports"
    (reports / ".lock").mkdir(parents=True)
    proc = subprocess.run(["bash", str(CRON), str(reports)], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "OPSCTL": str(_stub_opsctl(tmp_path, 0))})
    assert "another run holds" not in proc.stderr and (reports / ".lock").is_file(), proc.stderr
    assert len(run_dirs(reports)) == 1
