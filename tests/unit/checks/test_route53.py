"""Cases for the Route 53 checks (checks/route53.py)."""

from __future__ import annotations

from typing import Any

from opsctl.snapshot import CoverageGap
from tests.helpers import Case, run, snapshot
from tests.unit.checks.cost_fixtures import priced

ZONE = "route53.hosted_zone"
HC = "route53.health_check"
ZONE_GAP = CoverageGap("route53", "global", "ListHostedZones", "AccessDenied", "denied", ZONE, "")


def rec(name: str, failover: str | None = None, health_check: str | None = None, set_id: str | None = None,
        rtype: str = "CNAME") -> dict[str, Any]:
    return {"name": name, "type": rtype, "set_identifier": set_id or (f"{name}-{failover.lower()}" if failover else None),
            "failover": failover, "health_check_id": health_check, "alias_target_dns": None, "alias_target_zone": None,
            "ttl": 60, "values": ["x.example.net"]}


def zone(name: str = "shop.example.com", records: list[dict[str, Any]] | None = None, *, private: bool = False,
         logging: bool = False, errors: dict[str, str] | None = None) -> dict[str, Any]:
    zone_id = "Z" + name.replace(".", "").upper()[:10]
    z = {"id": zone_id, "arn": f"arn:aws:route53:::hostedzone/{zone_id}", "region": "global", "name": name,
         "private": private, "record_count": len(records or []), "tags": {}, "records": list(records or []),
         "query_logging": logging,
         "query_logging_log_group": f"arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/{name}" if logging else None}
    for field in errors or {}:
        z.pop(field, None)
    if errors:
        z["errors"] = errors
    return z


def hc(check_id: str, fqdn: str | None = "old-status.shop.example.com", kind: str = "HTTP", **fields: Any) -> dict[str, Any]:
    return {"id": check_id, "arn": f"arn:aws:route53:::healthcheck/{check_id}", "region": "global",
            "name": fqdn or fields.get("ip_address") or check_id, "health_check_type": kind, "fqdn": fqdn,
            "ip_address": None, "resource_path": "/", "port": 80, "request_interval": 30, "measure_latency": False,
            "child_health_checks": [], "tags": {}, **fields}


PRIMARY_OK = rec("api.shop.example.com", "PRIMARY", "hc-api")
SECONDARY = rec("api.shop.example.com", "SECONDARY")
PRIMARY_BARE = rec("checkout.shop.example.com", "PRIMARY", set_id="checkout-use1")

CASES = [
    # ----- route53.failover_record_health_check
    Case("route53.failover_record_health_check", "primary with health check", {ZONE: [zone(records=[PRIMARY_OK, SECONDARY])]},
         ["PASS"]),
    Case("route53.failover_record_health_check", "primary without health check",
         {ZONE: [zone(records=[PRIMARY_OK, SECONDARY, PRIMARY_BARE])]}, ["FAIL"],
         message_contains="has 1 PRIMARY failover record(s) without a health check: checkout.shop.example.com CNAME (checkout-use1)."),
    Case("route53.failover_record_health_check", "a secondary without health check is fine",
         {ZONE: [zone(records=[PRIMARY_OK, SECONDARY])]}, ["PASS"]),
    Case("route53.failover_record_health_check", "no failover records: no finding",
         {ZONE: [zone(records=[rec("www.shop.example.com")])]}, []),
    Case("route53.failover_record_health_check", "private zones count too",
         {ZONE: [zone("shop.internal", [PRIMARY_BARE], private=True)]}, ["FAIL"]),
    Case("route53.failover_record_health_check", "records not read",
         {ZONE: [zone(errors={"records": "route53:ListResourceRecordSets failed"})]}, ["ERROR"]),

    # ----- route53.health_check_unused
    Case("route53.health_check_unused", "used by a record",
         {ZONE: [zone(records=[PRIMARY_OK])], HC: [hc("hc-api")]}, ["PASS"]),
    Case("route53.health_check_unused", "used by a record of a private zone",
         {ZONE: [zone("shop.internal", [PRIMARY_OK], private=True)], HC: [hc("hc-api")]}, ["PASS"]),
    Case("route53.health_check_unused", "used by no record",
         {ZONE: [zone(records=[PRIMARY_OK])], HC: [hc("hc-api"), hc("hc-legacy")]}, ["PASS", "FAIL"],
         message_contains="used by"),
    Case("route53.health_check_unused", "no zones at all", {ZONE: [], HC: [hc("hc-legacy")]}, ["FAIL"],
         message_contains="Route 53 health check old-status.shop.example.com is used by no DNS record in any hosted zone."),
    Case("route53.health_check_unused", "child of a used calculated check is used",
         {ZONE: [zone(records=[rec("api.shop.example.com", "PRIMARY", "hc-parent")])],
          HC: [hc("hc-child"), hc("hc-parent", None, "CALCULATED", child_health_checks=["hc-child"])]}, ["PASS", "PASS"]),
    Case("route53.health_check_unused", "child of an unused calculated check is unused",
         {ZONE: [zone(records=[])],
          HC: [hc("hc-child"), hc("hc-parent", None, "CALCULATED", child_health_checks=["hc-child"])]}, ["FAIL", "FAIL"]),
    Case("route53.health_check_unused", "a zone's records unread and not found elsewhere: ERROR",
         {ZONE: [zone(records=[]), zone("b.example.com", errors={"records": "route53:ListResourceRecordSets failed"})],
          HC: [hc("hc-legacy")]}, ["ERROR"]),
    Case("route53.health_check_unused", "a zone's records unread but found in another zone: PASS",
         {ZONE: [zone(records=[PRIMARY_OK]), zone("b.example.com", errors={"records": "route53:ListResourceRecordSets failed"})],
          HC: [hc("hc-api")]}, ["PASS"]),
    Case("route53.health_check_unused", "zones not listed: ERROR", {ZONE: [], HC: [hc("hc-legacy")]}, ["ERROR"],
         coverage=[ZONE_GAP]),

    # ----- route53.zone_query_logging
    Case("route53.zone_query_logging", "public zone logged", {ZONE: [zone(logging=True)]}, ["PASS"]),
    Case("route53.zone_query_logging", "public zone not logged", {ZONE: [zone()]}, ["FAIL"],
         message_contains="Route 53 public hosted zone shop.example.com has no query logging configured."),
    Case("route53.zone_query_logging", "private zone: no finding", {ZONE: [zone("shop.internal", private=True)]}, []),
    Case("route53.zone_query_logging", "logging configs not read",
         {ZONE: [zone(errors={"query_logging": "route53:ListQueryLoggingConfigs failed"})]}, ["ERROR"]),
]


