"""Collect RDS DB instances, DB clusters and manual DB snapshots.

DescribeDBInstances and DescribeDBClusters carry everything the checks need (tags included), so
instances and clusters cost one paginated listing each. Snapshots need one
DescribeDBSnapshotAttributes call each, for the ``restore`` attribute that makes them public.

Fields of ``rds.db_instance``:

- id — DB instance identifier.
- arn — DB instance ARN.
- region — AWS region.
- engine — engine name (``postgres``, ``mysql``, ``aurora-postgresql`` …).
- engine_version — engine version.
- instance_class — ``db.m6g.large`` …
- multi_az — True when a standby is kept in a second AZ (Multi-AZ instance deployment).
- storage_encrypted — storage encryption at rest.
- publicly_accessible — the instance has a publicly resolvable endpoint; None if not reported.
- backup_retention_period — days of automated backups (0: off).
- deletion_protection — the instance's own deletion protection flag (Aurora keeps it on the
  cluster: see ``rds.db_cluster``).
- auto_minor_version_upgrade — minor engine upgrades are applied in the maintenance window.
- allocated_storage — GiB allocated.
- max_allocated_storage — storage autoscaling ceiling in GiB; None when autoscaling is off.
- db_cluster_identifier — the cluster the instance belongs to, or None.
- availability_zone — AZ of the primary.
- secondary_availability_zone — AZ of the Multi-AZ standby, when reported.
- vpc_security_group_ids — sorted security group ids.
- status — DBInstanceStatus (``available`` …).
- tags — {key: value}.

Fields of ``rds.db_cluster``:

- id — DB cluster identifier.
- arn — DB cluster ARN.
- region — AWS region.
- engine — engine name.
- multi_az — RDS's own Multi-AZ flag of the cluster.
- availability_zones — sorted AZs the cluster's storage spans.
- members — sorted DB instance identifiers of the cluster members.
- storage_encrypted — storage encryption at rest.
- deletion_protection — cluster deletion protection (authoritative for Aurora members).
- backup_retention_period — days of automated backups (authoritative for Aurora members).
- tags — {key: value}.

Fields of ``rds.db_snapshot`` (manual snapshots only; automated ones cannot be shared):

- id — DB snapshot identifier.
- arn — DB snapshot ARN.
- region — AWS region.
- db_instance_id — identifier of the source DB instance.
- encrypted — the snapshot is encrypted.
- create_time — ISO timestamp of creation, or None while it is being created.
- restore_attribute_values — account ids (or ``all``: public) allowed to restore the snapshot.
- tags — {key: value}.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsctl.collect.runner import CollectContext, collector

SERVICE = "rds"
INSTANCE = "rds.db_instance"
CLUSTER = "rds.db_cluster"
SNAPSHOT = "rds.db_snapshot"


def _tags(tag_list: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in sorted(tag_list or [], key=lambda t: t["Key"])}


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def normalise_instance(db: dict[str, Any], region: str) -> dict[str, Any]:
    """One DescribeDBInstances entry → an rds.db_instance resource."""
    return {
        "type": INSTANCE,
        "id": db["DBInstanceIdentifier"],
        "arn": db["DBInstanceArn"],
        "region": region,
        "engine": db.get("Engine"),
        "engine_version": db.get("EngineVersion"),
        "instance_class": db.get("DBInstanceClass"),
        "multi_az": bool(db.get("MultiAZ")),
        "storage_encrypted": bool(db.get("StorageEncrypted")),
        "publicly_accessible": db.get("PubliclyAccessible"),
        "backup_retention_period": db.get("BackupRetentionPeriod"),
        "deletion_protection": bool(db.get("DeletionProtection")),
        "auto_minor_version_upgrade": bool(db.get("AutoMinorVersionUpgrade")),
        "allocated_storage": db.get("AllocatedStorage"),
        "max_allocated_storage": db.get("MaxAllocatedStorage"),
        "db_cluster_identifier": db.get("DBClusterIdentifier"),
        "availability_zone": db.get("AvailabilityZone"),
        "secondary_availability_zone": db.get("SecondaryAvailabilityZone"),
        "vpc_security_group_ids": sorted(g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups") or []),
        "status": db.get("DBInstanceStatus"),
        "tags": _tags(db.get("TagList")),
    }


def normalise_cluster(cluster: dict[str, Any], region: str) -> dict[str, Any]:
    """One DescribeDBClusters entry → an rds.db_cluster resource."""
    return {
        "type": CLUSTER,
        "id": cluster["DBClusterIdentifier"],
        "arn": cluster["DBClusterArn"],
        "region": region,
        "engine": cluster.get("Engine"),
        "multi_az": bool(cluster.get("MultiAZ")),
        "availability_zones": sorted(cluster.get("AvailabilityZones") or []),
        "members": sorted(m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers") or []),
        "storage_encrypted": bool(cluster.get("StorageEncrypted")),
        "deletion_protection": bool(cluster.get("DeletionProtection")),
        "backup_retention_period": cluster.get("BackupRetentionPeriod"),
        "tags": _tags(cluster.get("TagList")),
    }


def normalise_snapshot(snapshot: dict[str, Any], region: str) -> dict[str, Any]:
    """One DescribeDBSnapshots entry → an rds.db_snapshot resource (restore attribute filled later)."""
    return {
        "type": SNAPSHOT,
        "id": snapshot["DBSnapshotIdentifier"],
        "arn": snapshot["DBSnapshotArn"],
        "region": region,
        "db_instance_id": snapshot.get("DBInstanceIdentifier"),
        "encrypted": bool(snapshot.get("Encrypted")),
        "create_time": _iso(snapshot.get("SnapshotCreateTime")),
        "tags": _tags(snapshot.get("TagList")),
    }


def restore_values(response: dict[str, Any]) -> list[str]:
    """The values of the ``restore`` attribute (``all`` means anyone may restore the snapshot)."""
    attributes = response["DBSnapshotAttributesResult"].get("DBSnapshotAttributes") or []
    for attribute in attributes:
        if attribute.get("AttributeName") == "restore":
            return sorted(attribute.get("AttributeValues") or [])
    return []


@collector(SERVICE, types=(INSTANCE,))
def collect_db_instances(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """DB instances of a region: one paginated listing, no detail calls."""
    listed = ctx.paginate(SERVICE, region, "describe_db_instances", "DBInstances", resource_type=INSTANCE)
    if listed is None:
        return {}
    return {INSTANCE: [normalise_instance(db, region) for db in listed]}


@collector(SERVICE, types=(CLUSTER,))
def collect_db_clusters(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """DB clusters of a region (Aurora and Multi-AZ DB clusters): one paginated listing."""
    listed = ctx.paginate(SERVICE, region, "describe_db_clusters", "DBClusters", resource_type=CLUSTER)
    if listed is None:
        return {}
    return {CLUSTER: [normalise_cluster(c, region) for c in listed]}


@collector(SERVICE, types=(SNAPSHOT,))
def collect_db_snapshots(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """Manual DB snapshots of a region with their restore attribute.

    Automated snapshots cannot be shared, so only manual ones can be public; the client-side
    filter guards against endpoints that ignore SnapshotType.
    """
    listed = ctx.paginate(SERVICE, region, "describe_db_snapshots", "DBSnapshots",
                          {"SnapshotType": "manual"}, resource_type=SNAPSHOT)
    if listed is None:
        return {}
    snapshots = [normalise_snapshot(s, region) for s in listed if s.get("SnapshotType") == "manual"]
    ctx.map(
        lambda s: ctx.fill(s, "restore_attribute_values", SERVICE, region, "describe_db_snapshot_attributes",
                           {"DBSnapshotIdentifier": s["id"]}, extract=restore_values),
        snapshots,
    )
    return {SNAPSHOT: snapshots}
