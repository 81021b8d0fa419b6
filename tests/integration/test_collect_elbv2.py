"""The ELB v2 collector against moto: ALBs, listeners, attributes, target groups, tags, failures."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
SERVICES = ["elbv2"]


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
def network():
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("abc")]
    sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "subnets": subnets, "sg": sg, "ec2": ec2}


def _shop_alb(network: dict[str, Any]) -> dict[str, str]:
    elb = boto3.client("elbv2", region_name=REGION)
    lb = elb.create_load_balancer(Name="shop", Subnets=network["subnets"], SecurityGroups=[network["sg"]],
                                  Scheme="internet-facing", Tags=[{"Key": "tier", "Value": "load_balancer"}])["LoadBalancers"][0]
    tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=network["vpc"], HealthCheckPath="/health",
                                 Tags=[{"Key": "tier", "Value": "compute"}])["TargetGroups"][0]
    cert = boto3.client("acm", region_name=REGION).request_certificate(DomainName="shop.example.com")["CertificateArn"]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
                        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8080,
                        DefaultActions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg["TargetGroupArn"]}]}}])
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"},
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "access_logs.s3.enabled", "Value": "true"},
        {"Key": "access_logs.s3.bucket", "Value": "shop-alb-logs"},
        {"Key": "idle_timeout.timeout_seconds", "Value": "120"},
    ])
    instances = network["ec2"].run_instances(ImageId="ami-04681a1dbd79675a5", MinCount=2, MaxCount=2, InstanceType="t3.micro",
                                             SubnetId=network["subnets"][0])["Instances"]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": i["InstanceId"]} for i in instances])
    return {"lb": lb["LoadBalancerArn"], "tg": tg["TargetGroupArn"], "cert": cert, "dns": lb["DNSName"]}


def test_application_load_balancer_fields(collect_services, network):
    made = _shop_alb(network)
    elb = boto3.client("elbv2", region_name=REGION)
    elb.create_load_balancer(Name="tcp-nlb", Subnets=network["subnets"][:1], Type="network")
    snap = collect_services(SERVICES)

    assert [lb["name"] for lb in snap.of_type("elbv2.load_balancer")] == ["shop"]  # the NLB is left out
    lb = snap.of_type("elbv2.load_balancer")[0]
    assert lb["arn"] == made["lb"] and lb["region"] == REGION and lb["dns_name"] == made["dns"]
    assert lb["scheme"] == "internet-facing" and lb["vpc_id"] == network["vpc"]
    assert lb["availability_zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert lb["security_groups"] == [network["sg"]]
    assert lb["tags"] == {"tier": "load_balancer"}
    attrs = lb["attributes"]
    assert attrs["deletion_protection_enabled"] is True
    assert attrs["drop_invalid_header_fields_enabled"] is True
    assert attrs["access_logs_enabled"] is True and attrs["access_logs_bucket"] == "shop-alb-logs"
    assert attrs["idle_timeout"] == 120
    assert attrs["deletion_protection.enabled"] == "true"  # raw keys kept as strings

    https, redirect, forward = lb["listeners"][1], lb["listeners"][0], lb["listeners"][2]
    assert (redirect["port"], redirect["protocol"], redirect["ssl_policy"]) == (80, "HTTP", None)
    assert redirect["default_actions"] == [{"type": "redirect", "redirect_protocol": "HTTPS", "target_group_arns": []}]
    assert (https["port"], https["protocol"], https["ssl_policy"]) == (443, "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert https["certificate_arns"] == [made["cert"]]
    assert https["default_actions"] == [{"type": "forward", "redirect_protocol": None, "target_group_arns": [made["tg"]]}]
    assert forward["default_actions"][0]["target_group_arns"] == [made["tg"]]  # from ForwardConfig
    assert snap.coverage == []


def test_default_attributes_mean_off(collect_services, network):
    elb = boto3.client("elbv2", region_name=REGION)
    elb.create_load_balancer(Name="bare", Subnets=network["subnets"][:2])
    lb = collect_services(SERVICES).of_type("elbv2.load_balancer")[0]
    assert lb["attributes"]["deletion_protection_enabled"] is False
    assert lb["attributes"]["access_logs_enabled"] is False
    assert lb["attributes"]["drop_invalid_header_fields_enabled"] is False
    assert lb["attributes"]["idle_timeout"] is None
    assert lb["listeners"] == []


def test_target_group_fields(collect_services, network):
    made = _shop_alb(network)
    elb = boto3.client("elbv2", region_name=REGION)
    fn = elb.create_target_group(Name="render-fn", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    elb.modify_target_group(TargetGroupArn=fn, HealthCheckEnabled=False)
    snap = collect_services(SERVICES)

    groups = {g["name"]: g for g in snap.of_type("elbv2.target_group")}
    web = groups["web"]
    assert web["arn"] == made["tg"] and web["protocol"] == "HTTP" and web["port"] == 8080
    assert web["target_type"] == "instance" and web["vpc_id"] == network["vpc"]
    assert web["load_balancer_arns"] == [made["lb"]]  # de-duplicated (two listeners use it)
    assert (web["health_check_enabled"], web["health_check_protocol"], web["health_check_path"]) == (True, "HTTP", "/health")
    assert (web["healthy_count"], web["unhealthy_count"], web["registered_count"]) == (2, 0, 2)
    assert web["tags"] == {"tier": "compute"}
    assert groups["render-fn"]["health_check_enabled"] is False
    assert groups["render-fn"]["target_type"] == "lambda"


def test_tags_are_read_in_batches_of_twenty(collect_services, moto_aws, network):
    elb = boto3.client("elbv2", region_name=REGION)
    for i in range(23):
        elb.create_target_group(Name=f"tg-{i:02d}", Protocol="HTTP", Port=80, VpcId=network["vpc"],
                                Tags=[{"Key": "n", "Value": str(i)}])
    calls = spy(moto_aws, "elastic-load-balancing-v2", "DescribeTags")
    snap = collect_services(SERVICES)
    assert sorted(len(c["ResourceArns"]) for c in calls) == [3, 20]
    assert {g["name"]: g["tags"]["n"] for g in snap.of_type("elbv2.target_group")} == {f"tg-{i:02d}": str(i) for i in range(23)}


def test_failed_detail_calls_mark_fields(collect_services, moto_aws, network):
    _shop_alb(network)
    deny(moto_aws, "elastic-load-balancing-v2", "DescribeLoadBalancerAttributes")
    deny(moto_aws, "elastic-load-balancing-v2", "DescribeListeners")
    deny(moto_aws, "elastic-load-balancing-v2", "DescribeTargetHealth")
    deny(moto_aws, "elastic-load-balancing-v2", "DescribeTags")
    snap = collect_services(SERVICES)

    lb = snap.of_type("elbv2.load_balancer")[0]
    assert "attributes" not in lb and "AccessDenied" in lb["errors"]["attributes"]
    assert "listeners" not in lb and "DescribeListeners" in lb["errors"]["listeners"]
    assert "AccessDenied" in lb["errors"]["tags"]
    tg = snap.of_type("elbv2.target_group")[0]
    assert {"targets", "healthy_count", "unhealthy_count", "registered_count", "tags"} <= set(tg["errors"])
    assert snap.collected["elbv2.load_balancer"] == [REGION]  # detail failures are not listing gaps
    ops = {g.operation for g in snap.coverage}
    assert {"DescribeLoadBalancerAttributes", "DescribeListeners", "DescribeTargetHealth", "DescribeTags"} <= ops


def test_failed_listing_is_a_gap(collect_services, moto_aws, network):
    _shop_alb(network)
    deny(moto_aws, "elastic-load-balancing-v2", "DescribeLoadBalancers")
    snap = collect_services(SERVICES)
    assert snap.of_type("elbv2.load_balancer") == []
    assert snap.collected["elbv2.load_balancer"] == []
    assert snap.collected["elbv2.target_group"] == [REGION]
    assert [(g.operation, g.error_code, g.resource_type) for g in snap.listing_gaps("elbv2.load_balancer")] == [
        ("DescribeLoadBalancers", "AccessDenied", "elbv2.load_balancer")]