def test_unused_health_check_savings_by_endpoint_kind():
    snap = {ZONE: [zone(records=[])],
            HC: [hc("hc-own"), hc("hc-elb", "shop-api-1.us-east-1.elb.amazonaws.com"), hc("hc-ip", None, ip_address="203.0.113.9")]}
    findings = {f.resource_id.rsplit("/", 1)[-1]: f for f in priced("route53.health_check_unused", snap)}
    assert findings["hc-own"].monthly_savings_usd == 0.75 and findings["hc-own"].evidence["endpoint_kind"] == "non_aws_endpoint"
    assert findings["hc-elb"].monthly_savings_usd == 0.5 and findings["hc-elb"].evidence["endpoint_kind"] == "aws_endpoint"
    assert findings["hc-ip"].monthly_savings_usd == 0.75  # an IP address may or may not be AWS's: the higher rate
    assert all("savings_note" not in f.evidence for f in findings.values())


def test_billed_options_make_the_figure_a_lower_bound():
    snap = {ZONE: [], HC: [hc("hc-fast", kind="HTTPS_STR_MATCH", request_interval=10, measure_latency=True)]}
    (finding,) = priced("route53.health_check_unused", snap)
    assert finding.monthly_savings_usd == 0.75
    assert finding.evidence["billed_options"] == ["HTTPS", "string matching", "fast interval", "latency measurement"]
    assert "lower bound" in finding.evidence["savings_note"]


def test_no_price_table_gives_no_figure_and_a_note():
    (finding,) = run("route53.health_check_unused", snapshot({ZONE: [], HC: [hc("hc-legacy")]}))
    assert finding.monthly_savings_usd is None
    assert "no price for route53_health_check_month non_aws_endpoint in global" in finding.evidence["savings_note"]


def test_a_price_missing_from_the_table_gives_no_figure(monkeypatch):
    from opsctl.pricing import PriceTable

    table = PriceTable(as_of="2025-01-01", source="test", prices={("route53_health_check_month", "global", "aws_endpoint"): 0.5})
    from opsctl.engine import run_check
    from opsctl.registry import load_builtin_checks

    spec = load_builtin_checks()["route53.health_check_unused"]
    (finding,) = run_check(spec, snapshot({ZONE: [], HC: [hc("hc-legacy")]}), prices=table)
    assert finding.monthly_savings_usd is None
    assert finding.evidence["savings_note"] == "no price for route53_health_check_month non_aws_endpoint in global in the price table (2025-01-01)"
