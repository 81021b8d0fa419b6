"""A small snapshot with one or two resources of every tier, for golden and plan tests."""

from __future__ import annotations

from opsctl.snapshot import Snapshot
from tests.helpers import ACCOUNT, snapshot

ALB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/shop-alb/50dc6c495c0c9188"
TG_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/shop-web/73e2d6bc24d8a067"


def alarm(name: str, namespace: str | None, metric: str | None, dimensions: dict[str, str], region: str = "us-east-1",
          metrics: list[dict] | None = None, state: str = "OK") -> dict:
    return {"name": name, "arn": f"arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}", "region": region,
            "namespace": namespace, "metric_name": metric, "dimensions": dimensions, "metrics": metrics or [],
            "state": state, "tags": {}}


def shop_resources() -> dict[str, list[dict]]:
    return {
        "cloudfront.distribution": [{"id": "E2SHOP", "arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2SHOP",
                                     "region": "global", "aliases": ["shop.example.com"], "domain_name": "d1.cloudfront.net",
                                     "staging": False, "tags": {}}],
        "elbv2.load_balancer": [{"name": "shop-alb", "arn": ALB_ARN, "region": "us-east-1", "tags": {}}],
        "elbv2.target_group": [{"name": "shop-web", "arn": TG_ARN, "region": "us-east-1", "load_balancer_arns": [ALB_ARN],
                                "tags": {}},
                               {"name": "orphan-tg", "arn": TG_ARN.replace("shop-web", "orphan-tg"), "region": "us-east-1",
                                "load_balancer_arns": [], "tags": {}}],
        "autoscaling.group": [{"name": "shop-api-asg", "arn": f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:autoScalingGroup:1:autoScalingGroupName/shop-api-asg",
                               "region": "us-east-1", "tags": {}}],
        "lambda.function": [{"name": "shop-order-events", "arn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:shop-order-events",
                             "region": "eu-west-1", "tags": {}}],
        "rds.db_instance": [{"id": "shop-orders-db", "arn": f"arn:aws:rds:us-east-1:{ACCOUNT}:db:shop-orders-db",
                             "region": "us-east-1", "engine": "postgres", "tags": {}}],
        "dynamodb.table": [{"name": "catalogue", "arn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/catalogue",
                            "region": "us-east-1", "billing_mode": "PAY_PER_REQUEST", "tags": {}}],
        "route53.health_check": [{"id": "hc-1111", "arn": "arn:aws:route53:::healthcheck/hc-1111", "region": "global",
                                  "name": "api.shop.example.com", "tags": {}}],
        "cloudwatch.alarm": [
            alarm("shop-api-cpu-high", "AWS/EC2", "CPUUtilization", {"AutoScalingGroupName": "shop-api-asg"}),
            alarm("shop-orders-db-cpu-high", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "shop-orders-db"}, state="ALARM"),
            alarm("shop-alb-latency", "AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": "app/shop-alb/50dc6c495c0c9188"}),
            alarm("shop-order-events-failures", None, None, {}, region="eu-west-1", metrics=[
                {"namespace": "AWS/Lambda", "metric_name": "Errors", "dimensions": {"FunctionName": "shop-order-events"}}]),
            alarm("shop-api-health", "AWS/Route53", "HealthCheckStatus", {"HealthCheckId": "hc-1111"}),
            alarm("unrelated", "3DShop/Checkout", "PaymentFailures", {"Service": "checkout"}),
            # same table name, other region: not this table's alarm
            alarm("catalogue-elsewhere", "AWS/DynamoDB", "ReadThrottleEvents", {"TableName": "catalogue"}, region="eu-west-1"),
        ],
    }


def shop_snapshot(**kwargs) -> Snapshot:
    snap = snapshot(shop_resources(), regions=("us-east-1", "eu-west-1"), **kwargs)
    snap.taken_at = "2025-01-01T00:00:00+00:00"
    return snap
