"""The resource types opsctl collects, declared as data (after Cloud Custodian's resource specs).

Each type names the service whose collector produces it and whether it is global (collected
once, region "global") or regional. Checks name one of these as their `resource_type`; the
registry refuses any other at import. The fields of each type are documented in
docs/snapshot.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    name: str
    service: str
    scope: str  # "global" or "regional"
    description: str


_TYPES = [
    ResourceType("s3.bucket", "s3", "global", "S3 bucket (listed once; `region` is the bucket's own)"),
    ResourceType("s3.account_settings", "s3", "global", "Account-level S3 Block Public Access"),
    ResourceType("cloudfront.distribution", "cloudfront", "global", "CloudFront distribution"),
    ResourceType("wafv2.web_acl", "wafv2", "regional", "WAFv2 web ACL (CLOUDFRONT scope is region global)"),
    ResourceType("elbv2.load_balancer", "elbv2", "regional", "Application load balancer with listeners and attributes"),
    ResourceType("elbv2.target_group", "elbv2", "regional", "Target group with health check and target health"),
    ResourceType("autoscaling.group", "autoscaling", "regional", "Auto Scaling group with policies and scheduled actions"),
    ResourceType("ec2.launch_template", "ec2", "regional", "Launch template with its default version's data"),
    ResourceType("ec2.instance", "ec2", "regional", "EC2 instance"),
    ResourceType("ec2.security_group", "ec2", "regional", "Security group with ingress rules"),
    ResourceType("ec2.volume", "ec2", "regional", "EBS volume"),
    ResourceType("ec2.address", "ec2", "regional", "Elastic IP address"),
    ResourceType("ec2.snapshot", "ec2", "regional", "EBS snapshot owned by the account"),
    ResourceType("ec2.regional_settings", "ec2", "regional", "Per-region EC2 settings (EBS encryption by default)"),
    ResourceType("ec2.instance_type", "ec2", "regional", "Instance type facts (vCPUs, generation) for types in use"),
    ResourceType("lambda.function", "lambda", "regional", "Lambda function (environment reduced to names)"),
    ResourceType("rds.db_instance", "rds", "regional", "RDS DB instance"),
    ResourceType("rds.db_cluster", "rds", "regional", "RDS/Aurora DB cluster"),
    ResourceType("rds.db_snapshot", "rds", "regional", "Manual RDS DB snapshot with its restore attribute"),
    ResourceType("dynamodb.table", "dynamodb", "regional", "DynamoDB table with PITR and auto scaling facts"),
    ResourceType("applicationautoscaling.scalable_target", "application-autoscaling", "regional", "Application Auto Scaling target (DynamoDB)"),
    ResourceType("route53.hosted_zone", "route53", "global", "Route 53 hosted zone with record sets and query logging"),
    ResourceType("route53.health_check", "route53", "global", "Route 53 health check"),
    ResourceType("cloudwatch.alarm", "cloudwatch", "regional", "CloudWatch metric alarm"),
    ResourceType("cloudwatch.metric_series", "cloudwatch", "regional", "Daily CloudWatch datapoints the cost checks need, per resource and metric"),
    ResourceType("logs.log_group", "logs", "regional", "CloudWatch Logs log group"),
    ResourceType("cloudtrail.trail", "cloudtrail", "regional", "CloudTrail trail with status"),
    ResourceType("iam.account", "iam", "global", "IAM account summary, password policy and root credentials"),
    ResourceType("iam.user", "iam", "global", "IAM user with credentials, MFA and attached policies"),
    ResourceType("kms.key", "kms", "regional", "KMS key with rotation status"),
    ResourceType("acm.certificate", "acm", "regional", "ACM certificate"),
    ResourceType("sns.topic", "sns", "regional", "SNS topic with subscription count"),
    ResourceType("budgets.budget", "budgets", "global", "AWS Budget with its notifications"),
    ResourceType("support.trusted_advisor_check", "support", "global", "Trusted Advisor check with its result"),
    ResourceType("trustedadvisor.recommendation", "trustedadvisor", "global", "Trusted Advisor recommendation (TrustedAdvisor API) with its flagged resources"),
    ResourceType("servicequotas.quota", "service-quotas", "regional", "Service quota (applied, or AWS default)"),
]

RESOURCE_TYPES: dict[str, ResourceType] = {t.name: t for t in _TYPES}
GLOBAL = "global"

#: (ARN service, the resource part's leading type word) → resource type, for :func:`type_of_arn`.
#: An empty type word: the ARN's resource part is the name itself (S3 buckets, SNS topics).
_ARN_TYPES: dict[tuple[str, str], str] = {
    ("s3", ""): "s3.bucket",
    ("cloudfront", "distribution"): "cloudfront.distribution",
    ("wafv2", "global"): "wafv2.web_acl", ("wafv2", "regional"): "wafv2.web_acl",
    ("elasticloadbalancing", "loadbalancer"): "elbv2.load_balancer",
    ("elasticloadbalancing", "targetgroup"): "elbv2.target_group",
    ("autoscaling", "autoScalingGroup"): "autoscaling.group",
    ("ec2", "launch-template"): "ec2.launch_template", ("ec2", "instance"): "ec2.instance",
    ("ec2", "security-group"): "ec2.security_group", ("ec2", "volume"): "ec2.volume",
    ("ec2", "elastic-ip"): "ec2.address", ("ec2", "snapshot"): "ec2.snapshot",
    ("lambda", "function"): "lambda.function",
    ("rds", "db"): "rds.db_instance", ("rds", "cluster"): "rds.db_cluster", ("rds", "snapshot"): "rds.db_snapshot",
    ("dynamodb", "table"): "dynamodb.table",
    ("route53", "hostedzone"): "route53.hosted_zone", ("route53", "healthcheck"): "route53.health_check",
    ("cloudwatch", "alarm"): "cloudwatch.alarm",
    ("logs", "log-group"): "logs.log_group",
    ("cloudtrail", "trail"): "cloudtrail.trail",
    ("iam", "root"): "iam.account", ("iam", "user"): "iam.user",
    ("kms", "key"): "kms.key",
    ("acm", "certificate"): "acm.certificate",
    ("sns", ""): "sns.topic",
    ("budgets", "budget"): "budgets.budget",
    ("trustedadvisor", "recommendation"): "trustedadvisor.recommendation",
    ("trustedadvisor", "recommendation-resource"): "trustedadvisor.recommendation",
    ("servicequotas", "*"): "servicequotas.quota",
}


def type_of_arn(arn: str) -> str | None:
    """The declared resource type an ARN names (``arn:aws:autoscaling:…:autoScalingGroup:…`` →
    ``autoscaling.group``), or None for an ARN of a type opsctl does not declare."""
    parts = (arn or "").split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    if (service, "*") in _ARN_TYPES:
        return _ARN_TYPES[(service, "*")]
    word = re.split(r"[:/]", resource, maxsplit=1)[0]
    return _ARN_TYPES.get((service, word)) or _ARN_TYPES.get((service, ""))


def service_of_arn(arn: str) -> str | None:
    """The AWS service a resource belongs to, by its ARN: the declared type's service, or for a
    service quota the service it limits (``…:servicequotas:…:lambda/L-B99A9384`` → ``lambda``)."""
    rtype = type_of_arn(arn)
    if rtype == "servicequotas.quota":
        code = arn.split(":", 5)[5].split("/", 1)[0]
        return {"elasticloadbalancing": "elbv2"}.get(code, code) or None
    return RESOURCE_TYPES[rtype].service if rtype else None
