"""Exceptions that carry a message meant for the user (the CLI prints them on one line)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class OpsctlError(Exception):
    """A problem the user can fix; the CLI prints `opsctl: <message>` and exits with `exit_code`."""

    exit_code = 2


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


def did_you_mean(key: object, known: Iterable[object], cutoff: float = 0.6) -> str:
    """`did you mean 'workers'? ` for the closest of `known`, or "" when nothing is close."""
    near = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=cutoff)
    return f"did you mean {near[0]!r}? " if near else ""


def not_utf8(path: object, exc: UnicodeDecodeError, flag: str = "") -> UsageError:
    """`--config: opsctl.yaml is not UTF-8 text (byte 0xb4 at offset 12); save it as UTF-8`."""
    byte = exc.object[exc.start:exc.start + 1].hex() if isinstance(exc.object, bytes) else "?"
    return UsageError(f"{flag + ': ' if flag else ''}{path} is not UTF-8 text (byte 0x{byte} at offset {exc.start}); "
                      "save it as UTF-8")
