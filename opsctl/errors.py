"""Exceptions that carry a message meant for the user (the CLI prints them on one line)."""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable

#: Exit codes, once (README "Exit codes"): 0 clean, 1 findings at or above --fail-on, 2 bad input
#: or usage, 3 incomplete (--strict: coverage gaps, accounts not reached), 4 an internal error,
#: 130 interrupted (Ctrl-C: 128 + SIGINT, as shells report it).
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130


class OpsctlError(Exception):
    """A problem the user can fix; the CLI prints `opsctl: <message>` and exits with `exit_code`."""

    exit_code = EXIT_USAGE


class UsageError(OpsctlError):
    """Bad flag, file or configuration: exit 2."""


class MissingData(Exception):
    """Raised inside a check when the input it needs was not collected.

    The engine turns it into an ERROR finding whose message is `reason`, so a check never
    reports PASS on data it could not see.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def unknown_key(key: object, known: list[str] | tuple[str, ...], label: str = "known keys") -> str:
    """`unknown key 'workrs' (did you mean 'workers'? known keys: …)` — the typo's likely fix first."""
    return f"unknown key {key!r} ({did_you_mean(key, known)}{label}: {', '.join(str(k) for k in known)})"


def closest(key: object, known: Iterable[object], n: int = 3, cutoff: float = 0.6, within: float = 1.0) -> list[str]:
    """The names of `known` most like `key`, best first: difflib's similarity over the whole name
    (so `rds.instance_multiaz` finds `rds.instance_multi_az` before any other rds check), ties by
    name; only those at least `cutoff` alike and within `within` of the best. The one ranking
    behind every "did you mean"."""
    text = str(key)
    scored = sorted(((difflib.SequenceMatcher(None, text, k, autojunk=False).ratio(), k) for k in dict.fromkeys(map(str, known))),
                    key=lambda item: (-item[0], item[1]))
    best = scored[0][0] if scored else 0.0
    return [k for ratio, k in scored[:n] if ratio >= cutoff and ratio >= best - within]


def did_you_mean(key: object, known: Iterable[object], cutoff: float = 0.6) -> str:
    """`did you mean 'workers'? ` for the closest of `known`, or "" when nothing is close."""
    near = closest(key, known, n=1, cutoff=cutoff)
    return f"did you mean {near[0]!r}? " if near else ""


def check_id_hint(key: object, known: Iterable[object]) -> str:
    """What follows an unknown check id or pattern: `` (did you mean 'rds.instance_multi_az'?)`` with
    up to three of the closest ids (only those nearly as close as the best), or a pointer at
    ``opsctl checks list`` when none is close."""
    near = closest(str(key).rstrip("*"), known, n=3, cutoff=0.6, within=0.1)  # an obvious fix comes alone
    if not near:
        return "; `opsctl checks list` shows the ids"
    return f" (did you mean {', '.join(repr(c) for c in near)}?)"


def not_utf8(path: object, exc: UnicodeDecodeError, flag: str = "") -> UsageError:
    """`--config: opsctl.yaml is not UTF-8 text (byte 0xb4 at offset 12); save it as UTF-8`."""
    byte = exc.object[exc.start:exc.start + 1].hex() if isinstance(exc.object, bytes) else "?"
    return UsageError(f"{flag + ': ' if flag else ''}{path} is not UTF-8 text (byte 0x{byte} at offset {exc.start}); "
                      "save it as UTF-8")


def read_text_file(path: object) -> str:
    """The text of a file the user named, as ``Path(path).read_text(encoding="utf-8")`` reads it —
    except that anything but a regular file (a FIFO, a device such as /dev/zero, a socket) is
    refused at once with an OSError whose strerror says what it is, instead of blocking in the
    open or reading forever. Callers turn the OSError into their one-line "cannot read" error."""
    import os
    import stat

    name = os.fspath(path)  # type: ignore[arg-type]
    # O_NONBLOCK: opening a FIFO nobody writes to would block until someone does
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
        if not stat.S_ISREG(mode):
            kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
                    else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "a special file")
            raise OSError(errno.EINVAL, f"not a regular file but {kind}", name)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "r", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        return handle.read()
