"""A finding's service, resource type and resource name are those of the resource it names
(issue 13, item 5): alarm coverage on an Auto Scaling group is autoscaling, a service quota names
the service it limits, budgets and Trusted Advisor name their own service on the account, and an
alarm's name keeps its colons."""

from __future__ import annotations

import csv
import io

import pytest

from opsctl.engine import Result
from opsctl.findings import Finding, Severity, Status
from opsctl.report.common import resource_label
from opsctl.report.csv_report import render_csv
from opsctl.report.helpers import service_of
from opsctl.resources import RESOURCE_TYPES, service_of_arn, type_of_arn

ACCOUNT = "123456789012"
ASG = f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:autoScalingGroup:4ca6b7a4:autoScalingGroupName/shop-web"


@pytest.mark.parametrize(("arn", "rtype", "service"), [
    (ASG, "autoscaling.group", "autoscaling"),
    (f"arn:aws:servicequotas:us-east-1:{ACCOUNT}:lambda/L-B99A9384", "servicequotas.quota", "lambda"),
    (f"arn:aws:servicequotas:us-east-1:{ACCOUNT}:elasticloadbalancing/L-53DA6B97", "servicequotas.quota", "elbv2"),
    (f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:ops:disk-full", "cloudwatch.alarm", "cloudwatch"),
    (f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/shop/50dc6c495c0c9188", "elbv2.load_balancer", "elbv2"),
    (f"arn:aws:iam::{ACCOUNT}:root", "iam.account", "iam"),
    ("arn:aws:s3:::assets", "s3.bucket", "s3"),
    (f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts", "sns.topic", "sns"),
    (f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:orders", "rds.db_instance", "rds"),
    (f"arn:aws:rds:eu-west-1:{ACCOUNT}:account", None, None),  # a listing gap's pseudo ARN: no type
    ("i-0abc", None, None),
])
def test_type_and_service_of_an_arn(arn, rtype, service):
    assert type_of_arn(arn) == rtype and service_of_arn(arn) == service
    assert rtype is None or rtype in RESOURCE_TYPES


def _f(check_id, resource_id, resource_type="iam.account"):
    return Finding(check_id=check_id, title="t", status=Status.FAIL, severity=Severity.HIGH, pillar="operations",
                   resource_id=resource_id, resource_type=resource_type, region="us-east-1", message="m", runbook="")


def test_service_of_a_finding():
    assert service_of(_f("cloudwatch.alarm_coverage", ASG, "autoscaling.group")) == "autoscaling"
    assert service_of(_f("quotas.lambda_concurrency", f"arn:aws:servicequotas:us-east-1:{ACCOUNT}:lambda/L-B99A9384",
                         "servicequotas.quota")) == "lambda"
    root = f"arn:aws:iam::{ACCOUNT}:root"
    assert service_of(_f("budgets.budget_configured", root)) == "budgets"
    assert service_of(_f("trustedadvisor.check", root)) == "trustedadvisor"
    assert service_of(_f("cloudtrail.multi_region_trail", root)) == "cloudtrail"
    assert service_of(_f("iam.root_mfa", root)) == "iam"


def test_the_engine_types_a_finding_by_the_resource_it_names():
    from opsctl.engine import _finding
    from opsctl.registry import Outcome, load_builtin_checks

    spec = load_builtin_checks()["cloudwatch.alarm_coverage"]
    account = {"arn": f"arn:aws:iam::{ACCOUNT}:root", "region": "global"}
    named = _finding(spec, Outcome(Status.FAIL, "no alarm", resource_id=ASG), account, "", "global")
    assert named.resource_type == "autoscaling.group"
    own = _finding(spec, Outcome(Status.PASS, "fine"), account, "", "global")
    assert own.resource_type == spec.resource_type


def test_csv_resource_name_is_the_real_name():
    alarm = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:ops:disk-full"
    assert resource_label(alarm) == "ops:disk-full"
    result = Result(findings=[_f("cloudwatch.alarm_actions", alarm, "cloudwatch.alarm")], coverage=[], account=ACCOUNT,
                    regions=["us-east-1"], checks_run=["cloudwatch.alarm_actions"], metadata={})
    [row] = csv.DictReader(io.StringIO(render_csv(result)))
    assert (row["resource_name"], row["service"], row["resource_type"]) == ("ops:disk-full", "cloudwatch", "cloudwatch.alarm")
