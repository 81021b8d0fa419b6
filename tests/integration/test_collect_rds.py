"""The RDS collectors (instances, clusters, manual snapshots) against moto in-process."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

REGION = "us-east-1"
PASSWORD = "not-a-real-password-1"


def deny(aws: Any, service: str, operation: str, code: str = "AccessDenied") -> None:
    """Make every `operation` call of opsctl's client fail with `code` (before it reaches moto)."""
    client = aws.client(service, REGION)

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return (AWSResponse("https://denied.invalid", 403, {}, None),
                {"Error": {"Code": code, "Message": "denied by test"}, "ResponseMetadata": {"HTTPStatusCode": 403}})

    client.meta.events.register(f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", refuse)


@pytest.fixture
def databases(moto_aws):
    rds = boto3.client("rds", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(DBSubnetGroupName="private", DBSubnetGroupDescription="private", SubnetIds=subnets)
    rds.create_db_instance(
        DBInstanceIdentifier="orders", Engine="postgres", EngineVersion="16.3", DBInstanceClass="db.m6g.large",
        AllocatedStorage=100, MaxAllocatedStorage=500, MultiAZ=True, StorageEncrypted=True, PubliclyAccessible=False,
        BackupRetentionPeriod=7, DeletionProtection=True, AutoMinorVersionUpgrade=True, DBSubnetGroupName="private",
        VpcSecurityGroupIds=[sg], MasterUsername="shop", MasterUserPassword=PASSWORD,
        Tags=[{"Key": "tier", "Value": "relational_db"}],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="reporting", Engine="mysql", EngineVersion="8.0.35", DBInstanceClass="db.t3.medium",
        AllocatedStorage=20, MultiAZ=False, StorageEncrypted=False, PubliclyAccessible=True, BackupRetentionPeriod=1,
        DeletionProtection=False, AutoMinorVersionUpgrade=False, MasterUsername="report", MasterUserPassword=PASSWORD,
    )
    rds.create_db_cluster(DBClusterIdentifier="users", Engine="aurora-postgresql", MasterUsername="shop",
                          MasterUserPassword=PASSWORD, StorageEncrypted=True, DeletionProtection=True,
                          BackupRetentionPeriod=14, DBSubnetGroupName="private",
                          Tags=[{"Key": "tier", "Value": "relational_db"}])
    for ident, az in (("users-1", "a"), ("users-2", "b")):
        rds.create_db_instance(DBInstanceIdentifier=ident, Engine="aurora-postgresql", DBInstanceClass="db.r6g.large",
                               DBClusterIdentifier="users", AvailabilityZone=f"{REGION}{az}")
    rds.create_db_snapshot(DBSnapshotIdentifier="reporting-public", DBInstanceIdentifier="reporting",
                           Tags=[{"Key": "purpose", "Value": "export"}])
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="reporting-public", AttributeName="restore", ValuesToAdd=["all"])
    rds.create_db_snapshot(DBSnapshotIdentifier="orders-shared", DBInstanceIdentifier="orders")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="orders-shared", AttributeName="restore",
                                     ValuesToAdd=["210987654321"])
    rds.create_db_snapshot(DBSnapshotIdentifier="orders-private", DBInstanceIdentifier="orders")
    return {"sg": sg}


def _by_id(snap, rtype: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in snap.of_type(rtype)}


