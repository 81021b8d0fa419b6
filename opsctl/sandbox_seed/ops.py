"""The ops tier: DNS in front of the shop, alarms and their SNS topics, log groups, the audit
trail, IAM users, KMS keys, certificates and a budget — each well-configured resource next to a
deliberately broken one (the defects are named in each function), so every Route 53,
monitoring, identity and keys check of the catalogue has a FAIL (and, where the subject is not
the whole account, a PASS) in `opsctl sandbox demo`.

Account-wide checks have one subject, the account, so they can only fail here: the trail does
not validate its log files, the budget notifies nobody, the root user has no MFA and an access key.

Three facts need moto's in-process backend, because no AWS API sets them (see `backend`): the
root user's access key (moto fixes AccountAccessKeysPresent at 0) and the age of deploy-bot and
its access key (moto stamps "now"). Against any other endpoint they stay as the API left them.

Everything here is tagged tier dns, ops or logs only, so no resource of this tier can be
mistaken for the edge, load balancer, compute or data tiers by the architecture checks.
Outputs: `zone_id` (the public zone shop.example.com) and `topic_arns:us-east-1`
([ops-alerts, orphan-alerts]).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

log = logging.getLogger(__name__)

#: CloudFront's fixed hosted zone id for alias records.
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
FALLBACK_DISTRIBUTION = "d111111abcdef8.cloudfront.net"
DOMAIN = "shop.example.com"
#: Stand-ins for the compute tier's load balancers when it is not seeded (`alb_dns:<region>`).
FALLBACK_API = {
    "us-east-1": "shop-api-1234567890.us-east-1.elb.amazonaws.com",
    "eu-west-1": "shop-api-0987654321.eu-west-1.elb.amazonaws.com",
}


def seed(env: Any) -> None:
    topics = seed_topics(env)
    zone_id, health_checks = seed_dns(env)
    seed_alarms(env, topics, health_checks["api-primary"])
    seed_log_groups(env)
    seed_trail(env)
    seed_iam(env)
    seed_keys(env)
    seed_certificates(env)
    seed_budget(env)
    env.outputs["zone_id"] = zone_id
    env.outputs[f"topic_arns:{env.region}"] = [topics["ops-alerts"], topics["orphan-alerts"]]


def first(value: Any, fallback: str) -> str:
    """The first of an output that other tiers may record as a list, a dict or a string."""
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value)]
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value or fallback


# ----- SNS ----------------------------------------------------------------------------------
def seed_topics(env: Any) -> dict[str, str]:
    """ops-alerts has an on-call subscription; orphan-alerts has none (alarms to nowhere: defect)."""
    sns = env.client("sns")
    topics = {
        name: sns.create_topic(Name=name, Tags=env.tags("ops", name))["TopicArn"]
        for name in ("ops-alerts", "orphan-alerts")
    }
    sns.subscribe(TopicArn=topics["ops-alerts"], Protocol="email", Endpoint="oncall@shop.example.com")
    return topics


# ----- Route 53 -----------------------------------------------------------------------------
def record(
    name: str, rtype: str = "CNAME", *, values: tuple[str, ...] = (), ttl: int = 60, **extra: Any
) -> dict[str, Any]:
    rrset: dict[str, Any] = {"Name": name, "Type": rtype, **extra}
    if values:
        rrset.update(TTL=ttl, ResourceRecords=[{"Value": v} for v in values])
    return {"Action": "CREATE", "ResourceRecordSet": rrset}


def create_zone(env: Any, name: str, **kwargs: Any) -> str:
    r53 = env.client("route53")
    zone_id = r53.create_hosted_zone(Name=name, CallerReference=f"seed-{name}", **kwargs)["HostedZone"][
        "Id"
    ].rsplit("/", 1)[-1]
    r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id, AddTags=env.tags("dns", name))
    return zone_id


def create_health_check(env: Any, name: str, fqdn: str, path: str, check_type: str = "HTTPS") -> str:
    r53 = env.client("route53")
    port = 443 if check_type.startswith("HTTPS") else 80
    check_id = r53.create_health_check(
        CallerReference=f"seed-{name}",
        HealthCheckConfig={
            "Type": check_type,
            "FullyQualifiedDomainName": fqdn,
            "ResourcePath": path,
            "Port": port,
            "RequestInterval": 30,
        },
    )["HealthCheck"]["Id"]
    r53.change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=check_id, AddTags=env.tags("dns", name)
    )
    return check_id


def seed_dns(env: Any) -> tuple[str, dict[str, str]]:
    """The public zone: www and apex alias to CloudFront; api fails over from the us-east-1 load
    balancer (health-checked) to the eu-west-1 one.

    Defects: checkout's PRIMARY failover record has no health check; the legacy-status health
    check is referenced by no record; the public zone has no query logging (the small
    status.shop.example.com zone has it, for contrast).
    """
    distribution = first(env.outputs.get("distribution_domains"), FALLBACK_DISTRIBUTION).rstrip(".")
    primary, secondary = (
        first(env.outputs.get(f"alb_dns:{region}"), FALLBACK_API[region])
        for region in (env.region, env.second_region)
    )
    zone_id = create_zone(env, DOMAIN)
    checks = {
        "api-primary": create_health_check(env, "api-primary", primary, "/health"),
        "legacy-status": create_health_check(env, "legacy-status", f"old-status.{DOMAIN}", "/ping", "HTTP"),
    }
    alias = {"HostedZoneId": CLOUDFRONT_ZONE_ID, "DNSName": distribution, "EvaluateTargetHealth": False}
    changes = [
        record(DOMAIN, "A", AliasTarget=alias),
        record(f"www.{DOMAIN}", "A", AliasTarget=alias),
        record(
            f"api.{DOMAIN}",
            values=(primary,),
            SetIdentifier="api-use1",
            Failover="PRIMARY",
            HealthCheckId=checks["api-primary"],
        ),
        record(f"api.{DOMAIN}", values=(secondary,), SetIdentifier="api-euw1", Failover="SECONDARY"),
        record(f"checkout.{DOMAIN}", values=(primary,), SetIdentifier="checkout-use1", Failover="PRIMARY"),
        record(
            f"checkout.{DOMAIN}", values=(secondary,), SetIdentifier="checkout-euw1", Failover="SECONDARY"
        ),
    ]
    env.client("route53").change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Comment": "3d-shop", "Changes": changes}
    )
    seed_logged_zone(env)
    vpc = env.outputs.get(f"vpc:{env.region}")
    if vpc:  # private service discovery zone: query logging does not apply to it
        create_zone(
            env,
            "shop.internal",
            HostedZoneConfig={"PrivateZone": True, "Comment": "internal"},
            VPC={"VPCRegion": env.region, "VPCId": vpc},
        )
    return zone_id, checks


#: The status page: an S3 website per region, the us-east-1 one primary (health-checked).
STATUS_SITES = (
    "status.shop.example.com.s3-website-us-east-1.amazonaws.com",
    "status.shop.example.com.s3-website.eu-west-1.amazonaws.com",
)


def seed_logged_zone(env: Any) -> None:
    """status.shop.example.com is the well-kept zone: it logs its queries (Route 53 writes only to
    us-east-1 log groups) and its PRIMARY failover record has a health check."""
    name = f"status.{DOMAIN}"
    zone_id = create_zone(env, name)
    check = create_health_check(env, "status-primary", STATUS_SITES[0], "/index.html", "HTTP")
    env.client("route53").change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Comment": "status page failover",
            "Changes": [
                record(name, values=(STATUS_SITES[0],), SetIdentifier="status-use1", Failover="PRIMARY",
                       HealthCheckId=check),
                record(name, values=(STATUS_SITES[1],), SetIdentifier="status-euw1", Failover="SECONDARY"),
            ],
        },
    )
    logs = env.client("logs", "us-east-1")
    group = f"/aws/route53/{name}"
    logs.create_log_group(logGroupName=group, tags=env.tag_map("logs", group))
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    logs.put_resource_policy(
        policyName="route53-query-logging",
        policyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "route53.amazonaws.com"},
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": f"arn:aws:logs:us-east-1:{env.account}:log-group:/aws/route53/*",
                    }
                ],
            }
        ),
    )
    group_arn = f"arn:aws:logs:us-east-1:{env.account}:log-group:{group}:*"
    env.client("route53").create_query_logging_config(
        HostedZoneId=zone_id, CloudWatchLogsLogGroupArn=group_arn
    )


# ----- CloudWatch alarms --------------------------------------------------------------------
def put_alarm(
    env: Any,
    name: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    *,
    threshold: float,
    comparison: str = "GreaterThanThreshold",
    statistic: str = "Average",
    actions: list[str] | None = None,
) -> None:
    env.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace=namespace,
        MetricName=metric,
        Statistic=statistic,
        Period=300,
        EvaluationPeriods=3,
        Threshold=threshold,
        ComparisonOperator=comparison,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        AlarmActions=actions or [],
        OKActions=actions or [],
        TreatMissingData="missing",
        Tags=env.tags("ops", name),
    )


def checkout_metric(name: str) -> dict[str, Any]:
    """A custom metric the checkout service publishes."""
    return {
        "Namespace": "3DShop/Checkout",
        "MetricName": name,
        "Dimensions": [{"Name": "Service", "Value": "checkout"}],
    }


def seed_alarms(env: Any, topics: dict[str, str], api_check: str) -> None:
    """Alarms on the first Auto Scaling group, the first RDS instance and the api health check,
    plus (`seed_watched`) a full set on the public ALB, the catalogue table, the order-events
    function and the shop's distribution.

    Defects: shop-api-cpu-low has no actions; shop-checkout-payment-failures notifies a topic
    nobody subscribes to; every other resource of the shop lacks some or all of its alarms.
    """
    ops = [topics["ops-alerts"]]
    asg = first(env.outputs.get(f"asg_names:{env.region}"), "shop-api-asg")
    db = first(env.outputs.get(f"db_instance_ids:{env.region}"), "shop-orders-db")
    put_alarm(
        env,
        "shop-api-cpu-high",
        "AWS/EC2",
        "CPUUtilization",
        {"AutoScalingGroupName": asg},
        threshold=70,
        actions=ops,
    )
    put_alarm(
        env,
        "shop-api-cpu-low",
        "AWS/EC2",
        "CPUUtilization",
        {"AutoScalingGroupName": asg},
        threshold=10,
        comparison="LessThanThreshold",
    )
    put_alarm(
        env,
        "shop-orders-db-cpu-high",
        "AWS/RDS",
        "CPUUtilization",
        {"DBInstanceIdentifier": db},
        threshold=80,
        actions=ops,
    )
    put_alarm(
        env,
        "shop-api-health",
        "AWS/Route53",
        "HealthCheckStatus",
        {"HealthCheckId": api_check},
        threshold=1,
        comparison="LessThanThreshold",
        statistic="Minimum",
        actions=ops,
    )
    put_alarm(
        env,
        "shop-checkout-payment-failures",
        "3DShop/Checkout",
        "PaymentFailures",
        {"Service": "checkout"},
        threshold=5,
        statistic="Sum",
        actions=[topics["orphan-alerts"]],
    )
    env.client("cloudwatch").put_metric_alarm(
        AlarmName="shop-checkout-failure-rate",
        EvaluationPeriods=3,
        Threshold=2.0,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=ops,
        Tags=env.tags("ops", "shop-checkout-failure-rate"),
        Metrics=[
            {
                "Id": "rate",
                "Expression": "100 * failures / orders",
                "Label": "payment failure %",
                "ReturnData": True,
            },
            {
                "Id": "failures",
                "MetricStat": {"Metric": checkout_metric("PaymentFailures"), "Period": 300, "Stat": "Sum"},
                "ReturnData": False,
            },
            {
                "Id": "orders",
                "MetricStat": {"Metric": checkout_metric("OrdersPlaced"), "Period": 300, "Stat": "Sum"},
                "ReturnData": False,
            },
        ],
    )
    put_alarm(env, "shop-orders-db-storage-low", "AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": db},
              threshold=10 * 2**30, comparison="LessThanThreshold", statistic="Minimum", actions=ops)
    seed_watched(env, ops)


def name_in(arns: Any, name: str) -> bool:
    """Whether one of the ARNs an earlier tier recorded ends with this resource name."""
    return any(str(arn).rsplit(":", 1)[-1] == name for arn in arns or [])


def seed_watched(env: Any, ops: list[str]) -> None:
    """The resources whose every required metric (checks/data/required_alarms.yaml) has an alarm.

    Skipped where the earlier tier is not seeded: an alarm's dimensions must name a real resource.
    """
    alb_arn = env.outputs.get(f"alb_arn:{env.region}")
    if alb_arn:
        balancer = {"LoadBalancer": alb_arn.split(":loadbalancer/", 1)[1]}
        put_alarm(env, "shop-alb-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", balancer,
                  threshold=25, statistic="Sum", actions=ops)
        put_alarm(env, "shop-alb-latency", "AWS/ApplicationELB", "TargetResponseTime", balancer,
                  threshold=1.5, actions=ops)
    if "catalogue" in (env.outputs.get(f"table_names:{env.region}") or []):
        for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
            put_alarm(env, f"catalogue-{metric}", "AWS/DynamoDB", metric, {"TableName": "catalogue"},
                      threshold=0, statistic="Sum", actions=ops)
    if name_in(env.outputs.get(f"lambda_arns:{env.region}"), "shop-order-events"):
        seed_function_alarm(env, "shop-order-events", ops)
    distributions = env.outputs.get("distribution_ids") or []
    if distributions:  # CloudFront metrics, and so their alarms, live in us-east-1 only
        put_alarm(env, "shop-cdn-5xx-rate", "AWS/CloudFront", "5xxErrorRate",
                  {"DistributionId": distributions[0], "Region": "Global"}, threshold=1, actions=ops)


def seed_function_alarm(env: Any, function: str, ops: list[str]) -> None:
    """One metric-math alarm on errors plus throttles: it covers both metrics of the function."""
    def metric(name: str) -> dict[str, Any]:
        return {
            "Id": name.lower(),
            "MetricStat": {
                "Metric": {"Namespace": "AWS/Lambda", "MetricName": name,
                           "Dimensions": [{"Name": "FunctionName", "Value": function}]},
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    name = f"{function}-failures"
    env.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        EvaluationPeriods=5,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=ops,
        Tags=env.tags("ops", name),
        Metrics=[
            {"Id": "failed", "Expression": "errors + throttles", "Label": "failed invocations", "ReturnData": True},
            metric("Errors"),
            metric("Throttles"),
        ],
    )


# ----- CloudWatch Logs ----------------------------------------------------------------------
def seed_log_groups(env: Any) -> None:
    """/shop/api keeps 30 days; the thumbnailer's Lambda group never expires (defect)."""
    logs = env.client("logs")
    logs.create_log_group(logGroupName="/shop/api", tags=env.tag_map("logs", "/shop/api"))
    logs.put_retention_policy(logGroupName="/shop/api", retentionInDays=30)
    logs.create_log_group(
        logGroupName="/aws/lambda/shop-thumbnailer", tags=env.tag_map("logs", "/aws/lambda/shop-thumbnailer")
    )


