"""RDS checks on small snapshots (CASES run by test_cases.py)."""

from __future__ import annotations

from typing import Any

from opsctl.checks.rds import rds_price_key

from opsctl.snapshot import CoverageGap
from tests.helpers import Case
from tests.unit.checks.cost_fixtures import SERIES, priced, series

DB, CL, SN = "rds.db_instance", "rds.db_cluster", "rds.db_snapshot"
ARN = "arn:aws:rds:us-east-1:123456789012"
DENIED = "rds:DescribeDBSnapshotAttributes in us-east-1 failed with AccessDenied: denied"


def db(ident: str = "orders", **fields: Any) -> dict[str, Any]:
    """A well-configured Postgres instance; keyword arguments override its fields."""
    base = {
        "id": ident,
        "arn": f"{ARN}:db:{ident}",
        "region": "us-east-1",
        "engine": "postgres",
        "engine_version": "16.3",
        "instance_class": "db.m6g.large",
        "multi_az": True,
        "storage_encrypted": True,
        "publicly_accessible": False,
        "backup_retention_period": 7,
        "deletion_protection": True,
        "auto_minor_version_upgrade": True,
        "allocated_storage": 100,
        "max_allocated_storage": 500,
        "db_cluster_identifier": None,
        "availability_zone": "us-east-1a",
        "secondary_availability_zone": "us-east-1b",
        "vpc_security_group_ids": ["sg-1"],
        "status": "available",
        "tags": {},
    }
    base.update(fields)
    return base


def aurora(ident: str, az: str, cluster: str = "users", **fields: Any) -> dict[str, Any]:
    """An Aurora member as RDS reports it: MultiAZ false, instance deletion protection false."""
    return db(ident, engine="aurora-postgresql", multi_az=False, availability_zone=az, secondary_availability_zone=None,
              db_cluster_identifier=cluster, deletion_protection=False, backup_retention_period=1,
              allocated_storage=1, max_allocated_storage=None, **fields)


def cluster(ident: str = "users", members: tuple[str, ...] = ("users-1", "users-2"), **fields: Any) -> dict[str, Any]:
    base = {
        "id": ident,
        "arn": f"{ARN}:cluster:{ident}",
        "region": "us-east-1",
        "engine": "aurora-postgresql",
        "multi_az": True,
        "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "members": list(members),
        "storage_encrypted": True,
        "deletion_protection": True,
        "backup_retention_period": 14,
        "tags": {},
    }
    base.update(fields)
    return base


