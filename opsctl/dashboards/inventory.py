"""What the templates see: the snapshot's resources per tier, with their CloudWatch dimensions.

Templates read resources through an `Inventory` (`inv.load_balancers`, `inv.alarms("data")` …).
It records which resource types a template read, so a dashboard built on a type whose listing
failed (or was never collected) is known to be incomplete: plan/apply then leave that dashboard
alone instead of shrinking it to the resources that happened to be seen.

Dimension values follow the CloudWatch metric documentation of each service:
ALB `LoadBalancer` is "app/<name>/<id>" and `TargetGroup` "targetgroup/<name>/<id>" (the ARNs'
resource parts); CloudFront and Route 53 metrics live in us-east-1 only, CloudFront's with
`Region=Global`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from opsctl.snapshot import Snapshot

#: Where CloudFront and Route 53 publish their metrics (and where their alarms must live).
GLOBAL_METRICS_REGION = "us-east-1"

#: The tiers of the reference architecture, in the order the overview shows them.
TIERS: dict[str, str] = {
    "edge": "Edge (CloudFront)",
    "load-balancing": "Load balancing (ALB)",
    "compute": "Compute (Auto Scaling, Lambda)",
    "data": "Data (RDS, DynamoDB)",
    "dns": "DNS (Route 53 health checks)",
}

#: An alarm widget lists 1 to 100 alarm ARNs (CloudWatch dashboard body structure).
MAX_ALARMS_PER_WIDGET = 100


@dataclass(frozen=True)
class Gap:
    resource_type: str
    reason: str


def _alb_dimension(arn: str) -> str:
    return arn.partition(":loadbalancer/")[2]


def _tg_dimension(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _sorted(items: Iterable[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return sorted(items, key=lambda r: tuple(str(r.get(k) or "") for k in keys))


class Inventory:
    """Read-only view of a snapshot for templates; remembers which resource types were read."""

    def __init__(self, snapshot: Snapshot):
        self.snapshot = snapshot
        self.read_types: set[str] = set()

    # ----- bookkeeping ---------------------------------------------------------------------
    def _of(self, resource_type: str) -> list[dict[str, Any]]:
        self.read_types.add(resource_type)
        return self.snapshot.of_type(resource_type)

    def gaps(self) -> list[Gap]:
        """Why the types read so far may be incomplete: failed listings, or never collected."""
        out = []
        for t in sorted(self.read_types):
            listing = self.snapshot.listing_gaps(t)
            if listing:
                out.append(Gap(t, listing[0].reason))
                continue
            collected = set(self.snapshot.collected.get(t, []))
            if not collected:
                out.append(Gap(t, f"{t} was not collected in this snapshot"))
            elif "global" not in collected and not set(self.snapshot.regions) <= collected:
                missing = ", ".join(sorted(set(self.snapshot.regions) - collected))
                out.append(Gap(t, f"{t} was not collected in {missing}"))
        return out

    # ----- generic access, for user templates -------------------------------------------------
    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        """Raw snapshot records of a type (docs/snapshot.md lists the fields)."""
        return list(self._of(resource_type))

    @property
    def account(self) -> str:
        return self.snapshot.account

    @property
    def regions(self) -> list[str]:
        return list(self.snapshot.regions)

    # ----- tiers ---------------------------------------------------------------------------------
    @property
    def distributions(self) -> list[dict[str, Any]]:
        """CloudFront distributions: id, label (first alias, else domain), region (us-east-1), arn."""
        out = []
        for d in self._of("cloudfront.distribution"):
            if d.get("staging"):
                continue  # a continuous-deployment staging copy serves no viewers of its own
            aliases = d.get("aliases") or []
            out.append({"id": d.get("id"), "arn": d.get("arn"), "region": GLOBAL_METRICS_REGION,
                        "label": aliases[0] if aliases else d.get("domain_name") or d.get("id")})
        return _sorted(out, "label", "id")

    @property
    def load_balancers(self) -> list[dict[str, Any]]:
        """ALBs: name, region, arn, dimension ("app/<name>/<id>")."""
        out = [{"name": lb.get("name"), "region": lb.get("region"), "arn": lb.get("arn"),
                "dimension": _alb_dimension(str(lb.get("arn", "")))}
               for lb in self._of("elbv2.load_balancer")]
        return _sorted([lb for lb in out if lb["dimension"]], "region", "name")

    @property
    def target_groups(self) -> list[dict[str, Any]]:
        """Target groups behind an ALB of the snapshot, one entry per (target group, ALB) pair:
        name, region, dimension ("targetgroup/<name>/<id>"), lb_name, lb_dimension."""
        albs = {lb["arn"]: lb for lb in self.load_balancers}
        out = []
        for tg in self._of("elbv2.target_group"):
            for lb_arn in tg.get("load_balancer_arns") or []:
                lb = albs.get(lb_arn)
                if lb:
                    out.append({"name": tg.get("name"), "region": tg.get("region"), "arn": tg.get("arn"),
                                "dimension": _tg_dimension(str(tg.get("arn", ""))),
                                "lb_name": lb["name"], "lb_dimension": lb["dimension"]})
        return _sorted(out, "region", "lb_name", "name")

    @property
    def auto_scaling_groups(self) -> list[dict[str, Any]]:
        """Auto Scaling groups: name, region, arn."""
        return _sorted(({"name": g.get("name"), "region": g.get("region"), "arn": g.get("arn")}
                        for g in self._of("autoscaling.group")), "region", "name")

    @property
    def functions(self) -> list[dict[str, Any]]:
        """Lambda functions: name, region, arn."""
        return _sorted(({"name": f.get("name"), "region": f.get("region"), "arn": f.get("arn")}
                        for f in self._of("lambda.function")), "region", "name")

    @property
    def db_instances(self) -> list[dict[str, Any]]:
        """RDS DB instances (Aurora members included): id, region, arn, engine."""
        return _sorted(({"id": d.get("id"), "region": d.get("region"), "arn": d.get("arn"), "engine": d.get("engine")}
                        for d in self._of("rds.db_instance")), "region", "id")

    @property
    def tables(self) -> list[dict[str, Any]]:
        """DynamoDB tables: name, region, arn, billing_mode."""
        return _sorted(({"name": t.get("name"), "region": t.get("region"), "arn": t.get("arn"),
                         "billing_mode": t.get("billing_mode")}
                        for t in self._of("dynamodb.table")), "region", "name")

    @property
    def health_checks(self) -> list[dict[str, Any]]:
        """Route 53 health checks: id, label (fqdn, ip or id), region (us-east-1)."""
        return _sorted(({"id": h.get("id"), "label": h.get("name") or h.get("id"), "region": GLOBAL_METRICS_REGION,
                         "arn": h.get("arn")}
                        for h in self._of("route53.health_check")), "label", "id")

    # ----- alarms -------------------------------------------------------------------------------
    def alarms(self, tier: str | None = None) -> list[dict[str, Any]]:
        """Metric alarms of the snapshot watching a resource of `tier` (every tier when None):
        name, arn, region, state — sorted by region and name. Only that tier's resources are
        read, so a failed listing of another tier does not make this dashboard incomplete."""
        if tier is not None and tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}; one of {', '.join(TIERS)}")
        owners = self._alarm_owners([tier] if tier else list(TIERS))
        out = []
        for alarm in self._of("cloudwatch.alarm"):
            if any(key in owners for key in _alarm_keys(alarm)):
                out.append({"name": alarm.get("name"), "arn": alarm.get("arn"), "region": alarm.get("region"),
                            "state": alarm.get("state")})
        return _sorted(out, "region", "name")

    def alarm_groups(self, tier: str | None = None) -> list[dict[str, Any]]:
        """`alarms(tier)` cut per region into widgets of at most 100 ARNs: [{region, arns, part, parts}]."""
        by_region: dict[str, list[str]] = {}
        for a in self.alarms(tier):
            by_region.setdefault(str(a["region"]), []).append(str(a["arn"]))
        out = []
        for region, arns in sorted(by_region.items()):
            chunks = [arns[i:i + MAX_ALARMS_PER_WIDGET] for i in range(0, len(arns), MAX_ALARMS_PER_WIDGET)]
            for n, chunk in enumerate(chunks, start=1):
                out.append({"region": region, "arns": chunk, "part": n, "parts": len(chunks)})
        return out

    def _alarm_owners(self, tiers: list[str]) -> set[tuple[str, str, str, str]]:
        """(region, namespace, dimension, value) of the metrics of every resource of `tiers`."""
        keys: set[tuple[str, str, str, str]] = set()
        if "edge" in tiers:
            keys |= {(GLOBAL_METRICS_REGION, "AWS/CloudFront", "DistributionId", d["id"]) for d in self.distributions}
        if "load-balancing" in tiers:
            keys |= {(lb["region"], "AWS/ApplicationELB", "LoadBalancer", lb["dimension"]) for lb in self.load_balancers}
            keys |= {(tg["region"], "AWS/ApplicationELB", "TargetGroup", tg["dimension"]) for tg in self.target_groups}
        if "compute" in tiers:
            keys |= {(g["region"], ns, "AutoScalingGroupName", g["name"])
                     for g in self.auto_scaling_groups for ns in ("AWS/EC2", "AWS/AutoScaling")}
            keys |= {(f["region"], "AWS/Lambda", "FunctionName", f["name"]) for f in self.functions}
        if "data" in tiers:
            keys |= {(db["region"], "AWS/RDS", "DBInstanceIdentifier", db["id"]) for db in self.db_instances}
            keys |= {(str(c.get("region")), "AWS/RDS", "DBClusterIdentifier", str(c.get("id"))) for c in self._of("rds.db_cluster")}
            keys |= {(t["region"], "AWS/DynamoDB", "TableName", t["name"]) for t in self.tables}
        if "dns" in tiers:
            keys |= {(GLOBAL_METRICS_REGION, "AWS/Route53", "HealthCheckId", h["id"]) for h in self.health_checks}
        return keys

    # ----- metric arrays, for widgets with one line per resource ----------------------------------
    @staticmethod
    def series(resources: list[dict[str, Any]], namespace: str, metric: str, dimensions: dict[str, str],
               label: str | None = None, **options: Any) -> list[list[Any]]:
        """One CloudWatch metric array per resource: [namespace, metric, dim, value, …, {options}].

        `dimensions` maps a dimension name to the resource field holding its value, or to a
        literal value when prefixed with "=" (e.g. {"Region": "=Global"}); `label` is a format
        string over the resource's fields (e.g. "{name} healthy"). Each line carries its
        resource's region, so one widget can draw resources of several regions.
        """
        out = []
        for r in resources:
            row: list[Any] = [namespace, metric]
            for name, source in dimensions.items():
                row += [name, source[1:] if source.startswith("=") else str(r.get(source))]
            opts = dict(options)
            if label:
                opts["label"] = label.format(**r)
            if r.get("region"):
                opts.setdefault("region", r["region"])
            row.append(opts)
            out.append(row)
        return out


def _alarm_keys(alarm: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(region, namespace, dimension, value) of every metric an alarm reads (metric-math included)."""
    region = str(alarm.get("region"))
    metrics = [{"namespace": alarm.get("namespace"), "dimensions": alarm.get("dimensions") or {}}]
    metrics += list(alarm.get("metrics") or [])
    keys = []
    for m in metrics:
        for name, value in (m.get("dimensions") or {}).items():
            keys.append((region, str(m.get("namespace")), str(name), str(value)))
    return keys
