"""EC2 checks: instance metadata (IMDSv2), internet-facing security group rules and EBS
encryption (security), then the cost checks — unattached and gp2 volumes, idle Elastic IPs, old
snapshots, previous-generation and idle instances — whose FAILs carry a monthly saving priced
from the price table (checks/_cost.py applies the no-guess and no-data rules).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opsctl.checks._cost import CPU_DAILY_AVG, HOURS_PER_MONTH, Costing, cost_fail, daily_values, parse_time

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


# ----- cost ------------------------------------------------------------------------------------
#: Volume states in which a volume is not (or no longer) a standing cost to judge.
_TRANSIENT_VOLUME_STATES = ("creating", "deleting", "deleted")

#: gp2 volumes above this size have a baseline above gp3's 125 MiB/s (and above 1,000 GiB, more
#: than gp3's 3,000 IOPS): https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html
_GP2_BASELINE_ABOVE_GP3_GIB = 170

#: Previous-generation families (CATALOGUE.md: "t2, m3, m4, c3, c4, r3, r4, i2, d2, g2, p2, x1 and
#: older"), the older ones from https://aws.amazon.com/ec2/previous-generation/.
PREVIOUS_GENERATION_FAMILIES = frozenset({
    "t2", "m3", "m4", "c3", "c4", "r3", "r4", "i2", "d2", "g2", "p2", "x1",
    "t1", "m1", "m2", "c1", "cc1", "cc2", "cg1", "cr1", "hi1", "hs1",
})

#: Like-for-like current-generation replacement (same size name, same vCPUs, as much or more
#: memory, x86, no instance storage). Families without an entry get no savings figure.
CURRENT_EQUIVALENT = {"t2": "t3", "m3": "m5", "m4": "m5", "c3": "c5", "c4": "c5", "r3": "r5", "r4": "r5"}

#: Instance states in which compute is billed.
_BILLED_STATES = ("pending", "running")


def _linux_on_demand_blocker(instance: dict[str, Any]) -> str | None:
    """Why the table's Linux on-demand shared-tenancy price does not apply, or None."""
    lifecycle = instance.get("lifecycle") or "on-demand"
    if lifecycle != "on-demand":
        return f"the instance is a {lifecycle} instance and the price table holds on-demand prices only"
    details = instance.get("platform_details")
    if details and details != "Linux/UNIX":
        return f"the instance runs {details} and the price table holds Linux/UNIX prices only"
    if not details and instance.get("platform") == "windows":
        return "the instance runs Windows and the price table holds Linux/UNIX prices only"
    tenancy = instance.get("tenancy") or "default"
    if tenancy != "default":
        return f"the instance has {tenancy} tenancy and the price table holds shared-tenancy prices only"
    return None


@check(id="ec2.volume_unattached", title="EBS volume is attached to an instance",
       pillar="cost", severity="medium", resource_type="ec2.volume")
def volume_unattached(volume: dict[str, Any], ctx: CheckContext):
    """An unattached volume is billed every month for storage nothing reads."""
    if volume.get("state") in _TRANSIENT_VOLUME_STATES:
        return None
    attached = sorted(a.get("instance_id") for a in ctx.need(volume, "attachments") if a.get("instance_id"))
    if attached:
        return PASS(f"EBS volume {_label(volume)} is attached to {', '.join(attached)}.", attached_to=attached)
    size, vtype = ctx.need(volume, "size_gb"), ctx.need(volume, "volume_type")
    costing = Costing(ctx, volume["region"])
    per_gb = costing.price("ebs_gb_month", vtype)
    if vtype in ("io1", "io2") or (vtype == "gp3" and ((volume.get("iops") or 0) > 3000 or (volume.get("throughput") or 0) > 125)):
        costing.note("provisioned IOPS and throughput are billed on top and not counted, so the saving is a lower bound")
    amount = size * per_gb if per_gb is not None else None
    return cost_fail(f"EBS volume {_label(volume)}, {size} GiB of {vtype}, is not attached to any instance.", costing, amount,
                     size_gb=size, volume_type=vtype)


@check(id="ec2.volume_gp2", title="EBS volume uses gp3 rather than gp2",
       pillar="cost", severity="low", resource_type="ec2.volume")
def volume_gp2(volume: dict[str, Any], ctx: CheckContext):
    """gp3 costs 20% less per GB than gp2 and gives 3,000 IOPS whatever the size; the change is online."""
    if volume.get("state") in _TRANSIENT_VOLUME_STATES:
        return None
    vtype = ctx.need(volume, "volume_type")
    if vtype != "gp2":
        return PASS(f"EBS volume {_label(volume)} is {vtype}, not gp2.", volume_type=vtype)
    size = ctx.need(volume, "size_gb")
    costing = Costing(ctx, volume["region"])
    gp2, gp3 = costing.price("ebs_gb_month", "gp2"), costing.price("ebs_gb_month", "gp3")
    if size > _GP2_BASELINE_ABOVE_GP3_GIB:
        costing.note(f"a gp2 volume of {size} GiB has a baseline above gp3's 125 MiB/s or 3,000 IOPS; matching it on "
                     "gp3 costs extra, so the saving is an upper bound")
    amount = size * (gp2 - gp3) if gp2 is not None and gp3 is not None else None
    return cost_fail(f"EBS volume {_label(volume)} is gp2 ({size} GiB); gp3 costs less per GB.", costing, amount,
                     size_gb=size, volume_type=vtype)


def _address_label(address: dict[str, Any]) -> str:
    ident = address.get("public_ip") or address.get("allocation_id") or address.get("arn", "")
    name = address.get("name")
    return f"{ident} ({name})" if name else ident