def snap(ident: str = "orders-manual", values: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    base = {
        "id": ident,
        "arn": f"{ARN}:snapshot:{ident}",
        "region": "us-east-1",
        "db_instance_id": "orders",
        "encrypted": True,
        "create_time": "2026-01-01T00:00:00+00:00",
        "restore_attribute_values": [] if values is None else values,
        "tags": {},
    }
    base.update(fields)
    return base


MULTI_AZ, ENCRYPTED, PUBLIC = "rds.instance_multi_az", "rds.instance_encrypted", "rds.instance_not_public"
RETENTION, DELETION = "rds.instance_backup_retention", "rds.instance_deletion_protection"
MINOR, STORAGE, SNAP_PUBLIC = "rds.instance_minor_upgrade", "rds.instance_storage_autoscaling", "rds.snapshot_not_public"
CLUSTER_GAP = CoverageGap("rds", "us-east-1", "DescribeDBClusters", "AccessDenied", "denied", CL, "")

CASES = [
    # --- Multi-AZ
    Case(MULTI_AZ, "multi-AZ instance", {DB: [db()]}, ["PASS"]),
    Case(MULTI_AZ, "single-AZ instance", {DB: [db(multi_az=False)]}, ["FAIL"], message_contains="us-east-1a"),
    Case(MULTI_AZ, "cluster members in two AZs", {DB: [aurora("users-1", "us-east-1a"), aurora("users-2", "us-east-1b")],
                                                   CL: [cluster()]}, ["PASS", "PASS"]),
    Case(MULTI_AZ, "cluster members all in one AZ", {DB: [aurora("users-1", "us-east-1a"), aurora("users-2", "us-east-1a")],
                                                      CL: [cluster()]}, ["FAIL", "FAIL"]),
    Case(MULTI_AZ, "single-member cluster", {DB: [aurora("users-1", "us-east-1a")], CL: [cluster(members=("users-1",))]}, ["FAIL"]),
    Case(MULTI_AZ, "another cluster's members do not count",
         {DB: [aurora("users-1", "us-east-1a"), aurora("orders-1", "us-east-1b", cluster="orders")]}, ["FAIL", "FAIL"]),
    Case(MULTI_AZ, "multi_az not collected", {DB: [db(errors={"multi_az": "boom"})]}, ["ERROR"]),
    # --- encryption
    Case(ENCRYPTED, "encrypted", {DB: [db()]}, ["PASS"]),
    Case(ENCRYPTED, "unencrypted", {DB: [db(storage_encrypted=False)]}, ["FAIL"]),
    Case(ENCRYPTED, "not collected", {DB: [db(errors={"storage_encrypted": "boom"})]}, ["ERROR"]),
    # --- public
    Case(PUBLIC, "private", {DB: [db()]}, ["PASS"]),
    Case(PUBLIC, "publicly accessible", {DB: [db(publicly_accessible=True)]}, ["FAIL"]),
    Case(PUBLIC, "not reported is not PASS", {DB: [db(publicly_accessible=None)]}, ["ERROR"]),
    Case(PUBLIC, "not collected", {DB: [db(errors={"publicly_accessible": "boom"})]}, ["ERROR"]),
    # --- backup retention
    Case(RETENTION, "7 days meets the default", {DB: [db()]}, ["PASS"]),
    Case(RETENTION, "1 day", {DB: [db(backup_retention_period=1)]}, ["FAIL"], message_contains="only 1 day,"),
    Case(RETENTION, "backups off", {DB: [db(backup_retention_period=0)]}, ["FAIL"], message_contains="turned off"),
    Case(RETENTION, "threshold is a parameter", {DB: [db(backup_retention_period=7)]}, ["FAIL"], params={"min_backup_days": 14}),
    Case(RETENTION, "Aurora member uses the cluster's retention", {DB: [aurora("users-1", "us-east-1a")], CL: [cluster()]}, ["PASS"],
         message_contains="cluster users"),
    Case(RETENTION, "Aurora member of a short-retention cluster",
         {DB: [aurora("users-1", "us-east-1a")], CL: [cluster(backup_retention_period=3)]}, ["FAIL"]),
    Case(RETENTION, "clusters not collected", {DB: [aurora("users-1", "us-east-1a")]}, ["ERROR"], coverage=[CLUSTER_GAP]),
    Case(RETENTION, "not collected", {DB: [db(errors={"backup_retention_period": "boom"})]}, ["ERROR"]),
    # --- deletion protection
    Case(DELETION, "on", {DB: [db()]}, ["PASS"]),
    Case(DELETION, "off", {DB: [db(deletion_protection=False)]}, ["FAIL"]),
    Case(DELETION, "Aurora member protected through its cluster", {DB: [aurora("users-1", "us-east-1a")], CL: [cluster()]}, ["PASS"]),
    Case(DELETION, "Aurora member of an unprotected cluster",
         {DB: [aurora("users-1", "us-east-1a")], CL: [cluster(deletion_protection=False)]}, ["FAIL"]),
    Case(DELETION, "clusters not collected", {DB: [aurora("users-1", "us-east-1a")]}, ["ERROR"], coverage=[CLUSTER_GAP]),
    Case(DELETION, "not collected", {DB: [db(errors={"deletion_protection": "boom"})]}, ["ERROR"]),
    # --- minor upgrades
    Case(MINOR, "on", {DB: [db()]}, ["PASS"]),
    Case(MINOR, "off", {DB: [db(auto_minor_version_upgrade=False)]}, ["FAIL"]),
    Case(MINOR, "not collected", {DB: [db(errors={"auto_minor_version_upgrade": "boom"})]}, ["ERROR"]),
    # --- storage autoscaling
    Case(STORAGE, "maximum above allocated", {DB: [db()]}, ["PASS"]),
    Case(STORAGE, "no maximum", {DB: [db(max_allocated_storage=None)]}, ["FAIL"], message_contains="off"),
    Case(STORAGE, "maximum equal to allocated", {DB: [db(max_allocated_storage=100)]}, ["FAIL"]),
    Case(STORAGE, "Aurora: no finding", {DB: [aurora("users-1", "us-east-1a")]}, []),
    Case(STORAGE, "not collected", {DB: [db(errors={"max_allocated_storage": "boom"})]}, ["ERROR"]),
    # --- public snapshot
    Case(SNAP_PUBLIC, "private snapshot", {SN: [snap()]}, ["PASS"]),
    Case(SNAP_PUBLIC, "shared with one account only", {SN: [snap(values=["210987654321"])]}, ["PASS"], message_contains="1 account"),
    Case(SNAP_PUBLIC, "restorable by all", {SN: [snap(values=["all"])]}, ["FAIL"]),
    Case(SNAP_PUBLIC, "attributes not collected", {SN: [snap(errors={"restore_attribute_values": DENIED})]}, ["ERROR"]),
]

# ----- rds.instance_idle ------------------------------------------------------------------------
IDLE = "rds.instance_idle"


def connections(ident: str, *values: float, days: int = 7) -> dict[str, Any]:
    return series(f"{ARN}:db:{ident}", "connections_daily_max", list(values), days=days)


CASES += [
    Case(IDLE, "connections every day", {DB: [db()], SERIES: [connections("orders", 40, 62, 55)]}, ["PASS"],
         message_contains="up to 62 connection(s)"),
    Case(IDLE, "one connection on one day is enough", {DB: [db()], SERIES: [connections("orders", 0, 0, 1, 0)]}, ["PASS"]),
    Case(IDLE, "no connection in seven days", {DB: [db("reporting")], SERIES: [connections("reporting", 0, 0, 0, 0, 0, 0, 0)]},
         ["FAIL"], message_contains="no connection in 7 days"),
    Case(IDLE, "Aurora member idle", {DB: [aurora("users-2", "us-east-1b")], SERIES: [connections("users-2", 0, 0)]}, ["FAIL"]),
    Case(IDLE, "no datapoints", {DB: [db()], SERIES: [connections("orders")]}, ["ERROR"],
         message_contains="no CloudWatch data for DatabaseConnections of RDS DB instance orders over 7 days"),
    Case(IDLE, "no series", {DB: [db()], SERIES: []}, ["ERROR"], message_contains="no CloudWatch data"),
    Case(IDLE, "stopped: not applicable", {DB: [db(status="stopped")], SERIES: []}, []),
    Case(IDLE, "longer idle_days than collected", {DB: [db()], SERIES: [connections("orders", 3, 4)]}, ["ERROR"],
         params={"idle_days": 30}, message_contains="covers 7 days"),
]


def idle_saving(**fields: Any):
    [finding] = priced(IDLE, {DB: [db("reporting", **fields)], SERIES: [connections("reporting", 0, 0, 0)]})
    assert finding.status.value == "FAIL"
    return finding


def test_idle_single_az_mysql_costs_its_class_price():
    f = idle_saving(engine="mysql", instance_class="db.t3.medium", multi_az=False)
    assert f.monthly_savings_usd == round(0.068 * 730, 2)
    assert f.evidence["prices_used"][0]["key"] == "db.t3.medium"


def test_idle_multi_az_postgres_doubles_its_price():
    f = idle_saving(engine="postgres", instance_class="db.m6g.large", multi_az=True)
    assert f.monthly_savings_usd == round(0.159 * 730 * 2, 2)
    assert f.evidence["prices_used"][0]["key"] == "postgres:db.m6g.large" and f.evidence["multi_az"] is True


def test_idle_aurora_or_unknown_class_has_no_figure():
    aurora_member = idle_saving(engine="aurora-postgresql", instance_class="db.r6g.large", multi_az=False)
    assert aurora_member.monthly_savings_usd is None and "not aurora-postgresql" in aurora_member.evidence["savings_note"]
    big = idle_saving(engine="mysql", instance_class="db.r6g.16xlarge", multi_az=False)
    assert big.monthly_savings_usd is None
    assert big.evidence["savings_note"].startswith("no price for rds_hour db.r6g.16xlarge in us-east-1 in the price table (")


def test_idle_price_key_per_engine():
    assert rds_price_key("mariadb", "db.t3.micro") == "db.t3.micro"
    assert rds_price_key("postgres", "db.t3.micro") == "postgres:db.t3.micro"
    assert rds_price_key("sqlserver-se", "db.m5.large") is None
