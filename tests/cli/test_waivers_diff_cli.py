"""`audit --waivers/--baseline/--fail-on-new/--report-dir` and `report diff`, offline from snapshots."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from opsctl import report
from opsctl.cli import cli
from opsctl.snapshot import save_snapshot
from tests.helpers import snapshot
from tests.unit.checks.test_s3 import bucket, buckets

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "opsctl" / "schemas" / "result.schema.json").read_text())
TMP, ASSETS, NEWB = "arn:aws:s3:::shop-tmp-1", "arn:aws:s3:::shop-assets", "arn:aws:s3:::shop-new"
SELECT = ["--select", "s3.bucket_versioning", "--fail-on", "medium"]
WAIVER = """\
waivers:
  - check: s3.bucket_versioning
    resource: "arn:aws:s3:::shop-tmp-*"
    reason: scratch bucket, rebuilt nightly
    owner: platform@example.com
    expires: 2026-12-31
    ticket: OPS-7
"""


@pytest.fixture
def runner():
    return CliRunner()


def snap(tmp_path: Path, name: str, *items) -> str:
    path = tmp_path / name
    save_snapshot(snapshot(buckets(*items)), path)
    return str(path)


@pytest.fixture
def one_defect(tmp_path):
    """shop-assets is fine; shop-tmp-1 has never had versioning (a medium FAIL)."""
    return snap(tmp_path, "snap1.json", bucket("shop-assets"), bucket("shop-tmp-1", versioning=None))


def audit(runner, *args, env=None):
    return runner.invoke(cli, ["audit", *args], env=env)


def statuses(path) -> dict[str, str]:
    return {f["resource_id"]: f["status"] for f in json.loads(Path(path).read_text())["findings"]}


# ----- waivers ----------------------------------------------------------------------------------
def test_waiver_turns_fail_into_waived_until_it_expires(runner, tmp_path, one_defect):
    (tmp_path / "w.yaml").write_text(WAIVER)
    out = tmp_path / "r.json"
    args = ["--snapshot", one_defect, *SELECT, "--waivers", str(tmp_path / "w.yaml"), "--format", "json", "-o", str(out)]

    before = audit(runner, *args, env={"OPSCTL_TODAY": "2026-12-31"})
    assert before.exit_code == 0, before.output
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert statuses(out) == {TMP: "WAIVED", ASSETS: "PASS"}
    assert data["summary"]["by_status"]["WAIVED"] == 1 and data["summary"]["by_status"]["FAIL"] == 0
    (w,) = data["waivers"]
    assert (w["status"], w["matched"], w["ticket"], w["source"]) == ("active", 1, "OPS-7", f"{tmp_path / 'w.yaml'}:2")
    waived = [f for f in data["findings"] if f["status"] == "WAIVED"][0]
    assert waived["evidence"]["waiver"]["owner"] == "platform@example.com"
    assert "waivers: 1 active (1 FAIL finding(s) waived)" in before.stderr

    after = audit(runner, *args, env={"OPSCTL_TODAY": "2027-01-01"})
    assert after.exit_code == 1, after.output
    assert statuses(out) == {TMP: "FAIL", ASSETS: "PASS"}
    assert json.loads(out.read_text())["waivers"][0]["status"] == "expired"
    assert "expired 2026-12-31" in after.stderr and "1 finding(s) FAIL again" in after.stderr


def test_waivers_from_config_and_stale_report(runner, tmp_path, one_defect):
    (tmp_path / "w.yaml").write_text(WAIVER.replace("shop-tmp-*", "shop-gone-*"))
    (tmp_path / "opsctl.yaml").write_text("waivers: w.yaml\n")
    result = audit(runner, "--snapshot", one_defect, *SELECT, "--config", str(tmp_path / "opsctl.yaml"),
                   env={"OPSCTL_TODAY": "2026-01-01"})
    assert result.exit_code == 1
    assert "stale:" in result.stderr and "matches no FAIL" in result.stderr


def test_waivers_flag_replaces_config(runner, tmp_path, one_defect):
    (tmp_path / "w.yaml").write_text(WAIVER)
    (tmp_path / "opsctl.yaml").write_text("waivers:\n  - {check: 's3.*', resource: '*', reason: r, owner: o, expires: 2099-01-01}\n")
    (tmp_path / "none.yaml").write_text("waivers: []\n")
    env = {"OPSCTL_TODAY": "2026-01-01"}
    base = ["--snapshot", one_defect, *SELECT, "--config", str(tmp_path / "opsctl.yaml")]
    assert audit(runner, *base, env=env).exit_code == 0
    assert audit(runner, *base, "--waivers", str(tmp_path / "none.yaml"), env=env).exit_code == 1


@pytest.mark.parametrize(
    "text, message",
    [
        (WAIVER.replace("    owner: platform@example.com\n", ""), "w.yaml:2: waiver #1: missing required owner"),
        (WAIVER.replace("2026-12-31", "31/12/2026"), "w.yaml:6: waiver #1: expires must be a date YYYY-MM-DD"),
        (WAIVER.replace("s3.bucket_versioning", "s3.bucket_versionnig"), "w.yaml:2: check 's3.bucket_versionnig' matches no check id"),
    ],
)
def test_malformed_waivers_exit_2_naming_the_line(runner, tmp_path, one_defect, text, message):
    (tmp_path / "w.yaml").write_text(text)
    result = audit(runner, "--snapshot", one_defect, "--waivers", str(tmp_path / "w.yaml"))
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_today_override_is_usage_error(runner, tmp_path, one_defect):
    (tmp_path / "w.yaml").write_text(WAIVER)
    result = audit(runner, "--snapshot", one_defect, "--waivers", str(tmp_path / "w.yaml"), env={"OPSCTL_TODAY": "tomorrow"})
    assert result.exit_code == 2 and "OPSCTL_TODAY='tomorrow' is not a date" in result.stderr


# ----- report dir -------------------------------------------------------------------------------
def test_report_dir_writes_every_registered_format(runner, tmp_path, one_defect, monkeypatch):
    monkeypatch.setitem(report.RENDERERS, "shout", ("tests.cli.test_waivers_diff_cli", "render_shout", "txt"))
    out_dir = tmp_path / "reports" / "today"
    (tmp_path / "opsctl.yaml").write_text("# SARIF pins its results to the config file\n")
    monkeypatch.chdir(tmp_path)
    result = audit(runner, "--snapshot", one_defect, *SELECT, "--config", "opsctl.yaml",
                   "--report-dir", str(out_dir))
    assert result.exit_code == 1, result.output
    written = sorted(p.name for p in out_dir.iterdir() if p.name != "runbooks")
    names = {fmt: (f"opsctl-report.{ext}" if fmt not in ("table", "shout") else f"opsctl-report.{fmt}.txt")
             for fmt, (_, _, ext) in report.RENDERERS.items()}
    assert written == sorted(names.values()), result.stderr
    assert [p.name for p in (out_dir / "runbooks").iterdir()] == ["s3.bucket_versioning.md"]  # tests/unit/test_runbook_links.py
    for name in written:
        assert f"wrote {out_dir / name}" in result.stderr
    assert (out_dir / "opsctl-report.shout.txt").read_text() == "1 FINDINGS\n"
    data = json.loads((out_dir / "opsctl-report.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert "Summary" in (out_dir / "opsctl-report.table.txt").read_text()
    assert "Summary" in result.stdout, "--report-dir comes on top of the usual output"


def test_report_dir_skips_a_format_that_cannot_render_and_writes_the_others(runner, tmp_path, one_defect, monkeypatch):
    monkeypatch.setitem(report.RENDERERS, "picky", ("tests.cli.test_waivers_diff_cli", "render_picky", "picky"))
    result = audit(runner, "--snapshot", one_defect, *SELECT, "--report-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert "skipped the picky report: picky needs --picky-option" in result.stderr
    assert not (tmp_path / "out" / "opsctl-report.picky").exists()
    assert (tmp_path / "out" / "opsctl-report.json").is_file()


def render_picky(result, **_options) -> str:
    from opsctl.errors import UsageError

    raise UsageError("picky needs --picky-option")


def render_shout(result, **_options) -> str:
    return f"{sum(f.status.value == 'FAIL' for f in result.findings)} FINDINGS\n"


def test_report_dir_that_is_a_file_is_usage_error(runner, tmp_path, one_defect):
    (tmp_path / "taken").write_text("")
    result = audit(runner, "--snapshot", one_defect, "--report-dir", str(tmp_path / "taken" / "sub"))
    assert result.exit_code == 2
    assert f"--report-dir: cannot create {tmp_path / 'taken' / 'sub'}: {tmp_path / 'taken'} is a file, not a directory" in result.stderr


# ----- baseline ---------------------------------------------------------------------------------
def test_baseline_and_fail_on_new(runner, tmp_path, one_defect):
    first = tmp_path / "run1"
    assert audit(runner, "--snapshot", one_defect, *SELECT, "--report-dir", str(first)).exit_code == 1
    baseline = str(first / "opsctl-report.json")

    same = audit(runner, "--snapshot", one_defect, *SELECT, "--baseline", baseline, "--fail-on-new")
    assert same.exit_code == 0, same.output
    assert "0 new, 0 resolved, 1 unchanged" in same.stderr
    assert audit(runner, "--snapshot", one_defect, *SELECT, "--baseline", baseline).exit_code == 1, \
        "without --fail-on-new every FAIL counts"

    worse = snap(tmp_path, "snap2.json", bucket("shop-assets"), bucket("shop-tmp-1", versioning=None),
                 bucket("shop-new", versioning="Suspended"))
    second = tmp_path / "run2"
    result = audit(runner, "--snapshot", worse, *SELECT, "--baseline", baseline, "--fail-on-new", "--report-dir", str(second))
    assert result.exit_code == 1
    data = json.loads((second / "opsctl-report.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["metadata"]["baseline"]["file"] == baseline
    assert data["metadata"]["baseline"]["counts"]["new"] == 1
    diff = json.loads((second / "opsctl-diff.json").read_text())
    assert [e["resource_id"] for e in diff["findings"]["new"]] == [NEWB]
    assert "### New (1)" in (second / "opsctl-diff.md").read_text()
    assert "1 of 1 new FAIL(s) at or above --fail-on medium counts for the exit code" in result.stderr
    below = audit(runner, "--snapshot", worse, *SELECT, "--fail-on", "high", "--baseline", baseline, "--fail-on-new")
    assert below.exit_code == 0, "a new FAIL below --fail-on does not count"
    assert "0 of 1 new FAIL(s) at or above --fail-on high count for the exit code" in below.stderr

    fixed = snap(tmp_path, "snap3.json", bucket("shop-assets"), bucket("shop-tmp-1"))
    result = audit(runner, "--snapshot", fixed, *SELECT, "--baseline", baseline, "--fail-on-new")
    assert result.exit_code == 0 and "0 new, 1 resolved, 0 unchanged" in result.stderr


def test_expired_waiver_counts_as_new_with_fail_on_new(runner, tmp_path, one_defect):
    (tmp_path / "w.yaml").write_text(WAIVER)
    run1 = tmp_path / "run1"
    args = ["--snapshot", one_defect, *SELECT, "--waivers", str(tmp_path / "w.yaml")]
    assert audit(runner, *args, "--report-dir", str(run1), env={"OPSCTL_TODAY": "2026-06-01"}).exit_code == 0
    later = audit(runner, *args, "--baseline", str(run1 / "opsctl-report.json"), "--fail-on-new",
                  env={"OPSCTL_TODAY": "2027-06-01"})
    assert later.exit_code == 1, later.output
    assert "1 new" in later.stderr


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--fail-on-new"], "--fail-on-new needs --baseline"),
        (["--baseline", "missing.json"], "--baseline: cannot read missing.json"),
    ],
)
def test_baseline_usage_errors(runner, tmp_path, monkeypatch, one_defect, extra, message):
    monkeypatch.chdir(tmp_path)
    result = audit(runner, "--snapshot", one_defect, *extra)
    assert result.exit_code == 2 and message in result.stderr


# ----- report diff ------------------------------------------------------------------------------
def test_report_diff_formats(runner, tmp_path, one_defect):
    fixed = snap(tmp_path, "fixed.json", bucket("shop-assets"), bucket("shop-tmp-1"))
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    audit(runner, "--snapshot", one_defect, *SELECT, "--format", "json", "-o", str(old))
    audit(runner, "--snapshot", fixed, *SELECT, "--format", "json", "-o", str(new))

    table = runner.invoke(cli, ["report", "diff", str(old), str(new)])
    assert table.exit_code == 0, table.output
    assert "0 new, 1 resolved, 0 unchanged" in table.stdout and "FAIL → PASS" in table.stdout
    md = runner.invoke(cli, ["report", "diff", str(old), str(new), "--format", "markdown"]).stdout
    assert "### Resolved (1)" in md and "shop-tmp-1" in md
    data = json.loads(runner.invoke(cli, ["report", "diff", str(old), str(new), "--format", "json"]).stdout)
    assert data["counts"]["resolved"] == 1 and data["findings"]["resolved"][0]["resource_id"] == TMP
    assert data["scores"] is None or "overall" in data["scores"]
    out = tmp_path / "d.md"
    written = runner.invoke(cli, ["report", "diff", str(new), str(old), "--format", "markdown", "-o", str(out)])
    assert written.exit_code == 0 and f"wrote {out}" in written.stderr
    assert "### New (1)" in out.read_text()


def test_report_diff_rejects_non_results(runner, tmp_path):
    (tmp_path / "snap.json").write_text(json.dumps({"schema_version": 1, "resources": {}}))
    result = runner.invoke(cli, ["report", "diff", str(tmp_path / "snap.json"), str(tmp_path / "snap.json")])
    assert result.exit_code == 2 and "not an opsctl result" in result.stderr and "Traceback" not in result.output
