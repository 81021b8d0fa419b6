"""Elastic Load Balancing v2 checks: application load balancers and target groups, and the
idle-ALB cost check (CloudWatch RequestCount history, priced from the price table).
"""

from __future__ import annotations

from typing import Any

from opsctl.checks._cost import HOURS_PER_MONTH, REQUESTS_DAILY_SUM, Costing, cost_fail, daily_values

from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, check

#: Predefined ELB security policies that still negotiate TLS 1.0 or 1.1. The catalogue names
#: ELBSecurityPolicy-2016-08, -TLS-1-0-*, -TLS-1-1-* and -2015-05; the forward-secrecy and
#: TLS 1.3 families below allow TLS 1.0/1.1 as well.
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
WEAK_TLS_POLICIES = frozenset({
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-FS-2018-06",
})
WEAK_TLS_POLICY_PREFIXES = (
    "ELBSecurityPolicy-TLS-1-0-",
    "ELBSecurityPolicy-TLS-1-1-",
    "ELBSecurityPolicy-FS-1-1-",
    "ELBSecurityPolicy-TLS13-1-0-",
    "ELBSecurityPolicy-TLS13-1-1-",
)


def is_weak_tls_policy(policy: str) -> bool:
    """True when the predefined policy allows a protocol older than TLS 1.2."""
    return policy in WEAK_TLS_POLICIES or policy.startswith(WEAK_TLS_POLICY_PREFIXES)


def _attribute(lb: dict[str, Any], ctx: CheckContext, name: str) -> Any:
    """One normalised load balancer attribute; MissingData when the attributes were not read."""
    attributes = ctx.need(lb, "attributes")
    if name not in attributes:
        raise MissingData(f"attribute {name!r} of {lb.get('arn', 'load balancer')} was not collected")
    return attributes[name]


def _redirects_to_https(listener: dict[str, Any]) -> bool:
    return any(a.get("type") == "redirect" and str(a.get("redirect_protocol") or "").upper() == "HTTPS"
               for a in listener.get("default_actions") or [])


@check(id="elb.alb_https", title="Application load balancer serves HTTPS and redirects HTTP to it",
       pillar="security", severity="high", resource_type="elbv2.load_balancer")
def alb_https(lb: dict[str, Any], ctx: CheckContext):
    """Plain HTTP exposes shoppers' sessions and order data to anyone on the path."""
    listeners = ctx.need(lb, "listeners")
    https = [x for x in listeners if x.get("protocol") == "HTTPS"]
    plain = [x for x in listeners if x.get("protocol") == "HTTP" and not _redirects_to_https(x)]
    name = lb["name"]
    if not https:
        return FAIL(f"Application load balancer {name} has no HTTPS listener.",
                    listener_protocols=sorted({str(x.get("protocol")) for x in listeners}))
    if plain:
        ports = sorted(x.get("port") for x in plain)
        return FAIL(f"Application load balancer {name} has HTTP listeners on port(s) "
                    f"{', '.join(map(str, ports))} that do not redirect to HTTPS.", http_ports=ports)
    return PASS(f"Application load balancer {name} serves HTTPS and every HTTP listener redirects to HTTPS.")


@check(id="elb.alb_tls_policy", title="HTTPS listeners allow TLS 1.2 or newer only",
       pillar="security", severity="medium", resource_type="elbv2.load_balancer")
def alb_tls_policy(lb: dict[str, Any], ctx: CheckContext):
    """Policies that still accept TLS 1.0/1.1 allow downgrade attacks on checkout traffic."""
    https = [x for x in ctx.need(lb, "listeners") if x.get("protocol") == "HTTPS"]
    if not https:
        return None  # no TLS termination: elb.alb_https reports it
    unknown = [x.get("port") for x in https if not x.get("ssl_policy")]
    if unknown:
        raise MissingData(f"the security policy of HTTPS listener(s) on port(s) {unknown} of {lb['arn']} was not reported")
    weak = sorted((x.get("port"), x["ssl_policy"]) for x in https if is_weak_tls_policy(x["ssl_policy"]))
    name = lb["name"]
    if weak:
        listed = ", ".join(f"{policy} on port {port}" for port, policy in weak)
        return FAIL(f"Application load balancer {name} has HTTPS listeners allowing TLS older than 1.2 ({listed}).",
                    weak_policies=[{"port": p, "ssl_policy": s} for p, s in weak])
    policies = sorted({x["ssl_policy"] for x in https})
    return PASS(f"Application load balancer {name} uses TLS 1.2+ policies on every HTTPS listener ({', '.join(policies)}).",
                ssl_policies=policies)


@check(id="elb.alb_drop_invalid_headers", title="Application load balancer drops invalid HTTP headers",
       pillar="security", severity="low", resource_type="elbv2.load_balancer")
def alb_drop_invalid_headers(lb: dict[str, Any], ctx: CheckContext):
    """Forwarding malformed headers leaves the API open to HTTP request smuggling."""
    if _attribute(lb, ctx, "drop_invalid_header_fields_enabled"):
        return PASS(f"Application load balancer {lb['name']} drops invalid header fields.")
    return FAIL(f"Application load balancer {lb['name']} forwards invalid header fields "
                "(routing.http.drop_invalid_header_fields.enabled is false).")


