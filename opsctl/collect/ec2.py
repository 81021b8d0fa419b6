"""EC2 collectors: instances, security groups, launch templates, EBS volumes and snapshots,
Elastic IPs, per-region settings, and the facts of the instance types in use.

Several collectors (one per concern) so the runner fetches them concurrently. Every list is
paginated; per-resource detail calls go through `ctx.fill`, so a failed one turns into an
ERROR on that resource's field rather than a silent PASS.

Resource types and their fields (besides `arn`, `region`, `tags` — a flat {key: value} dict —
and `errors`, {field: reason} for fields a failed call could not fill):

ec2.instance
- id — instance id; name — its Name tag (None without one)
- state — pending | running | stopping | stopped | shutting-down | terminated
- instance_type, image_id, launch_time (ISO 8601), availability_zone, subnet_id, vpc_id, tenancy
- security_groups — sorted security group ids
- metadata_http_tokens — "required" (IMDSv2 only) | "optional" | None when not reported
- metadata_http_endpoint — "enabled" | "disabled" | None
- platform — "windows" or "linux" (AWS only reports Platform for Windows)
- platform_details — PlatformDetails (e.g. "Linux/UNIX", "Red Hat Enterprise Linux"), for pricing
- lifecycle — "on-demand", "spot", "scheduled" or "capacity-block"
- asg_name — the Auto Scaling group that launched it (tag aws:autoscaling:groupName) or None

ec2.security_group
- id, name, description, vpc_id
- ingress — list of rules {protocol ("-1" all traffic, else "tcp"/"udp"/"icmp"/"icmpv6" or the
  protocol number), from_port, to_port (None for all traffic), cidr_ipv4 [..], cidr_ipv6 [..],
  prefix_list_ids [..], source_group_ids [..]}

ec2.launch_template
- id, name, default_version, latest_version
- default_version_data — the default version's data (one DescribeLaunchTemplateVersions call
  with Versions=["$Default"]): {version, metadata_http_tokens, metadata_http_endpoint,
  instance_type, image_id, security_group_ids}; a key is None when the version does not set it

ec2.volume
- id, name, size_gb, volume_type (gp2, gp3, io1, io2, st1, sc1, standard), encrypted, kms_key_id
- state — creating | available | in-use | deleting | deleted | error
- attachments — [{instance_id, device, state}]; empty when the volume is unattached
- availability_zone, snapshot_id, create_time (ISO 8601), iops, throughput (None when n/a)

ec2.address
- allocation_id, public_ip, domain ("vpc" or "standard"), name
- association_id, instance_id, network_interface_id — None when the address is unassociated

ec2.snapshot (owned by the account only)
- id, volume_id, volume_size (GiB), start_time (ISO 8601), description, encrypted, state
- created_for_ami — True when the description says CreateImage/CopyImage made it or one of
  the account's AMIs references it (such snapshots live as long as the AMI)

ec2.regional_settings (one per region; arn arn:<partition>:ec2:<region>:<account>:account)
- ebs_encryption_by_default — bool from GetEbsEncryptionByDefault

ec2.instance_type (the types in use in the region: instances not terminated, launch templates'
default versions, Auto Scaling groups' instances, overrides and launch configurations)
- instance_type, vcpus (default vCPUs), current_generation (as AWS reports it), memory_mib
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from opsctl.collect._details import tag_dict
from opsctl.collect.runner import CollectContext, collector

#: describe_instance_types accepts at most 100 names per call.
_INSTANCE_TYPES_PER_CALL = 100

#: Descriptions EC2 gives the snapshots it makes for an AMI: "Created by CreateImage(i-…) for
#: ami-…" and "Copied for DestinationAmi ami-… from SourceAmi ami-…".
_AMI_SNAPSHOT_DESCRIPTION = re.compile(r"^(Created by CreateImage|Copied for DestinationAmi)")

#: Instances on their way out: their type is no longer "in use".
_GONE_STATES = ("shutting-down", "terminated")

#: Protocol numbers EC2 may report instead of names (https://www.iana.org/assignments/protocol-numbers).
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}

#: Params of the Auto Scaling listings this module shares with opsctl.collect.autoscaling:
#: identical arguments make the runner serve both collectors from one memoised call.
ASG_LIST_PARAMS: dict[str, Any] = {}
LAUNCH_CONFIGURATION_LIST_PARAMS: dict[str, Any] = {}


# ----- small normalisers ------------------------------------------------------------------------


def iso(value: Any) -> str | None:
    """botocore datetimes → ISO strings (snapshots must be JSON); other values pass through."""
    return value.isoformat() if isinstance(value, datetime) else value




def _blank_to_none(value: Any) -> Any:
    """moto (and some AWS responses) report an absent association as ""; keep one spelling."""
    return value or None


# ----- launch template data, shared with the Auto Scaling collector -----------------------------
def default_version_params(template_id: str) -> dict[str, Any]:
    """DescribeLaunchTemplateVersions arguments for a template's default version.

    The Auto Scaling collector uses the same arguments, so one call serves both collectors.
    """
    return {"LaunchTemplateId": template_id, "Versions": ["$Default"]}


def version_data(response: dict[str, Any]) -> dict[str, Any]:
    """The fields opsctl reads from one launch template version (raises if there is none)."""
    version = response["LaunchTemplateVersions"][0]
    data = version.get("LaunchTemplateData") or {}
    metadata = data.get("MetadataOptions") or {}
    groups = set(data.get("SecurityGroupIds") or [])
    for interface in data.get("NetworkInterfaces") or []:
        groups.update(interface.get("Groups") or [])
    return {
        "version": version.get("VersionNumber"),
        "metadata_http_tokens": metadata.get("HttpTokens"),
        "metadata_http_endpoint": metadata.get("HttpEndpoint"),
        "instance_type": data.get("InstanceType"),
        "image_id": data.get("ImageId"),
        "security_group_ids": sorted(groups),
    }


def fill_default_version(ctx: CollectContext, resource: dict[str, Any], region: str, template_id: str) -> Any:
    """Set resource["default_version_data"] from the template's default version (or note why not)."""
    return ctx.fill(resource, "default_version_data", "ec2", region, "describe_launch_template_versions",
                    default_version_params(template_id), extract=version_data)


