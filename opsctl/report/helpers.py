"""Helpers for the document renderers (Markdown, HTML, SARIF, JUnit, CSV): counts, labels, links,
runbook text. Pure except :func:`load_runbook`, which reads the runbooks shipped with opsctl
(package data, read-only)."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from opsctl.findings import PILLARS, Finding, Status
from opsctl.resources import service_of_arn
from opsctl.scores import score_text

SEVERITY_ICON = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵", "info": "⚪"}

#: Where runbook links point when no ``runbook_base_url`` is given: ``runbooks/<check_id>.md``,
#: relative. It resolves beside the reports of ``--report-dir``, which writes there the runbooks
#: the reports link to (opsctl.audit_followup), and in a checkout of the opsctl repository; a
#: report written alone (``-o FILE``) keeps it too: pass ``--runbook-base-url`` for one you hand on.
DEFAULT_RUNBOOK_BASE_URL = ""

#: The folder of the runbooks, in the repository and in a report directory.
RUNBOOK_DIR = "runbooks"


#: A check family's service, for findings about the account as a whole (its root ARN).
_FAMILY_SERVICE = {"quotas": "servicequotas", "elb": "elbv2"}


def service_of(f: Finding) -> str:
    """The AWS service of the resource the finding names: by its ARN (``…:autoscaling:…`` →
    ``autoscaling``; a service quota → the service it limits, ``lambda``), else by its type
    (``s3.bucket`` → ``s3``); a finding about the account itself (budgets, CloudTrail, Trusted
    Advisor checks without a resource) names its check family's service, not ``iam``."""
    if f.resource_type == "iam.account" and not f.check_id.startswith(("iam.", "arch.")):
        family = f.check_id.split(".", 1)[0]
        return _FAMILY_SERVICE.get(family, family)
    return service_of_arn(f.resource_id) or (f.resource_type or f.check_id).split(".", 1)[0]


def runbook_path_of(check_id: str) -> str:
    """``runbooks/<check_id>.md``, the check id percent-encoded (an id read from a result file may hold anything)."""
    return f"{RUNBOOK_DIR}/{quote(check_id, safe='')}.md"


def runbook_url(f: Finding | str, base_url: str | None = None) -> str:
    """Link to a finding's (or check id's) runbook: ``base_url`` + ``runbooks/<check_id>.md``.

    ``base_url`` is e.g. ``https://github.com/acme/opsctl/blob/v0.1.0/`` (a trailing slash is
    added when missing); empty gives the relative path, which ``--report-dir`` makes resolve by
    writing the runbook there. The path comes from the check id alone, never from the finding's
    ``runbook`` field (a result file read back could hold any link there)."""
    path = runbook_path_of(f.check_id if isinstance(f, Finding) else f)
    base = base_url if base_url is not None else DEFAULT_RUNBOOK_BASE_URL
    if base and not base.endswith("/"):
        base += "/"
    return base + path


#: An inline Markdown link ``[text](target "title")``; the runbooks use no other kind (reference
#: links, autolinks). Applied outside code spans and fenced code blocks only (:func:`replace_links`).
_LINK = re.compile(r"\[([^\]\n]*)\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def replace_links(text: str, replace: Callable[[str, str], str | None]) -> str:
    """Markdown ``text`` with every inline link ``[label](target)`` outside code (fenced blocks,
    code spans) replaced by ``replace(label, target)``, or kept when that returns None."""
    def sub(link: re.Match[str]) -> str:
        new = replace(link.group(1), link.group(2))
        return link.group() if new is None else new

    out: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence is not None:
            if m and len(m.group(1)) >= len(fence) and not line.strip().lstrip(fence[0]):
                fence = None
            out.append(line)
            continue
        if m:
            fence = m.group(1)
            out.append(line)
            continue
        pos, parts = 0, []
        for span in _CODE_SPAN.finditer(line):
            parts += [_LINK.sub(sub, line[pos:span.start()]), span.group()]
            pos = span.end()
        parts.append(_LINK.sub(sub, line[pos:]))
        out.append("".join(parts))
    return "".join(out)


def is_relative_link(target: str) -> bool:
    """A link to a file beside the runbook (``../docs/x.md``), not a URL, an e-mail or an anchor."""
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) and not target.startswith(("#", "/"))