@check(id="ec2.eip_unassociated", title="Elastic IP address is associated",
       pillar="cost", severity="low", resource_type="ec2.address")
def eip_unassociated(address: dict[str, Any], ctx: CheckContext):
    """An Elastic IP that is not in use is billed every hour (public IPv4 charge since February 2024)."""
    if ctx.need(address, "association_id"):
        target = address.get("instance_id") or address.get("network_interface_id") or "a network interface"
        return PASS(f"Elastic IP {_address_label(address)} is associated with {target}.")
    costing = Costing(ctx, address["region"])
    hourly = costing.price("eip_idle_hour")
    amount = hourly * HOURS_PER_MONTH if hourly is not None else None
    return cost_fail(f"Elastic IP {_address_label(address)} is not associated with any instance or network interface.",
                     costing, amount, allocation_id=address.get("allocation_id"), public_ip=address.get("public_ip"))


@check(id="ec2.snapshot_old", title="EBS snapshot is younger than the retention limit",
       pillar="cost", severity="low", resource_type="ec2.snapshot", params={"max_snapshot_age_days": 90})
def snapshot_old(snapshot: dict[str, Any], ctx: CheckContext):
    """Manual snapshots outlive the volumes they protected and are billed until someone deletes them."""
    if ctx.need(snapshot, "created_for_ami"):
        return None  # lives and dies with its AMI
    started = ctx.need(snapshot, "start_time")
    if not started:
        return None  # still being created
    limit = ctx.params["max_snapshot_age_days"]
    age = (parse_time(ctx.snapshot.taken_at) - parse_time(started)) / timedelta(days=1)
    days = int(age)
    source = snapshot.get("volume_id") or "an unknown volume"
    if age < limit:
        return PASS(f"EBS snapshot {_label(snapshot)} of {source} is {days} days old, younger than {limit} days.",
                    age_days=days)
    size = ctx.need(snapshot, "volume_size")
    costing = Costing(ctx, snapshot["region"])
    per_gb = costing.price("ebs_snapshot_gb_month", "standard")
    costing.note("snapshots are incremental and billed for the blocks they alone hold, so the full volume size is an "
                 "upper bound of the saving")
    amount = size * per_gb if per_gb is not None else None
    return cost_fail(f"EBS snapshot {_label(snapshot)} of {source} is {days} days old; the limit is {limit} days.",
                     costing, amount, age_days=days, volume_size_gb=size, start_time=started)


@check(id="ec2.instance_previous_generation", title="EC2 instance runs a current-generation type",
       pillar="cost", severity="low", resource_type="ec2.instance")
def instance_previous_generation(instance: dict[str, Any], ctx: CheckContext):
    """Current-generation types give more performance per dollar; previous ones cost more and lose capacity first."""
    if ctx.need(instance, "state") not in _BILLED_STATES:
        return None
    itype = ctx.need(instance, "instance_type")
    family, _, size = str(itype).partition(".")
    if family not in PREVIOUS_GENERATION_FAMILIES:
        return PASS(f"EC2 instance {_label(instance)} runs {itype}, a current-generation type.", instance_type=itype)
    costing = Costing(ctx, instance["region"])
    target = CURRENT_EQUIVALENT.get(family)
    suggested = f"{target}.{size}" if target else None
    blocker = _linux_on_demand_blocker(instance)
    amount = None
    if suggested is None:
        costing.unpriced(f"opsctl names no like-for-like current-generation type for {family}, so no saving is estimated")
    elif blocker:
        costing.unpriced(blocker)
    else:
        old, new = costing.price("ec2_linux_hour", itype), costing.price("ec2_linux_hour", suggested)
        if old is not None and new is not None:
            amount = (old - new) * HOURS_PER_MONTH
    hint = f"; {suggested} is its current-generation equivalent" if suggested else ""
    return cost_fail(f"EC2 instance {_label(instance)} runs {itype}, a previous-generation type{hint}.", costing, amount,
                     instance_type=itype, family=family, suggested_type=suggested)


@check(id="ec2.instance_idle", title="Running EC2 instance is not idle",
       pillar="cost", severity="medium", resource_type="ec2.instance", params={"idle_days": 14, "idle_cpu_percent": 5})
def instance_idle(instance: dict[str, Any], ctx: CheckContext):
    """An instance whose CPU never rises is paid for by the hour to do nothing: stop it or downsize it."""
    if ctx.need(instance, "state") != "running":
        return None
    days, threshold = ctx.params["idle_days"], ctx.params["idle_cpu_percent"]
    averages = daily_values(instance, ctx, CPU_DAILY_AVG, "CPUUtilization", f"EC2 instance {_label(instance)}")
    peak = max(averages)
    if peak >= threshold:
        return PASS(f"EC2 instance {_label(instance)} reached a daily average CPU of {peak:.1f}% over {days} days, "
                    f"at or above {threshold}%.", max_daily_avg_cpu=round(peak, 2), days_with_data=len(averages))
    itype = ctx.need(instance, "instance_type")
    costing = Costing(ctx, instance["region"])
    blocker = _linux_on_demand_blocker(instance)
    hourly = None
    if blocker:
        costing.unpriced(blocker)
    else:
        hourly = costing.price("ec2_linux_hour", itype)
    amount = hourly * HOURS_PER_MONTH if hourly is not None else None
    return cost_fail(f"EC2 instance {_label(instance)}, a {itype}, is idle: its busiest day averaged {peak:.1f}% CPU over "
                     f"{days} days, below {threshold}%.", costing, amount, instance_type=itype,
                     max_daily_avg_cpu=round(peak, 2), days_with_data=len(averages))
