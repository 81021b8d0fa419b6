"""Shared pieces of the cost checks: metric history lookups and priced savings.

Two rules of issue 3 live here so every cost check applies them the same way:

* A metric-based verdict needs datapoints. No series, a series whose GetMetricData call failed,
  or a series without datapoints in the window is MissingData ("no CloudWatch data for …"), so
  the engine reports ERROR — never PASS or FAIL on data nobody saw.
* A savings figure needs every price it uses in the price table (ctx.prices). A missing price
  (or no table at all) gives `monthly_savings_usd` None and `evidence["savings_note"]` saying
  which price is missing — never a guessed figure.

The module name starts with "_" so the registry does not import it as a check module.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from opsctl.errors import MissingData
from opsctl.pricing import HOURS_PER_MONTH
from opsctl.registry import FAIL, CheckContext, Outcome
from opsctl.timeutil import parse_time

__all__ = [
    "CONNECTIONS_DAILY_MAX", "CONSUMED_READ_DAILY_SUM", "CONSUMED_WRITE_DAILY_SUM", "CPU_DAILY_AVG", "HOURS_PER_MONTH",
    "REQUESTS_DAILY_SUM", "SERIES", "Costing", "cost_fail", "daily_values", "parse_time",
]

SERIES = "cloudwatch.metric_series"

#: Metric keys of the series opsctl/collect/metrics.py produces (tests assert both sides agree).
CPU_DAILY_AVG = "cpu_daily_avg"
REQUESTS_DAILY_SUM = "requests_daily_sum"
CONNECTIONS_DAILY_MAX = "connections_daily_max"
CONSUMED_READ_DAILY_SUM = "consumed_read_daily_sum"
CONSUMED_WRITE_DAILY_SUM = "consumed_write_daily_sum"


def daily_values(resource: dict[str, Any], ctx: CheckContext, metric_key: str, metric_name: str, subject: str,
                 *, hint: str = "") -> list[float]:
    """The resource's daily datapoints over the check's `idle_days`, oldest first.

    MissingData (→ ERROR) when metrics were not collected in the region, the series is absent or
    failed, covers fewer days than asked (a snapshot collected with another window), or holds no
    datapoint in the window.
    """
    days = int(ctx.params["idle_days"])
    no_data = f"no CloudWatch data for {metric_name} of {subject} over {days} days" + (f" ({hint})" if hint else "")
    ctx.snapshot.require(SERIES, resource["region"])
    series = ctx.snapshot.index(SERIES, "arn").get(f"{resource['arn']}#{metric_key}")
    if series is None:
        raise MissingData(no_data)
    values = ctx.need(series, "values")
    stamps = ctx.need(series, "timestamps")
    start, end = parse_time(ctx.need(series, "start")), parse_time(ctx.need(series, "end"))
    covered = round((end - start) / timedelta(days=1))
    if covered < days:
        raise MissingData(f"the CloudWatch data for {metric_name} of {subject} covers {covered} days, fewer than the "
                          f"{days} the check needs; collect a new snapshot with this configuration")
    since = end - timedelta(days=days)
    kept = [float(v) for t, v in zip(stamps, values, strict=True) if parse_time(t) >= since]
    if not kept:
        raise MissingData(no_data)
    return kept


class Costing:
    """The prices one savings figure uses, and notes on those it lacks.

    `price()` returns None for a missing price and records the ADDENDUM's note; `savings()` then
    yields None, so a figure exists only when the table backs every price in it.
    """

    def __init__(self, ctx: CheckContext, region: str):
        self._table = ctx.prices
        self.region = region
        self.used: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._unpriced = False

    def price(self, kind: str, key: str = "default") -> float | None:
        value = self._table.get(kind, self.region, key) if self._table is not None else None
        if value is None:
            self._unpriced = True
            if self._table is None:
                self.notes.append(f"no price for {kind} {key} in {self.region}: no price table was loaded")
            else:
                self.notes.append(self._table.missing_note(kind, self.region, key))
            return None
        self.used.append({"kind": kind, "key": key, "region": self.region, "usd": value,
                          "as_of": self._table.as_of_for(kind, self.region, key)})
        return value

    def unpriced(self, note: str) -> None:
        """No figure for a reason other than a missing entry (e.g. a Windows licence)."""
        self._unpriced = True
        self.notes.append(note)

    def note(self, text: str) -> None:
        """A caveat on a figure that stands (e.g. an upper bound)."""
        self.notes.append(text)

    def savings(self, amount: float | None) -> float | None:
        if self._unpriced or amount is None:
            return None
        return round(max(amount, 0.0), 2)

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"prices_used": self.used}
        if self._table is not None:
            out["prices_as_of"] = self._table.as_of
        if self.notes:
            out["savings_note"] = "; ".join(self.notes)
        return out


def cost_fail(message: str, costing: Costing, amount: float | None, **evidence: Any) -> Outcome:
    """A FAIL carrying its monthly saving (None unless the price table backs every price in it)."""
    return replace(FAIL(message, **evidence, **costing.evidence()), monthly_savings_usd=costing.savings(amount))
