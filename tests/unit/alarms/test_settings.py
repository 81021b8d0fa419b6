"""The `alarms:` config section and the default alarm settings (opsctl.alarms.settings)."""

from __future__ import annotations

import pytest

from opsctl.alarms.settings import AlarmSettings, default_thresholds, effective_thresholds
from opsctl.config import parse_config
from opsctl.errors import UsageError
from opsctl.registry import load_builtin_checks


def parse(text: str):
    return parse_config(text, "opsctl.yaml", load_builtin_checks())


def test_defaults_load_and_cover_every_builtin_metric():
    from opsctl.checks._alarm_requirements import load_required_alarms

    defaults = default_thresholds()
    for entry in load_required_alarms().values():
        for requirement in entry["metrics"]:
            for alternative in requirement:
                for metric in alternative:
                    assert (metric["namespace"], metric["metric"]) in defaults, metric
    assert defaults[("AWS/CloudFront", "5xxErrorRate")]["dimensions"] == {"Region": "Global"}
    assert defaults[("AWS/DynamoDB", "ThrottledRequests")]["create"] is False


def test_section_parses():
    cfg = parse("""\
alarms:
  prefix: ops-
  topic_arn: [arn:aws:sns:us-east-1:123456789012:ops, arn:aws:sns:eu-west-1:123456789012:ops]
  ok_actions: false
  thresholds:
    AWS/RDS:
      CPUUtilization: {threshold: 90, evaluation_periods: 5, datapoints_to_alarm: 3}
""")
    settings = cfg.sections["alarms"]
    assert settings.prefix == "ops-" and settings.ok_actions is False
    assert settings.topic_for("eu-west-1") == "arn:aws:sns:eu-west-1:123456789012:ops"
    merged = effective_thresholds(settings)[("AWS/RDS", "CPUUtilization")]
    assert merged["threshold"] == 90.0 and merged["evaluation_periods"] == 5 and merged["statistic"] == "Average"


def test_single_topic_string_is_accepted():
    settings = parse("alarms:\n  topic_arn: arn:aws:sns:us-east-1:123456789012:ops\n").sections["alarms"]
    assert settings.topic_arns == ("arn:aws:sns:us-east-1:123456789012:ops",)


@pytest.mark.parametrize("text, line, words", [
    ("alarms:\n  prefx: a\n", 2, "unknown key 'prefx'"),
    ("alarms:\n  prefix: 'has space'\n", 2, "alarms.prefix"),
    ("alarms:\n  topic_arn: arn:aws:sqs:us-east-1:123456789012:q\n", 2, "not an SNS topic ARN"),
    ("alarms:\n  topic_arn: [arn:aws:sns:us-east-1:123456789012:a, arn:aws:sns:us-east-1:123456789012:b]\n", 2,
     "two topics in us-east-1"),
    ("alarms:\n  ok_actions: yes please\n", 2, "true or false"),
    ("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {threshold: high}\n", 4, "threshold must be a finite number"),
    ("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {threshold: .nan}\n", 4, "threshold must be a finite number, got nan"),
    ("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {period: 45}\n", 4, "period must be 10, 20, 30"),
    ("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {period: 99999999999999999960}\n", 4, "up to 604800"),
    ("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {period: 86400, evaluation_periods: 8}\n", 4,
     "cannot exceed seven days"),
    ("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {colour: red}\n", 4, "unknown setting 'colour'"),
    ("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {statistic: Median}\n", 4, "statistic must be"),
    ("alarms:\n  thresholds:\n    CWAgent:\n      mem_used_percent: {threshold: 90}\n", 4,
     "needs statistic, comparison, period, evaluation_periods"),
    ("alarms:\n  thresholds:\n    AWS/RDS:\n      CPUUtilization: {datapoints_to_alarm: 9}\n", 4,
     "cannot exceed evaluation_periods"),
    ("alarms: [a]\n", 1, "alarms must be a mapping"),
])
def test_section_errors_name_file_and_line(text, line, words):
    with pytest.raises(UsageError) as exc:
        parse(text)
    assert str(exc.value).startswith(f"opsctl.yaml:{line}: ") and words in str(exc.value), str(exc.value)


def test_topic_flag_replaces_config_topics_and_is_validated():
    base = AlarmSettings(topic_arns=("arn:aws:sns:us-east-1:123456789012:cfg",))
    assert base.with_topics(()).topic_arns == base.topic_arns
    assert base.with_topics(("arn:aws:sns:us-east-1:123456789012:flag",)).topic_for("us-east-1").endswith(":flag")
    with pytest.raises(UsageError, match="--topic-arn: 'nope' is not an SNS topic ARN"):
        base.with_topics(("nope",))
