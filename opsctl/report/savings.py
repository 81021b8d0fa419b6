"""Savings broken down by region or by a tag of the resources (``--group-savings-by region|tag:KEY``),
for the terminal, Markdown and HTML reports. Pure: findings in, rows out.

The rows add up the same figures as the totals (opsctl.engine.counted_savings: the priced FAILs,
each resource once with its largest figure), so a breakdown sums to the total it breaks down. A
finding's tags are those of the resource it names, carried as ``evidence.tags`` by the engine
for priced findings; a finding without the tag (or without tags: an untagged resource, tags
that could not be read, a result of an older opsctl) is counted under ``(untagged)``.

A tag key is matched exactly, else case-insensitively when only one of the resource's keys
matches that way (``tag:owner`` finds ``Owner``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

UNTAGGED = "(untagged)"
#: rows a terminal or Markdown breakdown lists; the rest are summed in one row
MAX_ROWS = 25


@dataclass(frozen=True)
class Group:
    """What a breakdown groups by: ``region``, or the value of tag ``key``."""

    kind: str  # "region" | "tag"
    key: str = ""

    @property
    def spec(self) -> str:
        """As given on the command line: ``region``, ``tag:owner``."""
        return "region" if self.kind == "region" else f"tag:{self.key}"

    @property
    def title(self) -> str:
        """``region``, ``tag owner``: what the breakdown's heading names."""
        return "region" if self.kind == "region" else f"tag {self.key}"

    @property
    def column(self) -> str:
        return "Region" if self.kind == "region" else self.key


@dataclass(frozen=True)
class GroupRow:
    label: str
    usd: float
    #: the priced resources counted (a resource flagged by two checks counts once, as in the total)
    resources: int
    #: a row summing the rows left out (``label`` says how many)
    rest: bool = False


def parse_group(value: str) -> Group:
    """``region`` or ``tag:KEY`` (KEY as AWS spells it; it may hold colons: ``tag:aws:cloudformation:stack-name``).
    ValueError with what is accepted otherwise."""
    text = value.strip()
    if text == "region":
        return Group("region")
    if text.startswith("tag:") and text[4:].strip():
        return Group("tag", text[4:].strip())
    raise ValueError(f"{value!r}: give region or tag:KEY (e.g. tag:owner)")


def parse_groups(values: Iterable[str]) -> tuple[Group, ...]:
    """Each value, or comma-separated values (``region,tag:owner``), once each, in order."""
    out: list[Group] = []
    for value in values:
        for part in str(value).split(","):
            if part.strip():
                group = parse_group(part)
                if group not in out:
                    out.append(group)
    return tuple(out)


def click_groups(ctx: Any, param: Any, values: Any) -> tuple[Group, ...]:
    """click callback of ``--group-savings-by``: the parsed groups, or a BadParameter."""
    import click

    try:
        return parse_groups(values or ())
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def as_groups(groups: Any) -> tuple[Group, ...]:
    """Groups from what a renderer is given: Group objects or their specs (``"tag:owner"``)."""
    if not groups:
        return ()
    if isinstance(groups, (str, Group)):
        groups = (groups,)
    out: list[Group] = []
    for g in groups:
        group = g if isinstance(g, Group) else parse_group(str(g))
        if group not in out:
            out.append(group)
    return tuple(out)


def tag_value(tags: Any, key: str) -> str | None:
    """The value of tag ``key``: the exact key, else the one key equal to it case-insensitively."""
    if not isinstance(tags, dict) or not tags:
        return None
    if key in tags:
        return str(tags[key])
    folded = [k for k in tags if str(k).casefold() == key.casefold()]
    return str(tags[folded[0]]) if len(folded) == 1 else None


def label_of(f: Any, group: Group) -> str:
    if group.kind == "region":
        return f.region or "-"
    evidence = f.evidence if isinstance(f.evidence, dict) else {}
    value = tag_value(evidence.get("tags"), group.key)
    return value if value not in (None, "") else UNTAGGED


def savings_by(findings: Iterable[Any], group: Group) -> list[GroupRow]:
    """USD per month and priced resources per region or tag value, largest first ((untagged) last
    on a tie), over the figures the total counts (opsctl.engine.counted_savings)."""
    from opsctl.engine import counted_savings

    counted, _, _ = counted_savings(findings)
    usd: dict[str, float] = {}
    count: dict[str, int] = {}
    for f in counted:
        label = label_of(f, group)
        usd[label] = usd.get(label, 0.0) + (f.monthly_savings_usd or 0.0)
        count[label] = count.get(label, 0) + 1
    rows = [GroupRow(label, round(v, 2), count[label]) for label, v in usd.items()]
    return sorted(rows, key=lambda r: (-r.usd, r.label == UNTAGGED, r.label))


def capped(rows: list[GroupRow], limit: int = MAX_ROWS) -> list[GroupRow]:
    """At most ``limit`` rows: the largest ``limit - 1`` and one summing the rest."""
    if len(rows) <= limit:
        return rows
    kept, rest = rows[: limit - 1], rows[limit - 1:]
    return [*kept, GroupRow(f"{len(rest)} more", round(sum(r.usd for r in rest), 2), sum(r.resources for r in rest), True)]


def breakdowns(result: Any, groups: Any, limit: int | None = MAX_ROWS) -> list[tuple[Group, list[GroupRow]]]:
    """(group, rows) for each group asked for that has a priced finding to break down; ``limit``
    caps the rows of each (None: all)."""
    out = []
    for group in as_groups(groups):
        rows = savings_by(result.findings, group)
        if rows:
            out.append((group, rows if limit is None else capped(rows, limit)))
    return out
