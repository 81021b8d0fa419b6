"""Options that mean one thing in every command: one declaration each, here.

* ``--format``: table|json|… — ``table`` is what people read, ``json`` what tools read; a
  command's extra formats (markdown, html, github-matrix, …) come after those two.
* ``-o/--output FILE``: always a file (never a directory).
* ``--output-dir DIR``: a directory of files. ``-o`` never means a directory.
* ``--snapshot FILE``, ``--yes``, ``--detailed-exitcode``: the same flag, each command saying in
  its help what it does with it.

The account flags (aws_options, org_options, selection_options, config_option) are defined in
opsctl.cli; :func:`option_help` words their help the way a command uses them (``dashboards
list`` reads one region, it does not audit any). This module imports only click, so anything
may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

FORMAT_HELP = "table for people, json for tools."

#: aws_options' --role-arn and --external-id, for commands that do not audit (option_help(**ROLE_HELP)).
ROLE_HELP = dict(
    role_arn="Assume this IAM role first (to work in another account).",
    external_id="External id for --role-arn, if the role's trust policy needs one.",
)


class FormatChoice(click.Choice):
    """A --format choice that also takes deprecated names (``aliases``: old → new), not shown in
    the help or offered by completion; using one says so on stderr, once, in one line."""

    def __init__(self, choices: Sequence[str], aliases: dict[str, str] | None = None) -> None:
        super().__init__(list(choices))
        self.aliases = dict(aliases or {})
        for old, new in self.aliases.items():
            if new not in self.choices or old in self.choices:
                raise ValueError(f"--format alias {old!r} -> {new!r}: the alias must be new and its target a choice")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value in self.aliases:
            new = self.aliases[value]
            click.echo(f"opsctl: --format {value} is deprecated and will be removed; use --format {new} "
                       "(the same output)", err=True)
            return new
        return super().convert(value, param, ctx)


def format_option(choices: Sequence[str] = ("table", "json"), default: str = "table", *, help: str = FORMAT_HELP,
                  aliases: dict[str, str] | None = None) -> Callable:
    """``--format`` (parameter ``fmt``), its default shown."""
    if default not in choices:
        raise ValueError(f"--format default {default!r} is not one of {list(choices)}")
    return click.option("--format", "fmt", type=FormatChoice(choices, aliases), default=default, show_default=True,
                        help=help)


def output_file_option(help: str = "Write to FILE instead of standard output.", *, required: bool = False) -> Callable:
    """``-o/--output FILE`` (parameter ``output``): a file, never a directory."""
    return click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                        required=required, help=help)


def output_dir_option(help: str) -> Callable:
    """``--output-dir DIR`` (parameter ``output_dir``): a directory, made if missing. There is no
    short form: ``-o`` is a FILE everywhere (see :class:`Command` for the one-line refusal)."""
    return click.option("--output-dir", "output_dir", type=click.Path(file_okay=False), metavar="DIR", help=help)


def snapshot_option(help: str) -> Callable:
    """``--snapshot FILE`` (parameter ``snapshot_path``): a saved snapshot (`opsctl inventory collect`)."""
    return click.option("--snapshot", "snapshot_path", type=click.Path(dir_okay=False), metavar="FILE", help=help)


def yes_option(verb: str = "Do it") -> Callable:
    """``-y/--yes`` (parameter ``assume_yes``): write without asking."""
    return click.option("--yes", "-y", "assume_yes", is_flag=True,
                        help=f"{verb} without asking (needed when not on a terminal).")


def detailed_exitcode_option(help: str) -> Callable:
    """``--detailed-exitcode``: exit 1 when a plan has changes (terraform's flag; 2 stays usage errors)."""
    return click.option("--detailed-exitcode", is_flag=True, help=help)


def option_help(**helps: str | None) -> Callable:
    """Word shared options' help for this command, by parameter name (``regions``, ``all_regions``,
    ``select``, …); ``None`` hides an option that does nothing here (it is still accepted).

    Put it above the decorators that add those options::

        @group.command("list")
        @option_help(regions="The region to list.", all_regions=None)
        @aws_options
        def list_command(aws_opts): ...
    """

    def decorate(fn: Callable) -> Callable:
        params = {p.name: p for p in getattr(fn, "__click_params__", [])}
        unknown = sorted(set(helps) - set(params))
        if unknown:
            raise TypeError(f"option_help: no option {', '.join(unknown)} on {fn.__name__} (put it above their decorators)")
        for name, text in helps.items():
            if text is None:
                params[name].hidden = True
            else:
                params[name].help = text
        return fn

    return decorate


class Command(click.Command):
    """A click command that answers options it does not take, but users may try, with one line:
    ``refuse={"-o": "use --output-dir DIR"}``."""

    def __init__(self, *args: Any, refuse: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refuse = dict(refuse or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            if exc.option_name in self.refuse:
                raise click.UsageError(f"{exc.option_name}: {self.refuse[exc.option_name]}", ctx) from None
            raise
