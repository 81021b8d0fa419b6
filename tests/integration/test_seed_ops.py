"""The ops tier of the sandbox: seeded through moto's server over HTTP, then collected by the
real collectors. This asserts the snapshot holds the seeded records and their defects;
tests/integration/test_seed_ops_checks.py runs the checks over the full sandbox."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from opsctl import sandbox
from opsctl.aws import Aws
from opsctl.collect.runner import collect
from opsctl.sandbox_seed import ops

SERVICES = [
    "route53",
    "cloudwatch",
    "logs",
    "cloudtrail",
    "iam",
    "kms",
    "acm",
    "sns",
    "budgets",
    "support",
    "service-quotas",
]
#: Calls moto does not implement (MOTO-NOTES.md): their gaps are expected, any other gap is a bug.
MOTO_LACKS = {
    ("support", "DescribeTrustedAdvisorCheckResult"),
    (
        "service-quotas",
        "GetAWSDefaultServiceQuota",
    ),  # after GetServiceQuota's NoSuchResource for ec2/lambda/elb/autoscaling
    ("budgets", "DescribeSubscribersForNotification"),
}


@pytest.fixture(scope="module")
def seeded():
    with sandbox.running_server() as url:
        env = sandbox.seed(url, only=())  # the network tier only
        started = time.perf_counter()
        ops.seed(env)
        seconds = time.perf_counter() - started
        mp = pytest.MonkeyPatch()
        for key, value in sandbox.environment(url).items():
            mp.setenv(key, value)
        try:
            aws = Aws(workers=8)  # one attempt per call on a local endpoint (opsctl.aws.retry_policy)
            snap = collect(aws, list(sandbox.REGIONS), account=sandbox.ACCOUNT, services=SERVICES, workers=8)
        finally:
            mp.undo()
        yield env, snap, seconds


def by(snap, rtype, key="name"):
    return {r[key]: r for r in snap.of_type(rtype)}


def test_seeding_is_fast_and_records_outputs(seeded):
    env, _, seconds = seeded
    assert (
        seconds < 5
    )  # ~1.3 s on an idle machine (mostly creating a dozen boto3 clients); slack for a busy CI box
    assert env.outputs["zone_id"]
    ops_alerts, orphan = env.outputs["topic_arns:us-east-1"]
    assert ops_alerts.endswith(":ops-alerts") and orphan.endswith(":orphan-alerts")


def test_only_gaps_are_apis_moto_lacks(seeded):
    _, snap, _ = seeded
    unexpected = sorted(
        {
            (g.service, g.operation, g.error_code)
            for g in snap.coverage
            if (g.service, g.operation) not in MOTO_LACKS
        }
    )
    assert not unexpected
    for rtype in (
        "route53.hosted_zone",
        "route53.health_check",
        "iam.account",
        "iam.user",
        "budgets.budget",
        "support.trusted_advisor_check",
    ):
        assert snap.collected[rtype] == ["global"], rtype
    for rtype in (
        "cloudwatch.alarm",
        "logs.log_group",
        "cloudtrail.trail",
        "kms.key",
        "acm.certificate",
        "sns.topic",
        "servicequotas.quota",
    ):
        assert snap.collected[rtype] == ["eu-west-1", "us-east-1"], rtype


def test_dns(seeded):
    env, snap, _ = seeded
    zones = by(snap, "route53.hosted_zone")
    shop = zones["shop.example.com"]
    assert shop["id"] == env.outputs["zone_id"] and shop["private"] is False and shop["tags"]["tier"] == "dns"
    assert shop["query_logging"] is False  # defect
    assert zones["status.shop.example.com"]["query_logging"] is True
    assert zones["shop.internal"]["private"] is True
    records = {(r["name"], r["set_identifier"]): r for r in shop["records"]}
    www = records[("www.shop.example.com", None)]
    assert (
        www["alias_target_dns"] == "d111111abcdef8.cloudfront.net"
        and www["alias_target_zone"] == "Z2FDTNDATAQYW2"
    )
    checks = {c["fqdn"]: c for c in snap.of_type("route53.health_check")}
    api_check = checks["shop-api-1234567890.us-east-1.elb.amazonaws.com"]["id"]
    assert records[("api.shop.example.com", "api-use1")]["failover"] == "PRIMARY"
    assert records[("api.shop.example.com", "api-use1")]["health_check_id"] == api_check
    assert records[("api.shop.example.com", "api-euw1")]["failover"] == "SECONDARY"
    checkout = records[("checkout.shop.example.com", "checkout-use1")]
    assert checkout["failover"] == "PRIMARY" and checkout["health_check_id"] is None  # defect
    used = {r["health_check_id"] for z in zones.values() for r in z["records"] if r["health_check_id"]}
    assert [c["fqdn"] for c in checks.values() if c["id"] not in used] == [
        "old-status.shop.example.com"
    ]  # defect


def test_alarms_and_topics(seeded):
    env, snap, _ = seeded
    ops_alerts, orphan = env.outputs["topic_arns:us-east-1"]
    alarms = by(snap, "cloudwatch.alarm")
    assert alarms["shop-api-cpu-high"]["dimensions"] == {
        "AutoScalingGroupName": "shop-api-asg"
    }  # fallback: compute not seeded
    assert alarms["shop-api-cpu-high"]["alarm_actions"] == [ops_alerts]
    assert alarms["shop-api-cpu-low"]["alarm_actions"] == []  # defect
    assert alarms["shop-checkout-payment-failures"]["alarm_actions"] == [orphan]  # defect: nobody subscribed
    assert alarms["shop-orders-db-cpu-high"]["namespace"] == "AWS/RDS"
    assert {m["metric_name"] for m in alarms["shop-checkout-failure-rate"]["metrics"]} == {
        "PaymentFailures",
        "OrdersPlaced",
    }
    assert alarms["shop-api-health"]["metric_name"] == "HealthCheckStatus"
    assert all(a["region"] == "us-east-1" and a["tags"]["tier"] == "ops" for a in alarms.values())
    topics = by(snap, "sns.topic", "arn")
    assert topics[ops_alerts]["subscription_count"] == 1 and topics[orphan]["subscription_count"] == 0


def test_logs_and_trail(seeded):
    _, snap, _ = seeded
    groups = by(snap, "logs.log_group")
    assert groups["/shop/api"]["retention_days"] == 30
    assert groups["/aws/lambda/shop-thumbnailer"]["retention_days"] is None  # defect
    assert all(g["tags"]["tier"] == "logs" for g in groups.values())
    trails = by(snap, "cloudtrail.trail")
    main = trails["shop-trail"]
    assert (main["region"], main["is_multi_region"], main["is_logging"], main["log_file_validation"]) == (
        "us-east-1",
        True,
        True,
        False,  # defect: cloudtrail.multi_region_trail
    )
    assert main["s3_bucket"] == f"shop-trail-logs-{sandbox.ACCOUNT}" and main["tags"]["tier"] == "logs"
    legacy = trails["shop-legacy-trail"]
    assert (
        legacy["region"] == "eu-west-1"
        and legacy["is_logging"] is False
        and legacy["is_multi_region"] is False
    )
    assert len(snap.of_type("cloudtrail.trail")) == 2  # the multi-region trail is not repeated for eu-west-1


def test_identity(seeded):
    _, snap, _ = seeded
    (account,) = snap.of_type("iam.account")
    assert (
        account["password_policy"]["minimum_length"] == 8
        and account["password_policy"]["reuse_prevention"] is None
    )
    users = by(snap, "iam.user")
    bot, alice, bob = users["deploy-bot"], users["alice"], users["bob"]
    assert (
        bot["admin_policy"] is True
        and bot["admin_policies"] == ["shop-deploy-admin"]
        and len(bot["access_keys"]) == 1
    )
    assert (
        alice["password_enabled"] is True and alice["mfa_active"] is False and alice["admin_policy"] is False
    )
    assert bob["password_enabled"] is True and bob["mfa_active"] is True and bob["admin_policy"] is False


def test_keys_certificates_budget(seeded):
    _, snap, _ = seeded
    keys = by(snap, "kms.key")
    assert (
        keys["alias/shop-data"]["rotation_enabled"] is True
        and keys["alias/shop-legacy"]["rotation_enabled"] is False
    )
    certs = by(snap, "acm.certificate")
    now = dt.datetime.now(dt.timezone.utc)
    days = {name: (dt.datetime.fromisoformat(c["not_after"]) - now).days for name, c in certs.items()}
    assert days["admin.shop.example.com"] < 30 < days["partners.shop.example.com"]
    assert all(c["status"] == "ISSUED" and c["in_use_by"] for c in certs.values())
    (budget,) = snap.of_type("budgets.budget")
    assert budget["name"] == "shop-monthly-cost" and budget["notifications"] == []  # defect: nobody is notified
