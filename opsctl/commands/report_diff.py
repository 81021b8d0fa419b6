"""`opsctl report diff OLD.json NEW.json`: what changed between two audits.

The computation is opsctl.diff (pure), the rendering opsctl.report.diff_report; this module only
parses flags and prints. ``register(cli)`` attaches ``diff`` to the ``report`` group (made by
opsctl.commands.report, registered before this module).
"""

from __future__ import annotations

import os
import sys

import click

from opsctl.commands.options import format_option, output_file_option
from opsctl.output import is_terminal, write_or_echo
from opsctl.report.diff_report import DIFF_FORMATS


@click.command("diff")
@click.argument("old", metavar="OLD.json", type=click.Path(dir_okay=False))
@click.argument("new", metavar="NEW.json", type=click.Path(dir_okay=False))
@format_option(DIFF_FORMATS, help="table for the terminal, markdown for a pull request or job summary, json for tools.")
@output_file_option("Write the diff to FILE instead of standard output.")
@click.option("--hide-unchanged", is_flag=True, help="Leave out the findings that FAIL in both results.")
@click.option("--fail-on-savings", type=click.FloatRange(min=0), metavar="USD",
              help="Exit 1 when the new waste (the monthly savings of the FAILs new in NEW.json) is above USD.")
def diff_command(old, new, fmt, output, hide_unchanged, fail_on_savings) -> None:
    """Compare two JSON results: new, resolved and unchanged findings, and scores.

    Findings are matched by check id and resource (ARN). Only FAILs make a difference:

    \b
      new        FAIL now; before absent, PASS, ERROR, SKIPPED or WAIVED (the column says which)
      resolved   FAIL before; PASS now, or the check ran and the resource is gone
      unchanged  FAIL before and now
      unknown    FAIL before; ERROR or SKIPPED now, or the check did not run: NOT resolved
      waived     FAIL before, WAIVED now: accepted, not fixed

    Scores per pillar are compared when both results have them (summary.scores), and per tier
    of the architecture when both have summary.tier_scores. The money: the potential savings
    per month before and now, in total and per check, the new waste (the figures of the new
    FAILs) and the resolved money (those of the FAILs fixed).

    Exit code 0; 1 with --fail-on-savings USD when the new waste is above USD a month; 2 when a
    file is not an opsctl JSON result.

    \b
    Examples:
      opsctl report diff yesterday.json today.json
      opsctl report diff old.json new.json --format markdown >> "$GITHUB_STEP_SUMMARY"
      opsctl report diff old.json new.json --format json | jq '.counts, .savings'
      opsctl report diff old.json new.json --fail-on-savings 25   # exit 1 on over $25/month of new waste
    """

    from opsctl.diff import diff_results, load_result
    from opsctl.report.diff_report import render_diff

    diff = diff_results(load_result(old, "OLD.json"), load_result(new, "NEW.json"))
    color = fmt == "table" and not output and "NO_COLOR" not in os.environ and is_terminal(sys.stdout)
    write_or_echo(render_diff(diff, fmt, color=color, show_unchanged=not hide_unchanged), output)
    if output:
        for warning in diff["warnings"]:  # in the file too; said here so a script's log shows it
            click.echo(f"warning: {warning}", err=True)
        click.echo(f"wrote {output}", err=True)
    waste = diff["savings"]["new_waste_monthly_usd"]
    if fail_on_savings is not None and waste > fail_on_savings:
        click.echo(f"opsctl: --fail-on-savings {fail_on_savings:g}: new waste since {old} is ${waste:,.2f}/month, "
                   f"above ${fail_on_savings:,.2f} (exit 1)", err=True)
        sys.exit(1)


def register(cli: click.Group) -> None:
    """Add `diff` to the `report` group, whichever order the modules register in: the group is
    taken from `cli`, else from opsctl.commands.report (which adds it to `cli` itself), else a
    minimal group is made here, so that `opsctl report diff` exists either way."""
    group = cli.commands.get("report")
    if not isinstance(group, click.Group):
        group = _group_of_report_module()
        if group is None:
            group = _fallback_group()
            cli.add_command(group)
    group.add_command(diff_command)


def _group_of_report_module() -> click.Group | None:
    import importlib
    import importlib.util

    from opsctl.commands import MODULES

    if "report" not in MODULES or importlib.util.find_spec("opsctl.commands.report") is None:
        return None
    module = importlib.import_module("opsctl.commands.report")
    for obj in vars(module).values():
        if isinstance(obj, click.Group) and obj.name == "report":
            return obj
    return None


def _fallback_group() -> click.Group:
    @click.group("report")
    def report() -> None:
        """Work with saved results: compare two audits (report diff)."""

    return report
