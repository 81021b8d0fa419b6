"""DynamoDB table checks (CATALOGUE.md, "DynamoDB (table)"), dynamodb.table_overprovisioned
included (it reads consumed-capacity history and prices the unused units from the price table)."""

from __future__ import annotations

from typing import Any

from opsctl.checks._cost import (
    CONSUMED_READ_DAILY_SUM,
    CONSUMED_WRITE_DAILY_SUM,
    HOURS_PER_MONTH,
    Costing,
    cost_fail,
    daily_values,
)

from opsctl.registry import FAIL, PASS, CheckContext, check

TABLE = "dynamodb.table"
SCALABLE_TARGET = "applicationautoscaling.scalable_target"

#: The two dimensions a PROVISIONED table must auto scale on (Application Auto Scaling names).
READ_DIMENSION = "dynamodb:table:ReadCapacityUnits"
WRITE_DIMENSION = "dynamodb:table:WriteCapacityUnits"


@check(id="dynamodb.table_pitr", title="DynamoDB table has point-in-time recovery",
       pillar="availability", severity="high", resource_type=TABLE)
def table_pitr(table: dict[str, Any], ctx: CheckContext):
    """Point-in-time recovery restores the table to any second of the last 35 days after a bad write or delete."""
    if ctx.need(table, "pitr_enabled"):
        return PASS(f"DynamoDB table {table['name']} has point-in-time recovery enabled.")
    return FAIL(f"DynamoDB table {table['name']} has point-in-time recovery disabled.")


@check(id="dynamodb.table_deletion_protection", title="DynamoDB table has deletion protection",
       pillar="availability", severity="medium", resource_type=TABLE)
def table_deletion_protection(table: dict[str, Any], ctx: CheckContext):
    """Deletion protection stops a mistaken DeleteTable call or stack update from dropping the table."""
    if ctx.need(table, "deletion_protection"):
        return PASS(f"DynamoDB table {table['name']} has deletion protection on.")
    return FAIL(f"DynamoDB table {table['name']} has deletion protection off.")


@check(id="dynamodb.table_capacity_mode", title="DynamoDB table capacity follows demand",
       pillar="scalability", severity="medium", resource_type=TABLE)
def table_capacity_mode(table: dict[str, Any], ctx: CheckContext):
    """Fixed provisioned capacity throttles requests at peaks: use on-demand or auto scale both reads and writes."""
    name = table["name"]
    mode = ctx.need(table, "billing_mode")
    if mode == "PAY_PER_REQUEST":
        return PASS(f"DynamoDB table {name} uses on-demand (PAY_PER_REQUEST) capacity.", billing_mode=mode)
    resource_id = f"table/{name}"
    scaled = {
        t.get("scalable_dimension")
        for t in ctx.snapshot.require(SCALABLE_TARGET, table["region"])
        if t.get("resource_id") == resource_id
    }
    missing = [label for label, dim in (("reads", READ_DIMENSION), ("writes", WRITE_DIMENSION)) if dim not in scaled]
    if not missing:
        return PASS(f"DynamoDB table {name} uses provisioned capacity with auto scaling on reads and writes.",
                    billing_mode=mode)
    return FAIL(f"DynamoDB table {name} uses provisioned capacity without auto scaling on {' and '.join(missing)}.",
                billing_mode=mode, missing_auto_scaling=missing,
                read_capacity=table.get("read_capacity"), write_capacity=table.get("write_capacity"))


@check(id="dynamodb.table_kms", title="DynamoDB table is encrypted with a KMS key",
       pillar="security", severity="low", resource_type=TABLE)
def table_kms(table: dict[str, Any], ctx: CheckContext):
    """A KMS key (AWS managed or customer managed) puts key use in CloudTrail and under key-policy control."""
    sse_type = ctx.need(table, "sse_type")
    if sse_type == "KMS":
        key = table.get("kms_key_arn")
        return PASS(f"DynamoDB table {table['name']} is encrypted with KMS key {key or '(AWS managed)'}.", kms_key_arn=key)
    return FAIL(f"DynamoDB table {table['name']} is encrypted with an AWS owned key, not a KMS key.", sse_type=sse_type)


DAY_SECONDS = 86_400


def _average_per_second(daily_sums: list[float]) -> float:
    """Average consumed units per second over the days that have datapoints.

    Days without a datapoint are left out rather than counted as zero: the average can only
    be overstated, so a table is never called over-provisioned on days nobody measured.
    """
    return sum(daily_sums) / (len(daily_sums) * DAY_SECONDS)


@check(id="dynamodb.table_overprovisioned", title="Provisioned DynamoDB table uses its capacity",
       pillar="cost", severity="medium", resource_type=TABLE, params={"idle_days": 14, "min_utilization": 0.2})
def table_overprovisioned(table: dict[str, Any], ctx: CheckContext):
    """Provisioned capacity is billed per unit-hour whether used or not: unused units are money for nothing."""
    if ctx.need(table, "billing_mode") != "PROVISIONED":
        return None
    name, days, floor = table["name"], ctx.params["idle_days"], ctx.params["min_utilization"]
    subject = f"DynamoDB table {name}"
    dims = []
    for label, field, key, metric, kind in (
        ("read", "read_capacity", CONSUMED_READ_DAILY_SUM, "ConsumedReadCapacityUnits", "dynamodb_rcu_hour"),
        ("write", "write_capacity", CONSUMED_WRITE_DAILY_SUM, "ConsumedWriteCapacityUnits", "dynamodb_wcu_hour"),
    ):
        provisioned = ctx.need(table, field) or 0
        consumed = _average_per_second(daily_values(table, ctx, key, metric, subject))
        utilization = consumed / provisioned if provisioned else 1.0  # nothing provisioned, nothing to cut
        dims.append({"dimension": label, "provisioned": provisioned, "consumed_avg": round(consumed, 3),
                     "utilization": round(utilization, 4), "price_kind": kind})
    usage = " and ".join(f"{d['utilization']:.1%} of its {d['provisioned']} {d['dimension']} units" for d in dims)
    evidence = {"capacity": [{k: v for k, v in d.items() if k != "price_kind"} for d in dims]}
    low = [d for d in dims if d["utilization"] < floor]
    if not low:
        return PASS(f"{subject} uses on average {usage} over {days} days, at or above {floor:.0%}.", **evidence)
    costing = Costing(ctx, table["region"])
    amount: float | None = 0.0
    for d in low:
        per_unit = costing.price(d["price_kind"])
        unused = max(d["provisioned"] - d["consumed_avg"], 0.0)
        amount = amount + unused * per_unit * HOURS_PER_MONTH if amount is not None and per_unit is not None else None
    costing.note(f"only the {' and '.join(d['dimension'] for d in low)} capacity below {floor:.0%} use is counted")
    which = " and ".join(f"{d['dimension']}s" for d in low)
    return cost_fail(f"{subject} uses on average {usage} over {days} days: {which} below {floor:.0%}.", costing, amount,
                     under_used=[d["dimension"] for d in low], **evidence)
