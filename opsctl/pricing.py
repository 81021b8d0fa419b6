"""The price table behind every savings figure: dated, sourced, overridable per entry.

Cost checks turn a FAIL into money (`monthly_savings_usd`) only with a price from this table;
a price it lacks gives no figure and a note, never a guess (issue 3, "Money"). The built-in
table is checks/data/prices.yaml; `--prices FILE` names a file in the same format whose entries
override the built-in ones per (kind, region, key)::

    as_of: 2025-01-01                 # ISO date the prices were taken
    source: "who published them (URLs)"
    currency: USD                     # optional; only USD is accepted
    prices:
      <kind>:                         # one of KINDS
        <region>:                     # an AWS region, or "global" (Route 53)
          <key>: <USD price>          # a number >= 0; "default" for kinds without a key

Kinds and their keys (ADDENDUM of the brief):

- ebs_gb_month — per GB-month; key = volume type (gp2 gp3 io1 io2 st1 sc1 standard)
- ebs_snapshot_gb_month — per GB-month of standard snapshot storage; key "standard"
- eip_idle_hour — an Elastic IP not attached to a running instance, per hour; "default"
- alb_hour — an application load balancer, per hour (LCUs excluded); "default"
- ec2_linux_hour — Linux on-demand, shared tenancy, per hour; key = instance type
- rds_hour — Single-AZ on-demand per hour; key = DB instance class for MySQL and MariaDB
  (same price), "postgres:<class>" for PostgreSQL; Multi-AZ doubles it
- dynamodb_rcu_hour / dynamodb_wcu_hour — provisioned capacity unit per hour; "default"
- route53_health_check_month — per health check-month, region "global"; key "aws_endpoint"
  or "non_aws_endpoint"

A malformed file is a UsageError naming file:line, so a typo in an override cannot silently
drop a price (it would fall back to the built-in one or to "no figure").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from opsctl.errors import UsageError, not_utf8, read_text_file, unknown_key

#: Hours in a month, as AWS's own pricing examples count them (365 × 24 / 12).
HOURS_PER_MONTH = 730

BUILTIN_NAME = "prices.yaml"
BUILTIN_LABEL = "checks/data/prices.yaml"

#: kind → unit of its prices (the unit is shown in evidence and validated nowhere else).
KINDS: dict[str, str] = {
    "ebs_gb_month": "USD per GB-month",
    "ebs_snapshot_gb_month": "USD per GB-month",
    "eip_idle_hour": "USD per hour",
    "alb_hour": "USD per hour",
    "ec2_linux_hour": "USD per hour",
    "rds_hour": "USD per hour",
    "dynamodb_rcu_hour": "USD per RCU-hour",
    "dynamodb_wcu_hour": "USD per WCU-hour",
    "route53_health_check_month": "USD per health check-month",
}

_TOP_LEVEL = ("as_of", "source", "currency", "prices")
_REGION = re.compile(r"^(global|[a-z]{2,4}(-[a-z]+)+-\d+)$")

PriceKey = tuple[str, str, str]  # (kind, region, key)


@dataclass(frozen=True)
class PriceTable:
    """Prices in USD by (kind, region, key), with the date and source they come from."""

    as_of: str
    source: str
    prices: dict[PriceKey, float] = field(default_factory=dict)
    #: Per entry, the as_of of the file it came from (overrides may be newer than the built-in).
    entry_as_of: dict[PriceKey, str] = field(default_factory=dict)

    def get(self, kind: str, region: str, key: str = "default") -> float | None:
        """The price, or None when the table has none (the caller then gives no figure)."""
        return self.prices.get((kind, region, key))

    def as_of_for(self, kind: str, region: str, key: str = "default") -> str:
        """The date of one entry's price (the table's as_of when the entry is missing)."""
        return self.entry_as_of.get((kind, region, key), self.as_of)

    def missing_note(self, kind: str, region: str, key: str = "default") -> str:
        """The savings_note of a FAIL whose price is not in the table (wording fixed by the ADDENDUM)."""
        return f"no price for {kind} {key} in {region} in the price table ({self.as_of})"

    def __len__(self) -> int:
        return len(self.prices)


def load_price_table(path: str | None = None) -> PriceTable:
    """The built-in table, or the built-in table overridden entry by entry by the file at `path`."""
    builtin = _builtin_table()
    if path is None:
        return builtin
    try:
        text = read_text_file(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read price table ({exc.strerror or exc}); check the --prices path") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc, "--prices") from None
    override = parse_price_table(text, str(path))
    return merge(builtin, override, str(path))


@lru_cache(maxsize=1)
def _builtin_table() -> PriceTable:
    text = resources.files("opsctl.checks.data").joinpath(BUILTIN_NAME).read_text(encoding="utf-8")
    return parse_price_table(text, BUILTIN_LABEL)


def merge(base: PriceTable, override: PriceTable, label: str) -> PriceTable:
    """`override`'s entries replace `base`'s per (kind, region, key); the others stay."""
    prices = {**base.prices, **override.prices}
    entry_as_of = {**{k: base.as_of_for(*k) for k in base.prices}, **{k: override.as_of for k in override.prices}}
    return PriceTable(
        as_of=max(base.as_of, override.as_of),
        source=f"{label} ({override.source}) over the built-in table ({base.source})",
        prices=prices,
        entry_as_of=entry_as_of,
    )


# ----- parsing with line numbers ------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """SafeLoader whose nodes we walk ourselves, to name the line of every problem."""


def _fail(label: str, node: yaml.Node | None, message: str) -> UsageError:
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    return UsageError(f"{label}{line}: {message}")


def _mapping(label: str, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) of a mapping node; duplicate or non-string keys are errors."""
    if not isinstance(node, yaml.MappingNode):
        raise _fail(label, node, f"{what} must be a mapping")
    seen: set[str] = set()
    items = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _fail(label, key_node, f"keys of {what} must be plain names")
        key = str(key_node.value)
        if key in seen:
            raise _fail(label, key_node, f"{key!r} appears twice in {what}")
        seen.add(key)
        items.append((key, key_node, value_node))
    return items


