"""Route 53: hosted zones with their record sets and query logging, and health checks.

Route 53 is global (its API answers in us-east-1). Per run: ListHostedZones and
ListHealthChecks (paginated), ONE ListQueryLoggingConfigs for all zones, ListResourceRecordSets
per zone (paginated, concurrently) and ListTagsForResources in batches of 10 ids (its limit).
Names are normalised: the final dot is dropped and octal escapes are decoded
("\\052.shop.example.com." → "*.shop.example.com"), so they compare equal to CloudFront and
ELB domain names and to the names in an architecture spec.

Resource type `route53.hosted_zone` (region "global"):

- id — zone id without the "/hostedzone/" prefix
- arn — arn:aws:route53:::hostedzone/<id>
- name — zone name, no final dot
- private — bool: a private (VPC-only) zone
- record_count — ResourceRecordSetCount
- tags — {key: value}
- query_logging — bool: a query logging configuration exists for the zone
- query_logging_log_group — its CloudWatch Logs group ARN, or None
- records — [{name, type, set_identifier, failover ("PRIMARY" | "SECONDARY" | None),
  health_check_id, alias_target_dns (no final dot), alias_target_zone, ttl, values (strings)}]

Resource type `route53.health_check` (region "global"):

- id, arn — health check id; arn:aws:route53:::healthcheck/<id>
- name — fqdn, else ip_address, else id
- health_check_type — HTTP | HTTPS | HTTP_STR_MATCH | HTTPS_STR_MATCH | TCP | CALCULATED | CLOUDWATCH_METRIC |
  RECOVERY_CONTROL (the API's "Type"; "type" is reserved by the collection runner)
- fqdn, ip_address, resource_path, port — the endpoint checked (None when not applicable)
- request_interval (10 = fast, billed extra), measure_latency (billed extra) — for its monthly charge
- child_health_checks — ids a CALCULATED check aggregates (a child is "used" through its parent)
- tags — {key: value}
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import batches, dns_name, mark_missing, paginate_detail, tag_dict
from opsctl.collect.runner import CollectContext, collector

HOSTED_ZONE = "route53.hosted_zone"
HEALTH_CHECK = "route53.health_check"
#: ListTagsForResources accepts at most 10 resource ids per call.
TAG_BATCH = 10


def zone_arn(ctx: CollectContext, zone_id: str) -> str:
    """Route 53 ARNs carry neither region nor account."""
    return f"arn:{ctx.partition}:route53:::hostedzone/{zone_id}"


def health_check_arn(ctx: CollectContext, check_id: str) -> str:
    return f"arn:{ctx.partition}:route53:::healthcheck/{check_id}"


def normalise_record(rrset: dict[str, Any]) -> dict[str, Any]:
    alias = rrset.get("AliasTarget") or {}
    return {
        "name": dns_name(rrset["Name"]),
        "type": rrset["Type"],
        "set_identifier": rrset.get("SetIdentifier"),
        "failover": rrset.get("Failover"),
        "health_check_id": rrset.get("HealthCheckId"),
        "alias_target_dns": dns_name(alias.get("DNSName")) if alias else None,
        "alias_target_zone": alias.get("HostedZoneId") if alias else None,
        "ttl": rrset.get("TTL"),
        "values": [r["Value"] for r in rrset.get("ResourceRecords", [])],
    }


def normalise_zone(ctx: CollectContext, zone: dict[str, Any]) -> dict[str, Any]:
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    return {
        "type": HOSTED_ZONE,
        "id": zone_id,
        "arn": zone_arn(ctx, zone_id),
        "region": "global",
        "name": dns_name(zone["Name"]),
        "private": bool((zone.get("Config") or {}).get("PrivateZone", False)),
        "record_count": zone.get("ResourceRecordSetCount"),
    }


def normalise_health_check(ctx: CollectContext, check: dict[str, Any]) -> dict[str, Any]:
    config = check.get("HealthCheckConfig") or {}
    return {
        "type": HEALTH_CHECK,
        "id": check["Id"],
        "arn": health_check_arn(ctx, check["Id"]),
        "region": "global",
        "name": config.get("FullyQualifiedDomainName") or config.get("IPAddress") or check["Id"],
        "health_check_type": config.get("Type"),
        "fqdn": config.get("FullyQualifiedDomainName"),
        "ip_address": config.get("IPAddress"),
        "resource_path": config.get("ResourcePath"),
        "port": config.get("Port"),
        "request_interval": config.get("RequestInterval"),
        "measure_latency": bool(config.get("MeasureLatency", False)),
        "child_health_checks": list(config.get("ChildHealthChecks") or []),
    }


def fill_tags(ctx: CollectContext, region: str, resource_type: str, resources: list[dict[str, Any]]) -> None:
    """ListTagsForResources, 10 ids per call; a failed batch marks `tags` missing on its members."""

    def one_batch(batch: list[dict[str, Any]]) -> None:
        params = {"ResourceType": resource_type, "ResourceIds": [r["id"] for r in batch]}
        resp = ctx.call(
            "route53",
            region,
            "list_tags_for_resources",
            params,
            resource_type=batch[0]["type"],
            resource_id=batch[0]["arn"],
        )
        if resp is None:
            mark_missing_all(
                batch, "tags", ctx.failure_reason("route53", region, "list_tags_for_resources", batch[0]["arn"])
            )
            return
        by_id = {s["ResourceId"]: tag_dict(s.get("Tags")) for s in resp.get("ResourceTagSets", [])}
        for r in batch:
            r["tags"] = by_id.get(r["id"], {})

    ctx.map(one_batch, batches(resources, TAG_BATCH))


def mark_missing_all(resources: list[dict[str, Any]], field: str, reason: str) -> None:
    for r in resources:
        mark_missing(r, (field,), reason)


def fill_query_logging(ctx: CollectContext, region: str, zones: list[dict[str, Any]]) -> None:
    """One ListQueryLoggingConfigs without a zone filter covers every zone."""
    configs = ctx.paginate("route53", region, "list_query_logging_configs", "QueryLoggingConfigs")
    if configs is None:
        mark_missing_all(
            zones, "query_logging", ctx.failure_reason("route53", region, "list_query_logging_configs", "")
        )
        return
    log_group = {c["HostedZoneId"].rsplit("/", 1)[-1]: c.get("CloudWatchLogsLogGroupArn") for c in configs}
    for zone in zones:
        zone["query_logging"] = zone["id"] in log_group
        zone["query_logging_log_group"] = log_group.get(zone["id"])


def fill_records(ctx: CollectContext, region: str, zone: dict[str, Any]) -> None:
    rrsets = paginate_detail(
        ctx,
        zone,
        ("records",),
        "route53",
        region,
        "list_resource_record_sets",
        "ResourceRecordSets",
        {"HostedZoneId": zone["id"]},
    )
    if rrsets is not None:
        zone["records"] = [normalise_record(r) for r in rrsets]


@collector("route53", types=(HOSTED_ZONE,), scope="global")
def collect_hosted_zones(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate("route53", region, "list_hosted_zones", "HostedZones", resource_type=HOSTED_ZONE)
    if listed is None:
        return {}
    zones = [normalise_zone(ctx, z) for z in listed]
    if zones:
        fill_query_logging(ctx, region, zones)
        fill_tags(ctx, region, "hostedzone", zones)
        ctx.map(lambda z: fill_records(ctx, region, z), zones)
    return {HOSTED_ZONE: zones}


@collector("route53", types=(HEALTH_CHECK,), scope="global")
def collect_health_checks(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate("route53", region, "list_health_checks", "HealthChecks", resource_type=HEALTH_CHECK)
    if listed is None:
        return {}
    checks = [normalise_health_check(ctx, c) for c in listed]
    if checks:
        fill_tags(ctx, region, "healthcheck", checks)
    return {HEALTH_CHECK: checks}
