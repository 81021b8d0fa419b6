"""Where a command's text goes: a file named by a flag, or standard output."""

from __future__ import annotations

from pathlib import Path

import click

from opsctl.errors import OpsctlError


def write_or_echo(text: str, output: str | None, flag: str = "-o/--output") -> None:
    """Write `text` to `output`, or print it when no file is named. An unwritable file is a
    one-line error naming the flag (exit 2)."""
    if not output:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OpsctlError(f"{flag}: cannot write {output} ({exc.strerror or exc})") from None
