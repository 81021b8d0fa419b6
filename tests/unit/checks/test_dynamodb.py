"""DynamoDB checks on small snapshots (CASES run by test_cases.py)."""

from __future__ import annotations

from typing import Any

from opsctl.snapshot import CoverageGap
from tests.helpers import Case
from tests.unit.checks.cost_fixtures import SERIES, priced, series

T, ST = "dynamodb.table", "applicationautoscaling.scalable_target"
READ, WRITE = "dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits"
DENIED = "dynamodb:DescribeTable in us-east-1 failed with AccessDeniedException: denied"


def table(name: str = "catalogue", **fields: Any) -> dict[str, Any]:
    """A well-configured on-demand table; keyword arguments override its fields."""
    base = {
        "name": name,
        "arn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}",
        "region": "us-east-1",
        "status": "ACTIVE",
        "billing_mode": "PAY_PER_REQUEST",
        "read_capacity": 0,
        "write_capacity": 0,
        "item_count": 10,
        "size_bytes": 1000,
        "sse_type": "KMS",
        "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/abc",
        "deletion_protection": True,
        "pitr_enabled": True,
        "ttl_status": "DISABLED",
        "tags": {},
    }
    base.update(fields)
    return base


def provisioned(name: str = "carts", **fields: Any) -> dict[str, Any]:
    return table(name, billing_mode="PROVISIONED", read_capacity=5, write_capacity=5, **fields)


def target(resource_id: str, dimension: str, region: str = "us-east-1") -> dict[str, Any]:
    return {
        "resource_id": resource_id,
        "id": f"{resource_id}|{dimension}",
        "arn": f"arn:aws:application-autoscaling:{region}:123456789012:scalable-target/{resource_id}",
        "region": region,
        "scalable_dimension": dimension,
        "min_capacity": 5,
        "max_capacity": 100,
        "table_name": resource_id.split("/")[1],
        "policy_count": 1,
    }


PITR, DELETION = "dynamodb.table_pitr", "dynamodb.table_deletion_protection"
CAPACITY, KMS = "dynamodb.table_capacity_mode", "dynamodb.table_kms"
TARGETS_GAP = CoverageGap("application-autoscaling", "us-east-1", "DescribeScalableTargets", "AccessDeniedException",
                          "denied", ST, "")

CASES = [
    # --- PITR
    Case(PITR, "enabled", {T: [table()]}, ["PASS"]),
    Case(PITR, "disabled", {T: [table(pitr_enabled=False)]}, ["FAIL"]),
    Case(PITR, "not collected", {T: [table(errors={"pitr_enabled": DENIED})]}, ["ERROR"], message_contains="AccessDenied"),
    # --- deletion protection
    Case(DELETION, "on", {T: [table()]}, ["PASS"]),
    Case(DELETION, "off", {T: [table(deletion_protection=False)]}, ["FAIL"]),
    Case(DELETION, "not collected", {T: [table(errors={"deletion_protection": DENIED})]}, ["ERROR"]),
    # --- capacity mode
    Case(CAPACITY, "on-demand", {T: [table()]}, ["PASS"]),
    Case(CAPACITY, "provisioned with read and write auto scaling",
         {T: [provisioned()], ST: [target("table/carts", READ), target("table/carts", WRITE)]}, ["PASS"]),
    Case(CAPACITY, "provisioned without auto scaling", {T: [provisioned("sessions-legacy")], ST: []}, ["FAIL"],
         message_contains="reads and writes"),
    Case(CAPACITY, "provisioned with read auto scaling only", {T: [provisioned()], ST: [target("table/carts", READ)]}, ["FAIL"],
         message_contains="on writes"),
    Case(CAPACITY, "index targets do not cover the table",
         {T: [provisioned()], ST: [target("table/carts/index/byUser", "dynamodb:index:ReadCapacityUnits"),
                                   target("table/carts/index/byUser", "dynamodb:index:WriteCapacityUnits")]}, ["FAIL"]),
    Case(CAPACITY, "targets of a same-named table in another region do not count",
         {T: [provisioned()], ST: [target("table/carts", READ, "eu-west-1"), target("table/carts", WRITE, "eu-west-1")]}, ["FAIL"]),
    Case(CAPACITY, "targets not collected: ERROR, never PASS or FAIL", {T: [provisioned()]}, ["ERROR"], coverage=[TARGETS_GAP]),
    Case(CAPACITY, "on-demand needs no targets even when they were not collected", {T: [table()]}, ["PASS"],
         coverage=[TARGETS_GAP]),
    Case(CAPACITY, "billing mode not collected", {T: [table(errors={"billing_mode": DENIED})]}, ["ERROR"]),
    # --- KMS
    Case(KMS, "AWS managed or customer managed KMS key", {T: [table()]}, ["PASS"]),
    Case(KMS, "AWS owned key (no SSEDescription)", {T: [table(sse_type=None, kms_key_arn=None)]}, ["FAIL"]),
    Case(KMS, "AES256 means AWS owned", {T: [table(sse_type="AES256", kms_key_arn=None)]}, ["FAIL"]),
    Case(KMS, "not collected", {T: [table(errors={"sse_type": DENIED})]}, ["ERROR"]),
]

