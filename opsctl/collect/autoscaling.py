"""Auto Scaling collector: groups with their scaling policies, scheduled actions and the
instance types they launch.

Policies and scheduled actions are fetched once per region (one paginated call each) and
grouped by group name, not per group: a region with 200 groups costs 3 listings, not 400
calls. A failed policy or schedule listing is noted on every group's field, so the scaling
check reports ERROR instead of a false FAIL.

autoscaling.group fields (besides `arn`, `region`, `tags` — flat {key: value} — and `errors`):
- name, status (None unless the group is being deleted)
- availability_zones — sorted zone names; subnet_ids — sorted VPCZoneIdentifier subnets
- min_size, max_size, desired_capacity
- instance_count, instance_ids (sorted)
- health_check_type — "EC2" | "ELB" (or AWS's newer combined values); health_check_grace_period
- target_group_arns, load_balancer_names — sorted attachments (ALB/NLB target groups, Classic LBs)
- launch_template — {id, name, version} from LaunchTemplate or MixedInstancesPolicy, else None
- mixed_instances_policy — True when the group uses a MixedInstancesPolicy
- launch_configuration_name — the legacy launch configuration, else None
- instance_types — sorted types the group launches: MixedInstancesPolicy overrides, else the
  launch template's default version (when the group launches "$Default" or that version
  number) or the launch configuration's type, plus the types of its current instances
- scaling_policies — [{name, type, enabled}] (DescribePolicies)
- scheduled_actions — sorted names of its scheduled actions; scheduled_action_count
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from opsctl.collect._details import tag_dict
from opsctl.collect.ec2 import (
    ASG_LIST_PARAMS,
    LAUNCH_CONFIGURATION_LIST_PARAMS,
    declared_instance_types,
    fill_default_version,
)
from opsctl.collect.runner import CollectContext, collector


def _launch_template(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The group's launch template spec, whether set directly or inside a MixedInstancesPolicy."""
    spec = raw.get("LaunchTemplate") or (
        ((raw.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
    )
    if not spec:
        return None
    return {"id": spec.get("LaunchTemplateId"), "name": spec.get("LaunchTemplateName"), "version": spec.get("Version")}


def _group(raw: dict[str, Any], region: str) -> dict[str, Any]:
    subnets = [s for s in (raw.get("VPCZoneIdentifier") or "").split(",") if s]
    instances = raw.get("Instances") or []
    return {
        "type": "autoscaling.group",
        "name": raw["AutoScalingGroupName"],
        "arn": raw["AutoScalingGroupARN"],
        "region": region,
        "status": raw.get("Status"),
        "availability_zones": sorted(raw.get("AvailabilityZones") or []),
        "subnet_ids": sorted(subnets),
        "min_size": raw.get("MinSize"),
        "max_size": raw.get("MaxSize"),
        "desired_capacity": raw.get("DesiredCapacity"),
        "instance_count": len(instances),
        "instance_ids": sorted(i["InstanceId"] for i in instances),
        "health_check_type": raw.get("HealthCheckType"),
        "health_check_grace_period": raw.get("HealthCheckGracePeriod"),
        "target_group_arns": sorted(raw.get("TargetGroupARNs") or []),
        "load_balancer_names": sorted(raw.get("LoadBalancerNames") or []),
        "launch_template": _launch_template(raw),
        "mixed_instances_policy": "MixedInstancesPolicy" in raw,
        "launch_configuration_name": raw.get("LaunchConfigurationName"),
        "tags": tag_dict(raw.get("Tags")),
    }


def _template_types(ctx: CollectContext, region: str, groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Default-version data of each launch template the groups use, by template id.

    A holder dict per template receives the data or the failure reason (ctx.fill); the
    ec2 collector asks for the same versions with the same arguments, so they are fetched once.
    """
    ids = sorted({g["launch_template"]["id"] for g in groups if g["launch_template"] and g["launch_template"]["id"]})
    holders = {
        i: {"type": "ec2.launch_template", "arn": ctx.arn("ec2", region, f"launch-template/{i}")} for i in ids
    }
    ctx.map(lambda i: fill_default_version(ctx, holders[i], region, i), ids)
    return holders


def _launch_configuration_types(ctx: CollectContext, region: str, groups: list[dict[str, Any]]) -> dict[str, str] | None:
    if not any(g["launch_configuration_name"] for g in groups):
        return {}
    configs = ctx.paginate("autoscaling", region, "describe_launch_configurations", "LaunchConfigurations",
                           LAUNCH_CONFIGURATION_LIST_PARAMS)
    if configs is None:
        return None
    return {c["LaunchConfigurationName"]: c.get("InstanceType") for c in configs}


def _set_instance_types(group: dict[str, Any], raw: dict[str, Any], templates: dict[str, dict[str, Any]],
                        configs: dict[str, str] | None, configs_reason: str) -> None:
    """instance_types = declared overrides, else the template/configuration type, plus live instances."""
    types = set(declared_instance_types(raw))
    types.update(i["InstanceType"] for i in raw.get("Instances") or [] if i.get("InstanceType"))
    spec = group["launch_template"]
    if not declared_instance_types(raw) and spec and spec["id"] in templates:
        holder = templates[spec["id"]]
        data = holder.get("default_version_data")
        if data is None and "default_version_data" in (holder.get("errors") or {}):
            group.setdefault("errors", {})["instance_types"] = holder["errors"]["default_version_data"]
        elif data and spec["version"] in ("$Default", str(data.get("version"))) and data.get("instance_type"):
            types.add(data["instance_type"])
    name = group["launch_configuration_name"]
    if name:
        if configs is None:
            group.setdefault("errors", {})["instance_types"] = configs_reason
        elif configs.get(name):
            types.add(configs[name])
    group["instance_types"] = sorted(types)


def _by_group(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        grouped[item.get("AutoScalingGroupName", "")].append(item)
    return grouped


def _set_policies(ctx: CollectContext, region: str, groups: list[dict[str, Any]]) -> None:
    policies = ctx.paginate("autoscaling", region, "describe_policies", "ScalingPolicies")
    if policies is None:
        reason = ctx.failure_reason("autoscaling", region, "DescribePolicies")
        for g in groups:
            g.setdefault("errors", {})["scaling_policies"] = reason
        return
    grouped = _by_group(policies)
    for g in groups:
        g["scaling_policies"] = sorted(
            ({"name": p.get("PolicyName"), "type": p.get("PolicyType"), "enabled": p.get("Enabled", True)}
             for p in grouped.get(g["name"], [])),
            key=lambda p: p["name"] or "",
        )


def _set_scheduled_actions(ctx: CollectContext, region: str, groups: list[dict[str, Any]]) -> None:
    actions = ctx.paginate("autoscaling", region, "describe_scheduled_actions", "ScheduledUpdateGroupActions")
    if actions is None:
        reason = ctx.failure_reason("autoscaling", region, "DescribeScheduledActions")
        for g in groups:
            errors = g.setdefault("errors", {})
            errors["scheduled_actions"] = errors["scheduled_action_count"] = reason
        return
    grouped = _by_group(actions)
    for g in groups:
        names = sorted(a.get("ScheduledActionName", "") for a in grouped.get(g["name"], []))
        g["scheduled_actions"] = names
        g["scheduled_action_count"] = len(names)


@collector("autoscaling", types=("autoscaling.group",))
def collect_groups(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    raw_groups = ctx.paginate("autoscaling", region, "describe_auto_scaling_groups", "AutoScalingGroups",
                              ASG_LIST_PARAMS, resource_type="autoscaling.group")
    if raw_groups is None:
        return {}
    groups = [_group(raw, region) for raw in raw_groups]
    if not groups:
        return {"autoscaling.group": []}
    templates = _template_types(ctx, region, groups)
    configs = _launch_configuration_types(ctx, region, groups)
    configs_reason = "" if configs is not None else ctx.failure_reason("autoscaling", region, "DescribeLaunchConfigurations")
    for group, raw in zip(groups, raw_groups, strict=True):
        _set_instance_types(group, raw, templates, configs, configs_reason)
    _set_policies(ctx, region, groups)
    _set_scheduled_actions(ctx, region, groups)
    return {"autoscaling.group": groups}
