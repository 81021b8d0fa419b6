"""Plan the alarms that cloudwatch.alarm_coverage finds missing: pure, no AWS calls.

`build_plan(snapshot, table, settings, thresholds, live)` reads which requirements each resource
fails (opsctl.checks._alarm_requirements.snapshot_coverage — the check's own judgement), turns
each into the alarm opsctl would create, and compares it with the alarm of that name:

- create     no alarm has the name
- update     opsctl owns the alarm and its settings differ (the changes are listed)
- unchanged  opsctl owns the alarm and it is as planned
- conflict   an alarm opsctl does not own has the name: left alone, the requirement stays unmet
- skip       the resource's coverage could not be judged, or opsctl has no settings for the metric
- orphan     an alarm opsctl owns that no resource needs any more: listed, never deleted

Ownership: the name starts with the prefix AND the alarm carries the marker — the line
`[managed by opsctl]` in its description, or the tag opsctl:managed=true. Requirements met by an
alarm opsctl does not own are left alone; requirements met only by opsctl's own alarms are
planned again, so they show as unchanged (or update, after a threshold change).

`live` is what DescribeAlarms(AlarmNamePrefix=prefix) returned per region, read just before
planning; without it (an offline plan on a saved snapshot) the snapshot's alarm records stand in,
and only the settings they hold are compared.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opsctl.alarms.settings import AlarmSettings, Thresholds
from opsctl.checks._alarm_requirements import (
    ALARM,
    Metric,
    Requirement,
    ResourceCoverage,
    UncollectedType,
    describe,
    resource_name,
    snapshot_coverage,
)
from opsctl.snapshot import Snapshot

MARKER = "[managed by opsctl]"
TAG_KEY, TAG_VALUE = "opsctl:managed", "true"
MAX_NAME = 255
WRITES = ("create", "update")
ACTIONS = ("create", "update", "unchanged", "conflict", "skip", "orphan")
#: Short names of the built-in types in alarm names; other types use the type with "." → "-".
TYPE_SLUGS = {
    "elbv2.load_balancer": "alb",
    "autoscaling.group": "asg",
    "rds.db_instance": "rds",
    "dynamodb.table": "dynamodb",
    "lambda.function": "lambda",
    "cloudfront.distribution": "cloudfront",
    "route53.health_check": "healthcheck",
}
#: The PutMetricAlarm settings a plan compares (an alarm reads None for one it does not have).
COMPARED = ("AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions", "Namespace", "MetricName",
            "Dimensions", "Statistic", "ExtendedStatistic", "Period", "EvaluationPeriods", "DatapointsToAlarm",
            "Threshold", "ComparisonOperator", "TreatMissingData")
#: What a snapshot's cloudwatch.alarm record holds of them (docs/snapshot.md).
SNAPSHOT_FIELDS = {"ActionsEnabled": "actions_enabled", "AlarmActions": "alarm_actions", "OKActions": "ok_actions",
                   "Namespace": "namespace", "MetricName": "metric_name", "Statistic": "statistic",
                   "ExtendedStatistic": "extended_statistic", "Threshold": "threshold", "ComparisonOperator": "comparison"}
SYMBOLS = {"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">=", "LessThanThreshold": "<",
           "LessThanOrEqualToThreshold": "<="}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/+=@-]")


# ----- records -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExistingAlarm:
    """An alarm already in the account whose name starts with the prefix."""

    name: str
    region: str
    settings: dict[str, Any]  # COMPARED keys it is known to have
    owned: bool
    kind: str = "metric"  # "metric" | "composite"
    insufficient_data_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlannedAlarm:
    action: str  # one of ACTIONS
    region: str
    name: str  # the alarm's name ("" for a skipped resource)
    subject: str  # "Auto Scaling group shop-web-asg"
    metric: str  # "AWS/EC2 CPUUtilization"
    resource_arn: str = ""
    params: dict[str, Any] = field(default_factory=dict)  # PutMetricAlarm arguments (create, update)
    changes: tuple[tuple[str, Any, Any], ...] = ()  # (setting, now, planned) for an update
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "region": self.region, "name": self.name, "subject": self.subject,
                "metric": self.metric, "resource_arn": self.resource_arn, "reason": self.reason,
                "changes": [{"setting": k, "current": a, "planned": b} for k, a, b in self.changes],
                "params": self.params}


@dataclass(frozen=True)
class Plan:
    items: tuple[PlannedAlarm, ...]
    prefix: str
    warnings: tuple[str, ...] = ()
    #: False when the current alarms came from a snapshot, not a fresh DescribeAlarms
    live: bool = True

    @property
    def writes(self) -> list[PlannedAlarm]:
        return [i for i in self.items if i.action in WRITES]

    def counts(self) -> dict[str, int]:
        return {action: sum(1 for i in self.items if i.action == action) for action in ACTIONS}

    def to_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "live": self.live, "counts": self.counts(), "warnings": list(self.warnings),
                "alarms": [i.to_dict() for i in self.items]}


# ----- reading the current alarms ---------------------------------------------------------------------
def is_owned(name: str, prefix: str, description: str | None, tags: dict[str, str] | None) -> bool:
    """Both the name prefix and a marker (description line or tag): anything less is someone else's."""
    marked = MARKER in (description or "") or (tags or {}).get(TAG_KEY) == TAG_VALUE
    return name.startswith(prefix) and marked


