"""Scores: how well an account conforms, per pillar and overall, on a 0–100 scale.

    score = 100 × (1 − Σ weight(FAIL) / Σ weight(PASS + FAIL))

with the weights of SEVERITY_WEIGHTS (critical 10, high 5, medium 3, low 1, info 0). Only verdicts
count: ERROR, SKIPPED and WAIVED findings are left out of both sums (an ERROR is data opsctl could
not see, a WAIVED finding is an accepted risk — neither raises nor lowers the score). A pillar with
nothing weighed (no PASS or FAIL above info) scores ``None`` ("not evaluated"), never 100. The
overall score weighs every finding of every pillar together (it is not the mean of the pillars).
Scores are rounded to one decimal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from opsctl.findings import PILLARS, Finding, Status

SEVERITY_WEIGHTS: dict[str, int] = {"critical": 10, "high": 5, "medium": 3, "low": 1, "info": 0}

_OVERALL = "\0overall"


def grouped_scores(findings: Iterable[Finding], groups: Callable[[Finding], Iterable[str]],
                   keys: Iterable[str]) -> dict[str, float | None]:
    """The score of each key over the findings `groups` puts in it (a finding may count in several)."""
    weighed: dict[str, int] = defaultdict(int)
    failed: dict[str, int] = defaultdict(int)
    for f in findings:
        if f.status not in (Status.PASS, Status.FAIL):
            continue
        weight = SEVERITY_WEIGHTS.get(f.severity.value, 0)
        for key in groups(f):
            weighed[key] += weight
            if f.status is Status.FAIL:
                failed[key] += weight
    return {k: round(100.0 * (1.0 - failed[k] / weighed[k]), 1) if weighed[k] else None for k in keys}


def scores(findings: Iterable[Finding]) -> dict[str, Any]:
    """``{"overall": float|None, "by_pillar": {pillar: float|None}, "weights": {...}}``."""
    by_key = grouped_scores(findings, lambda f: (f.pillar, _OVERALL), (*PILLARS, _OVERALL))
    return {
        "overall": by_key[_OVERALL],
        "by_pillar": {p: by_key[p] for p in PILLARS},
        "weights": dict(SEVERITY_WEIGHTS),
    }


def score_text(value: float | None) -> str:
    """``72.5`` → "72.5", ``None`` → "n/a" (nothing evaluated)."""
    if value is None:
        return "n/a"
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
