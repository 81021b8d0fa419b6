"""Text from AWS (names, tags, descriptions) is chosen by whoever may tag a resource: before it
reaches a terminal or a document, every control character (C0, DEL, C1 — so ESC sequences) and
every bidirectional override or isolate is shown escaped (``\\x1b``, ``\\u202e``), never obeyed.
JSON keeps the exact value; the other formats call :func:`inert` (or :func:`inert_line` for one
line) inside their own escaping: the terminal and ``.txt`` (and rich markup is never parsed: cells
are ``Text``), Markdown's ``md()``, HTML (Jinja2's ``finalize``), JUnit's ``_x()``, CSV's
``safe_cell()`` (:func:`inert_json` for the evidence column), every string of the SARIF log, and
the Mermaid and SVG labels of the topology. tests/unit/report/test_hostile_text.py checks it as a
property over generated hostile strings."""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert(text: Any, *, keep_newlines: bool = False) -> str:
    """``text`` as a string with control and bidi characters escaped (``keep_newlines``: but
    ``\\n``, for a multi-line text block the renderer itself assembles)."""
    pattern = _UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE
    return pattern.sub(_escape, "" if text is None else str(text))


def inert_line(text: Any) -> str:
    """:func:`inert` on one line: every whitespace run (newlines and tabs too) becomes one space
    first, for a table cell, a label or a heading."""
    return inert(" ".join(("" if text is None else str(text)).split()))


def _escape_json(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group(0)):04x}"


def inert_json(json_text: str) -> str:
    """A JSON document shown as text (CSV's evidence column): the unsafe characters that
    ``json.dumps(..., ensure_ascii=False)`` leaves raw (C1, bidi) written as ``\\uXXXX`` escapes,
    so the text stays valid JSON with the same value."""
    return _UNSAFE.sub(_escape_json, json_text)