# ----- CloudTrail ---------------------------------------------------------------------------
def seed_trail_bucket(env: Any) -> str:
    """A private, encrypted, versioned bucket only CloudTrail may write to, over TLS only."""
    bucket = f"shop-trail-logs-{env.account}"
    s3 = env.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": env.tags("logs", bucket)})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-trail-logs",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": 365},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
    )
    arn = f"arn:aws:s3:::{bucket}"
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AWSCloudTrailAclCheck",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "s3:GetBucketAcl",
                        "Resource": arn,
                    },
                    {
                        "Sid": "AWSCloudTrailWrite",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": f"{arn}/AWSLogs/{env.account}/*",
                        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                    },
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [arn, f"{arn}/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            }
        ),
    )
    return bucket


def seed_trail(env: Any) -> None:
    """shop-trail: multi-region and logging, but without log file validation (defect: tampered
    log files would go unnoticed). A stopped single-region legacy trail lingers in the second
    region (defect, for per-trail rules)."""
    bucket = seed_trail_bucket(env)
    trail = env.client("cloudtrail")
    trail.create_trail(
        Name="shop-trail",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=False,
        IncludeGlobalServiceEvents=True,
        TagsList=env.tags("logs", "shop-trail"),
    )
    trail.start_logging(Name="shop-trail")
    env.client("cloudtrail", env.second_region).create_trail(
        Name="shop-legacy-trail",
        S3BucketName=bucket,
        S3KeyPrefix="legacy",
        IncludeGlobalServiceEvents=False,
        TagsList=env.tags("logs", "shop-legacy-trail"),
    )


# ----- IAM ----------------------------------------------------------------------------------
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
READ_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "cloudwatch:Get*",
                "cloudwatch:List*",
                "cloudwatch:Describe*",
                "logs:Get*",
                "logs:Describe*",
            ],
            "Resource": "*",
        }
    ],
}


def seed_iam(env: Any) -> None:
    """Defects: an 8-character password policy without reuse prevention; the root user has an
    access key and no MFA; deploy-bot (created OLD_KEY_DAYS ago) has an access key as old,
    never used, and an Action * / Resource * policy attached directly; alice signs in to the
    console without MFA. bob (console password, virtual MFA, a fresh access key, read-only policy)
    is the good example."""
    iam = env.client("iam")
    iam.update_account_password_policy(
        MinimumPasswordLength=8, RequireNumbers=True, AllowUsersToChangePassword=True
    )
    admin = iam.create_policy(
        PolicyName="shop-deploy-admin",
        PolicyDocument=json.dumps(ADMIN_POLICY),
        Tags=env.tags("ops", "shop-deploy-admin"),
    )["Policy"]["Arn"]
    reader = iam.create_policy(
        PolicyName="shop-observability-read",
        PolicyDocument=json.dumps(READ_ONLY_POLICY),
        Tags=env.tags("ops", "shop-observability-read"),
    )["Policy"]["Arn"]
    iam.create_user(UserName="deploy-bot", Tags=env.tags("ops", "deploy-bot"))
    iam.create_access_key(UserName="deploy-bot")  # the secret is discarded: nothing uses it
    age_deploy_bot(env, OLD_KEY_DAYS)
    give_root_an_access_key(env)
    iam.attach_user_policy(UserName="deploy-bot", PolicyArn=admin)
    for name in ("alice", "bob"):
        iam.create_user(UserName=name, Tags=env.tags("ops", name))
        iam.create_login_profile(
            UserName=name, Password="Sandbox-only-Passw0rd!", PasswordResetRequired=False
        )
        iam.attach_user_policy(UserName=name, PolicyArn=reader)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob", Tags=env.tags("ops", "bob-mfa"))[
        "VirtualMFADevice"
    ]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="bob", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    iam.create_access_key(UserName="bob")  # a fresh key for the CLI: rotated, recently issued


#: Age given to deploy-bot and its access key: past both 90-day defaults (rotation, unused).
OLD_KEY_DAYS = 200


def backend(service: str, account: str) -> Any:
    """SANDBOX-ONLY: moto's in-process backend for a global service, or None (logged).

    opsctl.sandbox runs moto's server in this process, so its backends are importable here;
    against any other endpoint the resource keeps what the API gave it.
    """
    try:
        from moto.backends import get_backend
    except ImportError:  # moto is the sandbox extra; without it there is no in-process backend
        log.warning("moto is not importable: the %s facts no API can set are left as they are", service)
        return None
    return get_backend(service)[account]["global"]


def age_deploy_bot(env: Any, days: int) -> None:
    """Backdate deploy-bot and its access key (no IAM API sets a creation date)."""
    iam = backend("iam", env.account)
    user = iam.users.get("deploy-bot") if iam is not None else None
    if user is None:
        log.warning("deploy-bot is not in this process's moto backend: its access key stays new")
        return
    then = user.create_date - dt.timedelta(days=days)  # moto keeps naive UTC datetimes
    user.create_date = then
    for key in user.access_keys:
        key.create_date = then


def give_root_an_access_key(env: Any) -> None:
    """moto fixes AccountAccessKeysPresent at 0 and no API creates a root key: set the flag."""
    iam = backend("iam", env.account)
    if iam is None or not hasattr(iam.account_summary, "_account_access_keys_present"):
        log.warning("the root access key flag is not settable on this moto: root keeps no access key")
        return
    iam.account_summary._account_access_keys_present = 1  # private, but moto has no public setter


# ----- KMS ----------------------------------------------------------------------------------
def seed_keys(env: Any) -> None:
    """alias/shop-data rotates yearly; alias/shop-legacy never rotates (defect)."""
    kms = env.client("kms")
    for alias, rotate in (("shop-data", True), ("shop-legacy", False)):
        tags = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in env.tags("ops", alias)]
        key_id = kms.create_key(
            Description=f"3d-shop {alias}", KeyUsage="ENCRYPT_DECRYPT", KeySpec="SYMMETRIC_DEFAULT", Tags=tags
        )["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=key_id)
        if rotate:
            kms.enable_key_rotation(KeyId=key_id)


# ----- ACM ----------------------------------------------------------------------------------
def self_signed_certificate(domain: str, days_valid: int) -> tuple[bytes, bytes]:
    """A throwaway ECDSA certificate; `cryptography` comes with moto, so it is imported here only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days_valid))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def seed_certificates(env: Any) -> None:
    """Two imported certificates in use on the legacy admin (classic) load balancer:
    admin.shop.example.com expires in 10 days (defect), partners.shop.example.com in 300.

    ACM only reports a certificate "in use" once a listener references it; in moto only
    (classic) ELB listeners register that. A classic load balancer is invisible to the
    ELBv2 checks, so this does not disturb the load balancer tier's findings.
    """
    acm = env.client("acm")
    arns = {}
    for domain, days in ((f"admin.{DOMAIN}", 10), (f"partners.{DOMAIN}", 300)):
        cert, key = self_signed_certificate(domain, days)
        arns[domain] = acm.import_certificate(Certificate=cert, PrivateKey=key, Tags=env.tags("ops", domain))[
            "CertificateArn"
        ]
    subnets = env.outputs.get(f"public_subnets:{env.region}") or []
    placement = (
        {"Subnets": subnets[:2]} if subnets else {"AvailabilityZones": [f"{env.region}a", f"{env.region}b"]}
    )
    env.client("elb").create_load_balancer(
        LoadBalancerName="shop-legacy-admin",
        Listeners=[
            {
                "Protocol": "HTTPS",
                "LoadBalancerPort": 443,
                "InstanceProtocol": "HTTP",
                "InstancePort": 8080,
                "SSLCertificateId": arns[f"admin.{DOMAIN}"],
            },
            {
                "Protocol": "HTTPS",
                "LoadBalancerPort": 8443,
                "InstanceProtocol": "HTTP",
                "InstancePort": 8081,
                "SSLCertificateId": arns[f"partners.{DOMAIN}"],
            },
        ],
        Tags=env.tags("ops", "shop-legacy-admin"),
        **placement,
    )


# ----- Budgets ------------------------------------------------------------------------------
def seed_budget(env: Any) -> None:
    """A monthly cost budget that notifies nobody (defect: the alert threshold was never set up,
    so an overspend is found on the invoice)."""
    env.client("budgets").create_budget(
        AccountId=env.account,
        Budget={
            "BudgetName": "shop-monthly-cost",
            "BudgetLimit": {"Amount": "2500", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
    )