def from_describe(record: dict[str, Any], region: str, prefix: str, kind: str = "metric") -> ExistingAlarm:
    """An alarm as DescribeAlarms returns it (MetricAlarms or CompositeAlarms entry; a "Tags" list
    may have been added from ListTagsForResource)."""
    name = str(record.get("AlarmName"))
    tags = {t["Key"]: t["Value"] for t in record.get("Tags") or []}
    if kind == "composite":
        return ExistingAlarm(name, region, {}, False, kind)
    periods = record.get("EvaluationPeriods")
    settings = {
        "AlarmDescription": record.get("AlarmDescription") or "",
        "ActionsEnabled": record.get("ActionsEnabled", True),
        "AlarmActions": list(record.get("AlarmActions") or []),
        "OKActions": list(record.get("OKActions") or []),
        "Namespace": record.get("Namespace"),
        "MetricName": record.get("MetricName"),
        "Dimensions": sorted_dimensions({d["Name"]: d["Value"] for d in record.get("Dimensions") or []}),
        "Statistic": record.get("Statistic"),
        "ExtendedStatistic": record.get("ExtendedStatistic"),
        "Period": record.get("Period"),
        "EvaluationPeriods": periods,
        "DatapointsToAlarm": record.get("DatapointsToAlarm", periods),  # absent means "all of them"
        "Threshold": _float(record.get("Threshold")),
        "ComparisonOperator": record.get("ComparisonOperator"),
        "TreatMissingData": record.get("TreatMissingData") or "missing",
    }
    return ExistingAlarm(name, region, settings, is_owned(name, prefix, settings["AlarmDescription"], tags), kind,
                         tuple(record.get("InsufficientDataActions") or []))


def from_snapshot(alarm: dict[str, Any], prefix: str) -> ExistingAlarm:
    """A snapshot's cloudwatch.alarm record: fewer settings (no description, period …), and
    ownership by tag only."""
    name = str(alarm.get("name"))
    settings = {key: alarm[src] for key, src in SNAPSHOT_FIELDS.items() if src in alarm}
    if "Threshold" in settings:
        settings["Threshold"] = _float(settings["Threshold"])
    if "dimensions" in alarm:
        settings["Dimensions"] = sorted_dimensions(alarm["dimensions"] or {})
    return ExistingAlarm(name, str(alarm.get("region")), settings, is_owned(name, prefix, None, alarm.get("tags")),
                         insufficient_data_actions=tuple(alarm.get("insufficient_data_actions") or []))


def current_alarms(snapshot: Snapshot, prefix: str, live: dict[str, list[ExistingAlarm]] | None
                   ) -> dict[tuple[str, str], ExistingAlarm]:
    """The prefixed alarms by (region, name): read live where given, else from the snapshot."""
    out: dict[tuple[str, str], ExistingAlarm] = {}
    live = live or {}
    for alarm in snapshot.of_type(ALARM):
        if str(alarm.get("name", "")).startswith(prefix) and alarm.get("region") not in live:
            existing = from_snapshot(alarm, prefix)
            out[(existing.region, existing.name)] = existing
    for region, alarms in live.items():
        for existing in alarms:
            out[(region, existing.name)] = existing
    return out


