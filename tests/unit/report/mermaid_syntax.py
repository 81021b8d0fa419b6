"""A strict check of the Mermaid flowchart opsctl.topology_render writes: every line is one of the
statements it may write, and every quoted label is inert text (no quote, backtick, %, newline or
markup but the <br/><small> it adds itself). Stricter than Mermaid's grammar on purpose: what passes
here parses in Mermaid (checked with mermaid 11 in Chromium, see test_report_browser.py)."""

from __future__ import annotations

import re

_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_LABEL = r'"(?P<label>[^"`%\n]*)"'
_LINK = rf"{_ID} (?:-->|-\.->)(?:\|{_LABEL}\|)? {_ID}"
STATEMENTS = [
    r"flowchart LR",
    r"  %% [^\n]*",
    rf"  subgraph {_ID}\[{_LABEL}\]",
    rf"    {_ID}\[{_LABEL}\]",
    r"  end",
    rf"  style {_ID} [a-z:#0-9,\- ]+",
    rf"  {_LINK}",
    r"  linkStyle \d+ [a-z:#0-9,\- ]+",
    r"  classDef [a-z]+ [a-z:#0-9,\- ]+",
    rf"  class {_ID}(?:,{_ID})* [a-z]+",
]
_PATTERNS = [re.compile(p + r"\Z") for p in STATEMENTS]
_OWN_MARKUP = re.compile(r"<br/><small>|</small>")
_ENTITY = re.compile(r"#(?:\d+|quot|lt|gt|amp);")


def check_mermaid(text: str) -> list[str]:
    """The Mermaid text's labels; AssertionError naming the first line that is not a known statement
    or whose label is not inert."""
    assert text.startswith("flowchart LR\n") and text.endswith("\n"), "not a flowchart"
    labels = []
    for number, line in enumerate(text.rstrip("\n").split("\n"), 1):
        match = next((m for m in (p.match(line) for p in _PATTERNS) if m), None)
        assert match, f"line {number} is not a statement opsctl writes: {line!r}"
        label = match.groupdict().get("label")
        if label is not None:
            bare = _OWN_MARKUP.sub("", label)
            assert not re.search(r"[<>|\\&]", bare), f"line {number}: markup in a label: {line!r}"
            assert "#" not in _ENTITY.sub("", bare), f"line {number}: a bare # could start an entity: {line!r}"
            labels.append(label)
    return labels


def unescape(label: str) -> str:
    """What Mermaid shows for a label: its #code; entities decoded, our own markup dropped."""
    named = {"quot": '"', "lt": "<", "gt": ">", "amp": "&"}
    text = _OWN_MARKUP.sub(" ", label)
    return re.sub(r"#(\d+|quot|lt|gt|amp);", lambda m: named.get(m.group(1)) or chr(int(m.group(1))), text)
