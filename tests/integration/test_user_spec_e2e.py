"""A user's own spec for a different application (a blog, named by its own conventions) binds and
audits that application's resources: the real `opsctl audit --spec` against a moto server."""

from __future__ import annotations

import json

import boto3
import pytest

from opsctl import sandbox
from tests.integration.test_sandbox_e2e import run_opsctl

pytestmark = pytest.mark.slow
REGION = "eu-central-1"

SPEC = """\
version: 1
name: blog
tiers:
  lb:
    kind: load_balancer
    select: {names: ["blog-lb"]}
  app:
    kind: compute
    select: {tags: {role: blog-app}}
  db:
    kind: relational_db
    select: {names: ["blog-*"], regions: [eu-central-1]}
  search:
    kind: nosql_db
    select: {names: ["blog-search"]}
flows:
  - {from: lb, to: app}
  - {from: app, to: db}
"""


def seed_blog(url: str) -> dict[str, str]:
    """A load balancer over two Auto Scaling groups (one not attached: FAIL), a private database
    that admits only the app (PASS) and one open to the office network (FAIL); no search tier."""
    kw = {"endpoint_url": url, "region_name": REGION, "aws_access_key_id": "blog", "aws_secret_access_key": "blog"}
    ec2, elb, asg, rds = (boto3.client(s, **kw) for s in ("ec2", "elbv2", "autoscaling", "rds"))
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ab")]
    lb_sg = ec2.create_security_group(GroupName="blog-lb", Description="lb", VpcId=vpc)["GroupId"]
    app_sg = ec2.create_security_group(GroupName="blog-app", Description="app", VpcId=vpc)["GroupId"]
    db_sg = ec2.create_security_group(GroupName="blog-db", Description="db", VpcId=vpc)["GroupId"]
    open_sg = ec2.create_security_group(GroupName="blog-db-office", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": app_sg}]}])
    ec2.authorize_security_group_ingress(GroupId=open_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "192.0.2.0/24"}]}])
    lb = elb.create_load_balancer(Name="blog-lb", Subnets=subnets, SecurityGroups=[lb_sg], Scheme="internal")
    tg = elb.create_target_group(Name="blog-app", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")
    tg_arn = tg["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName="blog-app", LaunchTemplateData={
        "ImageId": image, "InstanceType": "t3.micro", "SecurityGroupIds": [app_sg]})
    for name, attach in (("blog-app-asg", True), ("blog-cron-asg", False)):
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=2, DesiredCapacity=0,
            LaunchTemplate={"LaunchTemplateName": "blog-app", "Version": "$Latest"},
            VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg_arn] if attach else [],
            Tags=[{"Key": "role", "Value": "blog-app", "PropagateAtLaunch": True}])
    rds.create_db_subnet_group(DBSubnetGroupName="blog", DBSubnetGroupDescription="blog", SubnetIds=subnets)
    for name, group in (("blog-posts", db_sg), ("blog-analytics", open_sg)):
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t3.micro", Engine="postgres",
                               MasterUsername="blog", MasterUserPassword="not-a-secret-1", AllocatedStorage=20,
                               DBSubnetGroupName="blog", VpcSecurityGroupIds=[group], PubliclyAccessible=False)
    return {"lb": lb["LoadBalancers"][0]["LoadBalancerArn"]}


def test_own_spec_binds_and_audits_another_application(tmp_path):
    spec = tmp_path / "blog.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "r.json"
    with sandbox.running_server() as url:
        seed_blog(url)
        proc = run_opsctl(["audit", "--region", REGION, "--spec", str(spec), "--scope", "spec", "--select", "arch.*",
                           "--format", "json", "-o", str(out), "--fail-on", "none"],
                          sandbox.environment(url), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["metadata"]["spec"]["name"] == "blog"
    verdicts = {(f["check_id"], f["resource_id"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]): f["status"]
                for f in data["findings"]}
    # the search tier is declared but nothing is deployed
    tier_present = [f for f in data["findings"] if f["check_id"] == "arch.tier_present"]
    assert [f["status"] for f in tier_present] == ["FAIL"] and "search" in tier_present[0]["message"]
    assert verdicts[("arch.compute_behind_lb", "blog-app-asg")] == "PASS"
    assert verdicts[("arch.compute_behind_lb", "blog-cron-asg")] == "FAIL"
    assert verdicts[("arch.data_tier_private", "blog-posts")] == "PASS"
    assert verdicts[("arch.data_tier_private", "blog-analytics")] == "FAIL"
    tiers = {t["name"] if isinstance(t, dict) else t for t in data["topology"]["tiers"]}
    assert {"lb", "app", "db", "search"} <= tiers
    assert set(data["summary"]["tier_scores"]) >= {"app", "db"}
