"""Options that mean one thing (issue 13, item 9), checked over the whole command tree.

Walks every command reachable from `opsctl.cli:cli` — the ones added later included — so a new
command that says `--format text`, takes a directory with `-o` or has no help fails here.
"""

from __future__ import annotations

from collections import defaultdict

import click
import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.commands.options import Command, FormatChoice, format_option, option_help

#: Commands whose --format has no `table`, and why.
FORMAT_EXCEPTIONS = {
    "opsctl topology": "a drawing, not a listing: mermaid, svg or json",
}

#: The only names a directory option may have.
DIRECTORY_OPTIONS = {"--output-dir", "--report-dir"}

#: Flags whose name is used for two things, and why it stays so for now.
SAME_NAME_EXCEPTIONS = {
    "--accounts": "sandbox demo/up --accounts N seeds N accounts; audit/org --accounts ID|GLOB picks accounts",
}


def _walk(command: click.Command, path: str = "opsctl"):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _walk(sub, f"{path} {name}")


COMMANDS = dict(_walk(cli))


def _options(command: click.Command):
    return [p for p in command.params if isinstance(p, click.Option)]


def _with(flag: str):
    return [(path, opt) for path, cmd in COMMANDS.items() for opt in _options(cmd) if flag in opt.opts]


def _is_dir(param: click.Parameter) -> bool:
    return isinstance(param.type, click.Path) and not param.type.file_okay


def test_the_tree_holds_every_command():
    assert {"opsctl dashboards render", "opsctl dashboards list", "opsctl alarms plan", "opsctl topology",
            "opsctl org plan", "opsctl report diff", "opsctl checks list", "opsctl audit"} <= set(COMMANDS)


def test_format_offers_table_and_json_and_defaults_to_table():
    formats = _with("--format")
    assert len(formats) >= 10
    for path, opt in formats:
        choices = list(opt.type.choices)
        assert "json" in choices, path
        if path in FORMAT_EXCEPTIONS:
            assert "table" not in choices, f"{path} offers table now: drop it from FORMAT_EXCEPTIONS"
            continue
        assert "table" in choices, f"{path} --format {choices}: say `table` for what people read"
        assert opt.default == "table", path
        assert "text" not in choices, path
    assert set(FORMAT_EXCEPTIONS) <= {path for path, _ in formats}


def test_dash_o_is_always_an_output_file():
    for path, opt in _with("-o"):
        assert isinstance(opt.type, click.Path) and not opt.type.dir_okay, f"{path}: -o must be a FILE"
        assert opt.opts == ["-o", "--output"] and opt.metavar == "FILE", path
    for path, opt in _with("--output"):
        assert "-o" in opt.opts, path


def test_directory_options_are_named_output_dir_or_report_dir():
    found = []
    for path, cmd in COMMANDS.items():
        for p in cmd.params:
            if _is_dir(p):
                assert isinstance(p, click.Option) and set(p.opts) <= DIRECTORY_OPTIONS, f"{path} {p.opts}"
                assert p.metavar == "DIR", path
                found.append(path)
            elif isinstance(p, click.Option) and p.metavar == "DIR":
                raise AssertionError(f"{path} {p.opts}: metavar DIR but not a directory type")
    assert "opsctl dashboards render" in found and "opsctl audit" in found


def test_file_metavars_are_files():
    for path, cmd in COMMANDS.items():
        for p in _options(cmd):
            if p.metavar == "FILE":
                assert isinstance(p.type, click.Path) and not p.type.dir_okay, f"{path} {p.opts}"


def test_every_command_says_what_it_does():
    for path, cmd in COMMANDS.items():
        short = cmd.get_short_help_str(limit=200)
        assert short and short[0].isupper() and not short.endswith("..."), f"{path}: {short!r}"
        assert "audit" not in short.split()[0].lower() or path == "opsctl audit", path


def test_every_option_of_the_command_modules_has_help():
    for path, cmd in COMMANDS.items():
        if (cmd.callback is None or not cmd.callback.__module__.startswith("opsctl.commands.")
                or cmd.callback.__module__ in ("opsctl.commands.report", "opsctl.commands.report_merge")):
            continue
        for p in _options(cmd):
            if not p.hidden and p.name != "help":
                assert p.help, f"{path} {p.opts}: no help"


def test_a_flag_has_one_shape_everywhere():
    shapes = defaultdict(dict)
    for path, cmd in COMMANDS.items():
        for p in _options(cmd):
            for flag in p.opts:
                shapes[flag][(p.metavar, p.is_flag, p.multiple, _is_dir(p))] = path
    mixed = {flag: seen for flag, seen in shapes.items() if len(seen) > 1 and flag not in SAME_NAME_EXCEPTIONS}
    assert not mixed


def test_no_command_module_help_says_audit_for_a_region_it_does_not_audit():
    """dashboards, alarms, topology and org read regions; only `audit` audits them."""
    for path, cmd in COMMANDS.items():
        if path.split()[1:2] not in (["dashboards"], ["alarms"], ["topology"], ["org"]):
            continue
        for p in _options(cmd):
            if p.name in ("regions", "all_regions") and not p.hidden:
                assert "audit" not in (p.help or "").lower(), f"{path} {p.opts}: {p.help}"


# ----- the helpers themselves ----------------------------------------------------------------
def test_format_alias_maps_to_its_choice_with_one_line_on_stderr():
    @click.command()
    @format_option(aliases={"text": "table"})
    def show(fmt):
        click.echo(fmt)

    result = CliRunner().invoke(show, ["--format", "text"])
    assert result.exit_code == 0 and result.stdout == "table\n"
    assert result.stderr.count("\n") == 1 and "--format text is deprecated" in result.stderr
    assert "use --format table" in result.stderr
    helptext = CliRunner().invoke(show, ["--help"]).stdout
    assert "[table|json]" in helptext and "text" not in helptext.replace("--format", "")
    result = CliRunner().invoke(show, ["--format", "json"])
    assert result.stdout == "json\n" and result.stderr == ""


def test_format_option_refuses_an_alias_that_shadows_or_points_nowhere():
    with pytest.raises(ValueError):
        FormatChoice(["table", "json"], {"json": "table"})
    with pytest.raises(ValueError):
        FormatChoice(["table", "json"], {"text": "html"})
    with pytest.raises(ValueError):
        format_option(("mermaid",), default="table")


def test_option_help_rewords_and_hides_and_names_a_typo():
    @click.command()
    @option_help(a="Said here.", b=None)
    @click.option("--a", help="Said elsewhere.")
    @click.option("--b", help="Not here.")
    def cmd(a, b):
        click.echo(f"{a} {b}")

    helptext = CliRunner().invoke(cmd, ["--help"]).stdout
    assert "Said here." in helptext and "--b" not in helptext
    assert CliRunner().invoke(cmd, ["--b", "x"]).stdout == "None x\n"  # hidden, still accepted
    with pytest.raises(TypeError, match="no option c"):
        option_help(c="x")(cmd.callback)


def test_command_refuses_an_option_with_its_one_line():
    @click.command(cls=Command, refuse={"-o": "use --output-dir DIR"})
    @click.option("--output-dir")
    def cmd(output_dir):
        pass

    result = CliRunner().invoke(cmd, ["-o", "out"])
    assert result.exit_code == 2 and "-o: use --output-dir DIR" in result.output
    result = CliRunner().invoke(cmd, ["--nope"])
    assert result.exit_code == 2 and "No such option '--nope'" in result.output
