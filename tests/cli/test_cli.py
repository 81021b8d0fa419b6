"""The CLI as a user meets it: help everywhere, one-line errors with exit 2, stable exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import click
import jsonschema
import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.registry import load_builtin_checks
from opsctl.snapshot import CoverageGap, save_snapshot
from tests.helpers import snapshot

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "opsctl" / "schemas" / "result.schema.json").read_text())


@pytest.fixture
def runner():
    return CliRunner()


def all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name)
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path", list(all_commands(cli)), ids=" ".join)
def test_every_command_has_help(runner, path):
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    cmd = cli
    for part in path:
        cmd = cmd.commands[part]
    assert cmd.help and len(cmd.help.strip()) > 20, f"{' '.join(path)} needs a help text that teaches"


def test_audit_help_documents_exit_codes(runner):
    out = runner.invoke(cli, ["audit", "--help"]).output
    for code in ("0 ", "1 ", "2 ", "3 ", "4 "):
        assert f"  {code}" in out


def test_version(runner):
    assert runner.invoke(cli, ["--version"]).output.startswith("opsctl, version")


def test_checks_list_json_has_every_check(runner):
    data = json.loads(runner.invoke(cli, ["checks", "list", "--format", "json"]).output)
    assert {c["id"] for c in data["checks"]} == set(load_builtin_checks())
    assert all({"id", "pillar", "severity", "resource_type", "params", "runbook"} <= set(c) for c in data["checks"])


def test_checks_list_table_filters(runner):
    out = runner.invoke(cli, ["checks", "list", "--pillar", "cost"]).output
    assert "s3.bucket_lifecycle" in out and "s3.bucket_not_public" not in out


def test_explain_renders_runbook_and_rejects_unknown(runner):
    result = runner.invoke(cli, ["explain", "s3.bucket_not_public"])
    assert result.exit_code == 0 and "Why it matters" in result.output and "How to fix" in result.output
    bad = runner.invoke(cli, ["explain", "s3.bucket_nope"])
    assert bad.exit_code == 2 and "unknown check id 's3.bucket_nope'" in bad.output
    assert "did you mean" in bad.output


@pytest.fixture
def snap_file(tmp_path):
    """A snapshot with one listing gap (kms in us-east-1) and nothing else: no PASS may come from it."""
    snap = snapshot({}, coverage=[CoverageGap("s3", "global", "ListBuckets", "AccessDenied", "denied", "s3.bucket", "")])
    path = tmp_path / "snap.json"
    save_snapshot(snap, path)
    return path


def test_audit_from_snapshot_json_matches_schema(runner, snap_file, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    s3 = [f for f in data["findings"] if f["check_id"].startswith("s3.") and f["resource_type"] == "s3.bucket"]
    assert s3 and {f["status"] for f in s3} == {"ERROR"}
    assert all("ListBuckets" in f["message"] for f in s3)
    assert data["metadata"]["source"] == "snapshot" and data["summary"]["coverage_gaps"] == 1


def test_strict_exits_3_on_gaps(runner, snap_file):
    assert runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--strict"]).exit_code == 3
    assert runner.invoke(cli, ["audit", "--snapshot", str(snap_file)]).exit_code == 0


def test_table_output_groups_and_summarises(runner, snap_file):
    out = runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--select", "s3.*"]).output
    assert "Security" in out and "Summary" in out and "Coverage gaps" in out and "ListBuckets" in out
    assert "\x1b[" not in out  # no colour when not a terminal / NO_COLOR


@pytest.mark.parametrize(
    "args, message",
    [
        (["audit", "--snapshot", "missing.json"], "cannot read snapshot"),
        (["audit", "--select", "nope.*", "--snapshot", "x.json"], "no check matches 'nope.*'"),
        (["audit", "--region", "us-east-1", "--snapshot", "x.json"], "drop --region"),
        (["audit", "--external-id", "x"], "needs --role-arn"),
        (["audit", "--fail-on", "urgent"], "Invalid value for '--fail-on'"),
        (["inventory", "collect", "-o", "x.json", "--service", "s4"], "unknown service 's4'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(runner, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_config_names_file_and_line(runner, tmp_path, snap_file):
    cfg = tmp_path / "opsctl.yaml"
    cfg.write_text("regions: [us-east-1]\nchecks:\n  s3.bucket_nope: {x: 1}\n")
    result = runner.invoke(cli, ["audit", "--config", str(cfg), "--snapshot", str(snap_file)])
    assert result.exit_code == 2
    assert f"{cfg}:3: checks: unknown check id 's3.bucket_nope'" in result.output


def test_wrong_version_snapshot(runner, tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema_version": 0}))
    result = runner.invoke(cli, ["audit", "--snapshot", str(path)])
    assert result.exit_code == 2 and "schema_version 0 is not supported" in result.output


def test_missing_credentials(runner, monkeypatch, tmp_path):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = runner.invoke(cli, ["audit", "--region", "us-east-1"])
    assert result.exit_code == 2, result.output
    assert "no AWS credentials found" in result.output


def test_unknown_region(runner, moto_aws):
    result = runner.invoke(cli, ["audit", "--region", "us-east-9"])
    assert result.exit_code == 2 and "unknown region 'us-east-9'" in result.output


def test_unknown_profile(runner):
    result = runner.invoke(cli, ["audit", "--profile", "nope"])
    assert result.exit_code == 2 and "profile 'nope'" in result.output


def test_inventory_collect_writes_a_snapshot_without_progress_noise(runner, moto_aws, tmp_path):
    import boto3

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="shop-assets")
    out = tmp_path / "snap.json"
    result = runner.invoke(cli, ["inventory", "collect", "--region", "us-east-1", "--service", "s3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [b["name"] for b in data["resources"]["s3.bucket"]] == ["shop-assets"]
    assert data["regions"] == ["us-east-1"] and data["schema_version"] == 1
    assert "collecting" not in result.output  # the progress bar only draws on a terminal
    assert f"wrote {out}" in result.output.replace("\n", "")


def test_an_unwritable_output_path_fails_before_collecting(runner, moto_aws, tmp_path, monkeypatch):
    """A typo in -o or --save-snapshot must not cost a whole collection: it is refused first."""
    from opsctl.collect import runner as collect_runner

    monkeypatch.setattr(collect_runner, "collect", lambda *a, **k: pytest.fail("collected before checking -o"))
    cases = [
        (["inventory", "collect", "--region", "us-east-1", "-o", str(tmp_path / "nodir" / "s.json")], "-o/--output: the directory"),
        (["audit", "--region", "us-east-1", "--save-snapshot", str(tmp_path / "nodir" / "s.json")], "--save-snapshot: the directory"),
        (["audit", "--region", "us-east-1", "--format", "json", "-o", str(tmp_path / "nodir" / "r.json")], "-o/--output: the directory"),
        (["audit", "--region", "us-east-1", "--save-snapshot", str(tmp_path)], "is a directory"),
    ]
    for args, message in cases:
        result = runner.invoke(cli, args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)


def _failing_write(monkeypatch, target: Path) -> None:
    original = Path.write_text

    def write_text(self, *args, **kwargs):
        if self == target:
            raise OSError(28, "No space left on device")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_text)


def test_a_snapshot_that_cannot_be_saved_is_rescued_and_the_report_still_written(runner, snap_file, tmp_path, monkeypatch):
    full = tmp_path / "snap-copy.json"
    _failing_write(monkeypatch, full)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    out = tmp_path / "r.json"
    result = runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--format", "json", "-o", str(out),
                                 "--save-snapshot", str(full)])
    assert result.exit_code == 2
    assert json.loads(out.read_text())["schema_version"]  # the audit's own output is not lost
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(f"opsctl: --save-snapshot: cannot write {full} (No space left on device); saved it to ")
    rescued = Path(line.rsplit(" saved it to ", 1)[1].removesuffix(" instead"))
    assert json.loads(rescued.read_text())["schema_version"] == 1


def test_a_report_that_cannot_be_written_is_rescued(runner, snap_file, tmp_path, monkeypatch):
    out = tmp_path / "r.json"
    _failing_write(monkeypatch, out)
    result = runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--format", "json", "-o", str(out)])
    assert result.exit_code == 2 and "-o/--output: cannot write" in result.output
    rescued = Path(result.output.strip().rsplit(" saved it to ", 1)[1].removesuffix(" instead"))
    assert "findings" in json.loads(rescued.read_text())


def test_click_usage_errors_are_one_line_naming_the_flag_and_the_help(runner, tmp_path):
    result = runner.invoke(cli, ["audit", "--workers", "0"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "opsctl: Invalid value for '--workers': 0 is not in the range 1<=x<=64. (see `cli audit --help`)"]


def test_ctrl_c_exits_130_not_the_findings_code(runner, snap_file, monkeypatch):
    from opsctl import audit as core

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(core, "load_or_collect", interrupted)
    result = runner.invoke(cli, ["audit", "--snapshot", str(snap_file)])
    assert result.exit_code == 130 and "interrupted (Ctrl-C)" in result.output


def test_no_answer_at_a_prompt_is_exit_2_and_writes_nothing(runner, monkeypatch):
    """End of input (Ctrl-D) at `[y/N]` is click.Abort: like declining, exit 2 — not 1 ("findings")."""
    import opsctl.cli as cli_module

    @cli_module.cli.command("_prompt_probe", hidden=True)
    def probe() -> None:
        click.confirm("apply?", abort=True)

    try:
        result = runner.invoke(cli, ["_prompt_probe"], input="")
    finally:
        cli_module.cli.commands.pop("_prompt_probe")
    assert result.exit_code == 2 and "no answer at the prompt; nothing was written" in result.output


@pytest.mark.parametrize("flag", ["--snapshot", "--config", "--waivers", "--spec", "--prices", "--baseline"])
def test_a_file_that_is_not_utf8_is_a_one_line_error_naming_flag_and_file(runner, snap_file, tmp_path, flag):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"owner: Jos\xe9\n")
    args = ["audit", flag, str(bad)] + ([] if flag == "--snapshot" else ["--snapshot", str(snap_file)])
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"{bad} is not UTF-8 text (byte 0xe9 at offset 10); save it as UTF-8" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_not_utf8_results_for_topology_and_diff(runner, tmp_path):
    bad = tmp_path / "r.json"
    bad.write_bytes(b"\xff\xfe{}")
    for args in (["topology", "--result", str(bad)], ["report", "diff", str(bad), str(bad)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2 and "is not UTF-8 text" in result.output, (args, result.output)


def test_one_report_file_that_cannot_be_written_does_not_cost_the_others(runner, snap_file, tmp_path):
    out = tmp_path / "reports"
    (out / "opsctl-report.html").mkdir(parents=True)  # in the way of the HTML report
    result = runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--report-dir", str(out),
                                 "--sarif-location", "opsctl.yaml"])
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert line.startswith(f"opsctl: --report-dir: cannot write {out / 'opsctl-report.html'} (Is a directory); wrote the other ")
    for ext in ("txt", "json", "md", "sarif", "xml", "csv"):
        assert (out / f"opsctl-report.{ext}").is_file(), ext


@pytest.mark.parametrize(("raised", "code", "message"), [
    (RecursionError(), 2, "opsctl: an input file is nested too deeply to read"),
    (OSError(28, "No space left on device"), 2, "opsctl: cannot write to standard output (No space left on device); use -o FILE"),
    (OSError(13, "Permission denied"), 4, "opsctl: internal error: PermissionError"),
    (ValueError("boom"), 4, "opsctl: internal error: ValueError: boom (set OPSCTL_DEBUG=1"),
])
def test_entry_point_turns_what_escapes_into_one_line(monkeypatch, capsys, raised, code, message):
    import opsctl.cli as cli_module

    def explode(*_a, **_k):
        raise raised

    monkeypatch.setattr(cli_module.cli, "main", explode)
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == code
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("value", ["javascript:alert(1)//", "http://", "not a url", "data:text/html,x"])
def test_runbook_base_url_must_be_http_or_a_relative_path(runner, snap_file, value):
    result = runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--runbook-base-url", value])
    assert result.exit_code == 2 and "Invalid value for --runbook-base-url" in result.output


@pytest.mark.parametrize("value", [":", "opsctl.yaml:", "x:abc", "x:1.5", "dir/"])
def test_odd_sarif_locations_are_refused_before_anything_runs(runner, snap_file, value):
    result = runner.invoke(cli, ["audit", "--snapshot", str(snap_file), "--sarif-location", value])
    assert result.exit_code == 2 and "expected FILE or FILE:LINE" in result.output


def test_a_closed_stream_is_not_a_terminal():
    import io

    from opsctl.output import is_terminal

    closed = io.StringIO()
    closed.close()
    assert is_terminal(None) is False and is_terminal(closed) is False and is_terminal(io.StringIO()) is False
