"""Cases for the Auto Scaling checks (checks/autoscaling.py)."""

from __future__ import annotations

from typing import Any

from tests.helpers import REGION, Case

ASG = "autoscaling.group"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067"


def group(name: str = "web", errors: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    g = {
        "name": name,
        "arn": f"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1f2e:autoScalingGroupName/{name}",
        "region": REGION,
        "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "min_size": 2, "max_size": 10, "desired_capacity": 4,
        "health_check_type": "ELB", "target_group_arns": [TG_ARN], "load_balancer_names": [],
        "scaling_policies": [{"name": "cpu50", "type": "TargetTrackingScaling", "enabled": True}],
        "scheduled_actions": [], "scheduled_action_count": 0, "tags": {},
    }
    g.update(fields)
    if errors:
        g["errors"] = errors
        for field in errors:
            g.pop(field, None)
    return g


def groups(*items: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {ASG: list(items)}


CASES = [
    # autoscaling.group_multi_az
    Case("autoscaling.group_multi_az", "three zones", groups(group()), ["PASS"]),
    Case("autoscaling.group_multi_az", "one zone", groups(group(availability_zones=["us-east-1a"])), ["FAIL"]),
    Case("autoscaling.group_multi_az", "stricter parameter", groups(group(availability_zones=["us-east-1a", "us-east-1b"])),
         ["FAIL"], params={"min_azs": 3}),
    Case("autoscaling.group_multi_az", "zones not collected", groups(group(errors={"availability_zones": "denied"})), ["ERROR"]),
    # autoscaling.group_min_capacity
    Case("autoscaling.group_min_capacity", "min 2", groups(group()), ["PASS"]),
    Case("autoscaling.group_min_capacity", "min 1", groups(group(min_size=1)), ["FAIL"], message_contains="MinSize 1"),
    Case("autoscaling.group_min_capacity", "min 0", groups(group(min_size=0)), ["FAIL"]),
    Case("autoscaling.group_min_capacity", "parameter lowered", groups(group(min_size=1)), ["PASS"], params={"min_instances": 1}),
    Case("autoscaling.group_min_capacity", "min not collected", groups(group(errors={"min_size": "denied"})), ["ERROR"]),
    # autoscaling.group_elb_health_check
    Case("autoscaling.group_elb_health_check", "elb with target group", groups(group()), ["PASS"]),
    Case("autoscaling.group_elb_health_check", "ec2 with target group", groups(group(health_check_type="EC2")), ["FAIL"],
         message_contains="EC2"),
    Case("autoscaling.group_elb_health_check", "ec2 with classic load balancer",
         groups(group(health_check_type="EC2", target_group_arns=[], load_balancer_names=["legacy-elb"])), ["FAIL"]),
    Case("autoscaling.group_elb_health_check", "elb with classic load balancer",
         groups(group(target_group_arns=[], load_balancer_names=["legacy-elb"])), ["PASS"]),
    Case("autoscaling.group_elb_health_check", "no load balancer: not applicable",
         groups(group(health_check_type="EC2", target_group_arns=[], load_balancer_names=[])), []),
    Case("autoscaling.group_elb_health_check", "attachments not collected",
         groups(group(errors={"target_group_arns": "denied"})), ["ERROR"]),
    # autoscaling.group_scaling_policy
    Case("autoscaling.group_scaling_policy", "target tracking policy", groups(group()), ["PASS"]),
    Case("autoscaling.group_scaling_policy", "scheduled action only",
         groups(group(scaling_policies=[], scheduled_actions=["nightly"], scheduled_action_count=1)), ["PASS"]),
    Case("autoscaling.group_scaling_policy", "neither", groups(group(scaling_policies=[])), ["FAIL"]),
    Case("autoscaling.group_scaling_policy", "policies not collected and no schedule",
         groups(group(errors={"scaling_policies": "autoscaling:DescribePolicies failed with Throttling"})), ["ERROR"],
         message_contains="DescribePolicies"),
    Case("autoscaling.group_scaling_policy", "schedule not collected, policy seen",
         groups(group(errors={"scheduled_action_count": "denied", "scheduled_actions": "denied"})), ["PASS"]),
    Case("autoscaling.group_scaling_policy", "schedule not collected, no policy",
         groups(group(scaling_policies=[], errors={"scheduled_action_count": "denied", "scheduled_actions": "denied"})), ["ERROR"]),
    # autoscaling.group_headroom
    Case("autoscaling.group_headroom", "4 of 10", groups(group()), ["PASS"]),
    Case("autoscaling.group_headroom", "exactly 80 percent", groups(group(desired_capacity=4, max_size=5)), ["PASS"]),
    Case("autoscaling.group_headroom", "desired equals max", groups(group(desired_capacity=1, max_size=1)), ["FAIL"]),
    Case("autoscaling.group_headroom", "9 of 10", groups(group(desired_capacity=9)), ["FAIL"], message_contains="80%"),
    Case("autoscaling.group_headroom", "ratio raised", groups(group(desired_capacity=9)), ["PASS"], params={"max_desired_ratio": 0.9}),
    Case("autoscaling.group_headroom", "capacity not collected", groups(group(errors={"desired_capacity": "denied"})), ["ERROR"]),
]
