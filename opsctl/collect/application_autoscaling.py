"""Collect Application Auto Scaling targets of DynamoDB (resource type
``applicationautoscaling.scalable_target``).

DynamoDB provisioned capacity scales only through Application Auto Scaling, so the
dynamodb.table_capacity_mode check needs these targets. Two paginated calls per region, both
restricted to the ``dynamodb`` namespace: DescribeScalableTargets (the listing) and
DescribeScalingPolicies (grouped per target into ``policy_count``).

Fields of ``applicationautoscaling.scalable_target``:

- resource_id — ``table/<name>`` or ``table/<name>/index/<index>``.
- id — ``<resource_id>|<scalable_dimension>``, unique per target (a table has one per dimension).
- arn — ScalableTargetARN when the API returns it, else an ARN built from the resource id
  (then shared by the read and write targets of one table).
- region — AWS region.
- scalable_dimension — ``dynamodb:table:ReadCapacityUnits``, ``dynamodb:table:WriteCapacityUnits``,
  or the ``dynamodb:index:…`` equivalents.
- min_capacity / max_capacity — capacity bounds of the target.
- table_name — the table the target scales (also for index targets).
- policy_count — scaling policies attached to this target and dimension.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from opsctl.collect.runner import CollectContext, collector

SERVICE = "application-autoscaling"
TYPE = "applicationautoscaling.scalable_target"
NAMESPACE = {"ServiceNamespace": "dynamodb"}


def table_name(resource_id: str) -> str | None:
    """``table/Orders`` and ``table/Orders/index/ByDate`` → ``Orders``; other ids → None."""
    parts = resource_id.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "table" else None


def normalise_target(ctx: CollectContext, region: str, target: dict[str, Any]) -> dict[str, Any]:
    """One DescribeScalableTargets entry → a scalable_target resource (policy_count filled later)."""
    resource_id = target["ResourceId"]
    return {
        "type": TYPE,
        "resource_id": resource_id,
        "id": f"{resource_id}|{target['ScalableDimension']}",
        "arn": target.get("ScalableTargetARN") or ctx.arn(SERVICE, region, f"scalable-target/{resource_id}"),
        "region": region,
        "scalable_dimension": target["ScalableDimension"],
        "min_capacity": target.get("MinCapacity"),
        "max_capacity": target.get("MaxCapacity"),
        "table_name": table_name(resource_id),
    }




@collector(SERVICE, types=(TYPE,))
def collect_scalable_targets(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """DynamoDB scalable targets of a region with the number of scaling policies on each."""
    listed = ctx.paginate(SERVICE, region, "describe_scalable_targets", "ScalableTargets", dict(NAMESPACE),
                          resource_type=TYPE)
    if listed is None:
        return {}
    targets = [normalise_target(ctx, region, t) for t in listed]
    if not targets:
        return {TYPE: []}
    # No resource_type: a failed policy listing must not hide the targets themselves, only their count.
    policies = ctx.paginate(SERVICE, region, "describe_scaling_policies", "ScalingPolicies", dict(NAMESPACE))
    if policies is None:
        reason = ctx.failure_reason(SERVICE, region, "DescribeScalingPolicies")
        for target in targets:
            target.setdefault("errors", {})["policy_count"] = reason
    else:
        counts = Counter((p["ResourceId"], p["ScalableDimension"]) for p in policies)
        for target in targets:
            target["policy_count"] = counts[(target["resource_id"], target["scalable_dimension"])]
    return {TYPE: targets}