def _scalar(loader: _Loader, node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return node
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:  # YAML reads 2026-02-30 as a date that does not exist
        return node.value


def parse_price_table(text: str, label: str) -> PriceTable:
    """Parse one price file; UsageError naming `label`:line for anything malformed."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise UsageError(f"{label}{line}: not valid YAML ({exc.problem or exc})") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{label}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()
    if root is None:
        raise UsageError(f"{label}: the price table is empty; it needs as_of, source and prices")
    top = {key: (key_node, value) for key, key_node, value in _mapping(label, root, "the price table")}
    for key, (key_node, _) in top.items():
        if key not in _TOP_LEVEL:
            raise _fail(label, key_node, unknown_key(key, list(_TOP_LEVEL), 'expected'))
    for required in ("as_of", "source", "prices"):
        if required not in top:
            raise _fail(label, root, f"the price table needs {required!r}")
    as_of = _as_of(label, loader, top["as_of"][1])
    source = _scalar(loader, top["source"][1])
    if not isinstance(source, str) or not source.strip():
        raise _fail(label, top["source"][1], "source must name where the prices come from (text and URL)")
    if "currency" in top and _scalar(loader, top["currency"][1]) != "USD":
        raise _fail(label, top["currency"][1], "currency must be USD (every savings figure is in USD)")
    prices = _prices(label, loader, top["prices"][1])
    return PriceTable(as_of=as_of, source=" ".join(source.split()), prices=prices,
                      entry_as_of={k: as_of for k in prices})


def _as_of(label: str, loader: _Loader, node: yaml.Node) -> str:
    value = _scalar(loader, node)
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _fail(label, node, f"as_of must be an ISO date (YYYY-MM-DD), got {value!r}") from None


def _prices(label: str, loader: _Loader, node: yaml.Node) -> dict[PriceKey, float]:
    prices: dict[PriceKey, float] = {}
    for kind, kind_node, regions in _mapping(label, node, "prices"):
        if kind not in KINDS:
            raise _fail(label, kind_node, f"unknown price kind {kind!r} (expected one of {', '.join(KINDS)})")
        for region, region_node, entries in _mapping(label, regions, f"prices.{kind}"):
            if not _REGION.match(region):
                raise _fail(label, region_node, f"{region!r} is not an AWS region name (or 'global')")
            for key, _, value_node in _mapping(label, entries, f"prices.{kind}.{region}"):
                value = _scalar(loader, value_node)
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                    raise _fail(label, value_node, f"price of {kind} {key} in {region} must be a finite number >= 0, got {value!r}")
                prices[(kind, region, key)] = float(value)
    return prices
