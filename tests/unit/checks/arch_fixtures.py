"""A small snapshot of the reference architecture, wired as the spec wants, for the arch.* checks
and the topology: Route 53 → CloudFront (+ WAF) → S3 assets and the ALB → target group → Auto
Scaling group → RDS, plus a Lambda function and a DynamoDB table. Tests break one thing at a time."""

from __future__ import annotations

import copy
from typing import Any

from tests.helpers import ACCOUNT, REGION

ALB_DNS = "shop-alb-1234.us-east-1.elb.amazonaws.com"
CF_DNS = "d111111abcdef8.cloudfront.net"
ALB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/shop-alb/50dc6c495c0c9188"
TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/shop-web-tg/73e2d6bc24d8a067"
DIST_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1SHOP"
ACL_ARN = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/shop-edge/1111"
ASG_ARN = f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:1:autoScalingGroupName/shop-web-asg"
DB_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders"
ZONE_ARN = "arn:aws:route53:::hostedzone/Z1SHOP"
BUCKET_ARN = "arn:aws:s3:::shop-assets"
ACCOUNT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
CLOUDFRONT_PL = "pl-3b927c52"


def tags(tier: str) -> dict[str, str]:
    return {"app": "3d-shop", "tier": tier}


def sg(gid: str, *rules: dict[str, Any], tier: str = "compute") -> dict[str, Any]:
    return {"id": gid, "name": gid, "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{gid}", "region": REGION,
            "vpc_id": "vpc-1", "tags": tags(tier), "ingress": list(rules)}


def rule(port: int, *, cidr: str | None = None, group: str | None = None, prefix: str | None = None) -> dict[str, Any]:
    return {"protocol": "tcp", "from_port": port, "to_port": port, "cidr_ipv4": [cidr] if cidr else [], "cidr_ipv6": [],
            "prefix_list_ids": [prefix] if prefix else [], "source_group_ids": [group] if group else []}


def oac_policy(bucket: str = "shop-assets") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowCloudFront", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": DIST_ARN}}}]}


def alias(name: str, target: str, rtype: str = "A", set_identifier: str | None = None) -> dict[str, Any]:
    return {"name": name, "type": rtype, "set_identifier": set_identifier, "failover": None, "health_check_id": None,
            "alias_target_dns": target, "alias_target_zone": "Z2FDTNDATAQYW2", "ttl": None, "values": []}


def cname(name: str, value: str, set_identifier: str | None = None) -> dict[str, Any]:
    return {"name": name, "type": "CNAME", "set_identifier": set_identifier, "failover": None, "health_check_id": None,
            "alias_target_dns": None, "alias_target_zone": None, "ttl": 60, "values": [value]}


def world() -> dict[str, list[dict[str, Any]]]:
    """The well-wired shop (every arch.* check passes)."""
    return copy.deepcopy({
        "iam.account": [{"id": ACCOUNT, "name": ACCOUNT, "arn": ACCOUNT_ARN, "region": "global", "tags": {}}],
        "route53.hosted_zone": [{
            "id": "Z1SHOP", "arn": ZONE_ARN, "name": "shop.example.com", "private": False, "region": "global",
            "tags": tags("dns"), "records": [
                {"name": "shop.example.com", "type": "NS", "values": ["ns-1.awsdns-00.com"], "alias_target_dns": None},
                alias("shop.example.com", CF_DNS), alias("www.shop.example.com", CF_DNS),
                alias("api.shop.example.com", f"dualstack.{ALB_DNS}")]}],
        "cloudfront.distribution": [{
            "id": "E1SHOP", "arn": DIST_ARN, "region": "global", "domain_name": CF_DNS, "aliases": ["www.shop.example.com"],
            "tags": tags("edge"), "enabled": True, "web_acl_id": ACL_ARN,
            "origins": [{"id": "assets", "domain_name": "shop-assets.s3.us-east-1.amazonaws.com", "kind": "s3"},
                        {"id": "api", "domain_name": ALB_DNS, "kind": "custom"}]}],
        "wafv2.web_acl": [{"id": "1111", "name": "shop-edge", "arn": ACL_ARN, "scope": "CLOUDFRONT", "region": "global",
                           "tags": tags("waf")}],
        "s3.bucket": [{"name": "shop-assets", "arn": BUCKET_ARN, "region": REGION, "tags": tags("assets"),
                       "policy": oac_policy(), "acl_grants": []}],
        "elbv2.load_balancer": [{"name": "shop-alb", "arn": ALB_ARN, "region": REGION, "dns_name": ALB_DNS,
                                 "scheme": "internet-facing", "security_groups": ["sg-alb"], "tags": tags("load_balancer")}],
        "elbv2.target_group": [{"name": "shop-web-tg", "arn": TG_ARN, "region": REGION, "load_balancer_arns": [ALB_ARN],
                                "target_type": "instance", "targets": [{"id": "i-web1", "port": 8080, "state": "healthy"}],
                                "tags": tags("load_balancer")}],
        "autoscaling.group": [{"name": "shop-web-asg", "arn": ASG_ARN, "region": REGION, "min_size": 2, "max_size": 6,
                               "target_group_arns": [TG_ARN], "launch_template": {"id": "lt-web", "name": "shop-web-lt"},
                               "instance_ids": ["i-web1"], "tags": tags("compute")}],
        "ec2.launch_template": [{"id": "lt-web", "name": "shop-web-lt", "region": REGION,
                                 "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/lt-web", "tags": tags("compute"),
                                 "default_version_data": {"security_group_ids": ["sg-app"]}}],
        "ec2.instance": [{"id": "i-web1", "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-web1", "region": REGION,
                          "asg_name": "shop-web-asg", "security_groups": ["sg-app"], "state": "running", "tags": tags("compute")}],
        "ec2.security_group": [sg("sg-alb", rule(443, prefix=CLOUDFRONT_PL), tier="load_balancer"),
                               sg("sg-app", rule(8080, group="sg-alb")),
                               sg("sg-db", rule(5432, group="sg-app"), tier="relational_db")],
        "lambda.function": [{"name": "shop-render", "arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-render",
                             "region": REGION, "tags": tags("functions")}],
        "rds.db_instance": [{"id": "orders", "arn": DB_ARN, "region": REGION, "publicly_accessible": False,
                             "vpc_security_group_ids": ["sg-db"], "db_cluster_identifier": None, "tags": tags("relational_db")}],
        "dynamodb.table": [{"name": "catalogue", "arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/catalogue",
                            "region": REGION, "tags": tags("nosql_db")}],
    })


def changed(edit) -> dict[str, list[dict[str, Any]]]:
    """world() with `edit(resources)` applied (it mutates and returns nothing)."""
    resources = world()
    edit(resources)
    return resources


def first(resources: dict[str, list[dict[str, Any]]], rtype: str) -> dict[str, Any]:
    return resources[rtype][0]
