"""`opsctl alarms plan|apply` against moto in-process: plan → apply → collect → the coverage
check passes; a second apply writes nothing; alarms opsctl does not own are never touched."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest

from opsctl.alarms import workflow
from opsctl.alarms.plan import MARKER, TAG_KEY
from opsctl.audit import AwsOptions
from opsctl.config import Config
from opsctl.findings import Status

REGION = "us-east-1"
TOPIC_NAME = "ops-alerts"
#: the name opsctl would give the RDS storage alarm: taken by someone else's alarm on another instance
TAKEN = "opsctl-rds-orders-FreeStorageSpace"
HAND_MADE = "team-render-errors"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


@pytest.fixture
def account(moto_aws):
    """An RDS instance, a DynamoDB table and a Lambda function without their alarms, a topic, and
    two alarms opsctl does not own: one covering the function's Errors, one squatting a name."""
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="catalogue", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier="orders", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="shop", MasterUserPassword="not-a-secret-1")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="render", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": _zip()})
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName=HAND_MADE, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
                        Dimensions=[{"Name": "FunctionName", "Value": "render"}], Period=60, EvaluationPeriods=1,
                        Threshold=5, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic])
    cw.put_metric_alarm(AlarmName=TAKEN, AlarmDescription="the DBA's own", Namespace="AWS/RDS",
                        MetricName="FreeStorageSpace", Statistic="Minimum",
                        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "orders-replica"}], Period=300,
                        EvaluationPeriods=1, Threshold=1e9, ComparisonOperator="LessThanThreshold")
    return {"topic": topic, "before": {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}}


OPTS = AwsOptions(regions=(REGION,))


def count_writes(live) -> list[str]:
    """Names of the alarms PutMetricAlarm is called for through this plan's clients."""
    calls: list[str] = []
    live.aws.client("cloudwatch", REGION).meta.events.register(
        "before-parameter-build.cloudwatch.PutMetricAlarm", lambda params, **_: calls.append(params["AlarmName"]))
    return calls


def test_plan_apply_then_coverage_passes_and_foreign_alarms_are_untouched(account):
    cfg = Config()
    live = workflow.plan_live(OPTS, cfg, (account["topic"],), extra_services=("iam",))
    actions = {i.name: i.action for i in live.plan.items}
    assert actions == {
        "opsctl-rds-orders-CPUUtilization": "create",
        TAKEN: "conflict",
        "opsctl-dynamodb-catalogue-ReadThrottleEvents": "create",
        "opsctl-dynamodb-catalogue-WriteThrottleEvents": "create",
        "opsctl-lambda-render-Throttles": "create",  # Errors is covered by the hand-made alarm
    }
    before = {f.resource_id.split(":")[-1]: f.status for f in workflow.coverage_findings(live.snapshot, cfg)}
    assert set(before.values()) == {Status.FAIL}

    writes = count_writes(live)
    report = workflow.apply(live)
    assert not report.failed and sorted(writes) == sorted(n for n, a in actions.items() if a == "create")

    # a fresh collection and the check: every resource whose alarms were created passes
    again = workflow.plan_live(OPTS, cfg, (account["topic"],), extra_services=("iam",))
    findings = {f.resource_id.split(":")[-1]: f for f in workflow.coverage_findings(again.snapshot, cfg)}
    assert findings["table/catalogue"].status is Status.PASS
    assert findings["render"].status is Status.PASS
    orders = findings["orders"]
    assert orders.status is Status.FAIL and orders.message == "RDS DB instance orders has no alarm on FreeStorageSpace."

    # the new alarms are opsctl's, notify the topic and pass alarm_has_action
    cw = boto3.client("cloudwatch", region_name=REGION)
    now = {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}
    created = now["opsctl-dynamodb-catalogue-ReadThrottleEvents"]
    assert MARKER in created["AlarmDescription"] and created["AlarmActions"] == [account["topic"]]
    assert created["Dimensions"] == [{"Name": "TableName", "Value": "catalogue"}]
    tags = cw.list_tags_for_resource(ResourceARN=created["AlarmArn"])["Tags"]
    assert {"Key": TAG_KEY, "Value": "true"} in tags
    # …and the alarms opsctl does not own are exactly as they were
    for name in (HAND_MADE, TAKEN):
        keep = ("AlarmDescription", "Dimensions", "Threshold", "AlarmActions", "Period", "MetricName")
        assert {k: now[name].get(k) for k in keep} == {k: account["before"][name].get(k) for k in keep}

    # a second apply right after the first: everything unchanged, no write call
    assert {i.action for i in again.plan.items} == {"unchanged", "conflict"}
    second = count_writes(again)
    assert workflow.apply(again).done == [] and second == []


def test_threshold_change_updates_only_opsctls_alarm(account):
    workflow.apply(workflow.plan_live(OPTS, Config(), (account["topic"],)))
    from opsctl.alarms.settings import AlarmSettings

    cfg = Config(sections={"alarms": AlarmSettings(thresholds={("AWS/RDS", "CPUUtilization"): {"threshold": 95.0}})})
    live = workflow.plan_live(OPTS, cfg, (account["topic"],))
    updates = [i for i in live.plan.items if i.action == "update"]
    assert [i.name for i in updates] == ["opsctl-rds-orders-CPUUtilization"]
    assert ("Threshold", 80.0, 95.0) in updates[0].changes
    writes = count_writes(live)
    workflow.apply(live)
    assert writes == ["opsctl-rds-orders-CPUUtilization"]
    alarm = boto3.client("cloudwatch", region_name=REGION).describe_alarms(
        AlarmNames=["opsctl-rds-orders-CPUUtilization"])["MetricAlarms"][0]
    assert alarm["Threshold"] == 95.0 and alarm["AlarmActions"] == [account["topic"]]


def test_demo_reports_coverage_before_and_after(account):
    outcome = workflow.demo(OPTS, Config(), (account["topic"],))
    assert outcome.before == {"FAIL": 3} and outcome.after == {"FAIL": 1, "PASS": 2}
    text = "\n".join(outcome.lines())
    assert "4 to create" in text and "4 written, 0 failed" in text and "after 1 FAIL, 2 PASS" in text


def test_a_refused_write_is_recorded_and_the_rest_go_on(account):
    import botocore.exceptions

    live = workflow.plan_live(OPTS, Config(), (account["topic"],))
    client = live.aws.client("cloudwatch", REGION)

    def refuse(params, **_):
        if params["AlarmName"].endswith("ReadThrottleEvents"):
            raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutMetricAlarm")

    client.meta.events.register("before-parameter-build.cloudwatch.PutMetricAlarm", refuse)
    report = workflow.apply(live)
    assert [(i.name, why) for i, why in report.failed] == [("opsctl-dynamodb-catalogue-ReadThrottleEvents",
                                                            "AccessDenied: no")]
    assert len(report.done) == 3
