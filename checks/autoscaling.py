"""Auto Scaling group checks: zones, capacity floor, health checks, scaling and headroom."""

from __future__ import annotations

from typing import Any

from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, check

#: A headroom comparison of integers against a float ratio: 0.8 × 5 must count as 4.
_EPSILON = 1e-9


@check(id="autoscaling.group_multi_az", title="Auto Scaling group spans several availability zones",
       pillar="availability", severity="high", resource_type="autoscaling.group", params={"min_azs": 2})
def group_multi_az(group: dict[str, Any], ctx: CheckContext):
    """A group confined to one zone loses every API instance when that zone fails."""
    zones = ctx.need(group, "availability_zones")
    wanted = ctx.params["min_azs"]
    if len(zones) >= wanted:
        return PASS(f"Auto Scaling group {group['name']} spans {len(zones)} availability zones.", zones=zones)
    return FAIL(f"Auto Scaling group {group['name']} spans {len(zones)} availability zone(s), fewer than {wanted}.",
                zones=zones, min_azs=wanted)


@check(id="autoscaling.group_min_capacity", title="Auto Scaling group keeps a redundant minimum capacity",
       pillar="availability", severity="medium", resource_type="autoscaling.group", params={"min_instances": 2})
def group_min_capacity(group: dict[str, Any], ctx: CheckContext):
    """A minimum of one instance means any instance failure is an outage until a replacement boots."""
    min_size = ctx.need(group, "min_size")
    wanted = ctx.params["min_instances"]
    if min_size >= wanted:
        return PASS(f"Auto Scaling group {group['name']} has MinSize {min_size}, at least {wanted}.", min_size=min_size)
    return FAIL(f"Auto Scaling group {group['name']} has MinSize {min_size}, below {wanted}.",
                min_size=min_size, min_instances=wanted)


@check(id="autoscaling.group_elb_health_check", title="Auto Scaling group behind a load balancer uses ELB health checks",
       pillar="availability", severity="medium", resource_type="autoscaling.group")
def group_elb_health_check(group: dict[str, Any], ctx: CheckContext):
    """With EC2 health checks, an instance whose app is failing stays in service as long as it boots."""
    target_groups = ctx.need(group, "target_group_arns")
    classic = ctx.need(group, "load_balancer_names")
    if not target_groups and not classic:
        return None  # not behind a load balancer: EC2 health checks are all it has
    health_check = ctx.need(group, "health_check_type") or ""
    attached = len(target_groups) + len(classic)
    if "ELB" in health_check.upper().split(","):
        return PASS(f"Auto Scaling group {group['name']} uses ELB health checks for its {attached} load balancer attachment(s).")
    return FAIL(f"Auto Scaling group {group['name']} is attached to {attached} load balancer target(s) "
                f"but uses {health_check or 'no'} health checks instead of ELB.", health_check_type=health_check)


def _count(group: dict[str, Any], ctx: CheckContext, field: str) -> tuple[int | None, MissingData | None]:
    try:
        value = ctx.need(group, field)
    except MissingData as missing:
        return None, missing
    return (len(value) if isinstance(value, list) else int(value)), None


@check(id="autoscaling.group_scaling_policy", title="Auto Scaling group has a scaling policy or scheduled action",
       pillar="scalability", severity="medium", resource_type="autoscaling.group")
def group_scaling_policy(group: dict[str, Any], ctx: CheckContext):
    """A group with no policy never grows for a traffic spike (a product launch, a sale)."""
    policies, policies_missing = _count(group, ctx, "scaling_policies")
    scheduled, scheduled_missing = _count(group, ctx, "scheduled_action_count")
    if policies or scheduled:  # one seen policy or action is enough, even if the other list failed
        return PASS(f"Auto Scaling group {group['name']} has {policies or 0} scaling policy(ies) "
                    f"and {scheduled or 0} scheduled action(s).", scaling_policies=policies, scheduled_actions=scheduled)
    if policies_missing or scheduled_missing:
        raise policies_missing or scheduled_missing  # type: ignore[misc]
    return FAIL(f"Auto Scaling group {group['name']} has no scaling policy and no scheduled action.")


@check(id="autoscaling.group_headroom", title="Auto Scaling group has room to scale out",
       pillar="scalability", severity="medium", resource_type="autoscaling.group", params={"max_desired_ratio": 0.8})
def group_headroom(group: dict[str, Any], ctx: CheckContext):
    """A group already near MaxSize cannot absorb the next spike."""
    desired = ctx.need(group, "desired_capacity")
    maximum = ctx.need(group, "max_size")
    ratio = ctx.params["max_desired_ratio"]
    limit = ratio * maximum
    if desired <= limit + _EPSILON:
        return PASS(f"Auto Scaling group {group['name']} runs {desired} of at most {maximum} instances.",
                    desired_capacity=desired, max_size=maximum)
    return FAIL(f"Auto Scaling group {group['name']} runs {desired} of at most {maximum} instances, "
                f"above {ratio:.0%} of MaxSize.", desired_capacity=desired, max_size=maximum, max_desired_ratio=ratio)
