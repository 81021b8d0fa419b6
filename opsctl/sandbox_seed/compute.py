"""The load balancer and compute tiers of the reference architecture, with their defects.

In the primary region (us-east-1):

Well configured
- security groups: the public ALB's (443/80 from the internet — normal for an internet-facing
  ALB), the app tier's (8080 from the ALB's group only), the database's (5432 from the app
  tier only)
- launch template `shop-web-lt` requiring IMDSv2
- ALB `shop-alb` in 3 AZs: HTTPS (ACM certificate, ELBSecurityPolicy-TLS13-1-2-2021-06) plus an
  HTTP listener redirecting to HTTPS; deletion protection, invalid-header dropping and access
  logs on; target group `shop-web-tg` with a /health check
- Auto Scaling group `shop-web-asg`: 3 AZs, min 2, ELB health checks, target tracking, desired
  well under max
- regional WAF web ACL `shop-internal-api` (tier waf; AWS common rule set) associated with
  `shop-internal-alb`, defence in depth for the internal API. moto lacks ListResourcesForWebACL;
  the sandbox serves it (moto_patches). It does not protect `shop-alb`, which still FAILs
  arch.edge_in_front_of_api (an internal load balancer gets no finding there).
- bastion instance requiring IMDSv2, with an Elastic IP; an encrypted gp3 data volume
- EBS encryption by default on in us-east-1

Deliberate defects (each makes a check FAIL)
- `shop-alb` is open to the whole internet and not restricted to CloudFront (arch.edge_in_front_of_api)
- Auto Scaling group `shop-reindex-asg` (tier compute; min 0, desired 0, scaled by a nightly
  schedule) is attached to no target group, so no load balancer of the spec reaches it
  (arch.compute_behind_lb). Empty, so it adds no instance to the other checks.
- security groups `shop-bastion-sg` (22 from 0.0.0.0/0) and `legacy-reporting-db-sg` (3306 from
  0.0.0.0/0)
- launch template `shop-worker-legacy-lt` without IMDSv2, used by `shop-worker-asg`
- internal ALB `shop-internal-alb`: HTTP listener forwarding instead of redirecting, HTTPS
  listener on ELBSecurityPolicy-2016-08 (TLS 1.0), no deletion protection, no access logs,
  invalid headers forwarded. It spans 2 AZs — AWS refuses an ALB in fewer, so elb.alb_multi_az
  passes here and its FAIL is covered by unit tests.
- Lambda target group `shop-render-fn-tg` with health checks disabled (the AWS default for Lambda)
- Auto Scaling group `shop-worker-asg`: one AZ, min 1, EC2 health checks while attached to a
  target group, no scaling policy, desired == max
- instance `legacy-reporting` (t2, previous generation) allowing IMDSv1
- unencrypted, unattached gp2 volume `legacy-scratch`; an unassociated Elastic IP (cost, issue 3)
- EBS encryption by default left off in eu-west-1

moto cannot backdate snapshots, so no old snapshot is seeded.
"""

from __future__ import annotations

from typing import Any

#: A Linux (Amazon Linux 2) AMI that moto ships; moto's default example AMI is Windows.
AMI = "ami-04681a1dbd79675a5"
WORLD_V4 = [{"CidrIp": "0.0.0.0/0"}]
WORLD_V6 = [{"CidrIpv6": "::/0"}]
VPC_CIDR = "10.20.0.0/16"  # opsctl.sandbox_seed.network


def _security_group(env: Any, ec2: Any, vpc: str, name: str, description: str, tier: str,
                    rules: list[dict[str, Any]]) -> str:
    group = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc,
                                      TagSpecifications=[{"ResourceType": "security-group", "Tags": env.tags(tier, name)}])["GroupId"]
    if rules:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rules)
    return group


