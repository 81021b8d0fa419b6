"""Cases for the ELB v2 checks (checks/elb.py)."""

from __future__ import annotations

from typing import Any

from opsctl.checks.elb import is_weak_tls_policy

from tests.helpers import REGION, Case, run, snapshot, statuses
from tests.unit.checks.cost_fixtures import SERIES, priced, series

LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/{}/50dc6c495c0c9188"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{}/73e2d6bc24d8a067"
LB = "elbv2.load_balancer"
TG = "elbv2.target_group"


def listener(protocol: str, port: int, action: str = "forward", redirect: str | None = None,
             policy: str | None = None) -> dict[str, Any]:
    return {
        "arn": f"{LB_ARN.format('shop')}/listener/{port}",
        "port": port,
        "protocol": protocol,
        "ssl_policy": policy,
        "default_actions": [{"type": action, "redirect_protocol": redirect,
                             "target_group_arns": [] if action == "redirect" else [TG_ARN.format("web")]}],
    }


HTTPS = listener("HTTPS", 443, policy="ELBSecurityPolicy-TLS13-1-2-2021-06")
REDIRECT = listener("HTTP", 80, "redirect", "HTTPS")
FORWARD = listener("HTTP", 80)


def alb(name: str = "shop", listeners: list[dict[str, Any]] | None = None, zones: int = 3,
        errors: dict[str, str] | None = None, **attributes: Any) -> dict[str, Any]:
    attrs = {"deletion_protection_enabled": True, "access_logs_enabled": True, "access_logs_bucket": "shop-logs",
             "drop_invalid_header_fields_enabled": True, "idle_timeout": 60, **attributes}
    lb = {
        "name": name, "arn": LB_ARN.format(name), "region": REGION, "scheme": "internet-facing",
        "availability_zones": [f"us-east-1{c}" for c in "abc"[:zones]],
        "listeners": [HTTPS, REDIRECT] if listeners is None else listeners,
        "attributes": attrs, "tags": {},
    }
    if errors:
        lb["errors"] = errors
        for field in errors:
            lb.pop(field, None)
    return lb


def target_group(name: str = "web", **fields: Any) -> dict[str, Any]:
    tg = {"name": name, "arn": TG_ARN.format(name), "region": REGION, "protocol": "HTTP", "port": 8080,
          "target_type": "instance", "health_check_enabled": True, "health_check_protocol": "HTTP",
          "health_check_path": "/health", "tags": {}}
    tg.update(fields)
    return tg


