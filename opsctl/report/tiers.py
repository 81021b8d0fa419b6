"""Per-tier facts for the renderers, from a Result's ``topology`` (opsctl/topology.py) and
``summary.tier_scores``: one row per tier of the spec (kind, present, score, counts by status,
alarm coverage), and which tiers each finding belongs to.

A finding belongs to a tier as ``opsctl.topology.tier_scores`` counts it: its resource is one of
the tier's members (or attached to it), or it is an ``arch.*`` finding naming the tier in its
evidence (``tier``, ``tiers``, ``missing_tiers``). A result without a topology (written before
opsctl drew one, or audited without a spec) has no rows and no tiers: every renderer then leaves
its tier parts out. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opsctl.findings import Finding, Status
from opsctl.scores import score_text


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def _members(topology: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for tier in topology.get("tiers") or []:
        for arn in tier.get("members") or []:
            if tier["name"] not in out[arn]:
                out[arn].append(tier["name"])
    return out


class TierIndex:
    """Which tiers of the topology a finding belongs to (in the spec's order)."""

    def __init__(self, topology: dict[str, Any] | None):
        self.names = [t["name"] for t in (topology or {}).get("tiers") or []]
        self._order = {n: i for i, n in enumerate(self.names)}
        self._members = _members(topology or {})

    def __bool__(self) -> bool:
        return bool(self.names)

    def of(self, f: Finding) -> list[str]:
        tiers = set(self._members.get(f.resource_id, ()))
        evidence = f.evidence if isinstance(f.evidence, dict) else {}
        for key in ("tier", "tiers", "missing_tiers"):
            tiers |= {t for t in _as_list(evidence.get(key)) if isinstance(t, str) and t in self._order}
        return sorted(tiers, key=self._order.__getitem__)


def tier_index(result: Any) -> TierIndex:
    return TierIndex(getattr(result, "topology", None))


@dataclass
class TierRow:
    name: str
    kind: str
    present: bool | None  # None: could not be told (its resources could not be listed)
    resources: int  # resources of the tier's kind bound to it
    score: float | None
    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Status})
    alarms: dict[str, Any] = field(default_factory=dict)  # covered, uncovered, error, missing

    @property
    def score_text(self) -> str:
        return score_text(self.score)

    @property
    def state(self) -> str:
        return "present" if self.present else "missing" if self.present is False else "not seen"

    @property
    def alarm_text(self) -> str:
        """"3/4 (1 missing)", "no alarm check" when cloudwatch.alarm_coverage said nothing of the tier."""
        a = self.alarms
        judged = a.get("covered", 0) + a.get("uncovered", 0)
        if not judged and not a.get("error"):
            return "-"
        text = f"{a.get('covered', 0)}/{judged}" if judged else "0/0"
        extra = []
        if a.get("uncovered"):
            extra.append(f"{a['uncovered']} without")
        if a.get("error"):
            extra.append(f"{a['error']} not evaluated")
        return text + (f" ({', '.join(extra)})" if extra else "")


def tier_rows(result: Any, summary: dict[str, Any] | None = None) -> list[TierRow]:
    """One row per tier of the result's topology, in the spec's order; [] without a topology."""
    topology = getattr(result, "topology", None)
    if not topology or not topology.get("tiers"):
        return []
    from opsctl.topology import alarm_coverage_by_tier

    summary = summary if summary is not None else result.summary()
    scores = summary.get("tier_scores") or {}
    index = TierIndex(topology)
    rows = {t["name"]: TierRow(t["name"], t.get("kind", ""), t.get("present"), int(t.get("count") or 0), scores.get(t["name"]))
            for t in topology["tiers"]}
    for f in result.findings:
        for name in index.of(f):
            rows[name].counts[f.status.value] += 1
    for name, coverage in alarm_coverage_by_tier(result.findings, topology).items():
        if name in rows:
            rows[name].alarms = coverage
    return list(rows.values())


def spec_name(result: Any) -> str:
    topology = getattr(result, "topology", None) or {}
    return str((topology.get("spec") or {}).get("name") or "the architecture")


def tiers_text(names: Iterable[str]) -> str:
    """Tiers in one cell: ``"dns;edge"`` (a resource can be in two tiers)."""
    return ";".join(names)