def _tcp(port: int, *, world: bool = False, cidr: str | None = None, group: str | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if world:
        rule.update(IpRanges=WORLD_V4, Ipv6Ranges=WORLD_V6)
    if cidr:
        rule["IpRanges"] = [{"CidrIp": cidr}]
    if group:
        rule["UserIdGroupPairs"] = [{"GroupId": group}]
    return rule


def _security_groups(env: Any, ec2: Any, vpc: str) -> dict[str, str]:
    sg: dict[str, str] = {}
    sg["alb"] = _security_group(env, ec2, vpc, "shop-alb-sg", "Public ALB: HTTPS and HTTP from the internet", "load_balancer",
                                [_tcp(443, world=True), _tcp(80, world=True)])
    sg["internal_alb"] = _security_group(env, ec2, vpc, "shop-internal-alb-sg", "Internal ALB: VPC clients", "load_balancer",
                                         [_tcp(443, cidr=VPC_CIDR), _tcp(80, cidr=VPC_CIDR)])
    sg["app"] = _security_group(env, ec2, vpc, "shop-app-sg", "API instances: 8080 from the public ALB", "compute",
                                [_tcp(8080, group=sg["alb"])])
    sg["worker"] = _security_group(env, ec2, vpc, "shop-worker-sg", "Workers: 8080 from the internal ALB", "compute",
                                   [_tcp(8080, group=sg["internal_alb"])])
    sg["db"] = _security_group(env, ec2, vpc, "shop-db-sg", "Orders database: PostgreSQL from the API only", "relational_db",
                               [_tcp(5432, group=sg["app"])])
    sg["bastion"] = _security_group(env, ec2, vpc, "shop-bastion-sg", "Bastion: SSH from anywhere (defect)", "compute",
                                    [_tcp(22, world=True)])
    sg["legacy_db"] = _security_group(env, ec2, vpc, "legacy-reporting-db-sg", "Self-managed MySQL open to the world (defect)",
                                      "compute", [_tcp(3306, world=True)])
    return sg


def _launch_templates(env: Any, ec2: Any, sg: dict[str, str]) -> dict[str, str]:
    def create(name: str, data: dict[str, Any]) -> str:
        return ec2.create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData={"ImageId": AMI, **data},
            TagSpecifications=[{"ResourceType": "launch-template", "Tags": env.tags("compute", name)}],
        )["LaunchTemplate"]["LaunchTemplateId"]

    return {
        "web": create("shop-web-lt", {"InstanceType": "t3.medium", "SecurityGroupIds": [sg["app"]],
                                      "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled",
                                                          "HttpPutResponseHopLimit": 2}}),
        "worker": create("shop-worker-legacy-lt", {"InstanceType": "t2.medium", "SecurityGroupIds": [sg["worker"]]}),
    }


def _certificate(env: Any, domain: str) -> str:
    acm = env.client("acm", env.region)
    return acm.request_certificate(DomainName=domain, ValidationMethod="DNS",
                                   Tags=env.tags("load_balancer", domain))["CertificateArn"]


def _target_groups(env: Any, elb: Any, vpc: str) -> dict[str, str]:
    def create(name: str, **kwargs: Any) -> str:
        return elb.create_target_group(Name=name, Tags=env.tags("load_balancer", name), **kwargs)["TargetGroups"][0]["TargetGroupArn"]

    tgs = {
        "web": create("shop-web-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance", HealthCheckProtocol="HTTP",
                      HealthCheckPath="/health", HealthCheckIntervalSeconds=15, Matcher={"HttpCode": "200"}),
        "worker": create("shop-worker-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance"),
        "render": create("shop-render-fn-tg", TargetType="lambda"),
    }
    # Lambda target groups start with health checks off on AWS; moto ignores HealthCheckEnabled
    # on create, so turn it off explicitly to reproduce that default.
    elb.modify_target_group(TargetGroupArn=tgs["render"], HealthCheckEnabled=False)
    return tgs


def _attributes(elb: Any, lb: str, values: dict[str, str]) -> None:
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[{"Key": k, "Value": v} for k, v in values.items()])