@check(id="elb.alb_deletion_protection", title="Application load balancer has deletion protection on",
       pillar="availability", severity="medium", resource_type="elbv2.load_balancer")
def alb_deletion_protection(lb: dict[str, Any], ctx: CheckContext):
    """Deleting the ALB by mistake takes the whole storefront API offline and changes its DNS name."""
    if _attribute(lb, ctx, "deletion_protection_enabled"):
        return PASS(f"Application load balancer {lb['name']} has deletion protection on.")
    return FAIL(f"Application load balancer {lb['name']} has deletion protection off.")


@check(id="elb.alb_access_logs", title="Application load balancer writes access logs",
       pillar="operations", severity="low", resource_type="elbv2.load_balancer")
def alb_access_logs(lb: dict[str, Any], ctx: CheckContext):
    """Without access logs there is no record of who called the API when investigating an incident."""
    if _attribute(lb, ctx, "access_logs_enabled"):
        bucket = _attribute(lb, ctx, "access_logs_bucket")
        return PASS(f"Application load balancer {lb['name']} writes access logs to S3 bucket {bucket}.", bucket=bucket)
    return FAIL(f"Application load balancer {lb['name']} has access logs off.")


@check(id="elb.alb_multi_az", title="Application load balancer spans several availability zones",
       pillar="availability", severity="high", resource_type="elbv2.load_balancer", params={"min_azs": 2})
def alb_multi_az(lb: dict[str, Any], ctx: CheckContext):
    """A load balancer in too few zones goes down with one zone."""
    zones = ctx.need(lb, "availability_zones")
    wanted = ctx.params["min_azs"]
    if len(zones) >= wanted:
        return PASS(f"Application load balancer {lb['name']} spans {len(zones)} availability zones.", zones=zones)
    return FAIL(f"Application load balancer {lb['name']} spans {len(zones)} availability zone(s), fewer than {wanted}.",
                zones=zones, min_azs=wanted)


@check(id="elb.target_group_health_check", title="Target group health checks are enabled",
       pillar="availability", severity="medium", resource_type="elbv2.target_group")
def target_group_health_check(tg: dict[str, Any], ctx: CheckContext):
    """Without a health check the load balancer keeps sending shoppers to broken targets."""
    name = tg["name"]
    if not ctx.need(tg, "health_check_enabled"):
        return FAIL(f"Target group {name} has health checks disabled.", health_check_enabled=False)
    protocol = ctx.need(tg, "health_check_protocol")
    if str(protocol or "").upper() in ("HTTP", "HTTPS") and not ctx.need(tg, "health_check_path"):
        return FAIL(f"Target group {name} has an {protocol} health check without a path.", health_check_protocol=protocol)
    path = tg.get("health_check_path")
    where = f" on {path}" if path and str(protocol or "").upper() in ("HTTP", "HTTPS") else ""
    return PASS(f"Target group {name} has {protocol or 'its'} health checks enabled{where}.", health_check_protocol=protocol)


#: ELB publishes RequestCount only while requests flow, so "no datapoints" may mean idle; the
#: check still says ERROR (it cannot tell idle from unmonitored) and tells the reader why.
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
_NO_REQUEST_DATA_HINT = "an ALB publishes RequestCount only while requests flow, so it may be idle"


@check(id="elb.alb_idle", title="Application load balancer has targets and serves requests",
       pillar="cost", severity="medium", resource_type="elbv2.load_balancer", params={"idle_days": 7})
def alb_idle(lb: dict[str, Any], ctx: CheckContext):
    """A load balancer with no targets or no requests is billed every hour for nothing."""
    name, days = lb["name"], ctx.params["idle_days"]
    groups = [tg for tg in ctx.snapshot.require("elbv2.target_group", lb["region"])
              if lb["arn"] in (tg.get("load_balancer_arns") or [])]
    targets = sum(ctx.need(tg, "registered_count") for tg in groups)
    group_names = sorted(tg.get("name") or tg["arn"] for tg in groups)
    if targets:
        requests = daily_values(lb, ctx, REQUESTS_DAILY_SUM, "RequestCount", f"application load balancer {name}",
                                hint=_NO_REQUEST_DATA_HINT)
        total = sum(requests)
        if total > 0:
            return PASS(f"Application load balancer {name} served {total:,.0f} requests over {days} days to "
                        f"{targets} registered target(s).", requests=total, registered_targets=targets)
        message = f"Application load balancer {name} has {targets} registered target(s) but served no request in {days} days."
    elif groups:
        message = f"Application load balancer {name} has no registered target in its target group(s) {', '.join(group_names)}."
    else:
        message = f"Application load balancer {name} forwards to no target group, so it has no registered target."
    costing = Costing(ctx, lb["region"])
    hourly = costing.price("alb_hour")
    costing.note("LCU charges are not counted")
    amount = hourly * HOURS_PER_MONTH if hourly is not None else None
    return cost_fail(message, costing, amount, registered_targets=targets, target_groups=group_names)