def repository_path(target: str) -> str:
    """Where a runbook's relative link points, from the top of the opsctl repository:
    ``../docs/architecture-spec.md`` → ``docs/architecture-spec.md``."""
    return posixpath.normpath(posixpath.join(RUNBOOK_DIR, target.split("#", 1)[0]))


@functools.lru_cache(maxsize=256)
def load_runbook(check_id: str) -> str | None:
    """The runbook's Markdown shipped with opsctl, or None when there is none."""
    from opsctl.paths import runbook_path

    try:
        return runbook_path(check_id).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def runbook_section(text: str, heading: str) -> str:
    """The body of the ``## heading`` section of a runbook ('' when absent)."""
    lines = text.splitlines()
    out: list[str] = []
    inside = False
    for line in lines:
        if line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip().lower() == heading.lower()
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip()


def waiver_of(f: Finding) -> dict[str, Any] | None:
    """The waiver that turned this finding WAIVED (``evidence.waiver``), if recorded."""
    w = f.evidence.get("waiver") if isinstance(f.evidence, dict) else None
    return w if isinstance(w, dict) else None


def waiver_text(f: Finding) -> str:
    """"waived by OWNER until DATE: REASON (TICKET)" or ''."""
    w = waiver_of(f)
    if not w:
        return "waived" if f.status is Status.WAIVED else ""
    parts = ["waived"]
    if w.get("owner"):
        parts.append(f"by {w['owner']}")
    if w.get("expires"):
        parts.append(f"until {w['expires']}")
    text = " ".join(parts)
    if w.get("reason"):
        text += f": {w['reason']}"
    if w.get("ticket"):
        text += f" ({w['ticket']})"
    return text


def usd(value: float | None) -> str:
    return "" if value is None else f"${value:,.2f}"


@dataclass
class PillarRow:
    pillar: str
    counts: dict[str, int]
    score: float | None
    savings: float

    @property
    def score_text(self) -> str:
        return score_text(self.score)


def pillar_rows(summary: dict[str, Any], include_empty: bool = False) -> list[PillarRow]:
    """One row per pillar with findings (or every pillar with ``include_empty``)."""
    rows = []
    for p in PILLARS:
        counts = summary["by_pillar"].get(p, {s.value: 0 for s in Status})
        if not include_empty and not any(counts.values()):
            continue
        rows.append(PillarRow(p, counts, summary["scores"]["by_pillar"].get(p),
                              summary["savings"]["by_pillar"].get(p, 0.0)))
    return rows


def one_line(text: Any) -> str:
    """Text on one line: newlines and tabs become spaces."""
    return " ".join(str(text).split())


def prices_note(metadata: dict[str, Any]) -> str | None:
    """Where the savings figures come from and how old they are, from the result's metadata:
    `Prices: on-demand list prices as of 2025-01-01 (built-in table, 23 months before this run);
    --prices FILE for your own.`, or with --prices, the file and what the built-in table still
    supplies. None when the result names no price table (an old result)."""
    prices = metadata.get("prices") or {}
    as_of = str(prices.get("as_of") or "")
    if not as_of:
        return None
    age = _months_between(as_of, str(metadata.get("evaluated_at") or ""))
    old = f", {age} month{'s' if age != 1 else ''} before this run" if age is not None and age >= 1 else ""
    if prices.get("file") in (None, "", "built-in"):
        return f"Prices: on-demand list prices as of {as_of} (built-in table{old}); --prices FILE for your own."
    base = prices.get("built_in_as_of")
    rest = f"; the other entries are the built-in list prices of {base}" if base else ""
    return f"Prices: {prices['file']} as of {as_of}{rest}."


def _months_between(earlier: str, later: str) -> int | None:
    from datetime import date

    try:
        a, b = date.fromisoformat(earlier[:10]), date.fromisoformat(later[:10])
    except ValueError:
        return None
    months = (b.year - a.year) * 12 + (b.month - a.month) - (1 if b.day < a.day else 0)
    return months if months >= 0 else None


def nothing_evaluated(result: Any) -> str | None:
    """What a report says when no check produced a finding at all (``--select`` matched checks
    whose resources the account does not have): not that every check passed. None otherwise."""
    if result.findings:
        return None
    n = len(result.checks_run)
    checks = f"the {n} selected checks" if n != 1 else "the selected check"
    return f"Nothing was evaluated: {checks} found no resources to check."