def test_instances_are_normalised(databases, collect_services):
    snap = collect_services(["rds"])
    assert snap.coverage == []
    assert {t: snap.collected[t] for t in ("rds.db_instance", "rds.db_cluster", "rds.db_snapshot")} == {
        "rds.db_instance": [REGION], "rds.db_cluster": [REGION], "rds.db_snapshot": [REGION]}
    dbs = _by_id(snap, "rds.db_instance")
    assert sorted(dbs) == ["orders", "reporting", "users-1", "users-2"]
    orders = dbs["orders"]
    assert orders["arn"] == f"arn:aws:rds:{REGION}:123456789012:db:orders"
    assert {k: orders[k] for k in (
        "region", "engine", "engine_version", "instance_class", "multi_az", "storage_encrypted", "publicly_accessible",
        "backup_retention_period", "deletion_protection", "auto_minor_version_upgrade", "allocated_storage",
        "max_allocated_storage", "db_cluster_identifier", "status", "tags", "vpc_security_group_ids")} == {
        "region": REGION, "engine": "postgres", "engine_version": "16.3", "instance_class": "db.m6g.large",
        "multi_az": True, "storage_encrypted": True, "publicly_accessible": False, "backup_retention_period": 7,
        "deletion_protection": True, "auto_minor_version_upgrade": True, "allocated_storage": 100,
        "max_allocated_storage": 500, "db_cluster_identifier": None, "status": "available",
        "tags": {"tier": "relational_db"}, "vpc_security_group_ids": [databases["sg"]],
    }
    assert orders["availability_zone"].startswith(REGION)
    assert "secondary_availability_zone" in orders
    reporting = dbs["reporting"]
    assert (reporting["multi_az"], reporting["storage_encrypted"], reporting["publicly_accessible"]) == (False, False, True)
    assert (reporting["backup_retention_period"], reporting["deletion_protection"], reporting["auto_minor_version_upgrade"]) == (
        1, False, False)
    assert reporting["max_allocated_storage"] is None
    assert (dbs["users-1"]["db_cluster_identifier"], dbs["users-2"]["availability_zone"]) == ("users", f"{REGION}b")


def test_clusters_are_normalised(databases, collect_services):
    snap = collect_services(["rds"])
    [users] = snap.of_type("rds.db_cluster")
    assert users["arn"] == f"arn:aws:rds:{REGION}:123456789012:cluster:users"
    assert {k: users[k] for k in ("id", "region", "engine", "members", "storage_encrypted", "deletion_protection",
                                  "backup_retention_period", "tags")} == {
        "id": "users", "region": REGION, "engine": "aurora-postgresql", "members": ["users-1", "users-2"],
        "storage_encrypted": True, "deletion_protection": True, "backup_retention_period": 14,
        "tags": {"tier": "relational_db"},
    }
    assert isinstance(users["multi_az"], bool)
    assert users["availability_zones"] == sorted(users["availability_zones"])


def test_only_manual_snapshots_with_their_restore_attribute(databases, collect_services):
    snap = collect_services(["rds"])
    snaps = _by_id(snap, "rds.db_snapshot")
    # moto also keeps automated snapshots (MOTO-NOTES.md): they must not appear.
    assert sorted(snaps) == ["orders-private", "orders-shared", "reporting-public"]
    public = snaps["reporting-public"]
    assert public["arn"] == f"arn:aws:rds:{REGION}:123456789012:snapshot:reporting-public"
    assert (public["db_instance_id"], public["encrypted"], public["restore_attribute_values"]) == ("reporting", False, ["all"])
    assert public["tags"] == {"purpose": "export"}
    assert public["create_time"].startswith("20")
    assert snaps["orders-shared"]["restore_attribute_values"] == ["210987654321"]
    assert snaps["orders-private"]["restore_attribute_values"] == []


def test_a_failed_snapshot_attribute_call_marks_the_field(databases, moto_aws, collect_services):
    deny(moto_aws, "rds", "DescribeDBSnapshotAttributes")
    snap = collect_services(["rds"])
    assert snap.collected["rds.db_snapshot"] == [REGION]
    for s in snap.of_type("rds.db_snapshot"):
        assert "AccessDenied" in s["errors"]["restore_attribute_values"]
    assert {g.operation for g in snap.coverage} == {"DescribeDBSnapshotAttributes"}


def test_a_failed_cluster_listing_is_a_gap_of_clusters_only(databases, moto_aws, collect_services):
    deny(moto_aws, "rds", "DescribeDBClusters")
    snap = collect_services(["rds"])
    assert snap.collected["rds.db_cluster"] == []
    assert snap.collected["rds.db_instance"] == [REGION]
    [gap] = snap.listing_gaps("rds.db_cluster")
    assert (gap.operation, gap.error_code) == ("DescribeDBClusters", "AccessDenied")
    assert len(snap.of_type("rds.db_instance")) == 4
