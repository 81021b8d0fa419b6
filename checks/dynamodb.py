"""DynamoDB table checks (CATALOGUE.md, "DynamoDB (table)"), except dynamodb.table_overprovisioned."""

from __future__ import annotations

from typing import Any

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
