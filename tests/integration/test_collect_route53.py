"""Route 53 collector against moto: zones, record sets (paginated), tags in batches, query
logging, health checks, and the gaps a denied call leaves."""

from __future__ import annotations

import boto3
import botocore.exceptions

ZONE = "route53.hosted_zone"
HEALTH_CHECK = "route53.health_check"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


def deny(aws, service_id: str, operation: str, code: str = "AccessDenied") -> None:
    """Make every `operation` call of the opsctl clients fail with `code`, as IAM would."""

    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": code, "Message": f"denied by test: {operation}"}}, operation
        )

    aws.session.events.register(f"before-call.{service_id}.{operation}", refuse)


def rrset(name, rtype="CNAME", **extra):
    record = {"Name": name, "Type": rtype, **extra}
    if "AliasTarget" not in extra:
        record.setdefault("TTL", 60)
        record.setdefault("ResourceRecords", [{"Value": "origin.example.net"}])
    return {"Action": "CREATE", "ResourceRecordSet": record}


def make_zone(r53, name, private=False):
    kwargs = {"Name": name, "CallerReference": name}
    if private:
        kwargs.update(
            HostedZoneConfig={"PrivateZone": True, "Comment": "internal"},
            VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
        )
    return r53.create_hosted_zone(**kwargs)["HostedZone"]["Id"].rsplit("/", 1)[-1]


def seed_shop(r53, logs):
    zone = make_zone(r53, "shop.example.com")
    logged = make_zone(r53, "status.example.com")
    private = make_zone(r53, "shop.internal", private=True)
    check = r53.create_health_check(
        CallerReference="api",
        HealthCheckConfig={
            "Type": "HTTPS",
            "FullyQualifiedDomainName": "api.shop.example.com",
            "ResourcePath": "/health",
            "Port": 443,
        },
    )["HealthCheck"]["Id"]
    r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                rrset(
                    "www.shop.example.com",
                    "A",
                    AliasTarget={
                        "HostedZoneId": CLOUDFRONT_ZONE,
                        "DNSName": "d111111abcdef8.cloudfront.net.",
                        "EvaluateTargetHealth": False,
                    },
                ),
                rrset(
                    "api.shop.example.com", SetIdentifier="primary", Failover="PRIMARY", HealthCheckId=check
                ),
                rrset("api.shop.example.com", SetIdentifier="secondary", Failover="SECONDARY"),
                rrset("\\052.shop.example.com"),
            ]
        },
    )
    r53.change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=zone, AddTags=[{"Key": "tier", "Value": "dns"}]
    )
    r53.change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=check, AddTags=[{"Key": "tier", "Value": "dns"}]
    )
    logs.create_log_group(logGroupName="/aws/route53/status.example.com")  # Route 53 logs to us-east-1 only
    group_arn = logs.describe_log_groups(logGroupNamePrefix="/aws/route53/")["logGroups"][0][
        "arn"
    ]  # ends with ":*"
    r53.create_query_logging_config(HostedZoneId=logged, CloudWatchLogsLogGroupArn=group_arn)
    return zone, logged, private, check


def test_zones_records_tags_query_logging_and_health_checks(collect_services):
    r53 = boto3.client("route53", region_name="us-east-1")
    zone, logged, private, check = seed_shop(r53, boto3.client("logs", region_name="us-east-1"))

    snap = collect_services(["route53"])

    assert snap.collected[ZONE] == ["global"] and snap.collected[HEALTH_CHECK] == ["global"]
    assert not snap.coverage
    zones = {z["id"]: z for z in snap.of_type(ZONE)}
    shop = zones[zone]
    assert shop["arn"] == f"arn:aws:route53:::hostedzone/{zone}"
    assert shop["region"] == "global" and shop["name"] == "shop.example.com" and shop["private"] is False
    assert shop["tags"] == {"tier": "dns"} and shop["query_logging"] is False
    records = {(r["name"], r["type"], r["set_identifier"]): r for r in shop["records"]}
    www = records[("www.shop.example.com", "A", None)]
    assert (
        www["alias_target_dns"] == "d111111abcdef8.cloudfront.net"
        and www["alias_target_zone"] == CLOUDFRONT_ZONE
    )
    assert www["values"] == [] and www["ttl"] is None
    primary = records[("api.shop.example.com", "CNAME", "primary")]
    assert primary["failover"] == "PRIMARY" and primary["health_check_id"] == check
    assert primary["ttl"] == 60 and primary["values"] == ["origin.example.net"]
    secondary = records[("api.shop.example.com", "CNAME", "secondary")]
    assert secondary["failover"] == "SECONDARY" and secondary["health_check_id"] is None
    assert ("*.shop.example.com", "CNAME", None) in records  # octal escape decoded
    assert shop["record_count"] == len(shop["records"])

    assert zones[logged]["query_logging"] is True
    assert zones[logged]["query_logging_log_group"].endswith(":log-group:/aws/route53/status.example.com:*")
    assert zones[private]["private"] is True and zones[private]["tags"] == {}

    (hc,) = snap.of_type(HEALTH_CHECK)
    assert hc["id"] == check and hc["arn"] == f"arn:aws:route53:::healthcheck/{check}"
    assert hc["health_check_type"] == "HTTPS" and hc["fqdn"] == "api.shop.example.com"
    assert hc["resource_path"] == "/health" and hc["port"] == 443 and hc["tags"] == {"tier": "dns"}
    assert hc["request_interval"] == 30 and hc["measure_latency"] is False and hc["child_health_checks"] == []
    assert "type" not in hc  # the runner's working key never leaks into the snapshot


