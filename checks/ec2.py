"""EC2 security checks: instance metadata (IMDSv2), internet-facing security group rules and
EBS encryption. The EC2 cost checks (volumes, addresses, snapshots, instance generations,
idle instances) are implemented separately, on the same collected resources.
"""

from __future__ import annotations

from typing import Any

from opsctl.registry import FAIL, PASS, CheckContext, check

#: Sources that mean "the whole internet".
WORLD_IPV4 = "0.0.0.0/0"
WORLD_IPV6 = "::/0"

#: Remote administration: SSH and RDP.
ADMIN_PORTS = (22, 3389)

#: Databases and caches: MySQL, PostgreSQL, SQL Server, Oracle, Redis, Memcached, MongoDB,
#: Elasticsearch/OpenSearch.
DB_PORTS = (3306, 5432, 1433, 1521, 6379, 11211, 27017, 9200)

#: Protocols that carry ports; "-1" is all traffic (every port of every protocol).
_PORT_PROTOCOLS = {"tcp", "udp", "6", "17"}
_ALL_TRAFFIC = {"-1", "all"}


def _label(resource: dict[str, Any]) -> str:
    """`id (name)` — ids are what the console searches by, names what people remember."""
    ident = resource.get("id") or resource.get("arn", "")
    name = resource.get("name")
    return f"{ident} ({name})" if name and name != ident else ident


def rule_covers(rule: dict[str, Any], port: int) -> bool:
    """True when an ingress rule admits `port`: an all-traffic rule, or a TCP/UDP range containing it."""
    protocol = str(rule.get("protocol", "-1")).lower()
    if protocol in _ALL_TRAFFIC:
        return True
    if protocol not in _PORT_PROTOCOLS:
        return False  # ICMP and port-less protocols cannot reach a TCP service
    low, high = rule.get("from_port"), rule.get("to_port")
    if low is None or high is None or low == -1:
        return True  # a port protocol without a range admits every port
    return low <= port <= high


def world_sources(rule: dict[str, Any]) -> list[str]:
    """The internet-wide sources (0.0.0.0/0, ::/0) of an ingress rule."""
    sources = [WORLD_IPV4] if WORLD_IPV4 in (rule.get("cidr_ipv4") or []) else []
    if WORLD_IPV6 in (rule.get("cidr_ipv6") or []):
        sources.append(WORLD_IPV6)
    return sources


def internet_exposures(group: dict[str, Any], ports: tuple[int, ...], ctx: CheckContext) -> list[dict[str, Any]]:
    """One record per (port, rule) that admits the port from 0.0.0.0/0 or ::/0."""
    exposures = []
    for rule in ctx.need(group, "ingress"):
        sources = world_sources(rule)
        if not sources:
            continue
        for port in ports:
            if rule_covers(rule, port):
                exposures.append({"port": port, "protocol": rule.get("protocol"), "from_port": rule.get("from_port"),
                                  "to_port": rule.get("to_port"), "sources": sources})
    return exposures


def _open_ports_outcome(group: dict[str, Any], ctx: CheckContext, ports: tuple[int, ...], kind: str):
    exposures = internet_exposures(group, ports, ctx)
    label = _label(group)
    if not exposures:
        return PASS(f"Security group {label} admits no {kind} port from the internet.")
    open_ports = sorted({e["port"] for e in exposures})
    sources = sorted({s for e in exposures for s in e["sources"]})
    return FAIL(f"Security group {label} admits {kind} port(s) {', '.join(map(str, open_ports))} "
                f"from {' and '.join(sources)}.", open_ports=open_ports, exposures=exposures)


@check(id="ec2.security_group_admin_ports", title="No security group admits SSH or RDP from the internet",
       pillar="security", severity="high", resource_type="ec2.security_group")
def security_group_admin_ports(group: dict[str, Any], ctx: CheckContext):
    """SSH and RDP open to the world are brute-forced within minutes of exposure."""
    return _open_ports_outcome(group, ctx, ADMIN_PORTS, "administration")


@check(id="ec2.security_group_db_ports", title="No security group admits database ports from the internet",
       pillar="security", severity="high", resource_type="ec2.security_group")
