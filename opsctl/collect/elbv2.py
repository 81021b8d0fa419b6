"""Elastic Load Balancing v2 collector: application load balancers (with listeners and
attributes) and target groups (with health checks and target health).

Network and gateway load balancers are listed by the same call but left out: every ELB check
is about ALBs. Target groups of every kind are kept (their health check settings matter
whichever load balancer uses them). Tags come from DescribeTags in batches of 20 ARNs, the
API's limit, shared by load balancers and target groups.

elbv2.load_balancer fields (besides `arn`, `region`, `tags` — flat {key: value} — and `errors`):
- name, dns_name, scheme ("internet-facing" | "internal"), vpc_id, state, ip_address_type
- availability_zones — sorted zone names the load balancer has subnets in
- security_groups — sorted security group ids
- attributes — every DescribeLoadBalancerAttributes key with its string value, plus normalised
  keys: deletion_protection_enabled, access_logs_enabled, drop_invalid_header_fields_enabled
  (bools; a key AWS omits counts as its documented default, false), access_logs_bucket
  (str or None), idle_timeout (seconds as int, None when not reported)
- listeners — sorted by port: [{arn, port, protocol, ssl_policy (HTTPS/TLS listeners only, else
  None), certificate_arns, default_actions: [{type, redirect_protocol (redirect actions:
  "HTTPS", "HTTP" or "#{protocol}"; else None), target_group_arns}]}]

elbv2.target_group fields:
- name, protocol, port, target_type (instance | ip | lambda | alb), vpc_id
- load_balancer_arns — sorted, de-duplicated
- health_check_enabled, health_check_protocol, health_check_path, health_check_port
- targets — [{id, port, state}] from DescribeTargetHealth
- healthy_count, unhealthy_count, registered_count — counts of those targets
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import tag_dict
from opsctl.collect.runner import CollectContext, collector

#: DescribeTags accepts at most 20 resource ARNs per call.
_TAG_BATCH = 20

#: Normalised attribute name → (AWS key, default when AWS omits the key).
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes
_BOOL_ATTRIBUTES = {
    "deletion_protection_enabled": "deletion_protection.enabled",
    "access_logs_enabled": "access_logs.s3.enabled",
    "drop_invalid_header_fields_enabled": "routing.http.drop_invalid_header_fields.enabled",
}


def _attributes(response: dict[str, Any]) -> dict[str, Any]:
    raw = {a["Key"]: a.get("Value", "") for a in response["Attributes"]}
    out: dict[str, Any] = dict(sorted(raw.items()))
    for name, key in _BOOL_ATTRIBUTES.items():
        out[name] = str(raw.get(key, "false")).lower() == "true"
    out["access_logs_bucket"] = raw.get("access_logs.s3.bucket") or None
    timeout = raw.get("idle_timeout.timeout_seconds")
    out["idle_timeout"] = int(timeout) if timeout not in (None, "") else None
    return out


def _action(raw: dict[str, Any]) -> dict[str, Any]:
    groups = {raw["TargetGroupArn"]} if raw.get("TargetGroupArn") else set()
    groups.update(g["TargetGroupArn"] for g in (raw.get("ForwardConfig") or {}).get("TargetGroups") or [] if g.get("TargetGroupArn"))
    return {
        "type": raw.get("Type"),
        "redirect_protocol": (raw.get("RedirectConfig") or {}).get("Protocol"),
        "target_group_arns": sorted(groups),
    }


def _listener(raw: dict[str, Any]) -> dict[str, Any]:
    protocol = raw.get("Protocol")
    actions = sorted(raw.get("DefaultActions") or [], key=lambda a: a.get("Order", 0))
    return {
        "arn": raw["ListenerArn"],
        "port": raw.get("Port"),
        "protocol": protocol,
        # Only TLS-terminating listeners have a security policy (moto reports one on HTTP too).
        "ssl_policy": raw.get("SslPolicy") if protocol in ("HTTPS", "TLS") else None,
        "certificate_arns": sorted(c["CertificateArn"] for c in raw.get("Certificates") or [] if c.get("CertificateArn")),
        "default_actions": [_action(a) for a in actions],
    }


def _load_balancer(raw: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "type": "elbv2.load_balancer",
        "name": raw["LoadBalancerName"],
        "arn": raw["LoadBalancerArn"],
        "region": region,
        "dns_name": raw.get("DNSName"),
        "scheme": raw.get("Scheme"),
        "vpc_id": raw.get("VpcId"),
        "state": (raw.get("State") or {}).get("Code"),
        "ip_address_type": raw.get("IpAddressType"),
        "availability_zones": sorted(z["ZoneName"] for z in raw.get("AvailabilityZones") or [] if z.get("ZoneName")),
        "security_groups": sorted(raw.get("SecurityGroups") or []),
    }


def _target_group(raw: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "type": "elbv2.target_group",
        "name": raw["TargetGroupName"],
        "arn": raw["TargetGroupArn"],
        "region": region,
        "protocol": raw.get("Protocol"),
        "port": raw.get("Port"),
        "target_type": raw.get("TargetType"),
        "vpc_id": raw.get("VpcId"),
        "load_balancer_arns": sorted(set(raw.get("LoadBalancerArns") or [])),
        "health_check_enabled": raw.get("HealthCheckEnabled"),
        "health_check_protocol": raw.get("HealthCheckProtocol"),
        "health_check_path": raw.get("HealthCheckPath"),
        "health_check_port": raw.get("HealthCheckPort"),
    }


def _fill_listeners(ctx: CollectContext, region: str, lb: dict[str, Any]) -> None:
    raw = ctx.paginate("elbv2", region, "describe_listeners", "Listeners", {"LoadBalancerArn": lb["arn"]},
                       resource_type="elbv2.load_balancer", resource_id=lb["arn"])
    if raw is None:
        lb.setdefault("errors", {})["listeners"] = ctx.failure_reason("elbv2", region, "DescribeListeners", lb["arn"])
        return
    lb["listeners"] = sorted((_listener(x) for x in raw), key=lambda x: (x["port"] or 0, x["arn"]))


def _fill_load_balancer(ctx: CollectContext, region: str, lb: dict[str, Any]) -> None:
    _fill_listeners(ctx, region, lb)
    ctx.fill(lb, "attributes", "elbv2", region, "describe_load_balancer_attributes", {"LoadBalancerArn": lb["arn"]},
             extract=_attributes)


def _targets(response: dict[str, Any]) -> list[dict[str, Any]]:
    targets = [
        {"id": d["Target"]["Id"], "port": d["Target"].get("Port"), "state": (d.get("TargetHealth") or {}).get("State")}
        for d in response["TargetHealthDescriptions"]
    ]
    return sorted(targets, key=lambda t: (t["id"], t["port"] or 0))


def _fill_target_health(ctx: CollectContext, region: str, tg: dict[str, Any]) -> None:
    targets = ctx.fill(tg, "targets", "elbv2", region, "describe_target_health", {"TargetGroupArn": tg["arn"]},
                       extract=_targets)
    counts = ("healthy_count", "unhealthy_count", "registered_count")
    if targets is None:
        reason = tg["errors"]["targets"]
        for name in counts:
            tg["errors"][name] = reason
        return
    tg["healthy_count"] = sum(1 for t in targets if t["state"] == "healthy")
    tg["unhealthy_count"] = sum(1 for t in targets if t["state"] == "unhealthy")
    tg["registered_count"] = len(targets)


def _tag_batch(ctx: CollectContext, region: str, batch: list[dict[str, Any]]) -> None:
    """Tags of up to 20 resources in one call; a failure marks `tags` on each of them."""
    holder: dict[str, Any] = {"type": "", "arn": batch[0]["arn"]}
    tags = ctx.fill(holder, "tags", "elbv2", region, "describe_tags", {"ResourceArns": [r["arn"] for r in batch]},
                    extract=lambda resp: {d["ResourceArn"]: tag_dict(d.get("Tags")) for d in resp["TagDescriptions"]})
    for resource in batch:
        if tags is None:
            resource.setdefault("errors", {})["tags"] = holder["errors"]["tags"]
        else:
            resource["tags"] = tags.get(resource["arn"], {})


@collector("elbv2", types=("elbv2.load_balancer", "elbv2.target_group"))
def collect_load_balancing(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    raw_lbs = ctx.paginate("elbv2", region, "describe_load_balancers", "LoadBalancers", resource_type="elbv2.load_balancer")
    raw_tgs = ctx.paginate("elbv2", region, "describe_target_groups", "TargetGroups", resource_type="elbv2.target_group")
    lbs = [_load_balancer(r, region) for r in raw_lbs or [] if r.get("Type", "application") == "application"]
    tgs = [_target_group(r, region) for r in raw_tgs or []]
    resources = lbs + tgs
    batches = [resources[i:i + _TAG_BATCH] for i in range(0, len(resources), _TAG_BATCH)]
    ctx.map(lambda task: task(),
            [lambda lb=lb: _fill_load_balancer(ctx, region, lb) for lb in lbs]
            + [lambda tg=tg: _fill_target_health(ctx, region, tg) for tg in tgs]
            + [lambda b=b: _tag_batch(ctx, region, b) for b in batches])
    if raw_lbs is not None:
        out["elbv2.load_balancer"] = lbs
    if raw_tgs is not None:
        out["elbv2.target_group"] = tgs
    return out