def test_record_sets_are_paginated_and_tags_batched(collect_services):
    r53 = boto3.client("route53", region_name="us-east-1")
    zones = [make_zone(r53, f"z{i}.example.com") for i in range(12)]  # 2 tag batches of <= 10
    for i, zone in enumerate(zones):
        r53.change_tags_for_resource(
            ResourceType="hostedzone", ResourceId=zone, AddTags=[{"Key": "n", "Value": str(i)}]
        )
    changes = [rrset(f"h{i}.z0.example.com") for i in range(310)]  # > 300: two pages
    r53.change_resource_record_sets(HostedZoneId=zones[0], ChangeBatch={"Changes": changes})

    snap = collect_services(["route53"])

    by_id = {z["id"]: z for z in snap.of_type(ZONE)}
    assert [by_id[z]["tags"] for z in zones] == [{"n": str(i)} for i in range(12)]
    assert len(by_id[zones[0]]["records"]) == 312  # NS + SOA + 310
    assert not snap.coverage


def test_denied_zone_listing_is_a_gap_and_health_checks_still_collected(collect_services, moto_aws):
    r53 = boto3.client("route53", region_name="us-east-1")
    make_zone(r53, "shop.example.com")
    r53.create_health_check(
        CallerReference="x", HealthCheckConfig={"Type": "TCP", "IPAddress": "192.0.2.10", "Port": 443}
    )
    deny(moto_aws, "route-53", "ListHostedZones")

    snap = collect_services(["route53"])

    assert "global" not in snap.collected.get(ZONE, [])
    assert not snap.of_type(ZONE)
    (gap,) = snap.listing_gaps(ZONE)
    assert (gap.service, gap.region, gap.operation, gap.error_code) == (
        "route53",
        "global",
        "ListHostedZones",
        "AccessDenied",
    )
    assert snap.collected[HEALTH_CHECK] == ["global"]
    (hc,) = snap.of_type(HEALTH_CHECK)
    assert hc["ip_address"] == "192.0.2.10" and hc["name"] == "192.0.2.10"


def test_denied_detail_calls_mark_the_fields_missing(collect_services, moto_aws):
    r53 = boto3.client("route53", region_name="us-east-1")
    zone = make_zone(r53, "shop.example.com")
    deny(moto_aws, "route-53", "ListQueryLoggingConfigs")
    deny(moto_aws, "route-53", "ListResourceRecordSets", code="Throttling")
    deny(moto_aws, "route-53", "ListTagsForResources")

    snap = collect_services(["route53"])

    (z,) = snap.of_type(ZONE)
    assert snap.collected[ZONE] == ["global"]  # the listing itself succeeded
    assert set(z["errors"]) == {"query_logging", "records", "tags"}
    assert (
        "AccessDenied" in z["errors"]["query_logging"]
        and "ListQueryLoggingConfigs" in z["errors"]["query_logging"]
    )
    assert "Throttling" in z["errors"]["records"] and "records" not in z
    assert "ListTagsForResources" in z["errors"]["tags"]
    ops = {g.operation for g in snap.coverage}
    assert ops == {"ListQueryLoggingConfigs", "ListResourceRecordSets", "ListTagsForResources"}
    assert all(g.resource_id == "" or g.resource_id == z["arn"] for g in snap.coverage)
    assert zone == z["id"]
