"""RDS checks (CATALOGUE.md, "RDS (DB instance, DB snapshot)"), rds.instance_idle included (it
reads DatabaseConnections history and prices the idle instance from the price table).

Aurora (and Multi-AZ DB cluster) members keep some settings on their cluster: deletion protection
and backup retention are read from the cluster when the instance belongs to one, because the
instance-level values of a member are not authoritative (Aurora reports DeletionProtection false
on its instances even when the cluster is protected).
"""

from __future__ import annotations

from typing import Any

from opsctl.checks._cost import CONNECTIONS_DAILY_MAX, HOURS_PER_MONTH, Costing, cost_fail, daily_values

from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, check

INSTANCE = "rds.db_instance"
CLUSTER = "rds.db_cluster"
SNAPSHOT = "rds.db_snapshot"

#: Engines whose storage is a cluster volume that grows by itself: storage autoscaling does not apply.
CLUSTER_VOLUME_ENGINE_PREFIXES = ("aurora", "neptune", "docdb")


def _cluster_of(db: dict[str, Any], ctx: CheckContext) -> dict[str, Any] | None:
    """The DB cluster an instance belongs to, or None (MissingData if clusters were not collected)."""
    cluster_id = ctx.need(db, "db_cluster_identifier")
    if not cluster_id:
        return None
    for cluster in ctx.snapshot.require(CLUSTER, db["region"]):
        if cluster.get("id") == cluster_id:
            return cluster
    return None


def _member_azs(db: dict[str, Any], ctx: CheckContext, cluster_id: str) -> list[str]:
    """Availability zones of the instances that belong to the same cluster as `db`."""
    members = [i for i in ctx.snapshot.require(INSTANCE, db["region"]) if i.get("db_cluster_identifier") == cluster_id]
    return sorted({i["availability_zone"] for i in members if i.get("availability_zone")})


@check(id="rds.instance_multi_az", title="RDS DB instance is Multi-AZ",
       pillar="availability", severity="high", resource_type=INSTANCE)
def instance_multi_az(db: dict[str, Any], ctx: CheckContext):
    """A Single-AZ database goes down with its availability zone; Multi-AZ fails over to a standby in minutes."""
    name = db["id"]
    if ctx.need(db, "multi_az"):
        return PASS(f"RDS DB instance {name} is a Multi-AZ deployment.")
    cluster_id = ctx.need(db, "db_cluster_identifier")
    if cluster_id:
        azs = _member_azs(db, ctx, cluster_id)
        if len(azs) >= 2:
            return PASS(f"RDS DB instance {name} belongs to cluster {cluster_id}, whose members span {', '.join(azs)}.",
                        cluster=cluster_id, member_azs=azs)
        return FAIL(f"RDS DB instance {name} belongs to cluster {cluster_id}, whose members are all in "
                    f"{', '.join(azs) or 'one availability zone'}.", cluster=cluster_id, member_azs=azs)
    az = ctx.need(db, "availability_zone")
    return FAIL(f"RDS DB instance {name} is a Single-AZ deployment in {az}.", availability_zone=az)


@check(id="rds.instance_encrypted", title="RDS DB instance storage is encrypted",
       pillar="security", severity="high", resource_type=INSTANCE)
def instance_encrypted(db: dict[str, Any], ctx: CheckContext):
    """Unencrypted storage exposes the data, its backups and snapshots to anyone who gets hold of the volumes."""
    if ctx.need(db, "storage_encrypted"):
        return PASS(f"RDS DB instance {db['id']} has encrypted storage.")
    return FAIL(f"RDS DB instance {db['id']} has unencrypted storage.")


@check(id="rds.instance_not_public", title="RDS DB instance is not publicly accessible",
       pillar="security", severity="critical", resource_type=INSTANCE)
def instance_not_public(db: dict[str, Any], ctx: CheckContext):
    """A publicly accessible database has an internet-resolvable endpoint, one security group rule away from exposure."""
    public = ctx.need(db, "publicly_accessible")
    if public is None:
        raise MissingData(f"RDS did not report PubliclyAccessible for DB instance {db['id']}")
    if public:
        return FAIL(f"RDS DB instance {db['id']} is publicly accessible.")
    return PASS(f"RDS DB instance {db['id']} is not publicly accessible.")


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


@check(id="rds.instance_backup_retention", title="RDS DB instance keeps automated backups long enough",
       pillar="availability", severity="high", resource_type=INSTANCE, params={"min_backup_days": 7})
def instance_backup_retention(db: dict[str, Any], ctx: CheckContext):
    """Short retention limits how far back point-in-time restore can go after corruption or a bad deploy."""
    minimum = ctx.params["min_backup_days"]
    cluster = _cluster_of(db, ctx)
    if cluster is not None and ctx.need(cluster, "backup_retention_period") is not None:
        days, source = cluster["backup_retention_period"], f" (set on cluster {cluster['id']})"
    else:
        days, source = ctx.need(db, "backup_retention_period"), ""
    days = days or 0
    if days >= minimum:
        return PASS(f"RDS DB instance {db['id']} keeps automated backups for {_days(days)}{source}.",
                    backup_retention_days=days, min_backup_days=minimum)
    what = "has automated backups turned off" if days == 0 else f"keeps automated backups for only {_days(days)}"
    return FAIL(f"RDS DB instance {db['id']} {what}{source}, below the minimum of {minimum}.",
                backup_retention_days=days, min_backup_days=minimum)


@check(id="rds.instance_deletion_protection", title="RDS DB instance has deletion protection",
       pillar="availability", severity="medium", resource_type=INSTANCE)
