"""The `alarms:` section of opsctl.yaml (registered in opsctl.config.SECTIONS) and the default
alarm settings (checks/data/alarm_defaults.yaml) it overrides.

    alarms:
      prefix: opsctl-                 # names of the alarms opsctl creates start with this
      topic_arn: arn:aws:sns:us-east-1:123456789012:ops-alerts   # or a list, one topic per region
      ok_actions: true                # also notify the topic when an alarm recovers
      thresholds:                     # per namespace and metric, field by field
        AWS/RDS:
          CPUUtilization: {threshold: 90, evaluation_periods: 5}

Pure: no AWS calls. Every error names the file and line (config) or the data file and metric.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from opsctl.config import err, mapping_entries, scalar, str_list
from opsctl.errors import UsageError

DEFAULT_PREFIX = "opsctl-"
DEFAULTS_FILE = "alarm_defaults.yaml"
DEFAULTS_LABEL = "checks/data/alarm_defaults.yaml"
#: PutMetricAlarm's AlarmName is up to 255 characters; leave room for the type, resource and metric.
MAX_PREFIX_LENGTH = 64
PREFIX_RE = re.compile(r"^[A-Za-z0-9_.:/+=@-]+$")
TOPIC_RE = re.compile(r"^arn:aws[a-z-]*:sns:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):([A-Za-z0-9_-]{1,256})(\.fifo)?$")

STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
PERCENTILE_RE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?|100)$")
COMPARISONS = ("GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold")
MISSING_DATA = ("missing", "notBreaching", "breaching", "ignore")
#: CloudWatch evaluates an alarm over at most seven days (period × evaluation periods).
MAX_EVALUATION_SECONDS = 7 * 24 * 3600

FIELDS = ("statistic", "comparison", "threshold", "period", "evaluation_periods", "datapoints_to_alarm",
          "treat_missing_data", "dimensions", "create")
REQUIRED_FIELDS = ("statistic", "comparison", "threshold", "period", "evaluation_periods")
SECTION_KEYS = ("prefix", "topic_arn", "ok_actions", "thresholds")

#: {(namespace, metric): {field: value}}
Thresholds = dict[tuple[str, str], dict[str, Any]]


@dataclass(frozen=True)
class AlarmSettings:
    """What `alarms plan|apply` creates: name prefix, notification topics and threshold overrides."""

    prefix: str = DEFAULT_PREFIX
    #: SNS topics to notify; an alarm uses the one in its own region (CloudWatch notifies
    #: topics of the alarm's region only)
    topic_arns: tuple[str, ...] = ()
    ok_actions: bool = True
    #: config overrides, field by field, of the default settings
    thresholds: Thresholds = field(default_factory=dict)

    def topic_for(self, region: str) -> str | None:
        return next((arn for arn in self.topic_arns if arn.split(":")[3] == region), None)

    def with_topics(self, topic_arns: tuple[str, ...]) -> AlarmSettings:
        """These settings with `topic_arns` (from --topic-arn) in place of the config's, if any given."""
        if not topic_arns:
            return self
        return AlarmSettings(self.prefix, _topics(list(topic_arns), lambda msg: UsageError(f"--topic-arn: {msg}")),
                             self.ok_actions, self.thresholds)


# ----- the config section ------------------------------------------------------------------------
def parse_section(path: str, node: yaml.Node) -> AlarmSettings:
    """Parse `alarms:`; every error names the file and line (exit 2)."""
    values: dict[str, Any] = {}
    for key, _key_node, value_node in mapping_entries(path, node, "alarms", SECTION_KEYS):
        if key == "prefix":
            value = scalar(path, value_node, "alarms.prefix")
            if not isinstance(value, str) or not PREFIX_RE.match(value) or len(value) > MAX_PREFIX_LENGTH:
                raise err(path, value_node, f"alarms.prefix must be 1-{MAX_PREFIX_LENGTH} characters of A-Za-z0-9 and "
                                            f"_.:/+=@- , got {value!r}")
            values[key] = value
        elif key == "topic_arn":
            items = str_list(path, value_node, "alarms.topic_arn")
            values[key] = _topics(items, lambda msg, n=value_node: err(path, n, f"alarms.topic_arn: {msg}"))
        elif key == "ok_actions":
            value = scalar(path, value_node, "alarms.ok_actions")
            if not isinstance(value, bool):
                raise err(path, value_node, f"alarms.ok_actions must be true or false, got {value!r}")
            values[key] = value
        else:
            values[key] = _threshold_section(path, value_node)
    return AlarmSettings(values.get("prefix", DEFAULT_PREFIX), values.get("topic_arn", ()),
                         values.get("ok_actions", True), values.get("thresholds", {}))


def _threshold_section(path: str, node: yaml.Node) -> Thresholds:
    if not isinstance(node, yaml.MappingNode):
        raise err(path, node, "alarms.thresholds must map a namespace (AWS/RDS) to its metrics")
    defaults = default_thresholds()
    out: Thresholds = {}
    for ns_node, metrics_node in node.value:
        namespace = scalar(path, ns_node, "alarms.thresholds")
        if not isinstance(namespace, str) or not namespace:
            raise err(path, ns_node, f"alarms.thresholds: {namespace!r} is not a namespace such as AWS/RDS")
        if not isinstance(metrics_node, yaml.MappingNode):
            raise err(path, metrics_node, f"alarms.thresholds.{namespace} must map metric names to their settings")
        for metric_node, fields_node in metrics_node.value:
            metric = scalar(path, metric_node, f"alarms.thresholds.{namespace}")
            where = f"alarms.thresholds.{namespace}.{metric}"
            if not isinstance(fields_node, yaml.MappingNode):
                raise err(path, fields_node, f"{where} must map settings ({', '.join(FIELDS)}) to values")
            fields: dict[str, Any] = {}
            for fk, fv in fields_node.value:
                name = scalar(path, fk, where)
                raw = yaml.safe_load(yaml.serialize(fv))
                fields[name] = check_field(name, raw, _at(path, fv if name in FIELDS else fk, where))
            merged = {**defaults.get((namespace, str(metric)), {}), **fields}
            lacking = [f for f in REQUIRED_FIELDS if f not in merged]
            if lacking:
                raise err(path, metric_node, f"{where}: no built-in default for this metric, so it needs {', '.join(lacking)}")
            check_consistent(merged, _at(path, metric_node, where))
            out[(namespace, str(metric))] = fields
    return out


