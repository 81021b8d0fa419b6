"""`opsctl alarms plan|apply` as a user meets it (CliRunner; moto in-process for apply)."""

from __future__ import annotations

import json

import boto3
import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.snapshot import save_snapshot
from tests.helpers import snapshot
from tests.unit.checks.test_cloudwatch import asg, coverage, db

TOPIC = "arn:aws:sns:us-east-1:123456789012:ops-alerts"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def snap_file(tmp_path):
    path = tmp_path / "snap.json"
    save_snapshot(snapshot(coverage(asg=[asg()], db=[db()])), path)
    return str(path)


def test_plan_from_a_snapshot(runner, snap_file):
    result = runner.invoke(cli, ["alarms", "plan", "--snapshot", snap_file, "--topic-arn", TOPIC])
    assert result.exit_code == 0, result.output
    assert "3 to create" in result.output and "offline" in result.output
    assert "+ create    us-east-1      opsctl-asg-shop-web-asg-CPUUtilization" in result.output
    assert "warning" not in result.output


def test_plan_json_and_detailed_exitcode(runner, snap_file):
    result = runner.invoke(cli, ["alarms", "plan", "--snapshot", snap_file, "--format", "json", "--detailed-exitcode"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["counts"]["create"] == 3 and data["live"] is False
    assert {a["action"] for a in data["alarms"]} == {"create"}
    assert any("cloudwatch.alarm_has_action will FAIL" in w for w in data["warnings"])


def test_plan_snapshot_excludes_region(runner, snap_file):
    result = runner.invoke(cli, ["alarms", "plan", "--snapshot", snap_file, "--region", "us-east-1"])
    assert result.exit_code == 2 and "drop --region" in result.output


def test_bad_topic_arn_is_a_usage_error(runner, snap_file):
    result = runner.invoke(cli, ["alarms", "plan", "--snapshot", snap_file, "--topic-arn", "arn:aws:sqs:us-east-1:1:q"])
    assert result.exit_code == 2 and "--topic-arn: 'arn:aws:sqs:us-east-1:1:q' is not an SNS topic ARN" in result.output
    result = runner.invoke(cli, ["alarms", "apply", "--yes", "--topic-arn", "nope"])
    assert result.exit_code == 2 and "not an SNS topic ARN" in result.output


def test_config_error_names_file_and_line(runner, snap_file, tmp_path):
    config = tmp_path / "opsctl.yaml"
    config.write_text("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {threshold: lots}\n")
    result = runner.invoke(cli, ["alarms", "plan", "--snapshot", snap_file, "--config", str(config)])
    assert result.exit_code == 2 and f"{config}:4: alarms.thresholds.AWS/RDS.CPUUtilization" in result.output


def test_apply_off_a_terminal_needs_yes(runner):
    result = runner.invoke(cli, ["alarms", "apply", "--region", "us-east-1"])
    assert result.exit_code == 2 and "pass --yes" in result.output


@pytest.fixture
def account(moto_aws):
    boto3.client("dynamodb", region_name="us-east-1").create_table(
        TableName="catalogue", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    return boto3.client("cloudwatch", region_name="us-east-1")


def alarm_names(cw) -> list[str]:
    return sorted(a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"])


def test_apply_yes_then_nothing_to_do(runner, account):
    result = runner.invoke(cli, ["alarms", "apply", "--region", "us-east-1", "--yes", "--topic-arn", TOPIC])
    assert result.exit_code == 0, result.output
    assert "created  us-east-1      opsctl-dynamodb-catalogue-ReadThrottleEvents" in result.output
    assert "applied: 2 written, 0 failed" in result.output
    assert alarm_names(account) == ["opsctl-dynamodb-catalogue-ReadThrottleEvents",
                                    "opsctl-dynamodb-catalogue-WriteThrottleEvents"]
    again = runner.invoke(cli, ["alarms", "apply", "--region", "us-east-1", "--yes", "--topic-arn", TOPIC])
    assert again.exit_code == 0 and "nothing to write" in again.output
    plan = runner.invoke(cli, ["alarms", "plan", "--region", "us-east-1", "--detailed-exitcode"])
    assert plan.exit_code == 0 and "2 unchanged" in plan.output


def test_apply_asks_and_a_no_writes_nothing(runner, account, monkeypatch):
    from opsctl.commands import alarms as command

    monkeypatch.setattr(command, "_interactive", lambda: True)
    declined = runner.invoke(cli, ["alarms", "apply", "--region", "us-east-1"], input="n\n")
    assert declined.exit_code == 2 and "Write 2 alarm(s)?" in declined.output and "declined" in declined.output
    assert alarm_names(account) == []
    accepted = runner.invoke(cli, ["alarms", "apply", "--region", "us-east-1"], input="y\n")
    assert accepted.exit_code == 0 and len(alarm_names(account)) == 2
    assert "cloudwatch.alarm_has_action will FAIL" in accepted.output  # no topic given


def test_apply_json(runner, account):
    result = runner.invoke(cli, ["alarms", "apply", "--region", "us-east-1", "--yes", "--format", "json"])
    data = json.loads(result.output)
    assert result.exit_code == 0 and len(data["applied"]) == 2 and data["failed"] == []