def instance_deletion_protection(db: dict[str, Any], ctx: CheckContext):
    """Deletion protection stops a mistaken console click, script or stack update from deleting the database."""
    cluster = _cluster_of(db, ctx)
    if cluster is not None:
        on, source = ctx.need(cluster, "deletion_protection"), f" through its cluster {cluster['id']}"
    else:
        on, source = ctx.need(db, "deletion_protection"), ""
    if on:
        return PASS(f"RDS DB instance {db['id']} has deletion protection on{source}.")
    return FAIL(f"RDS DB instance {db['id']} has deletion protection off{source}.")


@check(id="rds.instance_minor_upgrade", title="RDS DB instance applies minor version upgrades automatically",
       pillar="security", severity="low", resource_type=INSTANCE)
def instance_minor_upgrade(db: dict[str, Any], ctx: CheckContext):
    """Minor engine versions carry security fixes; applying them in the maintenance window keeps the engine patched."""
    if ctx.need(db, "auto_minor_version_upgrade"):
        return PASS(f"RDS DB instance {db['id']} applies minor engine upgrades automatically.")
    return FAIL(f"RDS DB instance {db['id']} does not apply minor engine upgrades automatically.")


@check(id="rds.instance_storage_autoscaling", title="RDS DB instance has storage autoscaling",
       pillar="scalability", severity="low", resource_type=INSTANCE)
def instance_storage_autoscaling(db: dict[str, Any], ctx: CheckContext):
    """Without storage autoscaling a full disk stops writes; with it RDS grows storage up to MaxAllocatedStorage."""
    engine = ctx.need(db, "engine") or ""
    if engine.startswith(CLUSTER_VOLUME_ENGINE_PREFIXES):
        return None  # Aurora's cluster volume grows by itself
    allocated = ctx.need(db, "allocated_storage")
    maximum = ctx.need(db, "max_allocated_storage")
    if maximum is None:
        return FAIL(f"RDS DB instance {db['id']} has storage autoscaling off ({allocated} GiB allocated, no maximum).",
                    allocated_storage=allocated)
    if allocated is not None and maximum <= allocated:
        return FAIL(f"RDS DB instance {db['id']} has a maximum storage of {maximum} GiB, no higher than its "
                    f"{allocated} GiB allocated, so storage cannot grow.", allocated_storage=allocated,
                    max_allocated_storage=maximum)
    return PASS(f"RDS DB instance {db['id']} can grow its storage from {allocated} GiB up to {maximum} GiB.",
                allocated_storage=allocated, max_allocated_storage=maximum)


@check(id="rds.snapshot_not_public", title="RDS DB snapshot is not public",
       pillar="security", severity="critical", resource_type=SNAPSHOT)
def snapshot_not_public(snapshot: dict[str, Any], ctx: CheckContext):
    """A public snapshot lets any AWS account restore a full copy of the database."""
    values = ctx.need(snapshot, "restore_attribute_values")
    if "all" in values:
        return FAIL(f"RDS DB snapshot {snapshot['id']} is public: any AWS account can restore it.")
    shared = [v for v in values if v != "all"]
    suffix = f", shared with {len(shared)} account(s)" if shared else ""
    return PASS(f"RDS DB snapshot {snapshot['id']} is not public{suffix}.", shared_with=shared)


#: Statuses in which no instance hours are billed (or the instance is on its way out).
_NOT_BILLED_STATUSES = ("stopped", "stopping", "deleting")


def rds_price_key(engine: str | None, instance_class: str) -> str | None:
    """The price table's rds_hour key: the class for MySQL and MariaDB (one price),
    "postgres:<class>" for PostgreSQL; None for engines the table does not price."""
    if engine in ("mysql", "mariadb"):
        return instance_class
    if engine == "postgres":
        return f"postgres:{instance_class}"
    return None


@check(id="rds.instance_idle", title="RDS DB instance has connections",
       pillar="cost", severity="medium", resource_type=INSTANCE, params={"idle_days": 7})
def instance_idle(db: dict[str, Any], ctx: CheckContext):
    """A database nobody connects to is billed by the hour (twice when Multi-AZ): snapshot it and delete it."""
    if db.get("status") in _NOT_BILLED_STATUSES:
        return None
    name, days = db["id"], ctx.params["idle_days"]
    peaks = daily_values(db, ctx, CONNECTIONS_DAILY_MAX, "DatabaseConnections", f"RDS DB instance {name}")
    peak = max(peaks)
    if peak > 0:
        return PASS(f"RDS DB instance {name} had up to {peak:.0f} connection(s) a day over {days} days.",
                    max_connections=peak, days_with_data=len(peaks))
    engine, instance_class = ctx.need(db, "engine"), ctx.need(db, "instance_class")
    multi_az = bool(ctx.need(db, "multi_az"))
    costing = Costing(ctx, db["region"])
    key = rds_price_key(engine, instance_class)
    hourly = None
    if key is None:
        costing.unpriced(f"the price table holds RDS prices for MySQL, MariaDB and PostgreSQL only, not {engine}")
    else:
        hourly = costing.price("rds_hour", key)
    amount = hourly * HOURS_PER_MONTH * (2 if multi_az else 1) if hourly is not None else None
    deployment = "Multi-AZ" if multi_az else "Single-AZ"
    return cost_fail(f"RDS DB instance {name} ({instance_class}, {deployment}) had no connection in {days} days.", costing,
                     amount, engine=engine, instance_class=instance_class, multi_az=multi_az, days_with_data=len(peaks))
