"""Collect DynamoDB tables (resource type ``dynamodb.table``).

ListTables gives names only, so each table costs four detail calls, run concurrently across
tables: DescribeTable, DescribeContinuousBackups (PITR), DescribeTimeToLive and
ListTagsOfResource (paginated). Application Auto Scaling targets of the tables are collected by
opsctl/collect/application_autoscaling.py.

Fields of ``dynamodb.table``:

- name — table name.
- arn — table ARN.
- region — AWS region.
- status — TableStatus (``ACTIVE`` …).
- billing_mode — ``PAY_PER_REQUEST`` or ``PROVISIONED`` (the default when DynamoDB reports no
  BillingModeSummary, as for tables created before on-demand existed).
- read_capacity / write_capacity — provisioned capacity units of the table (0 when on-demand).
- item_count — approximate item count (refreshed by DynamoDB about every six hours).
- size_bytes — approximate table size in bytes.
- sse_type — ``KMS`` when encrypted with a KMS key (AWS managed or customer managed); None for
  the default AWS owned key (DynamoDB then omits SSEDescription; ``AES256`` also means owned).
- kms_key_arn — the KMS key of ``KMS`` encryption, else None.
- deletion_protection — deletion protection is on.
- pitr_enabled — point-in-time recovery is on.
- ttl_status — TimeToLiveStatus (``ENABLED``, ``DISABLED``, ``ENABLING``, ``DISABLING``).
- tags — {key: value}.

When DescribeTable fails, every field it provides is marked in ``errors`` with the reason, so
the checks reading them report ERROR for that table.
"""

from __future__ import annotations

from typing import Any

from opsctl.collect.runner import CollectContext, collector

SERVICE = "dynamodb"
TYPE = "dynamodb.table"
NOT_FOUND = "ResourceNotFoundException"

#: Fields that come from DescribeTable (all marked in `errors` when that call fails).
DESCRIBED_FIELDS = (
    "status",
    "billing_mode",
    "read_capacity",
    "write_capacity",
    "item_count",
    "size_bytes",
    "sse_type",
    "kms_key_arn",
    "deletion_protection",
)


def described_fields(table: dict[str, Any]) -> dict[str, Any]:
    """The normalised fields of one DescribeTable ``Table`` structure."""
    throughput = table.get("ProvisionedThroughput") or {}
    sse = table.get("SSEDescription") or {}
    sse_type = sse.get("SSEType") or None
    return {
        "arn": table["TableArn"],
        "status": table.get("TableStatus"),
        "billing_mode": (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED",
        "read_capacity": throughput.get("ReadCapacityUnits"),
        "write_capacity": throughput.get("WriteCapacityUnits"),
        "item_count": table.get("ItemCount"),
        "size_bytes": table.get("TableSizeBytes"),
        "sse_type": sse_type,
        "kms_key_arn": sse.get("KMSMasterKeyArn") if sse_type == "KMS" else None,
        "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
    }


def _pitr_enabled(response: dict[str, Any]) -> bool:
    description = response["ContinuousBackupsDescription"]
    return (description.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus") == "ENABLED"


def _describe(ctx: CollectContext, region: str, table: dict[str, Any]) -> bool:
    """Fill the DescribeTable fields. False when the table vanished between listing and describing."""
    description = ctx.fill(table, "_description", SERVICE, region, "describe_table", {"TableName": table["name"]},
                           extract=lambda r: r["Table"], missing={NOT_FOUND: None})
    table.pop("_description", None)
    errors = table.get("errors") or {}
    if "_description" in errors:
        reason = errors.pop("_description")
        errors.update({field: reason for field in DESCRIBED_FIELDS})
        return True
    if description is None:
        return False
    table.update(described_fields(description))
    return True


def _fill_details(ctx: CollectContext, region: str, table: dict[str, Any]) -> bool:
    """All detail calls of one table; returns False when the table no longer exists."""
    if not _describe(ctx, region, table):
        return False
    name = {"TableName": table["name"]}
    ctx.fill(table, "pitr_enabled", SERVICE, region, "describe_continuous_backups", name, extract=_pitr_enabled)
    ctx.fill(table, "ttl_status", SERVICE, region, "describe_time_to_live", name,
             extract=lambda r: r["TimeToLiveDescription"].get("TimeToLiveStatus"))
    _fill_tags(ctx, region, table)
    return True


def _fill_tags(ctx: CollectContext, region: str, table: dict[str, Any]) -> None:
    """Tags through the ListTagsOfResource paginator (ctx.fill makes a single call)."""
    tags = ctx.paginate(SERVICE, region, "list_tags_of_resource", "Tags", {"ResourceArn": table["arn"]},
                        resource_type=TYPE, resource_id=table["arn"])
    if tags is None:
        table.setdefault("errors", {})["tags"] = ctx.failure_reason(SERVICE, region, "ListTagsOfResource", table["arn"])
        return
    table["tags"] = {t["Key"]: t.get("Value", "") for t in sorted(tags, key=lambda t: t["Key"])}




@collector(SERVICE, types=(TYPE,))
def collect_tables(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """List the tables of a region, then describe them concurrently."""
    names = ctx.paginate(SERVICE, region, "list_tables", "TableNames", resource_type=TYPE)
    if names is None:
        return {}
    tables = [
        {"type": TYPE, "name": name, "arn": ctx.arn(SERVICE, region, f"table/{name}"), "region": region}
        for name in sorted(names)
    ]
    present = ctx.map(lambda t: _fill_details(ctx, region, t), tables)
    return {TYPE: [t for t, exists in zip(tables, present, strict=True) if exists]}