def lbs(*items: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {LB: list(items)}


MISSING_ATTRIBUTES = alb(errors={"attributes": "elbv2:DescribeLoadBalancerAttributes failed with AccessDenied"})

CASES = [
    # elb.alb_https
    Case("elb.alb_https", "https and redirect", lbs(alb()), ["PASS"]),
    Case("elb.alb_https", "https only", lbs(alb(listeners=[HTTPS])), ["PASS"]),
    Case("elb.alb_https", "http forwards", lbs(alb(listeners=[HTTPS, FORWARD])), ["FAIL"], message_contains="port(s) 80"),
    Case("elb.alb_https", "no https listener", lbs(alb(listeners=[REDIRECT])), ["FAIL"], message_contains="no HTTPS"),
    Case("elb.alb_https", "no listeners at all", lbs(alb(listeners=[])), ["FAIL"]),
    Case("elb.alb_https", "redirect keeps protocol", lbs(alb(listeners=[HTTPS, listener("HTTP", 80, "redirect", "#{protocol}")])),
         ["FAIL"]),
    Case("elb.alb_https", "fixed response on http", lbs(alb(listeners=[HTTPS, listener("HTTP", 80, "fixed-response")])), ["FAIL"]),
    Case("elb.alb_https", "listeners not collected",
         lbs(alb(errors={"listeners": "elbv2:DescribeListeners failed with AccessDenied"})), ["ERROR"]),
    # elb.alb_tls_policy
    Case("elb.alb_tls_policy", "modern policy", lbs(alb()), ["PASS"]),
    Case("elb.alb_tls_policy", "2016-08 default", lbs(alb(listeners=[listener("HTTPS", 443, policy="ELBSecurityPolicy-2016-08")])),
         ["FAIL"], message_contains="ELBSecurityPolicy-2016-08"),
    Case("elb.alb_tls_policy", "tls 1.0 family", lbs(alb(listeners=[listener("HTTPS", 443, policy="ELBSecurityPolicy-TLS-1-0-2015-04")])),
         ["FAIL"]),
    Case("elb.alb_tls_policy", "tls 1.1 family", lbs(alb(listeners=[listener("HTTPS", 443, policy="ELBSecurityPolicy-TLS-1-1-2017-01")])),
         ["FAIL"]),
    Case("elb.alb_tls_policy", "2015-05", lbs(alb(listeners=[listener("HTTPS", 443, policy="ELBSecurityPolicy-2015-05")])), ["FAIL"]),
    Case("elb.alb_tls_policy", "one weak of two",
         lbs(alb(listeners=[HTTPS, listener("HTTPS", 8443, policy="ELBSecurityPolicy-2016-08")])), ["FAIL"], message_contains="8443"),
    Case("elb.alb_tls_policy", "tls 1.2 only family",
         lbs(alb(listeners=[listener("HTTPS", 443, policy="ELBSecurityPolicy-TLS-1-2-Ext-2018-06")])), ["PASS"]),
    Case("elb.alb_tls_policy", "no https listener: not applicable", lbs(alb(listeners=[FORWARD])), []),
    Case("elb.alb_tls_policy", "policy not reported", lbs(alb(listeners=[listener("HTTPS", 443)])), ["ERROR"]),
    Case("elb.alb_tls_policy", "listeners not collected", lbs(alb(errors={"listeners": "throttled"})), ["ERROR"]),
    # elb.alb_drop_invalid_headers
    Case("elb.alb_drop_invalid_headers", "on", lbs(alb()), ["PASS"]),
    Case("elb.alb_drop_invalid_headers", "off", lbs(alb(drop_invalid_header_fields_enabled=False)), ["FAIL"]),
    Case("elb.alb_drop_invalid_headers", "attributes not collected", lbs(MISSING_ATTRIBUTES), ["ERROR"]),
    # elb.alb_deletion_protection
    Case("elb.alb_deletion_protection", "on", lbs(alb()), ["PASS"]),
    Case("elb.alb_deletion_protection", "off", lbs(alb(deletion_protection_enabled=False)), ["FAIL"]),
    Case("elb.alb_deletion_protection", "attributes not collected", lbs(MISSING_ATTRIBUTES), ["ERROR"]),
    # elb.alb_access_logs
    Case("elb.alb_access_logs", "on", lbs(alb()), ["PASS"], message_contains="shop-logs"),
    Case("elb.alb_access_logs", "off", lbs(alb(access_logs_enabled=False, access_logs_bucket=None)), ["FAIL"]),
    Case("elb.alb_access_logs", "attributes not collected", lbs(MISSING_ATTRIBUTES), ["ERROR"]),
    # elb.alb_multi_az
    Case("elb.alb_multi_az", "three zones", lbs(alb()), ["PASS"]),
    Case("elb.alb_multi_az", "two zones meet the default", lbs(alb(zones=2)), ["PASS"]),
    Case("elb.alb_multi_az", "one zone", lbs(alb(zones=1)), ["FAIL"]),
    Case("elb.alb_multi_az", "stricter parameter", lbs(alb(zones=2)), ["FAIL"], params={"min_azs": 3}),
    Case("elb.alb_multi_az", "zones not collected", lbs(alb(errors={"availability_zones": "unknown"})), ["ERROR"]),
    # elb.target_group_health_check
    Case("elb.target_group_health_check", "http with path", {TG: [target_group()]}, ["PASS"], message_contains="/health"),
    Case("elb.target_group_health_check", "tcp needs no path",
         {TG: [target_group(protocol="TCP", health_check_protocol="TCP", health_check_path=None)]}, ["PASS"]),
    Case("elb.target_group_health_check", "disabled (lambda default)",
         {TG: [target_group(target_type="lambda", protocol=None, health_check_enabled=False, health_check_protocol=None)]},
         ["FAIL"], message_contains="disabled"),
    Case("elb.target_group_health_check", "https without path",
         {TG: [target_group(health_check_protocol="HTTPS", health_check_path=None)]}, ["FAIL"], message_contains="without a path"),
    Case("elb.target_group_health_check", "health check not collected",
         {TG: [{**target_group(), "errors": {"health_check_enabled": "elbv2:DescribeTargetGroups failed"}}]}, ["ERROR"]),
]


def test_weak_policy_families():
    assert is_weak_tls_policy("ELBSecurityPolicy-FS-1-1-2019-08")
    assert is_weak_tls_policy("ELBSecurityPolicy-TLS13-1-1-2021-06")
    assert not is_weak_tls_policy("ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert not is_weak_tls_policy("ELBSecurityPolicy-FS-1-2-Res-2020-10")


def test_listing_gap_is_error_not_pass():
    from opsctl.snapshot import CoverageGap

    gap = CoverageGap("elbv2", REGION, "DescribeLoadBalancers", "AccessDenied", "denied", LB, "")
    findings = run("elb.alb_https", snapshot({LB: []}, coverage=[gap]))
    assert statuses(findings) == ["ERROR"]
    assert "AccessDenied" in findings[0].message


# ----- elb.alb_idle -----------------------------------------------------------------------------
IDLE = "elb.alb_idle"


def requests(*values: float, name: str = "shop", days: int = 7) -> dict[str, Any]:
    return series(LB_ARN.format(name), "requests_daily_sum", list(values), days=days)


def served(name: str = "shop", registered: int = 2, tg_lbs: tuple[str, ...] = ("shop",)) -> dict[str, Any]:
    return target_group(load_balancer_arns=[LB_ARN.format(n) for n in tg_lbs], registered_count=registered)


CASES += [
    Case(IDLE, "targets and traffic", {LB: [alb()], TG: [served()], SERIES: [requests(120_000, 98_000, 143_500)]}, ["PASS"],
         message_contains="361,500 requests"),
    Case(IDLE, "targets but no request", {LB: [alb()], TG: [served()], SERIES: [requests(0, 0, 0, 0, 0, 0, 0)]}, ["FAIL"],
         message_contains="served no request in 7 days"),
    Case(IDLE, "target group without targets", {LB: [alb()], TG: [served(registered=0)], SERIES: []}, ["FAIL"],
         message_contains="no registered target"),
    Case(IDLE, "no target group at all", {LB: [alb()], TG: [served(tg_lbs=("other",))], SERIES: []}, ["FAIL"],
         message_contains="no target group"),
    Case(IDLE, "targets, no datapoints: ERROR with the reason", {LB: [alb()], TG: [served()], SERIES: [requests()]}, ["ERROR"],
         message_contains="only while requests flow"),
    Case(IDLE, "targets, no series", {LB: [alb()], TG: [served()], SERIES: []}, ["ERROR"],
         message_contains="no CloudWatch data for RequestCount of application load balancer shop over 7 days"),
    Case(IDLE, "target health not collected",
         {LB: [alb()], TG: [{**served(), "errors": {"registered_count": "elbv2:DescribeTargetHealth failed"}}], SERIES: []},
         ["ERROR"]),
    Case(IDLE, "shorter window parameter uses the last days only",
         {LB: [alb()], TG: [served()], SERIES: [requests(500, 0, 0, 0, 0, 0, 0)]}, ["FAIL"], params={"idle_days": 3}),
]


def test_idle_alb_saving_is_the_hourly_charge_for_a_month():
    [f] = priced(IDLE, {LB: [alb()], TG: [served(registered=0)], SERIES: []})
    assert f.monthly_savings_usd == round(0.0225 * 730, 2)
    assert f.evidence["prices_used"][0]["kind"] == "alb_hour" and "LCU" in f.evidence["savings_note"]


def test_idle_alb_without_price_table_has_no_figure():
    [f] = run(IDLE, snapshot({LB: [alb()], TG: [served(registered=0)], SERIES: []}))
    assert f.status.value == "FAIL" and f.monthly_savings_usd is None and "no price" in f.evidence["savings_note"]