def _at(path: str, node: yaml.Node, where: str) -> Callable[[str], Exception]:
    """An error builder naming the file, the node's line and the setting."""
    return lambda msg: err(path, node, f"{where}: {msg}")


def _topics(items: list[str], fail: Callable[[str], Exception]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for arn in items:
        match = TOPIC_RE.match(arn)
        if not match:
            raise fail(f"{arn!r} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)")
        region = match.group(1)
        if region in seen and seen[region] != arn:
            raise fail(f"two topics in {region} ({seen[region]}, {arn}); give one per region")
        seen[region] = arn
    return tuple(dict.fromkeys(items))


# ----- default thresholds --------------------------------------------------------------------
def check_field(name: str, value: Any, fail: Callable[[str], Exception]) -> Any:
    """One alarm setting, validated; `fail(message)` builds the exception to raise."""
    if name not in FIELDS:
        raise fail(f"unknown setting {name!r} (settings: {', '.join(FIELDS)})")
    if name == "statistic":
        if not isinstance(value, str) or not (value in STATISTICS or PERCENTILE_RE.match(value)):
            raise fail(f"statistic must be one of {', '.join(STATISTICS)} or a percentile such as p99, got {value!r}")
    elif name == "comparison":
        if value not in COMPARISONS:
            raise fail(f"comparison must be one of {', '.join(COMPARISONS)}, got {value!r}")
    elif name == "threshold":
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise fail(f"threshold must be a finite number, got {value!r}")
        value = float(value)
    elif name == "period":
        if not _is_int(value) or not (value in (10, 20, 30) or (60 <= value <= MAX_EVALUATION_SECONDS and value % 60 == 0)):
            raise fail(f"period must be 10, 20, 30 or a multiple of 60 seconds up to {MAX_EVALUATION_SECONDS}, got {value!r}")
    elif name in ("evaluation_periods", "datapoints_to_alarm"):
        if not _is_int(value) or value < 1:
            raise fail(f"{name} must be a whole number of at least 1, got {value!r}")
    elif name == "treat_missing_data":
        if value not in MISSING_DATA:
            raise fail(f"treat_missing_data must be one of {', '.join(MISSING_DATA)}, got {value!r}")
    elif name == "dimensions":
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise fail(f"dimensions must map dimension names to string values, got {value!r}")
    elif name == "create" and not isinstance(value, bool):
        raise fail(f"create must be true or false, got {value!r}")
    return value


def check_consistent(fields: dict[str, Any], fail: Callable[[str], Exception]) -> None:
    dta, periods = fields.get("datapoints_to_alarm"), fields.get("evaluation_periods")
    if dta is not None and periods is not None and dta > periods:
        raise fail(f"datapoints_to_alarm ({dta}) cannot exceed evaluation_periods ({periods})")
    period = fields.get("period")
    if period is not None and periods is not None and period * periods > MAX_EVALUATION_SECONDS:
        raise fail(f"period × evaluation_periods ({period} × {periods} s) cannot exceed seven days "
                   f"({MAX_EVALUATION_SECONDS} s), CloudWatch's longest evaluation window")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@lru_cache(maxsize=1)
def _defaults_text() -> str:
    return resources.files("opsctl.checks.data").joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")


def default_thresholds() -> Thresholds:
    """The built-in settings per (namespace, metric), validated (a fresh copy on each call)."""
    try:
        data = yaml.safe_load(_defaults_text())
    except yaml.YAMLError as exc:
        raise UsageError(f"{DEFAULTS_LABEL}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{DEFAULTS_LABEL}: must map namespaces to metrics")
    out: Thresholds = {}
    for namespace, metrics in data.items():
        if not isinstance(metrics, dict):
            raise UsageError(f"{DEFAULTS_LABEL}: {namespace} must map metric names to settings")
        for metric, raw in metrics.items():
            def fail(msg: str, where: str = f"{namespace} {metric}") -> UsageError:
                return UsageError(f"{DEFAULTS_LABEL}: {where}: {msg}")

            if not isinstance(raw, dict):
                raise fail("must map settings to values")
            fields = {name: check_field(name, value, fail) for name, value in raw.items()}
            lacking = [f for f in REQUIRED_FIELDS if f not in fields]
            if lacking:
                raise fail(f"needs {', '.join(lacking)}")
            check_consistent(fields, fail)
            out[(str(namespace), str(metric))] = fields
    return out


def effective_thresholds(settings: AlarmSettings) -> Thresholds:
    """Built-in settings overridden field by field by the config's; metrics only the config names too."""
    merged = default_thresholds()
    for key, fields in settings.thresholds.items():
        merged[key] = {**merged.get(key, {}), **fields}
    return merged


def settings_of(cfg: Any) -> AlarmSettings:
    """The parsed `alarms:` section of a Config, or the defaults."""
    return cfg.sections.get("alarms") or AlarmSettings()
