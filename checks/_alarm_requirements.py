"""Which CloudWatch alarms each resource must have: the data file, its loader and the matching rule.

The requirements are data (checks/data/required_alarms.yaml, documented in its header) so a team
can extend them from the config file, and so the two readers agree on them:
cloudwatch.alarm_coverage judges the alarms that exist, `opsctl alarms plan` proposes the missing
ones. The module name starts with "_" so the registry does not import it as a check module.

`load_required_alarms(extra)` returns the normalised table, a JSON-able dict::

    {resource_type: {
        "label": "Auto Scaling group",          # how messages name a resource of the type
        "name_field": "name",                   # the field printed after the label
        "namespace": "AWS/EC2",
        "dimensions": {"AutoScalingGroupName": {"field": "name"}},
        "alarm_region": None,                   # None: the resource's own region
        "metrics": [requirement, ...],          # every requirement must be met
    }}

A requirement is a list of alternatives (one suffices); an alternative is a list of metrics that
are needed together; a metric is {"namespace": …, "metric": …}. "CPUUtilization" in the file
becomes [[{"namespace": "AWS/EC2", "metric": "CPUUtilization"}]].

`snapshot_coverage(snapshot, table)` judges every resource of a snapshot against the table and
yields the unmet requirements as data: the check turns them into findings, the alarms plan
into the alarms to create.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from opsctl.errors import MissingData, UsageError
from opsctl.registry import CheckContext
from opsctl.resources import RESOURCE_TYPES
from opsctl.snapshot import Snapshot

DATA_FILE = "required_alarms.yaml"
BUILTIN_LABEL = "checks/data/required_alarms.yaml"
EXTRA_LABEL = "cloudwatch.alarm_coverage extra_required"
ENTRY_KEYS = ("label", "name_field", "namespace", "dimensions", "alarm_region", "metrics")
SOURCE_KINDS = ("field", "arn_resource_after")
ALARM = "cloudwatch.alarm"
#: CloudWatch keeps the metrics of global services (CloudFront, Route 53) in us-east-1.
GLOBAL_METRICS_REGION = "us-east-1"

Metric = dict[str, str]  # {"namespace": ..., "metric": ...}
Alternative = list[Metric]  # metrics needed together
Requirement = list[Alternative]  # one alternative suffices


# ----- loading ------------------------------------------------------------------------------------
def load_required_alarms(extra: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The built-in requirements, extended by `extra` (same shape as the data file).

    For a type the file already has, `extra`'s metrics are added to the built-in ones and any
    other key it gives (label, namespace, dimensions, alarm_region, name_field) replaces the
    built-in value; a new type needs namespace, dimensions and metrics. Anything malformed is a
    UsageError naming the type and key.
    """
    table = {rtype: _normalise_entry(BUILTIN_LABEL, rtype, raw, None) for rtype, raw in _builtin().items()}
    if not extra:
        return table
    if not isinstance(extra, dict):
        raise UsageError(f"{EXTRA_LABEL}: must be a mapping of resource type to requirements, got {type(extra).__name__}")
    for rtype, raw in extra.items():
        table[rtype] = _normalise_entry(EXTRA_LABEL, rtype, raw, table.get(rtype))
    return table


@lru_cache(maxsize=1)
def _builtin_text() -> str:
    return resources.files("opsctl.checks.data").joinpath(DATA_FILE).read_text(encoding="utf-8")


def _builtin() -> dict[str, Any]:
    """The parsed data file (parsed again on each call: callers may keep and change what they get)."""
    try:
        data = yaml.safe_load(_builtin_text())
    except yaml.YAMLError as exc:
        raise UsageError(f"{BUILTIN_LABEL}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{BUILTIN_LABEL}: must be a mapping of resource type to requirements")
    return data