def security_group_db_ports(group: dict[str, Any], ctx: CheckContext):
    """An internet-reachable database port puts the orders and users data one password away from theft."""
    return _open_ports_outcome(group, ctx, DB_PORTS, "database")


def _imds_verdict(tokens: str | None, endpoint: str | None) -> tuple[bool, str]:
    """(requires IMDSv2 or has no metadata service at all, description of the setting)."""
    if str(endpoint or "").lower() == "disabled":
        return True, "has the instance metadata endpoint disabled"
    if str(tokens or "").lower() == "required":
        return True, "requires IMDSv2 (HttpTokens required)"
    return False, f"does not require IMDSv2 (HttpTokens {tokens or 'not set, so optional'})"


def _launches_from(group: dict[str, Any], template: dict[str, Any]) -> bool:
    """Whether the group's launch template (direct or mixed instances) is `template`: by id,
    or by name when the group's spec carries only a name."""
    spec = group.get("launch_template") or {}
    if spec.get("id"):
        return spec["id"] == template["id"]
    return bool(spec.get("name")) and spec.get("name") == template.get("name")


@check(id="ec2.launch_template_imdsv2", title="Launch templates used by Auto Scaling groups require IMDSv2",
       pillar="security", severity="medium", resource_type="ec2.launch_template")
def launch_template_imdsv2(template: dict[str, Any], ctx: CheckContext):
    """Every instance a group launches inherits IMDSv1, which an SSRF bug turns into stolen role credentials."""
    groups = ctx.snapshot.require("autoscaling.group", template["region"])
    users = sorted(g["name"] for g in groups if _launches_from(g, template))
    if not users:
        return None  # no group launches from it
    data = ctx.need(template, "default_version_data")
    ok, setting = _imds_verdict(data.get("metadata_http_tokens"), data.get("metadata_http_endpoint"))
    version = data.get("version") or template.get("default_version")
    message = (f"Launch template {_label(template)} default version {version}, used by Auto Scaling group(s) "
               f"{', '.join(users)}, {setting}.")
    evidence = {"groups": users, "metadata_http_tokens": data.get("metadata_http_tokens")}
    return PASS(message, **evidence) if ok else FAIL(message, **evidence)


@check(id="ec2.instance_imdsv2", title="Running instances require IMDSv2",
       pillar="security", severity="medium", resource_type="ec2.instance")
def instance_imdsv2(instance: dict[str, Any], ctx: CheckContext):
    """IMDSv1 lets a server-side request forgery read the instance role's credentials."""
    if ctx.need(instance, "state") != "running":
        return None
    tokens = ctx.need(instance, "metadata_http_tokens")
    ok, setting = _imds_verdict(tokens, instance.get("metadata_http_endpoint"))
    message = f"Instance {_label(instance)} {setting}."
    return PASS(message, metadata_http_tokens=tokens) if ok else FAIL(message, metadata_http_tokens=tokens)


@check(id="ec2.ebs_encryption_by_default", title="EBS encryption by default is on",
       pillar="security", severity="medium", resource_type="ec2.regional_settings")
def ebs_encryption_by_default(settings: dict[str, Any], ctx: CheckContext):
    """With the default on, no new volume or snapshot in the region can be left unencrypted by mistake."""
    region = settings["region"]
    if ctx.need(settings, "ebs_encryption_by_default"):
        return PASS(f"Region {region} has EBS encryption by default on.")
    return FAIL(f"Region {region} has EBS encryption by default off.")


@check(id="ec2.volume_encrypted", title="EBS volume is encrypted",
       pillar="security", severity="medium", resource_type="ec2.volume")
def volume_encrypted(volume: dict[str, Any], ctx: CheckContext):
    """An unencrypted volume exposes its data through snapshots shared or copied by mistake."""
    if ctx.need(volume, "encrypted"):
        return PASS(f"EBS volume {_label(volume)} is encrypted.")
    attached = [a.get("instance_id") for a in volume.get("attachments") or [] if a.get("instance_id")]
    where = f", attached to {', '.join(attached)}," if attached else ""
    return FAIL(f"EBS volume {_label(volume)}{where} is not encrypted.", attached_to=attached)
