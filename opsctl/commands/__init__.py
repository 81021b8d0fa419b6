"""Command groups that live in their own modules, so that cli.py stays small.

Each module in MODULES defines ``register(cli: click.Group) -> None`` and adds its commands or
groups there (e.g. ``cli.add_command(dashboards)``). The shared option decorators
(aws_options, selection_options, config_option) and helpers are importable from opsctl.cli.
"""

from __future__ import annotations

import importlib

import click

#: opsctl.commands.<name> modules, registered in this order.
MODULES: list[str] = ["report", "report_diff", "report_merge", "alarms", "dashboards", "topology", "org"]


def register(cli: click.Group) -> None:
    for name in MODULES:
        importlib.import_module(f"opsctl.commands.{name}").register(cli)
