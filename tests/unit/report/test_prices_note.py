"""Every savings block says which price table backs its figures and how old it was at the run, so a
reader of a 2026 report knows the dollars are 2025 list prices (and how to bring their own)."""

from __future__ import annotations

import pytest

from opsctl.report.helpers import prices_note
from opsctl.report.html import render_html
from opsctl.report.markdown import render_markdown
from opsctl.report.terminal import render_terminal
from tests.unit.report.fixtures import sample_result

BUILT_IN = {"as_of": "2025-01-01", "source": "AWS public on-demand prices", "file": "built-in"}


@pytest.mark.parametrize(("prices", "evaluated_at", "expected"), [
    (BUILT_IN, "2026-12-07T05:00:00+00:00",
     "Prices: on-demand list prices as of 2025-01-01 (built-in table, 23 months before this run); --prices FILE for your own."),
    ({**BUILT_IN, "file": "prices.yaml", "as_of": "2026-12-01", "built_in_as_of": "2025-01-01"}, "2026-12-07T05:00:00+00:00",
     "Prices: prices.yaml as of 2026-12-01; the other entries are the built-in list prices of 2025-01-01."),
    ({**BUILT_IN, "file": "prices.yaml", "as_of": "2026-12-01"}, "2026-12-07T05:00:00+00:00",
     "Prices: prices.yaml as of 2026-12-01."),
    ({**BUILT_IN, "as_of": "2026-11-07"}, "2026-12-07T00:00:00+00:00", "(built-in table, 1 month before this run)"),
    ({**BUILT_IN, "as_of": "2026-11-08"}, "2026-12-07T00:00:00+00:00", "(built-in table);"),  # not yet a month
    (BUILT_IN, "", "(built-in table);"),  # no run date: no age, still the date of the prices
])
def test_prices_note_names_table_date_and_age(prices, evaluated_at, expected):
    assert expected in prices_note({"prices": prices, "evaluated_at": evaluated_at})


def test_no_price_metadata_no_note():
    assert prices_note({}) is None
    assert prices_note({"prices": {"file": "built-in"}}) is None


def test_every_savings_block_carries_the_note():
    result = sample_result(prices=BUILT_IN)  # evaluated 2026-11-25
    expected = "as of 2025-01-01 (built-in table, 22 months before this run)"
    assert expected in render_terminal(result, color=False, width=200)
    md = render_markdown(result)
    assert expected in md and "`--prices FILE` for your own" in md
    assert md.index(expected) > md.index("### Potential savings")
    html = render_html(result)
    assert f'<p class="muted" id="prices-note">Prices: on-demand list prices {expected}' in html


def test_old_results_without_price_metadata_render_without_it():
    result = sample_result()
    assert "Prices:" not in render_markdown(result) and 'id="prices-note"' not in render_html(result)