def declared_instance_types(group: dict[str, Any]) -> list[str]:
    """Instance types an Auto Scaling group names itself: its MixedInstancesPolicy overrides."""
    overrides = (((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get("Overrides")) or []
    return sorted({o["InstanceType"] for o in overrides if o.get("InstanceType")})


# ----- instances, launch templates, instance types ----------------------------------------------
def _instance(ctx: CollectContext, region: str, raw: dict[str, Any]) -> dict[str, Any]:
    tags = tag_dict(raw.get("Tags"))
    metadata = raw.get("MetadataOptions") or {}
    placement = raw.get("Placement") or {}
    return {
        "type": "ec2.instance",
        "id": raw["InstanceId"],
        "arn": ctx.arn("ec2", region, f"instance/{raw['InstanceId']}"),
        "region": region,
        "name": tags.get("Name"),
        "state": (raw.get("State") or {}).get("Name"),
        "instance_type": raw.get("InstanceType"),
        "image_id": raw.get("ImageId"),
        "launch_time": iso(raw.get("LaunchTime")),
        "availability_zone": placement.get("AvailabilityZone"),
        "tenancy": placement.get("Tenancy"),
        "subnet_id": raw.get("SubnetId"),
        "vpc_id": raw.get("VpcId"),
        "security_groups": sorted(g["GroupId"] for g in raw.get("SecurityGroups") or []),
        "metadata_http_tokens": metadata.get("HttpTokens"),
        "metadata_http_endpoint": metadata.get("HttpEndpoint"),
        # AWS reports Platform only for Windows; moto also says "Linux/UNIX" for some AMIs.
        "platform": "windows" if str(raw.get("Platform", "")).lower() == "windows" else "linux",
        "platform_details": raw.get("PlatformDetails"),
        "lifecycle": raw.get("InstanceLifecycle") or "on-demand",
        "asg_name": tags.get("aws:autoscaling:groupName"),
        "tags": tags,
    }


def _list_instances(ctx: CollectContext, region: str) -> list[dict[str, Any]] | None:
    reservations = ctx.paginate("ec2", region, "describe_instances", "Reservations", resource_type="ec2.instance")
    if reservations is None:
        return None
    return [_instance(ctx, region, i) for r in reservations for i in r.get("Instances") or []]


def _list_launch_templates(ctx: CollectContext, region: str) -> list[dict[str, Any]] | None:
    raw = ctx.paginate("ec2", region, "describe_launch_templates", "LaunchTemplates", resource_type="ec2.launch_template")
    if raw is None:
        return None
    templates = [
        {
            "type": "ec2.launch_template",
            "id": t["LaunchTemplateId"],
            "name": t.get("LaunchTemplateName"),
            "arn": ctx.arn("ec2", region, f"launch-template/{t['LaunchTemplateId']}"),
            "region": region,
            "default_version": t.get("DefaultVersionNumber"),
            "latest_version": t.get("LatestVersionNumber"),
            "tags": tag_dict(t.get("Tags")),
        }
        for t in raw
    ]
    ctx.map(lambda t: fill_default_version(ctx, t, region, t["id"]), templates)
    return templates


def _group_types(ctx: CollectContext, region: str) -> set[str] | None:
    """Types Auto Scaling groups will launch that no instance or template shows: overrides and
    launch configurations. None when the groups could not be listed."""
    groups = ctx.paginate("autoscaling", region, "describe_auto_scaling_groups", "AutoScalingGroups",
                          ASG_LIST_PARAMS, resource_type="ec2.instance_type")
    if groups is None:
        return None
    types = {t for g in groups for t in declared_instance_types(g)}
    types.update(i["InstanceType"] for g in groups for i in g.get("Instances") or [] if i.get("InstanceType"))
    if any(g.get("LaunchConfigurationName") for g in groups):
        configs = ctx.paginate("autoscaling", region, "describe_launch_configurations", "LaunchConfigurations",
                               LAUNCH_CONFIGURATION_LIST_PARAMS, resource_type="ec2.instance_type")
        if configs is None:
            return None
        used = {g["LaunchConfigurationName"] for g in groups if g.get("LaunchConfigurationName")}
        types.update(c["InstanceType"] for c in configs if c.get("LaunchConfigurationName") in used and c.get("InstanceType"))
    return types


def _list_instance_types(ctx: CollectContext, region: str, in_use: set[str]) -> list[dict[str, Any]] | None:
    names = sorted(in_use)
    found: list[dict[str, Any]] = []
    for start in range(0, len(names), _INSTANCE_TYPES_PER_CALL):
        chunk = names[start:start + _INSTANCE_TYPES_PER_CALL]
        raw = ctx.paginate("ec2", region, "describe_instance_types", "InstanceTypes", {"InstanceTypes": chunk},
                           resource_type="ec2.instance_type")
        if raw is None:
            return None
        found.extend(raw)
    return [
        {
            "type": "ec2.instance_type",
            "instance_type": t["InstanceType"],
            "arn": ctx.arn("ec2", region, f"instance-type/{t['InstanceType']}"),
            "region": region,
            "vcpus": (t.get("VCpuInfo") or {}).get("DefaultVCpus"),
            "memory_mib": (t.get("MemoryInfo") or {}).get("SizeInMiB"),
            "current_generation": t.get("CurrentGeneration"),
            "tags": {},
        }
        for t in sorted(found, key=lambda t: t["InstanceType"])
    ]


@collector("ec2", types=("ec2.instance", "ec2.launch_template", "ec2.instance_type"))
def collect_compute(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """Instances and launch templates, then the instance types either (or a group) uses."""
    out: dict[str, list[dict[str, Any]]] = {}
    instances = _list_instances(ctx, region)
    templates = _list_launch_templates(ctx, region)
    if instances is not None:
        out["ec2.instance"] = instances
    if templates is not None:
        out["ec2.launch_template"] = templates
    if instances is None or templates is None:
        # Without every source the set of types in use is unknown: say so rather than
        # hand the quota and cost checks a partial list.
        ctx.record_listing_gap("ec2", region, "DescribeInstanceTypes", "PrerequisiteFailed",
                               "the instances or launch templates in use could not be listed", "ec2.instance_type")
        return out
    group_types = _group_types(ctx, region)
    if group_types is None:  # the failed Auto Scaling listing already marked the gap
        return out
    in_use = set(group_types)
    in_use.update(i["instance_type"] for i in instances
                  if i.get("instance_type") and i.get("state") not in _GONE_STATES)
    in_use.update(t["default_version_data"]["instance_type"] for t in templates
                  if (t.get("default_version_data") or {}).get("instance_type"))
    types = _list_instance_types(ctx, region, in_use) if in_use else []
    if types is not None:
        out["ec2.instance_type"] = types
    return out


# ----- security groups --------------------------------------------------------------------------
def _rule(raw: dict[str, Any]) -> dict[str, Any]:
    protocol = str(raw.get("IpProtocol", "-1")).lower()
    protocol = _PROTOCOL_NAMES.get(protocol, protocol)
    all_traffic = protocol == "-1"
    return {
        "protocol": protocol,
        "from_port": None if all_traffic else raw.get("FromPort"),
        "to_port": None if all_traffic else raw.get("ToPort"),
        "cidr_ipv4": sorted(r["CidrIp"] for r in raw.get("IpRanges") or [] if r.get("CidrIp")),
        "cidr_ipv6": sorted(r["CidrIpv6"] for r in raw.get("Ipv6Ranges") or [] if r.get("CidrIpv6")),
        "prefix_list_ids": sorted(p["PrefixListId"] for p in raw.get("PrefixListIds") or [] if p.get("PrefixListId")),
        "source_group_ids": sorted(g["GroupId"] for g in raw.get("UserIdGroupPairs") or [] if g.get("GroupId")),
    }


@collector("ec2", types=("ec2.security_group",))
def collect_security_groups(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    raw = ctx.paginate("ec2", region, "describe_security_groups", "SecurityGroups", resource_type="ec2.security_group")
    if raw is None:
        return {}
    groups = [
        {
            "type": "ec2.security_group",
            "id": g["GroupId"],
            "arn": g.get("SecurityGroupArn") or ctx.arn("ec2", region, f"security-group/{g['GroupId']}"),
            "name": g.get("GroupName"),
            "region": region,
            "vpc_id": g.get("VpcId"),
            "description": g.get("Description"),
            "ingress": [_rule(p) for p in g.get("IpPermissions") or []],
            "tags": tag_dict(g.get("Tags")),
        }
        for g in raw
    ]
    return {"ec2.security_group": groups}


# ----- EBS volumes and snapshots, Elastic IPs ---------------------------------------------------
def _volume(ctx: CollectContext, region: str, raw: dict[str, Any]) -> dict[str, Any]:
    tags = tag_dict(raw.get("Tags"))
    return {
        "type": "ec2.volume",
        "id": raw["VolumeId"],
        "arn": ctx.arn("ec2", region, f"volume/{raw['VolumeId']}"),
        "region": region,
        "name": tags.get("Name"),
        "size_gb": raw.get("Size"),
        "volume_type": raw.get("VolumeType"),
        "encrypted": bool(raw.get("Encrypted")),
        "kms_key_id": raw.get("KmsKeyId"),
        "state": raw.get("State"),
        "attachments": [
            {"instance_id": a.get("InstanceId"), "device": a.get("Device"), "state": a.get("State")}
            for a in raw.get("Attachments") or []
        ],
        "availability_zone": raw.get("AvailabilityZone"),
        "snapshot_id": _blank_to_none(raw.get("SnapshotId")),
        "create_time": iso(raw.get("CreateTime")),
        "iops": raw.get("Iops"),
        "throughput": raw.get("Throughput"),
        "tags": tags,
    }


@collector("ec2", types=("ec2.volume",))
def collect_volumes(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    raw = ctx.paginate("ec2", region, "describe_volumes", "Volumes", resource_type="ec2.volume")
    if raw is None:
        return {}
    return {"ec2.volume": [_volume(ctx, region, v) for v in raw]}


@collector("ec2", types=("ec2.address",))
def collect_addresses(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    # DescribeAddresses has no pagination: one call returns every address of the region.
    raw = ctx.paginate("ec2", region, "describe_addresses", "Addresses", resource_type="ec2.address")
    if raw is None:
        return {}
    addresses = []
    for a in raw:
        tags = tag_dict(a.get("Tags"))
        key = a.get("AllocationId") or a.get("PublicIp")
        addresses.append({
            "type": "ec2.address",
            "allocation_id": a.get("AllocationId"),
            "public_ip": a.get("PublicIp"),
            "arn": ctx.arn("ec2", region, f"elastic-ip/{key}"),
            "region": region,
            "name": tags.get("Name"),
            "domain": a.get("Domain"),
            "association_id": _blank_to_none(a.get("AssociationId")),
            "instance_id": _blank_to_none(a.get("InstanceId")),
            "network_interface_id": _blank_to_none(a.get("NetworkInterfaceId")),
            "tags": tags,
        })
    return {"ec2.address": addresses}


def _ami_snapshot_ids(ctx: CollectContext, region: str) -> set[str] | None:
    """Snapshots referenced by the account's own AMIs; None if the AMIs could not be listed."""
    images = ctx.paginate("ec2", region, "describe_images", "Images", {"Owners": ["self"]})
    if images is None:
        return None
    return {
        m["Ebs"]["SnapshotId"]
        for image in images
        for m in image.get("BlockDeviceMappings") or []
        if (m.get("Ebs") or {}).get("SnapshotId")
    }


@collector("ec2", types=("ec2.snapshot",))
def collect_snapshots(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    # OwnerIds=["self"] is what AWS needs. The owner-id filter is redundant on AWS but keeps
    # the call cheap and correct on endpoints that ignore OwnerIds (moto returns ~1,300 public
    # AMI snapshots of other owners without it: 0.4 s per region instead of 5 ms).
    params = {"OwnerIds": ["self"], "Filters": [{"Name": "owner-id", "Values": [ctx.account]}]}
    raw = ctx.paginate("ec2", region, "describe_snapshots", "Snapshots", params, resource_type="ec2.snapshot")
    if raw is None:
        return {}
    owned = [s for s in raw if s.get("OwnerId") in (None, ctx.account)]
    ami_snapshots = _ami_snapshot_ids(ctx, region) if owned else set()
    snapshots = []
    for s in owned:
        tags = tag_dict(s.get("Tags"))
        description = s.get("Description") or ""
        snap = {
            "type": "ec2.snapshot",
            "id": s["SnapshotId"],
            # Snapshot ARNs carry no account id (Service Authorization Reference, Amazon EC2).
            "arn": f"arn:{ctx.partition}:ec2:{region}::snapshot/{s['SnapshotId']}",
            "region": region,
            "name": tags.get("Name"),
            "volume_id": s.get("VolumeId"),
            "volume_size": s.get("VolumeSize"),
            "start_time": iso(s.get("StartTime")),
            "description": description,
            "encrypted": bool(s.get("Encrypted")),
            "state": s.get("State"),
            "tags": tags,
        }
        if _AMI_SNAPSHOT_DESCRIPTION.match(description):
            snap["created_for_ami"] = True
        elif ami_snapshots is None:
            snap["errors"] = {"created_for_ami": ctx.failure_reason("ec2", region, "DescribeImages")}
        else:
            snap["created_for_ami"] = s["SnapshotId"] in ami_snapshots
        snapshots.append(snap)
    return {"ec2.snapshot": snapshots}


# ----- per-region settings ----------------------------------------------------------------------
@collector("ec2", types=("ec2.regional_settings",))
def collect_regional_settings(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    resp = ctx.call("ec2", region, "get_ebs_encryption_by_default", resource_type="ec2.regional_settings")
    if resp is None:
        return {}
    setting = {
        "type": "ec2.regional_settings",
        "arn": f"arn:{ctx.partition}:ec2:{region}:{ctx.account}:account",
        "region": region,
        "ebs_encryption_by_default": bool(resp.get("EbsEncryptionByDefault")),
        "tags": {},
    }
    return {"ec2.regional_settings": [setting]}
