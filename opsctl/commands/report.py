"""`opsctl report`: work with saved JSON results. `report render` re-renders one in any format.

The ``report`` group is module-level so that other modules add commands to it
(opsctl.commands.report_diff adds ``report diff``): ``from opsctl.commands.report import report``.
"""

from __future__ import annotations

import os
import sys

import click

from opsctl.output import is_terminal, write_or_echo
from opsctl.report import formats

FORMAT_HELP = ("table (terminal), json (the result itself, re-serialised), markdown (GitHub job summary), html "
               "(one self-contained page), sarif (GitHub code scanning), junit (CI test reports), csv.")


@click.group("report")
def report() -> None:
    """Work with saved audit results (`opsctl audit --format json -o result.json`).

    \b
    Examples:
      opsctl report render result.json --format html -o report.html
      opsctl report render result.json --format markdown >> "$GITHUB_STEP_SUMMARY"
      opsctl report render result.json --format sarif --sarif-location opsctl.yaml -o opsctl.sarif
    """


def _groups(ctx, param, values):
    """--group-savings-by: the parsed groups (opsctl.report.savings), or a BadParameter."""
    from opsctl.report.savings import click_groups

    return click_groups(ctx, param, values)


@report.command("render")
@click.argument("result_file", metavar="RESULT.json", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(formats()), default="table", show_default=True, help=FORMAT_HELP)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write the report to FILE instead of standard output.")
@click.option("--sarif-location", metavar="FILE[:LINE]",
              help="SARIF: the repository file (relative to its root) every result points at. "
                   "Default: the config file the audit read (metadata.config_file).")
@click.option("--runbook-base-url", metavar="URL", envvar="OPSCTL_RUNBOOK_BASE_URL", show_envvar=True,
              help="Prefix of runbook links (markdown, html, csv, junit, sarif helpUri), e.g. "
                   "https://github.com/ORG/opsctl/blob/v0.1.0/ ; default: the relative path runbooks/<check>.md.")
@click.option("--show-pass", is_flag=True, help="table: list passing findings too.")
@click.option("--group-savings-by", "group_savings_by", multiple=True, metavar="region|tag:KEY",
              callback=_groups,
              help="table, markdown, html: break the savings down by region or by a resource tag's value "
                   "(tag:owner); repeatable.")
def render_command(result_file, fmt, output, sarif_location, runbook_base_url, show_pass, group_savings_by) -> None:
    """Re-render a saved JSON result in another format, without auditing again.

    The file must be a result written by `opsctl audit --format json` (schema_version 1 or 2: one account or an organisation);
    anything else is a one-line error and exit code 2. Summary, scores and savings are
    recomputed from the findings.

    \b
    Examples:
      opsctl report render result.json                                # the terminal table
      opsctl report render result.json --format html -o report.html
      opsctl report render result.json --format markdown >> "$GITHUB_STEP_SUMMARY"
      opsctl report render result.json --format sarif --sarif-location opsctl.yaml -o opsctl.sarif
      opsctl report render result.json --format junit -o opsctl-junit.xml
      opsctl report render result.json --format csv -o findings.csv
      opsctl report render result.json --group-savings-by region --group-savings-by tag:owner
    """

    from opsctl.report import render
    from opsctl.report.load import load_result_file
    from opsctl.report.terminal import terminal_width

    result = load_result_file(result_file)
    color = fmt == "table" and not output and "NO_COLOR" not in os.environ and is_terminal(sys.stdout)
    width = terminal_width(None if output else sys.stdout)  # COLUMNS, else the terminal's, else 160
    options = {"color": color, "width": width, "show_pass": show_pass, "runbook_base_url": runbook_base_url}
    if sarif_location:
        options["sarif_location"] = sarif_location
    if group_savings_by:
        options["group_savings_by"] = group_savings_by
    write_or_echo(render(result, fmt, **options), output)


def register(cli: click.Group) -> None:
    """Add the `report` group; commands another module already put in a `report` group of its own move here."""
    existing = cli.commands.get("report")
    if isinstance(existing, click.Group) and existing is not report:
        for name, cmd in existing.commands.items():
            report.commands.setdefault(name, cmd)
    cli.add_command(report)