# ----- planning ---------------------------------------------------------------------------------
def build_plan(snapshot: Snapshot, table: dict[str, dict[str, Any]], settings: AlarmSettings,
               thresholds: Thresholds, live: dict[str, list[ExistingAlarm]] | None = None) -> Plan:
    current = current_alarms(snapshot, settings.prefix, live)
    owned = {key for key, alarm in current.items() if alarm.owned}
    # Only alarms opsctl does not own may meet a requirement: opsctl's own are planned again.
    coverage = snapshot_coverage(snapshot, table, counts=lambda a: (a.get("region"), a.get("name")) not in owned)
    items: list[PlannedAlarm] = []
    planned: set[tuple[str, str]] = set()
    unjudged: set[str] = set()  # namespaces of types not (fully) collected: their alarms are no orphans
    for item in coverage:
        if isinstance(item, UncollectedType):
            items.append(PlannedAlarm("skip", item.region, "", item.rtype, "", reason=item.reason))
            unjudged.add(table[item.rtype]["namespace"])
            continue
        if item.error is not None:
            unjudged.add(item.entry["namespace"])
        for desired in desired_alarms(item, settings, thresholds, current):
            if desired.action == "skip":
                items.append(desired)
                continue
            key = (desired.region, desired.name)
            if key in planned:
                continue  # two requirements naming the same metric: one alarm serves both
            planned.add(key)
            items.append(compare(desired, current.get(key)))
    for key in sorted(owned - planned):
        alarm = current[key]
        if alarm.settings.get("Namespace") in unjudged:
            continue
        items.append(PlannedAlarm("orphan", alarm.region, alarm.name, "", str(alarm.settings.get("MetricName") or ""),
                                  reason="no resource of this snapshot needs it (its resource is gone, or another "
                                         "alarm now covers it); opsctl never deletes alarms"))
    return Plan(tuple(items), settings.prefix, tuple(plan_warnings(items, settings)), live is not None)


def desired_alarms(item: ResourceCoverage, settings: AlarmSettings, thresholds: Thresholds,
                   current: dict[tuple[str, str], ExistingAlarm]) -> Iterable[PlannedAlarm]:
    """The alarms meeting the resource's unmet requirements (as "create", before comparison)."""
    entry = item.entry
    subject = f"{entry['label']} {resource_name(item.resource, entry)}"
    arn = str(item.resource.get("arn"))
    if item.error is not None:
        yield PlannedAlarm("skip", item.alarm_region, "", subject, "", arn, reason=_hint(item.error, item.alarm_region))
        return
    for requirement in item.missing:
        alternative = _creatable(requirement, thresholds)
        if alternative is None:
            lacking = [m for alt in requirement for m in alt if (m["namespace"], m["metric"]) not in thresholds]
            first = (lacking or requirement[0])[0]
            yield PlannedAlarm("skip", item.alarm_region, "", subject, describe(requirement, entry["namespace"]), arn,
                               reason=f"no alarm settings for {first['namespace']} {first['metric']}; add them under "
                                      f"alarms.thresholds.{first['namespace']}.{first['metric']} in the config")
            continue
        for metric in alternative:
            name = alarm_name(settings.prefix, item, metric)
            params = alarm_params(name, subject, item, metric, thresholds[(metric["namespace"], metric["metric"])],
                                  settings, current.get((item.alarm_region, name)))
            yield PlannedAlarm("create", item.alarm_region, name, subject, f"{metric['namespace']} {metric['metric']}",
                               arn, params)


def _creatable(requirement: Requirement, thresholds: Thresholds) -> list[Metric] | None:
    """The first alternative whose every metric has settings that allow creating it."""
    for alternative in requirement:
        if all(thresholds.get((m["namespace"], m["metric"]), {}).get("create", True)
               and (m["namespace"], m["metric"]) in thresholds for m in alternative):
            return alternative
    return None


def _hint(reason: str, region: str) -> str:
    if f"{ALARM} was not collected in {region}" in reason:
        return f"{reason}; add --region {region} so its alarms are read"
    return reason


