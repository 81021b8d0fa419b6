"""Route 53 checks (CATALOGUE.md, "Route 53"): failover that can actually fail over, health checks
that are paid for but used by no record, and query logs of the public zones."""

from __future__ import annotations

from typing import Any

from opsctl.checks._cost import Costing, cost_fail

from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, check

ZONE = "route53.hosted_zone"
HEALTH_CHECK = "route53.health_check"
PRICE_KIND = "route53_health_check_month"
#: Host names under these domains are AWS resources (load balancers, EC2, API Gateway, S3
#: websites, CloudFront, Lambda URLs, Global Accelerator): Route 53 bills their health checks at
#: the "AWS endpoint" rate. Anything else (an IP address, the shop's own names, calculated and
#: CloudWatch-metric checks) is priced at the higher non-AWS rate: opsctl cannot tell from the
#: snapshot alone, and the brief says so when unsure (runbooks/route53.health_check_unused.md).
AWS_HOST_SUFFIXES = (
    ".amazonaws.com",
    ".amazonaws.com.cn",
    ".cloudfront.net",
    ".on.aws",
    ".awsglobalaccelerator.com",
)


def record_label(record: dict[str, Any]) -> str:
    """'checkout.shop.example.com CNAME (checkout-use1)' — failover records always carry a set id."""
    label = f"{record.get('name')} {record.get('type')}"
    return f"{label} ({record['set_identifier']})" if record.get("set_identifier") else label


# ----- route53.failover_record_health_check -------------------------------------------------------
@check(id="route53.failover_record_health_check", title="PRIMARY failover records have a health check",
       pillar="availability", severity="high", resource_type=ZONE)
def failover_record_health_check(zone: dict[str, Any], ctx: CheckContext):
    """Without a health check on the PRIMARY record, Route 53 never fails over to the SECONDARY."""
    primaries = [r for r in ctx.need(zone, "records") if r.get("failover") == "PRIMARY"]
    if not primaries:
        return None  # no failover routing in this zone
    bare = [record_label(r) for r in primaries if not r.get("health_check_id")]
    name = zone["name"]
    if bare:
        return FAIL(f"Route 53 hosted zone {name} has {len(bare)} PRIMARY failover record(s) without a health check: "
                    f"{', '.join(bare)}.", records=bare)
    return PASS(f"Route 53 hosted zone {name} has a health check on each of its {len(primaries)} PRIMARY failover record(s).",
                records=[record_label(r) for r in primaries])


# ----- route53.health_check_unused ----------------------------------------------------------------
def referenced_ids(ctx: CheckContext) -> tuple[dict[str, str | None], list[MissingData]]:
    """Health check ids used by a record of any zone (public or private) → the CALCULATED parent
    through which a child is used (None when a record names it), and the zones whose records
    could not be read."""
    used: dict[str, str | None] = {}
    unread: list[MissingData] = []
    for zone in ctx.snapshot.require_global(ZONE):
        try:
            records = ctx.need(zone, "records")
        except MissingData as missing:
            unread.append(missing)
            continue
        used.update((r["health_check_id"], None) for r in records if r.get("health_check_id"))
    children = {c.get("id"): list(c.get("child_health_checks") or []) for c in ctx.snapshot.of_type(HEALTH_CHECK)}
    pending = list(used)
    while pending:  # a child of a used parent is used, at any depth
        parent = pending.pop()
        for child in children.get(parent, []):
            if child not in used:
                used[child] = parent
                pending.append(child)
    return used, unread


def endpoint_kind(health_check: dict[str, Any]) -> str:
    """The price key: "aws_endpoint" for an AWS host name, else "non_aws_endpoint"."""
    fqdn = str(health_check.get("fqdn") or "").lower().rstrip(".")
    return "aws_endpoint" if fqdn.endswith(AWS_HOST_SUFFIXES) else "non_aws_endpoint"


def extra_features(health_check: dict[str, Any]) -> list[str]:
    """Options Route 53 bills on top of the basic check (not in the price table)."""
    kind = str(health_check.get("health_check_type") or "")
    features = []
    if kind.startswith("HTTPS"):
        features.append("HTTPS")
    if kind.endswith("STR_MATCH"):
        features.append("string matching")
    if health_check.get("request_interval") == 10:
        features.append("fast interval")
    if health_check.get("measure_latency"):
        features.append("latency measurement")
    return features


@check(id="route53.health_check_unused", title="Route 53 health check is used by a DNS record",
       pillar="cost", severity="low", resource_type=HEALTH_CHECK)
def health_check_unused(health_check: dict[str, Any], ctx: CheckContext):
    """A health check no record uses is billed every month and steers no traffic."""
    used, unread = referenced_ids(ctx)
    name = health_check["name"]
    if health_check["id"] in used:
        parent = used[health_check["id"]]
        if parent:
            return PASS(f"Route 53 health check {name} is used through calculated health check {parent}, which a DNS record uses.")
        return PASS(f"Route 53 health check {name} is used by a DNS record.")
    if unread:
        raise unread[0]  # it may be used in the zone whose records could not be read
    kind = endpoint_kind(health_check)
    costing = Costing(ctx, "global")
    price = costing.price(PRICE_KIND, kind)
    features = extra_features(health_check)
    if features and price is not None:
        costing.note(f"lower bound: {', '.join(features)} are billed on top of the basic check and are not in the price table")
    return cost_fail(f"Route 53 health check {name} is used by no DNS record in any hosted zone.", costing, price,
                     health_check_type=health_check.get("health_check_type"), endpoint_kind=kind,
                     billed_options=features)


# ----- route53.zone_query_logging -----------------------------------------------------------------
@check(id="route53.zone_query_logging", title="Public hosted zone logs DNS queries",
       pillar="operations", severity="low", resource_type=ZONE)
def zone_query_logging(zone: dict[str, Any], ctx: CheckContext):
    """Query logs show who resolves the shop's names, and from where, when an incident needs it."""
    if ctx.need(zone, "private"):
        return None  # private zones log through Resolver query logging, a different feature
    name = zone["name"]
    if ctx.need(zone, "query_logging"):
        return PASS(f"Route 53 public hosted zone {name} logs its queries to {zone.get('query_logging_log_group')}.")
    return FAIL(f"Route 53 public hosted zone {name} has no query logging configured.")
