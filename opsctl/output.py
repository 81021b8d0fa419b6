"""Where a command's text goes: a file named by a flag, or standard output."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from opsctl.errors import OpsctlError


def write_or_echo(text: str, output: str | None, flag: str = "-o/--output", rescue: bool = False) -> None:
    """Write `text` to `output`, or print it when no file is named. An unwritable file is a
    one-line error naming the flag (exit 2); with `rescue` (text that took an account's worth of
    API calls to make) the text is first saved to a temporary file the error names."""
    if not output:
        click.echo(text, nl=False)
        return
    write_file(text, output, flag, rescue=rescue)


def write_file(text: str, output: str, flag: str, rescue: bool = False) -> None:
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        message = f"{flag}: cannot write {output} ({exc.strerror or exc})"
        saved = _rescue(text, Path(output).name) if rescue else None
        raise OpsctlError(message + (f"; saved it to {saved} instead" if saved else "")) from None


def check_writable(output: str | None, flag: str) -> None:
    """Before long work (collecting an account): fail now, not after, if `output` cannot be
    written — a directory, a missing parent directory, or one this user may not write to."""
    if not output:
        return
    path = Path(output)
    if path.is_dir():
        raise OpsctlError(f"{flag}: {output} is a directory; name a file in it")
    parent = path.parent
    if not parent.is_dir():
        raise OpsctlError(f"{flag}: the directory {parent} does not exist; create it or name another file")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OpsctlError(f"{flag}: cannot write {output} (permission denied)")


def _rescue(text: str, name: str) -> str | None:
    try:
        fd, rescued = tempfile.mkstemp(prefix="opsctl-", suffix=f"-{name}")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return rescued
    except OSError:
        return None


def check_dir_writable(directory: str | None, flag: str) -> None:
    """Before long work: `directory` is (or can be made) a directory this user may write to."""
    if not directory:
        return
    path = Path(directory)
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OpsctlError(f"{flag}: cannot create {directory}: {probe} is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OpsctlError(f"{flag}: cannot write in {probe} (permission denied)")


def is_terminal(stream) -> bool:
    """`stream.isatty()`, False for a stream that is closed or absent (`opsctl … <&-` leaves
    sys.stdin None)."""
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, OSError):
        return False
