"""`opsctl report merge SHARD.json... -o org.json`: shard results into one organisation result.

The merge itself is opsctl.org_merge (pure); this module reads the files, writes the result and
reports, and decides the exit code. ``register(cli)`` adds ``merge`` to the ``report`` group.
"""

from __future__ import annotations

import json
import sys

import click

from opsctl.findings import SEVERITIES
from opsctl.output import check_dir_writable, check_writable, write_or_echo

MERGE_EXIT_CODES = """\b
Exit codes:
  0  merged (and no FAIL at or above --fail-on)
  1  FAIL findings at or above --fail-on
  2  usage error: a file that is not a shard result, of another organisation or schema version
  3  with --strict: an account no shard covered (a missing shard), not reached, or with gaps
  4  internal error (a bug: please report it)"""


@click.command("merge", epilog=MERGE_EXIT_CODES)
@click.argument("shards", nargs=-1, required=True, metavar="SHARD.json...", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write the merged JSON result to FILE (default: standard output).")
@click.option("--report-dir", type=click.Path(file_okay=False, writable=True), metavar="DIR",
              help="Also write every report format of the merged result to DIR/opsctl-report.<ext>.")
@click.option("--fail-on", type=click.Choice((*SEVERITIES, "none")), default="none",
              show_default=True, help="Exit 1 when the merged result has a FAIL of at least this severity.")
@click.option("--strict", is_flag=True, help="Exit 3 when an account is missing, not reached, or has coverage gaps.")
@click.option("--sarif-location", metavar="FILE[:LINE]", help="SARIF: the repository file every result points at.")
@click.option("--runbook-base-url", metavar="URL", envvar="OPSCTL_RUNBOOK_BASE_URL", show_envvar=True,
              help="Prefix of runbook links in the reports.")
def merge_command(shards, output, report_dir, fail_on, strict, sarif_location, runbook_base_url) -> None:
    """Merge the results of `opsctl audit --org --shard I/N` into one organisation result.

    The merged result is the one a single `opsctl audit --org` would have written: the same
    findings in the same order. Files of different organisations or schema versions are refused.
    An account two shards audited is named (one copy kept); accounts of the organisation that no
    shard covered (a shard that failed or was not downloaded) are named, added as not reached and
    their checks ERROR, so the hole shows in every report.

    \b
    Examples:
      opsctl report merge shards/*.json -o org.json
      opsctl report merge shard-*.json -o org.json --report-dir org-report --fail-on high
      cat org-report/opsctl-report.md >> "$GITHUB_STEP_SUMMARY"
    """
    from opsctl import audit as core
    from opsctl.audit_followup import write_report_dir
    from opsctl.cli import _runbook_base_url
    from opsctl.errors import UsageError, read_text_file
    from opsctl.org_merge import merge_results
    from opsctl.report.sarif import parse_location

    check_writable(output, "-o/--output")
    check_dir_writable(report_dir, "--report-dir")
    render_opts = {"runbook_base_url": _runbook_base_url(runbook_base_url)}
    if sarif_location:
        parse_location(sarif_location)
        render_opts["sarif_location"] = sarif_location
    items = []
    for path in shards:
        try:
            text = read_text_file(path)
        except OSError as exc:
            raise UsageError(f"cannot read {path} ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise UsageError(f"{path}: not an opsctl result (not UTF-8 text)") from None
        try:
            items.append((path, json.loads(text)))
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}; a truncated or partly written "
                             "shard result?): re-run that shard or leave it out") from None
    merged = merge_results(items)
    result = merged.result
    write_or_echo(json.dumps(result.to_dict(), indent=2, sort_keys=False) + "\n", output)
    say = lambda line: click.echo(line, err=True)  # noqa: E731
    counts = result.summary()["accounts"]
    say(f"merged {len(items)} shard result(s): {counts['total']} account(s), {counts['audited']} audited"
        + (f", {counts['not_reached']} not reached" if counts["not_reached"] else "")
        + (f" · wrote {output}" if output else ""))
    for w in merged.warnings:
        say(f"warning: {w}")
    if report_dir:
        written, skipped = write_report_dir(result, report_dir, False, None, **render_opts)
        from opsctl.audit_followup import written_lines

        for line in written_lines(written, report_dir):
            say(line)
        for fmt, reason in skipped.items():
            say(f"skipped the {fmt} report: {reason}")
    code = core.exit_code(result, fail_on, strict)
    if strict and code == 0 and merged.missing_accounts:
        code = core.EXIT_INCOMPLETE
    sys.exit(code)


def register(cli: click.Group) -> None:
    group = cli.commands.get("report")
    if isinstance(group, click.Group):
        group.add_command(merge_command)