def _public_alb(env: Any, elb: Any, subnets: list[str], sg: dict[str, str], tgs: dict[str, str]) -> dict[str, str]:
    lb = elb.create_load_balancer(Name="shop-alb", Subnets=subnets, SecurityGroups=[sg["alb"]], Scheme="internet-facing",
                                  Type="application", IpAddressType="ipv4", Tags=env.tags("load_balancer", "shop-alb"))["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    https = elb.create_listener(LoadBalancerArn=arn, Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                                Certificates=[{"CertificateArn": _certificate(env, "api.3d-shop.example.com")}],
                                DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs["web"]}])["Listeners"][0]["ListenerArn"]
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    elb.create_rule(ListenerArn=https, Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/render/*"]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": tgs["render"]}])
    _attributes(elb, arn, {
        "deletion_protection.enabled": "true",
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": f"3d-shop-alb-logs-{env.account}",
        "access_logs.s3.prefix": "shop-alb",
        "idle_timeout.timeout_seconds": "60",
    })
    return {"arn": arn, "dns": lb["DNSName"]}


def _internal_alb(env: Any, elb: Any, subnets: list[str], sg: dict[str, str], tgs: dict[str, str]) -> str:
    arn = elb.create_load_balancer(Name="shop-internal-alb", Subnets=subnets, SecurityGroups=[sg["internal_alb"]],
                                   Scheme="internal", Type="application",
                                   Tags=env.tags("load_balancer", "shop-internal-alb"))["LoadBalancers"][0]["LoadBalancerArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tgs["worker"]}]
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=forward)
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-2016-08",
                        Certificates=[{"CertificateArn": _certificate(env, "internal.3d-shop.example.com")}], DefaultActions=forward)
    return arn


def _regional_web_acl(env: Any, lb_arn: str) -> str:
    """A REGIONAL web ACL with the AWS common rule set, associated with the internal ALB."""
    name = "shop-internal-api"

    def visibility(metric: str) -> dict[str, Any]:
        return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric}

    rule = {"Name": "common", "Priority": 0, "OverrideAction": {"None": {}}, "VisibilityConfig": visibility("common"),
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}}}
    waf = env.client("wafv2", env.region)
    acl = waf.create_web_acl(Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=[rule],
                             Description="Defence in depth for the internal API", VisibilityConfig=visibility(name),
                             Tags=env.tags("waf", name))["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=lb_arn)
    return acl["ARN"]


def _asg_tags(env: Any, name: str) -> list[dict[str, Any]]:
    return [{**t, "PropagateAtLaunch": True, "ResourceId": name, "ResourceType": "auto-scaling-group"}
            for t in env.tags("compute", name)]


def _auto_scaling_groups(env: Any, subnets: list[str], templates: dict[str, str], tgs: dict[str, str]) -> list[str]:
    asg = env.client("autoscaling", env.region)
    asg.create_auto_scaling_group(
        AutoScalingGroupName="shop-web-asg", LaunchTemplate={"LaunchTemplateId": templates["web"], "Version": "$Default"},
        MinSize=2, MaxSize=6, DesiredCapacity=2, VPCZoneIdentifier=",".join(subnets), HealthCheckType="ELB",
        HealthCheckGracePeriod=120, TargetGroupARNs=[tgs["web"]], Tags=_asg_tags(env, "shop-web-asg"))
    asg.put_scaling_policy(AutoScalingGroupName="shop-web-asg", PolicyName="cpu-target-50", PolicyType="TargetTrackingScaling",
                           TargetTrackingConfiguration={"PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ASGAverageCPUUtilization"}, "TargetValue": 50.0})
    asg.create_auto_scaling_group(
        AutoScalingGroupName="shop-worker-asg", LaunchTemplate={"LaunchTemplateId": templates["worker"], "Version": "$Default"},
        MinSize=1, MaxSize=1, DesiredCapacity=1, VPCZoneIdentifier=subnets[0], HealthCheckType="EC2",
        TargetGroupARNs=[tgs["worker"]], Tags=_asg_tags(env, "shop-worker-asg"))
    # Defect for arch.compute_behind_lb: a search re-indexing group launched outside the ALB.
    asg.create_auto_scaling_group(
        AutoScalingGroupName="shop-reindex-asg", LaunchTemplate={"LaunchTemplateId": templates["web"], "Version": "$Default"},
        MinSize=0, MaxSize=2, DesiredCapacity=0, VPCZoneIdentifier=",".join(subnets), Tags=_asg_tags(env, "shop-reindex-asg"))
    asg.put_scheduled_update_group_action(AutoScalingGroupName="shop-reindex-asg", ScheduledActionName="nightly-reindex",
                                          Recurrence="0 2 * * *", MinSize=0, MaxSize=2, DesiredCapacity=1)
    return ["shop-web-asg", "shop-worker-asg", "shop-reindex-asg"]


def _group_instances(env: Any, names: list[str]) -> dict[str, list[str]]:
    groups = env.client("autoscaling", env.region).describe_auto_scaling_groups(AutoScalingGroupNames=names)["AutoScalingGroups"]
    return {g["AutoScalingGroupName"]: sorted(i["InstanceId"] for i in g["Instances"]) for g in groups}


def _enforce_template_imds(ec2: Any, instance_ids: list[str]) -> None:
    """moto launches Auto Scaling instances with IMDSv1 whatever the template says (MOTO-NOTES):
    apply the template's HttpTokens=required so the sandbox shows what AWS would."""
    for instance_id in instance_ids:
        ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="required", HttpEndpoint="enabled")


def _instance(env: Any, ec2: Any, name: str, instance_type: str, subnet: str, group: str, tokens: str) -> str:
    return ec2.run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, InstanceType=instance_type, SubnetId=subnet, SecurityGroupIds=[group],
        MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": env.tags("compute", name)}],
    )["Instances"][0]["InstanceId"]


def _standalone(env: Any, ec2: Any, public: list[str], private: list[str], azs: list[str], sg: dict[str, str]) -> list[str]:
    """A bastion (IMDSv2, Elastic IP) and a legacy reporting box (t2, IMDSv1) with volumes."""
    bastion = _instance(env, ec2, "shop-bastion", "t3.micro", public[0], sg["bastion"], "required")
    reporting = _instance(env, ec2, "legacy-reporting", "t2.medium", private[0], sg["legacy_db"], "optional")

    def volume(name: str, **kwargs: Any) -> str:
        return ec2.create_volume(AvailabilityZone=azs[0], TagSpecifications=[{"ResourceType": "volume", "Tags": env.tags("compute", name)}],
                                 **kwargs)["VolumeId"]

    data = volume("reporting-data", Size=50, VolumeType="gp3", Encrypted=True, Iops=3000, Throughput=125)
    ec2.attach_volume(VolumeId=data, InstanceId=reporting, Device="/dev/sdf")
    volume("legacy-scratch", Size=100, VolumeType="gp2")  # unencrypted and unattached (defects)
    ec2.create_snapshot(VolumeId=data, Description="reporting-data nightly",
                        TagSpecifications=[{"ResourceType": "snapshot", "Tags": env.tags("compute", "reporting-data-nightly")}])

    def address(name: str) -> str:
        return ec2.allocate_address(Domain="vpc", TagSpecifications=[
            {"ResourceType": "elastic-ip", "Tags": env.tags("compute", name)}])["AllocationId"]

    ec2.associate_address(AllocationId=address("shop-bastion-eip"), InstanceId=bastion)
    address("shop-spare-eip")  # allocated, never associated (cost defect)
    return [bastion, reporting]


def seed(env: Any) -> None:
    """Create the load balancer and compute tiers in env.region; set EBS defaults in both regions."""
    region = env.region
    ec2 = env.client("ec2", region)
    elb = env.client("elbv2", region)
    vpc = env.outputs[f"vpc:{region}"]
    public, private = env.outputs[f"public_subnets:{region}"], env.outputs[f"private_subnets:{region}"]
    azs = env.outputs[f"azs:{region}"]

    sg = _security_groups(env, ec2, vpc)
    templates = _launch_templates(env, ec2, sg)
    tgs = _target_groups(env, elb, vpc)
    alb = _public_alb(env, elb, public, sg, tgs)
    internal_alb = _internal_alb(env, elb, private[:2], sg, tgs)
    internal_waf = _regional_web_acl(env, internal_alb)
    asg_names = _auto_scaling_groups(env, private, templates, tgs)
    group_instances = _group_instances(env, asg_names)
    _enforce_template_imds(ec2, group_instances["shop-web-asg"])
    standalone = _standalone(env, ec2, public, private, azs, sg)

    # After the legacy volume exists: it predates the setting, as such volumes do.
    ec2.enable_ebs_encryption_by_default()
    # env.second_region keeps the default (off): a FAIL for ec2.ebs_encryption_by_default.

    env.outputs[f"alb_arn:{region}"] = alb["arn"]
    env.outputs[f"alb_dns:{region}"] = alb["dns"]
    env.outputs[f"alb_sg:{region}"] = sg["alb"]
    env.outputs[f"internal_alb_arn:{region}"] = internal_alb
    env.outputs[f"regional_waf_arn:{region}"] = internal_waf
    env.outputs[f"app_sg:{region}"] = sg["app"]
    env.outputs[f"db_sg:{region}"] = sg["db"]
    env.outputs[f"asg_names:{region}"] = asg_names
    env.outputs[f"target_group_arns:{region}"] = [tgs["web"], tgs["worker"], tgs["render"]]
    env.outputs[f"instance_ids:{region}"] = sorted(standalone + [i for ids in group_instances.values() for i in ids])