def alarm_name(prefix: str, item: ResourceCoverage, metric: Metric) -> str:
    """`<prefix><type>-<dimension values>-<metric>`: the dimension values identify the resource in
    CloudWatch, so the name is unique per region. Unsafe characters become "_"; a name that had to
    be altered or shortened gets a hash of the original so two resources never share one."""
    slug = TYPE_SLUGS.get(item.rtype, item.rtype.replace(".", "-"))
    ident = "-".join(item.dimensions[k] for k in sorted(item.dimensions))
    raw = f"{prefix}{slug}-{ident}-{metric['metric']}"
    safe = _UNSAFE.sub("_", raw)
    if safe == raw and len(raw) <= MAX_NAME:
        return raw
    digest = hashlib.sha256(f"{raw}|{metric['namespace']}".encode()).hexdigest()[:8]
    return f"{safe[:MAX_NAME - 9]}-{digest}"


def alarm_params(name: str, subject: str, item: ResourceCoverage, metric: Metric, fields: dict[str, Any],
                 settings: AlarmSettings, existing: ExistingAlarm | None) -> dict[str, Any]:
    """PutMetricAlarm arguments. Without a topic for the region, an alarm opsctl owns keeps the
    actions it has (someone may have set them by hand); a new one gets none."""
    statistic = fields["statistic"]
    topic = settings.topic_for(item.alarm_region)
    if topic:
        actions, ok = [topic], ([topic] if settings.ok_actions else [])
    elif existing is not None and existing.owned:
        actions, ok = list(existing.settings.get("AlarmActions") or []), list(existing.settings.get("OKActions") or [])
    else:
        actions, ok = [], []
    periods = fields["evaluation_periods"]
    datapoints = fields.get("datapoints_to_alarm", periods)
    params: dict[str, Any] = {
        "AlarmName": name,
        "AlarmDescription": _description(subject, metric, fields, datapoints),
        "ActionsEnabled": True,
        "AlarmActions": actions,
        "OKActions": ok,
        "Namespace": metric["namespace"],
        "MetricName": metric["metric"],
        "Dimensions": sorted_dimensions({**fields.get("dimensions", {}), **item.dimensions}),
        "Statistic": None if statistic.startswith("p") else statistic,
        "ExtendedStatistic": statistic if statistic.startswith("p") else None,
        "Period": fields["period"],
        "EvaluationPeriods": periods,
        "DatapointsToAlarm": datapoints,
        "Threshold": float(fields["threshold"]),
        "ComparisonOperator": fields["comparison"],
        "TreatMissingData": fields.get("treat_missing_data", "missing"),
    }
    return params


def _description(subject: str, metric: Metric, fields: dict[str, Any], datapoints: int) -> str:
    periods = fields["evaluation_periods"]
    window = f"{periods} period(s) of {fields['period']}s" if datapoints == periods else \
        f"{datapoints} of {periods} periods of {fields['period']}s"
    text = (f"{subject}: {metric['metric']} {fields['statistic']} {SYMBOLS[fields['comparison']]} "
            f"{number(fields['threshold'])} for {window}. Created by `opsctl alarms apply`, which keeps it as the "
            f"config says: change thresholds there, not here.")
    return f"{text[:1000]}\n{MARKER}"


def compare(desired: PlannedAlarm, existing: ExistingAlarm | None) -> PlannedAlarm:
    """Turn a desired alarm into create, update, unchanged or conflict against the current one."""
    params = desired.params
    if existing is None:
        return _with(desired, "create", params={**_put(params), "Tags": [{"Key": TAG_KEY, "Value": TAG_VALUE}]})
    if not existing.owned:
        what = "a composite alarm" if existing.kind == "composite" else "an alarm"
        return _with(desired, "conflict", params={},
                     reason=f"{what} opsctl did not create already has this name (no '{MARKER}' marker nor "
                            f"{TAG_KEY} tag); left alone, so this requirement stays unmet")
    changes = tuple((key, existing.settings[key], params.get(key)) for key in COMPARED
                    if key in existing.settings and existing.settings[key] != params.get(key))
    if not changes:
        return _with(desired, "unchanged", params=_put(params))
    put = _put(params)
    if existing.insufficient_data_actions:
        put["InsufficientDataActions"] = list(existing.insufficient_data_actions)  # PutMetricAlarm overwrites all
    return _with(desired, "update", params=put, changes=changes)


