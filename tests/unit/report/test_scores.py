"""Scores: 100 × (1 − Σw(FAIL) / Σw(PASS+FAIL)), per pillar and overall; null when nothing weighed."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from opsctl.engine import Result
from opsctl.findings import PILLARS, Severity, Status
from opsctl.report import render
from opsctl.scores import SEVERITY_WEIGHTS, score_text, scores
from tests.unit.report.fixtures import finding, sample_result

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "opsctl" / "schemas" / "result.schema.json").read_text())


def test_weights_are_the_documented_ones():
    assert SEVERITY_WEIGHTS == {"critical": 10, "high": 5, "medium": 3, "low": 1, "info": 0}


def test_formula_per_pillar_and_overall():
    s = sample_result().summary()["scores"]
    # security: FAIL critical (10) vs PASS high (5) -> 1 - 10/15
    assert s["by_pillar"]["security"] == 33.3
    # cost: FAIL low (1) vs PASS low (1)
    assert s["by_pillar"]["cost"] == 50.0
    # overall weighs all findings together, not the mean of the pillars: 1 - 11/17
    assert s["overall"] == round(100 * (1 - 11 / 17), 1) == 35.3
    assert s["weights"] == SEVERITY_WEIGHTS


def test_error_skipped_waived_count_in_neither_sum_and_empty_pillar_is_null():
    s = sample_result().summary()["scores"]["by_pillar"]
    assert s["availability"] is None  # only ERROR and WAIVED there
    assert s["operations"] is None  # only SKIPPED
    assert s["scalability"] is None and s["performance"] is None  # nothing at all
    assert set(s) == set(PILLARS)


def test_all_pass_is_100_all_fail_is_0_info_only_is_null():
    assert scores([finding("a.b", Status.PASS, Severity.LOW)])["overall"] == 100.0
    assert scores([finding("a.b", Status.FAIL, Severity.CRITICAL)])["overall"] == 0.0
    assert scores([finding("a.b", Status.FAIL, Severity.INFO)])["overall"] is None
    assert scores([])["overall"] is None


@pytest.mark.parametrize("status", [Status.ERROR, Status.SKIPPED, Status.WAIVED])
def test_non_verdicts_do_not_move_the_score(status):
    base = [finding("a.b", Status.PASS, Severity.HIGH), finding("a.c", Status.FAIL, Severity.HIGH, resource_id="x")]
    extra = finding("a.d", status, Severity.CRITICAL, resource_id="y")
    assert scores(base)["overall"] == scores([*base, extra])["overall"] == 50.0


def test_score_text():
    assert score_text(None) == "n/a" and score_text(100.0) == "100" and score_text(33.3) == "33.3" and score_text(0.0) == "0"


def test_summary_scores_are_in_the_json_and_match_the_schema():
    data = json.loads(render(sample_result(), "json"))
    jsonschema.validate(data, SCHEMA)
    assert data["summary"]["scores"]["by_pillar"]["availability"] is None
    assert data["summary"]["scores"]["overall"] == 35.3


def test_terminal_summary_shows_scores():
    out = render(sample_result(), "table", color=False, width=160)
    assert "Score" in out and "33.3" in out and "35.3" in out and "n/a" in out


def test_empty_result_scores_null_everywhere():
    r = Result([], [], "123456789012", ["us-east-1"], [])
    s = r.summary()["scores"]
    assert s["overall"] is None and all(v is None for v in s["by_pillar"].values())
