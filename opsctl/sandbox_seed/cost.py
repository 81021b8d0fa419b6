"""Cost tier of the sandbox, seeded last: the usage history and the waste the cost checks judge.

moto generates no AWS/* metrics (MOTO-NOTES.md), so this tier writes the history the cost checks
read with PutMetricData: four datapoints a day for the 14 whole days before today (the window
opsctl/collect/metrics.py queries ends at today's midnight UTC), in the primary region.

Busy (PASS) next to idle or wasteful (FAIL), on the resources earlier tiers created:

- EC2 (compute, `instance_ids:<region>`): the shop-web-asg instances run at 35–48 % CPU, the
  worker at 12–20 %, the bastion idles but peaks at 7 % on days someone logs in; the
  `legacy-reporting` box (t2.medium, previous generation) never passes 2 %: ec2.instance_idle FAIL.
- ALB: `shop-alb` serves ~120,000 requests a day; `shop-internal-alb` reports zero requests for
  the whole week: elb.alb_idle FAIL. (A real idle ALB publishes no RequestCount datapoint at all,
  which the check reports as ERROR with that explanation; zeros make the demo show the FAIL.)
- RDS (data, `db_instance_ids:<region>`): `orders` and the `users` Aurora members have
  connections every day; `reporting` has none for a week: rds.instance_idle FAIL.
- DynamoDB: `carts` (10 RCU / 5 WCU, auto scaled) uses 60 % / 50 %; `sessions-legacy`
  (25 / 25 fixed) uses under 3 %: dynamodb.table_overprovisioned FAIL. On-demand tables are
  out of that check's scope and get no history.
- EBS snapshot `legacy-scratch-before-cleanup` of the unattached gp2 volume, 200 days old:
  ec2.snapshot_old FAIL (the compute tier's nightly snapshot is young: PASS).

The unattached gp2 volume, the unassociated Elastic IP and the t2 instances that make
ec2.volume_unattached, ec2.volume_gp2, ec2.eip_unassociated and
ec2.instance_previous_generation FAIL come from the compute tier.

moto cannot backdate a snapshot (StartTime is always "now"): the sandbox server runs moto in
this process, so `_backdate_snapshot` sets the start time on moto's backend object. Outputs:
`old_snapshot_id:<region>` (None when the compute tier's volume is missing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

log = logging.getLogger(__name__)

#: Datapoints per day (every six hours) and days of history.
POINTS_PER_DAY = 4
HISTORY_DAYS = 14
#: PutMetricData accepts up to 1,000 metric data items per call; stay well below.
PUT_BATCH = 200
#: Age given to the forgotten snapshot: well past ec2.snapshot_old's 90-day default.
OLD_SNAPSHOT_DAYS = 200

DailyValue = Callable[[int, int], float]  # (days ago, point of the day) -> value of one datapoint


def seed(env: Any) -> None:
    """Write metric history for the seeded resources and leave one forgotten snapshot behind."""
    region = env.region
    points: list[dict[str, Any]] = []
    points += _instance_history(env, region)
    points += _load_balancer_history(env, region)
    points += _database_history(env, region)
    points += _table_history(env, region)
    _put(env.client("cloudwatch", region), points)
    env.outputs[f"old_snapshot_id:{region}"] = _old_snapshot(env, region)


# ----- metric history -----------------------------------------------------------------------------
def _today() -> datetime:
    return datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def _series(namespace: str, metric: str, dimension: tuple[str, str], unit: str, value: DailyValue,
            days: int = HISTORY_DAYS) -> list[dict[str, Any]]:
    """POINTS_PER_DAY datapoints for each of the `days` whole days before today."""
    today = _today()
    step = timedelta(hours=24 // POINTS_PER_DAY)
    return [
        {"Namespace": namespace, "MetricName": metric, "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
         "Timestamp": today - timedelta(days=day) + step * point + timedelta(minutes=30), "Value": float(value(day, point)),
         "Unit": unit}
        for day in range(1, days + 1)
        for point in range(POINTS_PER_DAY)
    ]


def _wave(low: float, high: float) -> DailyValue:
    """Deterministic day-to-day variation between `low` and `high` (busier in the afternoon)."""
    span = high - low
    return lambda day, point: round(low + span * (((day * 7 + point * 3) % 10) / 9), 2)


def _put(cloudwatch: Any, points: list[dict[str, Any]]) -> None:
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for p in points:
        by_namespace.setdefault(p["Namespace"], []).append({k: v for k, v in p.items() if k != "Namespace"})
    for namespace, data in sorted(by_namespace.items()):
        for start in range(0, len(data), PUT_BATCH):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start:start + PUT_BATCH])


def _instance_profile(name: str | None, group: str | None) -> DailyValue:
    """CPU of a seeded instance, by role: the legacy reporting box is the idle one."""
    if name == "legacy-reporting":
        return _wave(0.4, 1.9)
    if name == "shop-bastion":  # quiet, except the day of a maintenance session
        return lambda day, point: 6.0 + point if day == 3 else _wave(0.3, 1.5)(day, point)
    if group == "shop-worker-asg":
        return _wave(12, 20)
    return _wave(35, 48)  # the API fleet (shop-web-asg) and anything else running


def _instance_history(env: Any, region: str) -> list[dict[str, Any]]:
    ids = env.outputs.get(f"instance_ids:{region}") or []
    if not ids:
        return []
    reservations = env.client("ec2", region).describe_instances(InstanceIds=ids)["Reservations"]
    points = []
    for instance in sorted((i for r in reservations for i in r["Instances"]), key=lambda i: i["InstanceId"]):
        if instance["State"]["Name"] != "running":
            continue
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags") or []}
        profile = _instance_profile(tags.get("Name"), tags.get("aws:autoscaling:groupName"))
        points += _series("AWS/EC2", "CPUUtilization", ("InstanceId", instance["InstanceId"]), "Percent", profile)
    return points


def _load_balancer_history(env: Any, region: str) -> list[dict[str, Any]]:
    elb = env.client("elbv2", region)
    names = {"shop-alb": _wave(25_000, 36_000), "shop-internal-alb": lambda day, point: 0.0}
    found = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] in names]
    points = []
    for lb in sorted(found, key=lambda lb: lb["LoadBalancerName"]):
        dimension = lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]  # app/<name>/<id>
        points += _series("AWS/ApplicationELB", "RequestCount", ("LoadBalancer", dimension), "Count",
                          names[lb["LoadBalancerName"]])
    return points


def _database_history(env: Any, region: str) -> list[dict[str, Any]]:
    profiles = {"orders": _wave(25, 80), "users-1": _wave(10, 30), "users-2": _wave(6, 18), "reporting": lambda d, p: 0.0}
    points = []
    for ident in env.outputs.get(f"db_instance_ids:{region}") or []:
        profile = profiles.get(ident, _wave(5, 15))
        points += _series("AWS/RDS", "DatabaseConnections", ("DBInstanceIdentifier", ident), "Count", profile)
    return points


def _table_history(env: Any, region: str) -> list[dict[str, Any]]:
    """Consumed capacity of the PROVISIONED tables: each datapoint sums six hours of units."""
    seconds = 86_400 // POINTS_PER_DAY
    rates = {"carts": (6.0, 2.5), "sessions-legacy": (0.6, 0.3)}  # average RCU/s, WCU/s
    ddb = env.client("dynamodb", region)
    points = []
    for name in env.outputs.get(f"table_names:{region}") or []:
        described = ddb.describe_table(TableName=name)["Table"]
        if (described.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED") != "PROVISIONED":
            continue
        reads, writes = rates.get(name, (1.0, 1.0))
        for metric, rate in (("ConsumedReadCapacityUnits", reads), ("ConsumedWriteCapacityUnits", writes)):
            points += _series("AWS/DynamoDB", metric, ("TableName", name), "Count",
                              lambda day, point, rate=rate: rate * seconds)
    return points


# ----- the forgotten snapshot ---------------------------------------------------------------------
def _old_snapshot(env: Any, region: str) -> str | None:
    """Snapshot the compute tier's unattached scratch volume, then age it OLD_SNAPSHOT_DAYS."""
    ec2 = env.client("ec2", region)
    volumes = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["legacy-scratch"]}])["Volumes"]
    if not volumes:
        return None
    snapshot_id = ec2.create_snapshot(
        VolumeId=volumes[0]["VolumeId"], Description="legacy-scratch before cleanup (keep for a month)",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": env.tags("compute", "legacy-scratch-before-cleanup")}],
    )["SnapshotId"]
    _backdate_snapshot(env.account, region, snapshot_id, OLD_SNAPSHOT_DAYS)
    return snapshot_id


def _backdate_snapshot(account: str, region: str, snapshot_id: str, days: int) -> None:
    """SANDBOX-ONLY HACK: no EC2 API sets a snapshot's StartTime, so reach into moto's backend.

    Works because opsctl.sandbox runs moto's server in this very process; against any other
    endpoint the snapshot just stays young (and ec2.snapshot_old then has no FAIL to show).
    """
    try:
        from moto.core.utils import utcnow
        from moto.ec2.models import ec2_backends
    except ImportError:  # moto is the sandbox extra; without it there is no in-process backend
        log.warning("moto is not importable: snapshot %s keeps its real start time", snapshot_id)
        return
    snapshot = ec2_backends[account][region].snapshots.get(snapshot_id)
    if snapshot is None:  # the endpoint is not this process's moto
        log.warning("snapshot %s is not in this process's moto backend: it keeps its real start time", snapshot_id)
        return
    snapshot.start_time = utcnow() - timedelta(days=days)  # moto keeps naive UTC datetimes
