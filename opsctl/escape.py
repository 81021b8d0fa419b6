"""Text from AWS (names, tags, descriptions) is chosen by whoever may tag a resource: before it
reaches a terminal or a document, every control character (C0, DEL, C1 — so ESC sequences) and
every bidirectional override or isolate is shown escaped (``\\x1b``, ``\\u202e``), never obeyed.
JSON keeps the exact value; the other formats call :func:`inert`."""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def inert(text: Any) -> str:
    """``text`` as a string with control and bidi characters escaped."""
    return _UNSAFE.sub(_escape, "" if text is None else str(text))