def _normalise_entry(label: str, rtype: Any, raw: Any, base: dict[str, Any] | None) -> dict[str, Any]:
    where = f"{label}: {rtype}"
    if not isinstance(rtype, str) or rtype not in RESOURCE_TYPES:
        raise UsageError(f"{where}: not a resource type opsctl collects (see opsctl/resources.py)")
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: must be a mapping with {', '.join(ENTRY_KEYS)}")
    unknown = sorted(set(raw) - set(ENTRY_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(map(str, unknown))} (expected {', '.join(ENTRY_KEYS)})")
    entry = copy.deepcopy(base) if base else {"label": rtype, "name_field": "name", "alarm_region": None, "metrics": []}
    for key in ("label", "name_field", "namespace", "alarm_region"):
        if key in raw:
            entry[key] = _text(where, key, raw[key], optional=key == "alarm_region")
    if "dimensions" in raw:
        entry["dimensions"] = _dimensions(where, raw["dimensions"])
    for required in ("namespace", "dimensions"):
        if required not in entry:
            raise UsageError(f"{where}: a new resource type needs {required!r}")
    if "metrics" not in raw and base is None:
        raise UsageError(f"{where}: needs 'metrics', the list of required metrics")
    added = _requirements(where, raw.get("metrics", []), entry["namespace"])
    entry["metrics"] = entry["metrics"] + [r for r in added if r not in entry["metrics"]]
    return {key: entry[key] for key in ENTRY_KEYS}


def _text(where: str, key: str, value: Any, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


def _dimensions(where: str, raw: Any) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict) or not raw:
        raise UsageError(f"{where}: dimensions must map each identifying dimension to its source")
    out = {}
    for name, source in raw.items():
        if (
            not isinstance(source, dict)
            or len(source) != 1
            or next(iter(source)) not in SOURCE_KINDS
            or not isinstance(next(iter(source.values())), str)
        ):
            raise UsageError(f"{where}: dimension {name} needs one source, {{field: <resource field>}} or "
                             f"{{arn_resource_after: <prefix>}}, got {source!r}")
        out[str(name)] = dict(source)
    return out


def _requirements(where: str, raw: Any, namespace: str) -> list[Requirement]:
    if not isinstance(raw, list):
        raise UsageError(f"{where}: metrics must be a list of requirements")
    return [_requirement(where, item, namespace) for item in raw]


def _requirement(where: str, item: Any, namespace: str) -> Requirement:
    if isinstance(item, list):
        if not item:
            raise UsageError(f"{where}: an empty list of alternative metrics can never be met")
        return [_alternative(where, alt, namespace) for alt in item]
    return [[_metric(where, item, namespace)]]


def _alternative(where: str, alt: Any, namespace: str) -> Alternative:
    if isinstance(alt, list):
        if not alt:
            raise UsageError(f"{where}: an alternative needs at least one metric")
        return [_metric(where, m, namespace) for m in alt]
    return [_metric(where, alt, namespace)]


def _metric(where: str, item: Any, namespace: str) -> Metric:
    if isinstance(item, str) and item.strip():
        return {"namespace": namespace, "metric": item}
    if isinstance(item, dict) and set(item) == {"namespace", "metric"} and all(
        isinstance(v, str) and v.strip() for v in item.values()
    ):
        return {"namespace": item["namespace"], "metric": item["metric"]}
    raise UsageError(f"{where}: {item!r} is not a metric name or {{namespace: …, metric: …}}")


# ----- identifying a resource ------------------------------------------------------------------
def dimension_values(resource: dict[str, Any], entry: dict[str, Any]) -> dict[str, str]:
    """The values of the dimensions that identify `resource` in CloudWatch; MissingData if unknown."""
    values = {}
    for name, source in entry["dimensions"].items():
        if "field" in source:
            value = CheckContext.need(resource, source["field"])  # in errors or absent: MissingData
        else:
            value = _arn_resource_after(resource, source["arn_resource_after"])
        if value in (None, ""):
            raise MissingData(f"{resource.get('arn', 'resource')} has no value for dimension {name}")
        values[name] = str(value)
    return values


def _arn_resource_after(resource: dict[str, Any], prefix: str) -> str:
    arn = str(resource.get("arn") or "")
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith(prefix):
        raise MissingData(f"cannot derive a CloudWatch dimension from {arn!r}: its resource part does not start with {prefix!r}")
    return parts[5][len(prefix):]


def resource_name(resource: dict[str, Any], entry: dict[str, Any]) -> str:
    """How a finding names the resource: its name field, else its id or ARN."""
    return str(resource.get(entry["name_field"]) or resource.get("name") or resource.get("id") or resource.get("arn"))


# ----- matching alarms -------------------------------------------------------------------------
@dataclass
class AlarmIndex:
    """The alarms of one region by (namespace, metric), each with the dimensions it watches.

    A metric alarm contributes its metric; a metric-math alarm every metric its expression reads.
    """

    by_metric: dict[tuple[str, str], list[tuple[dict[str, str], str]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, alarms: Iterable[dict[str, Any]]) -> AlarmIndex:
        index = cls()
        for alarm in sorted(alarms, key=lambda a: str(a.get("name"))):
            watched = [{"namespace": alarm.get("namespace"), "metric_name": alarm.get("metric_name"),
                        "dimensions": alarm.get("dimensions") or {}}] if alarm.get("metric_name") else []
            for metric in watched + list(alarm.get("metrics") or []):
                key = (str(metric.get("namespace")), str(metric.get("metric_name")))
                index.by_metric[key].append((dict(metric.get("dimensions") or {}), str(alarm.get("name"))))
        return index

    def alarms_on(self, metric: Metric, dimensions: dict[str, str]) -> list[str]:
        """Names of the alarms on `metric` whose dimensions include every identifying one."""
        found = [
            name
            for dims, name in self.by_metric.get((metric["namespace"], metric["metric"]), [])
            if all(dims.get(k) == v for k, v in dimensions.items())
        ]
        return sorted(set(found))


def met_by(requirement: Requirement, dimensions: dict[str, str], index: AlarmIndex) -> dict[str, list[str]] | None:
    """The alarms meeting the requirement ({metric: alarm names} of the first alternative met), or None."""
    for alternative in requirement:
        found = {m["metric"]: index.alarms_on(m, dimensions) for m in alternative}
        if all(found.values()):
            return found
    return None


def describe(requirement: Requirement, namespace: str) -> str:
    """'CPUUtilization', 'A or B', 'ThrottledRequests or both ReadThrottleEvents and WriteThrottleEvents'."""
    phrases = []
    for alternative in requirement:
        names = [_metric_label(m, namespace) for m in alternative]
        phrases.append(names[0] if len(names) == 1 else "both " + " and ".join(names) if len(names) == 2
                       else "all of " + ", ".join(names))
    return " or ".join(phrases)


def _metric_label(metric: Metric, namespace: str) -> str:
    return metric["metric"] if metric["namespace"] == namespace else f"{metric['metric']} ({metric['namespace']})"


# ----- coverage of a snapshot --------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceCoverage:
    """How one resource's requirements stand against the alarms of its alarm region.

    `missing` holds the unmet requirements (data, for `opsctl alarms plan`); `met` the alarms
    meeting the others. `error` is set, and the rest empty, when coverage could not be judged
    (a dimension field or the region's alarms were not collected).
    """

    rtype: str
    entry: dict[str, Any]
    resource: dict[str, Any]
    alarm_region: str
    dimensions: dict[str, str] = field(default_factory=dict)
    met: dict[str, list[str]] = field(default_factory=dict)
    missing: list[Requirement] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class UncollectedType:
    """A resource type whose resources were not collected in a region: coverage unknown there."""

    rtype: str
    region: str
    reason: str


def alarm_region(entry: dict[str, Any], resource: dict[str, Any]) -> str:
    """Where the resource's alarms live: the entry's alarm_region, else the resource's own region
    (us-east-1 for a global resource)."""
    region = entry["alarm_region"] or resource.get("region") or "global"
    return GLOBAL_METRICS_REGION if region == "global" else region


def snapshot_coverage(
    snapshot: Snapshot, table: dict[str, dict[str, Any]], counts: Callable[[dict[str, Any]], bool] | None = None
) -> Iterator[ResourceCoverage | UncollectedType]:
    """Every resource of every type in `table`, per type then region then ARN, with its coverage.

    `counts` says which alarms may meet a requirement (default: all of them); the alarms plan
    leaves out opsctl's own, so that a requirement only they meet is still proposed.
    """
    indexes: dict[str, AlarmIndex | MissingData] = {}

    def index_of(region: str) -> AlarmIndex:
        if region not in indexes:
            try:
                alarms = snapshot.require(ALARM, region)
                indexes[region] = AlarmIndex.of(a for a in alarms if counts is None or counts(a))
            except MissingData as missing:
                indexes[region] = missing
        found = indexes[region]
        if isinstance(found, MissingData):
            raise found
        return found

    for rtype, entry in table.items():
        for region, found in _resources_by_region(snapshot, rtype):
            if isinstance(found, MissingData):
                yield UncollectedType(rtype, region, found.reason)
                continue
            for resource in found:
                yield _coverage_of(resource, rtype, entry, index_of)


def _resources_by_region(snapshot: Snapshot, rtype: str) -> Iterator[tuple[str, list[dict[str, Any]] | MissingData]]:
    """(region, resources of the type there) per audited region ("global" once for global types),
    or (region, MissingData) where the type was not collected."""
    regions = ["global"] if RESOURCE_TYPES[rtype].scope == "global" else sorted(snapshot.regions)
    for region in regions:
        try:
            found = snapshot.require_global(rtype) if region == "global" else snapshot.require(rtype, region)
        except MissingData as missing:
            yield region, missing
            continue
        yield region, sorted(found, key=lambda r: str(r.get("arn")))


def _coverage_of(resource: dict[str, Any], rtype: str, entry: dict[str, Any],
                 index_of: Callable[[str], AlarmIndex]) -> ResourceCoverage:
    where = alarm_region(entry, resource)
    try:
        dimensions = dimension_values(resource, entry)
        index = index_of(where)
    except MissingData as missing:
        return ResourceCoverage(rtype, entry, resource, where, error=missing.reason)
    met: dict[str, list[str]] = {}
    unmet: list[Requirement] = []
    for requirement in entry["metrics"]:
        found = met_by(requirement, dimensions, index)
        if found is None:
            unmet.append(requirement)
        else:
            met.update(found)
    return ResourceCoverage(rtype, entry, resource, where, dimensions, met, unmet)
