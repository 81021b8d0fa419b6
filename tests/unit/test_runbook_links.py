"""Runbooks that open (issue 13, item 3): `--report-dir` writes the runbooks its reports link to,
only those, so that every link of every report resolves from the directory; with
`--runbook-base-url` it writes none and every link is absolute."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from opsctl.audit_followup import linked_runbooks, runbook_documents, write_report_dir
from opsctl.cli import cli
from opsctl.engine import Result
from opsctl.findings import Finding, Severity, Status
from opsctl.paths import data_dir
from opsctl.registry import load_builtin_checks
from opsctl.report.helpers import is_relative_link, replace_links, runbook_url
from opsctl.snapshot import save_snapshot
from tests.helpers import snapshot
from tests.unit.checks.test_s3 import bucket, buckets

BASE = "https://github.com/acme/opsctl/blob/v1/"
RUNBOOKS = sorted(data_dir("runbooks").glob("*.md"))


@pytest.fixture
def audit_dir(tmp_path, monkeypatch):
    """Run `opsctl audit --snapshot` over two buckets (one without versioning, public) with a
    config file for SARIF; returns a function (extra args) -> (CliRunner result, report dir)."""
    snap = tmp_path / "snap.json"
    save_snapshot(snapshot(buckets(bucket("shop-assets"), bucket("shop-tmp-1", versioning=None, policy_is_public=True))), snap)
    (tmp_path / "opsctl.yaml").write_text("# SARIF points at the config file\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSCTL_RUNBOOK_BASE_URL", raising=False)

    def run(*args: str, env: dict[str, str] | None = None):
        out = tmp_path / "reports"
        result = CliRunner().invoke(cli, ["audit", "--snapshot", str(snap), "--config", "opsctl.yaml",
                                          "--report-dir", str(out), *args], env=env)
        assert result.exit_code == 1, result.output  # the defects FAIL
        return result, out

    return run


def report_links(out: Path) -> dict[str, set[str]]:
    """Every runbook link of every report in `out`, by format."""
    md = (out / "opsctl-report.md").read_text(encoding="utf-8")
    html = (out / "opsctl-report.html").read_text(encoding="utf-8")
    sarif = json.loads((out / "opsctl-report.sarif").read_text(encoding="utf-8"))
    rows = list(csv.DictReader(io.StringIO((out / "opsctl-report.csv").read_text(encoding="utf-8"), newline="")))
    junit = (out / "opsctl-report.xml").read_text(encoding="utf-8")
    return {
        "markdown": set(re.findall(r"\]\(([^)]*runbooks/[^)]+)\)", md)),
        "html": set(re.findall(r'<a href="([^"#][^"]*)"', html)),
        "sarif": {r["helpUri"] for run in sarif["runs"] for r in run["tool"]["driver"]["rules"] if "helpUri" in r},
        "csv": {r["runbook"] for r in rows},
        "junit": set(re.findall(r"runbook: (\S+) \(opsctl explain", junit)),
    }


def test_report_dir_writes_the_runbooks_its_reports_link_to_and_only_those(audit_dir):
    result, out = audit_dir()
    findings = json.loads((out / "opsctl-report.json").read_text())["findings"]
    with_findings = {f["check_id"] for f in findings}
    files = {p.name for p in (out / "runbooks").iterdir()}
    assert files == {f"{c}.md" for c in with_findings}
    assert {"s3.bucket_versioning.md", "s3.bucket_not_public.md"} <= files
    assert "ec2.volume_unattached.md" not in files and len(files) < len(load_builtin_checks()), \
        "a check that found nothing has no link and no runbook"

    links = report_links(out)
    assert links["markdown"] and links["html"] and links["csv"] and links["junit"]
    assert links["sarif"] == set(), "SARIF gets helpUri only with --runbook-base-url (it must be absolute)"
    for fmt, targets in links.items():
        for target in targets:
            assert (out / unquote(target)).is_file(), f"{fmt}: dead link {target}"
    assert links["csv"] == {f"runbooks/{c}.md" for c in with_findings}, "the CSV links every check with a finding"

    assert (out / "runbooks" / "s3.bucket_versioning.md").read_text() == \
        (data_dir("runbooks") / "s3.bucket_versioning.md").read_text(), "the runbook shipped with opsctl"
    assert f"wrote {len(files)} runbooks to {out / 'runbooks'}{os.sep}" in result.stderr
    assert f"wrote {out / 'runbooks'}{os.sep}s3." not in result.stderr, "one line for the runbooks, not one each"
    assert f"wrote {out / 'opsctl-report.html'}" in result.stderr


@pytest.mark.parametrize("how", ["flag", "env"])
def test_with_a_runbook_base_url_none_is_written_and_every_link_is_absolute(audit_dir, how):
    args, env = (["--runbook-base-url", BASE], None) if how == "flag" else ([], {"OPSCTL_RUNBOOK_BASE_URL": BASE})
    result, out = audit_dir(*args, env=env)
    assert not (out / "runbooks").exists()
    assert "runbooks to" not in result.stderr
    links = report_links(out)
    assert all(links.values()), links
    for fmt, targets in links.items():
        assert all(t.startswith(BASE + "runbooks/") and t.endswith(".md") for t in targets), (fmt, targets)
        for t in targets:
            assert (data_dir("runbooks") / t.removeprefix(BASE + "runbooks/")).is_file(), f"{fmt}: no runbook {t}"


def _shard(tmp_path: Path, name: str, account: str, shard: str, check_id: str, status: Status) -> str:
    r = Result([Finding(check_id, "t", status, Severity.MEDIUM, "availability", f"arn:aws:s3:::b{account}", "s3.bucket",
                        "us-east-1", "m", account=account)], [], "o-aaaaaaaaaa", ["us-east-1"], [check_id], {"api_calls": 3},
               accounts=[{"id": account, "name": name, "status": "audited", "reason": "", "shard": shard}],
               organization={"id": "o-aaaaaaaaaa", "scope": ["111111111111", "222222222222"], "shards": [shard], "role": "R"})
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(r.to_dict()))
    return str(path)


def test_report_merge_writes_the_runbooks_too(tmp_path, monkeypatch):
    monkeypatch.delenv("OPSCTL_RUNBOOK_BASE_URL", raising=False)
    a = _shard(tmp_path, "a", "111111111111", "1/2", "s3.bucket_versioning", Status.FAIL)
    b = _shard(tmp_path, "b", "222222222222", "2/2", "s3.bucket_encrypted", Status.PASS)
    out = tmp_path / "org-report"
    res = CliRunner().invoke(cli, ["report", "merge", a, b, "-o", str(tmp_path / "org.json"), "--report-dir", str(out),
                                   "--sarif-location", "opsctl.yaml"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (out / "runbooks").iterdir()) == ["s3.bucket_encrypted.md", "s3.bucket_versioning.md"]
    for fmt, targets in report_links(out).items():
        for target in targets:
            assert (out / unquote(target)).is_file(), f"{fmt}: dead link {target}"


def test_finish_says_how_many_runbooks_it_wrote(tmp_path):
    from opsctl.audit_followup import AuditFollowup

    result = Result([Finding("s3.bucket_versioning", "t", Status.FAIL, Severity.MEDIUM, "availability",
                             "arn:aws:s3:::b", "s3.bucket", "us-east-1", "m")], [], "123456789012", ["us-east-1"],
                    ["s3.bucket_versioning"], {"evaluated_at": "2026-01-01T00:00:00+00:00"})
    lines: list[str] = []
    AuditFollowup().finish(result, str(tmp_path / "out"), False, echo=lines.append, sarif_location="opsctl.yaml")
    assert lines[-1] == f"wrote 1 runbook to {tmp_path / 'out' / 'runbooks'}{os.sep}"
    assert all(not line.endswith(".md") or "opsctl-report" in line for line in lines)


def test_a_runbooks_file_in_the_way_costs_the_runbooks_not_the_reports(tmp_path):
    from opsctl.errors import UsageError

    out = tmp_path / "out"
    out.mkdir()
    (out / "runbooks").write_text("")
    result = Result([Finding("s3.bucket_versioning", "t", Status.FAIL, Severity.MEDIUM, "availability",
                             "arn:aws:s3:::b", "s3.bucket", "us-east-1", "m")], [], "123456789012", ["us-east-1"], [])
    with pytest.raises(UsageError, match=r"--report-dir: cannot write .*runbooks.*; wrote the other"):
        write_report_dir(result, str(out), False, sarif_location="opsctl.yaml")
    assert (out / "opsctl-report.html").is_file()


# ----- the runbooks written beside the reports ---------------------------------------------------------------
def test_every_relative_link_of_a_written_runbook_resolves_or_names_the_repository_file(tmp_path):
    ids = [p.stem for p in RUNBOOKS]
    docs = runbook_documents(ids, tmp_path / "runbooks")
    (tmp_path / "runbooks").mkdir()
    for path, text in docs:
        path.write_text(text)
    relative: list[tuple[Path, str]] = []
    for path, text in docs:
        replace_links(text, lambda _label, target, path=path: relative.append((path, target)) if is_relative_link(target) else None)
    dead = [f"{path.name}: {target}" for path, target in relative if not (path.parent / target).is_file()]
    assert not dead, dead
    spec = (tmp_path / "runbooks" / "arch.tier_present.md").read_text()
    assert "Architecture spec format (`docs/architecture-spec.md` in the opsctl repository)" in spec
    assert "../docs/" not in spec


def test_a_check_this_opsctl_has_no_runbook_for_gets_a_note_and_odd_ids_none(tmp_path):
    docs = dict(runbook_documents(["s3.bucket_from_the_future", "../../etc/passwd", "x y"], tmp_path))
    assert list(docs) == [tmp_path / "s3.bucket_from_the_future.md"]
    assert "ships no runbook for `s3.bucket_from_the_future`" in docs[tmp_path / "s3.bucket_from_the_future.md"]


def test_linked_runbooks_are_the_checks_with_a_finding_pass_included():
    f = lambda cid, st: Finding(cid, "t", st, Severity.LOW, "cost", "r", "s3.bucket", "us-east-1", "m")  # noqa: E731
    result = Result([f("s3.b_x", Status.PASS), f("s3.a_y", Status.FAIL), f("s3.a_y", Status.PASS)], [], "1", [], [])
    assert linked_runbooks(result) == ["s3.a_y", "s3.b_x"]


# ----- runbook_url and replace_links -------------------------------------------------------------------------
def test_runbook_url_comes_from_the_check_id_never_the_findings_runbook_field():
    f = Finding("s3.bucket_not_public", "t", Status.FAIL, Severity.HIGH, "security", "r", "s3.bucket", "us-east-1", "m",
                runbook="javascript:alert(1)")
    assert runbook_url(f) == "runbooks/s3.bucket_not_public.md"
    assert runbook_url(f, "https://e.com/x") == "https://e.com/x/runbooks/s3.bucket_not_public.md"
    assert runbook_url("../../etc/passwd") == "runbooks/..%2F..%2Fetc%2Fpasswd.md"


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.stem)
def test_replace_links_finds_the_links_markdown_it_finds(path):
    text = path.read_text(encoding="utf-8")
    expected = [c.attrs["href"] for tok in MarkdownIt().parse(text) for c in tok.children or [] if c.type == "link_open"]
    found: list[str] = []
    assert replace_links(text, lambda _label, target: found.append(target)) == text, "None keeps every link as it was"
    assert found == expected


def test_replace_links_leaves_code_alone():
    text = "See [a](https://a.example).\n`[b](https://b.example)` and\n```\n[c](https://c.example)\n```\n[d](d.md)\n"
    assert replace_links(text, lambda label, target: f"<{label}>") == \
        "See <a>.\n`[b](https://b.example)` and\n```\n[c](https://c.example)\n```\n<d>\n"