def _put(params: dict[str, Any]) -> dict[str, Any]:
    """PutMetricAlarm arguments: the planned settings without the ones the alarm does not have."""
    out = {k: v for k, v in params.items() if v is not None}
    out["Dimensions"] = [{"Name": k, "Value": v} for k, v in params["Dimensions"]]
    return out


def _with(item: PlannedAlarm, action: str, **changes: Any) -> PlannedAlarm:
    values = {**item.__dict__, "action": action, **changes}
    return PlannedAlarm(**values)


def sorted_dimensions(dimensions: dict[str, str]) -> list[tuple[str, str]]:
    return sorted((str(k), str(v)) for k, v in dimensions.items())


def number(value: float) -> str:
    """80.0 → "80", 2147483648.0 → "2147483648", 0.5 → "0.5"."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def plan_warnings(items: list[PlannedAlarm], settings: AlarmSettings) -> list[str]:
    """Alarms that will have no alarm action: cloudwatch.alarm_has_action will FAIL them."""
    silent: dict[str, int] = {}
    for item in items:
        if item.action in ("create", "update", "unchanged") and not item.params.get("AlarmActions"):
            silent[item.region] = silent.get(item.region, 0) + 1
    warnings = []
    for region, count in sorted(silent.items()):
        warnings.append(
            f"{count} alarm(s) in {region} will have no alarm action, so cloudwatch.alarm_has_action will FAIL "
            f"for them: pass --topic-arn arn:aws:sns:{region}:<account>:<topic> (or set alarms.topic_arn)")
    for arn in settings.topic_arns:
        region = arn.split(":")[3]
        if not any(i.region == region for i in items if i.action in ("create", "update", "unchanged")):
            warnings.append(f"topic {arn} is in {region}, where no alarm is planned: CloudWatch notifies topics of "
                            f"the alarm's own region only")
    return warnings


# ----- rendering -----------------------------------------------------------------------------------
MARKS = {"create": "+", "update": "~", "unchanged": "=", "conflict": "!", "skip": "-", "orphan": "?"}


def render_text(plan: Plan, show_unchanged: bool = True) -> str:
    """The plan for a terminal: one line per alarm, the changes of updates beneath."""
    counts = plan.counts()
    summary = ", ".join(f"{counts[a]} {label}" for a, label in
                        (("create", "to create"), ("update", "to update"), ("unchanged", "unchanged"),
                         ("conflict", "conflict(s)"), ("skip", "skipped"), ("orphan", "orphaned")) if counts[a])
    lines = [f"alarms plan (prefix {plan.prefix!r}): {summary or 'nothing to do'}"]
    if not plan.live:
        lines.append("  (offline: compared with the snapshot's alarms, which lack description, period and "
                     "evaluation settings; `alarms apply` compares with the account itself)")
    shown = [i for i in plan.items if show_unchanged or i.action != "unchanged"]
    width = max((len(i.name) for i in shown), default=0)
    for item in shown:
        head = f"{MARKS[item.action]} {item.action:<9} {item.region:<14} {item.name or '-':<{width}}"
        if item.action in ("create", "update", "unchanged"):
            lines.append(f"{head}  {item.subject}: {item.metric}" + _summary(item))
        else:
            lines.append(f"{head}  {' '.join(p for p in (item.subject, item.metric) if p)}: {item.reason}")
        for key, current, planned in item.changes:
            lines.append(f"      {key}: {_show(current)} -> {_show(planned)}")
    for warning in plan.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines) + "\n"


def _summary(item: PlannedAlarm) -> str:
    p = item.params
    if not p:
        return ""
    stat = p.get("Statistic") or p.get("ExtendedStatistic")
    return f" {stat} {SYMBOLS.get(p['ComparisonOperator'], '?')} {number(p['Threshold'])} ({p['EvaluationPeriods']}x{p['Period']}s)"


def _show(value: Any) -> str:
    if isinstance(value, str) and "\n" in value:
        value = value.splitlines()[0]
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:57] + "...")
    return repr(value)