# ----- dynamodb.table_overprovisioned -----------------------------------------------------------
OVER = "dynamodb.table_overprovisioned"
DAY = 86_400


def consumed(name: str, reads_per_second: float | None, writes_per_second: float | None, days: int = 14) -> list[dict[str, Any]]:
    """Read and write series whose daily sums average the given units per second (None: no datapoints)."""
    arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}"
    def sums(rate: float | None) -> list[float]:
        return [] if rate is None else [rate * DAY] * 3
    return [series(arn, "consumed_read_daily_sum", sums(reads_per_second), days=days),
            series(arn, "consumed_write_daily_sum", sums(writes_per_second), days=days)]


def over(name: str = "sessions-legacy", rcu: int = 25, wcu: int = 25, reads: float | None = 10.0,
         writes: float | None = 10.0, **kw: Any) -> dict[str, list[dict[str, Any]]]:
    return {T: [table(name, billing_mode="PROVISIONED", read_capacity=rcu, write_capacity=wcu, **kw)],
            SERIES: consumed(name, reads, writes)}


CASES += [
    Case(OVER, "both dimensions well used", over(reads=10, writes=6), ["PASS"], message_contains="40.0%"),
    Case(OVER, "exactly at the floor", over(rcu=10, wcu=10, reads=2, writes=2), ["PASS"]),
    Case(OVER, "reads well used, writes idle", over(reads=20, writes=0.5), ["FAIL"], message_contains="2.0% of its 25 write"),
    Case(OVER, "both idle", over(reads=0.2, writes=0.1), ["FAIL"]),
    Case(OVER, "stricter floor", over(reads=10, writes=10), ["FAIL"], params={"min_utilization": 0.5}),
    Case(OVER, "on-demand: not applicable", {T: [table()], SERIES: []}, []),
    Case(OVER, "no datapoints for writes", over(writes=None), ["ERROR"],
         message_contains="no CloudWatch data for ConsumedWriteCapacityUnits of DynamoDB table sessions-legacy over 14 days"),
    Case(OVER, "no series at all", {T: [provisioned("sessions-legacy")], SERIES: []}, ["ERROR"]),
    Case(OVER, "billing mode not collected", {T: [table(errors={"billing_mode": DENIED})], SERIES: []}, ["ERROR"]),
]


def test_overprovisioned_saving_counts_the_under_used_dimension_only():
    [f] = priced(OVER, over(reads=20, writes=0.5))
    # writes: (25 - 0.5) WCU x $0.00065 x 730 h; reads are 80 % used and not counted
    assert f.monthly_savings_usd == round(24.5 * 0.00065 * 730, 2)
    assert f.evidence["under_used"] == ["write"]
    assert [c["dimension"] for c in f.evidence["capacity"]] == ["read", "write"]


def test_overprovisioned_saving_of_both_dimensions():
    [f] = priced(OVER, over(reads=0.0, writes=0.0))
    assert f.monthly_savings_usd == round(25 * 0.00013 * 730 + 25 * 0.00065 * 730, 2)


def test_overprovisioned_in_a_region_without_prices_has_no_figure():
    arn = "arn:aws:dynamodb:sa-east-1:123456789012:table/t"
    resources = {T: [table("t", arn=arn, region="sa-east-1", billing_mode="PROVISIONED", read_capacity=100, write_capacity=100)],
                 SERIES: [series(arn, key, [1.0], region="sa-east-1")
                          for key in ("consumed_read_daily_sum", "consumed_write_daily_sum")]}
    [f] = priced(OVER, resources, regions=("sa-east-1",))
    assert f.status.value == "FAIL" and f.monthly_savings_usd is None
    assert "no price for dynamodb_rcu_hour default in sa-east-1" in f.evidence["savings_note"]
