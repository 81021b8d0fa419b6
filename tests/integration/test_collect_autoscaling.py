"""The Auto Scaling collector against moto: groups, templates, policies, schedules, failures."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
AMI = "ami-04681a1dbd79675a5"  # a Linux AMI moto knows


def deny(aws: Any, service_id: str, operation: str) -> None:
    """Make every `operation` call fail with AccessDenied (before moto sees it)."""

    def handler(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": f"not allowed: {operation}"}}, operation)

    aws.session.events.register(f"before-call.{service_id}.{operation}", handler)


def spy(aws: Any, service_id: str, operation: str) -> list[dict]:
    """Record the API parameters of every `operation` call."""
    calls: list[dict] = []
    aws.session.events.register(f"provide-client-params.{service_id}.{operation}",
                                lambda params, **_: calls.append(dict(params)))
    return calls


@pytest.fixture
def groups():
    """A web group (template, target group, policy), a mixed-instances worker and a legacy LC group."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("abc")]
    web_lt = ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.small", "MetadataOptions": {"HttpTokens": "required"}})["LaunchTemplate"]
    ec2.create_launch_template(LaunchTemplateName="worker", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t2.micro"})
    tg = boto3.client("elbv2", region_name=REGION).create_target_group(
        Name="web", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    asg = boto3.client("autoscaling", region_name=REGION)
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateId": web_lt["LaunchTemplateId"], "Version": "$Default"},
        MinSize=2, MaxSize=6, DesiredCapacity=2, VPCZoneIdentifier=",".join(subnets), HealthCheckType="ELB",
        HealthCheckGracePeriod=60, TargetGroupARNs=[tg],
        Tags=[{"Key": "tier", "Value": "compute", "PropagateAtLaunch": True}])
    asg.create_auto_scaling_group(
        AutoScalingGroupName="worker", MinSize=1, MaxSize=1, DesiredCapacity=1, VPCZoneIdentifier=subnets[0],
        MixedInstancesPolicy={"LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateName": "worker", "Version": "$Latest"},
            "Overrides": [{"InstanceType": "m5.large"}, {"InstanceType": "c5.large"}]}})
    asg.create_launch_configuration(LaunchConfigurationName="legacy-lc", ImageId=AMI, InstanceType="m4.large")
    asg.create_auto_scaling_group(AutoScalingGroupName="legacy", LaunchConfigurationName="legacy-lc",
                                  MinSize=0, MaxSize=2, DesiredCapacity=0, AvailabilityZones=[f"{REGION}a"])
    asg.put_scaling_policy(AutoScalingGroupName="web", PolicyName="cpu50", PolicyType="TargetTrackingScaling",
                           TargetTrackingConfiguration={"PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ASGAverageCPUUtilization"}, "TargetValue": 50.0})
    asg.put_scaling_policy(AutoScalingGroupName="web", PolicyName="step-out", PolicyType="StepScaling",
                           AdjustmentType="ChangeInCapacity", StepAdjustments=[{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}])
    asg.put_scheduled_update_group_action(AutoScalingGroupName="legacy", ScheduledActionName="night", Recurrence="0 22 * * *",
                                          DesiredCapacity=0)
    asg.put_scheduled_update_group_action(AutoScalingGroupName="legacy", ScheduledActionName="day", Recurrence="0 6 * * *",
                                          DesiredCapacity=1)
    return {"web_lt": web_lt["LaunchTemplateId"], "tg": tg, "subnets": subnets}


def _by_name(snap) -> dict[str, dict[str, Any]]:
    return {g["name"]: g for g in snap.of_type("autoscaling.group")}


def test_group_fields(collect_services, groups):
    snap = collect_services(["autoscaling"])
    by_name = _by_name(snap)
    assert sorted(by_name) == ["legacy", "web", "worker"]

    web = by_name["web"]
    assert web["arn"].startswith("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:")
    assert web["region"] == REGION
    assert web["availability_zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert web["subnet_ids"] == sorted(groups["subnets"])
    assert (web["min_size"], web["max_size"], web["desired_capacity"]) == (2, 6, 2)
    assert web["instance_count"] == 2 and len(web["instance_ids"]) == 2
    assert web["health_check_type"] == "ELB" and web["target_group_arns"] == [groups["tg"]]
    assert web["load_balancer_names"] == []
    assert web["launch_template"] == {"id": groups["web_lt"], "name": "web", "version": "$Default"}
    assert web["launch_configuration_name"] is None
    assert web["instance_types"] == ["t3.small"]
    assert web["scaling_policies"] == [{"name": "cpu50", "type": "TargetTrackingScaling", "enabled": True},
                                       {"name": "step-out", "type": "StepScaling", "enabled": True}]
    assert web["scheduled_actions"] == [] and web["scheduled_action_count"] == 0
    assert web["tags"] == {"tier": "compute"}

    worker = by_name["worker"]
    assert worker["launch_template"]["name"] == "worker" and worker["launch_template"]["version"] == "$Latest"
    assert worker["mixed_instances_policy"] is True
    assert set(worker["instance_types"]) >= {"m5.large", "c5.large"}
    assert worker["health_check_type"] == "EC2" and worker["scaling_policies"] == []

    legacy = by_name["legacy"]
    assert legacy["launch_configuration_name"] == "legacy-lc" and legacy["launch_template"] is None
    assert legacy["instance_types"] == ["m4.large"]
    assert legacy["scheduled_actions"] == ["day", "night"] and legacy["scheduled_action_count"] == 2
    assert snap.coverage == []


def test_policies_and_schedules_are_listed_once_per_region(collect_services, moto_aws, groups):
    policies = spy(moto_aws, "auto-scaling", "DescribePolicies")
    schedules = spy(moto_aws, "auto-scaling", "DescribeScheduledActions")
    versions = spy(moto_aws, "ec2", "DescribeLaunchTemplateVersions")
    collect_services(["autoscaling", "ec2"])
    assert len(policies) == 1 and "AutoScalingGroupName" not in policies[0]
    assert len(schedules) == 1 and "AutoScalingGroupName" not in schedules[0]
    # the ec2 and autoscaling collectors ask for the same default versions: each is fetched once
    assert sorted(v["LaunchTemplateId"] for v in versions) == sorted({v["LaunchTemplateId"] for v in versions})


def test_failed_policy_listing_marks_every_group(collect_services, moto_aws, groups):
    deny(moto_aws, "auto-scaling", "DescribePolicies")
    snap = collect_services(["autoscaling"])
    assert snap.collected["autoscaling.group"] == [REGION]
    for group in snap.of_type("autoscaling.group"):
        assert "scaling_policies" not in group
        assert "AccessDenied" in group["errors"]["scaling_policies"]
        assert "scheduled_action_count" in group  # the other listing still worked
    assert [g.operation for g in snap.coverage] == ["DescribePolicies"]


def test_failed_template_read_marks_instance_types(collect_services, moto_aws, groups):
    deny(moto_aws, "ec2", "DescribeLaunchTemplateVersions")
    web = _by_name(collect_services(["autoscaling"]))["web"]
    assert "AccessDenied" in web["errors"]["instance_types"]


def test_failed_group_listing_is_a_gap(collect_services, moto_aws, groups):
    deny(moto_aws, "auto-scaling", "DescribeAutoScalingGroups")
    snap = collect_services(["autoscaling"])
    assert snap.of_type("autoscaling.group") == []
    assert snap.collected["autoscaling.group"] == []
    assert snap.listing_gaps("autoscaling.group")[0].error_code == "AccessDenied"
