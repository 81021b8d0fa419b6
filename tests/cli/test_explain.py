"""`opsctl explain ID` at 80 columns: code blocks come out as they are (a pasted AWS CLI command
works, nothing wrapped or cropped) and the links' URLs are shown in full (issue 13, item 3)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.paths import data_dir

RUNBOOKS = sorted(data_dir("runbooks").glob("*.md"))


def explain(*args: str) -> str:
    result = CliRunner().invoke(cli, ["explain", *args], env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def code_lines(text: str) -> list[str]:
    """The lines of the runbook's fenced code blocks."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside and line.strip():
            lines.append(line.rstrip())
    return lines


def test_a_long_aws_cli_command_stays_on_one_line_at_80_columns():
    command = ("aws s3api get-bucket-lifecycle-configuration --bucket BUCKET > lifecycle.json 2>/dev/null "
               "|| echo '{\"Rules\": []}' > lifecycle.json")
    assert len(command) > 80 and command in (data_dir("runbooks") / "s3.bucket_lifecycle.md").read_text()
    lines = explain("s3.bucket_lifecycle").splitlines()
    assert command in lines, "the command on a line of its own, whole, nothing added"
    assert "aws s3api put-bucket-lifecycle-configuration --bucket BUCKET --lifecycle-configuration file://new.json" in lines
    assert "Why it matters" in "\n".join(lines)


def test_reference_urls_are_listed_in_full():
    out = explain("s3.bucket_not_public")
    lines = out.splitlines()
    url = ("https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
           "#access-control-block-public-access-policy-status")
    assert f"[1] {url}" in lines, "longer than the terminal, yet on one line"
    assert re.search(r"The meaning of \"public\" \[1\]", out)
    assert "[4] https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html" in lines


def test_a_link_to_a_repository_file_names_the_file():
    out = explain("arch.tier_present")
    assert "docs/architecture-spec.md in the opsctl repository" in out and "../docs" not in out


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: p.stem)
def test_every_runbook_keeps_its_code_lines_whole_and_shows_every_url(path):
    text = path.read_text(encoding="utf-8")
    lines = explain(path.stem).splitlines()
    missing = [c for c in code_lines(text) if c not in lines]
    assert not missing, f"code lines wrapped, cropped or changed: {missing[:3]}"
    urls = re.findall(r"\]\((https?://[^)\s]+)\)", text)
    shown = {line.split(" ", 1)[1] for line in lines if re.match(r"^\[\d+\] ", line)}
    assert set(urls) <= shown, set(urls) - shown


def test_raw_prints_the_markdown_source():
    text = (data_dir("runbooks") / "s3.bucket_lifecycle.md").read_text()
    assert explain("--raw", "s3.bucket_lifecycle") == text + "\n"
