"""The check registry: `@check` declares a check's metadata, validated when its module is imported.

A check is a pure function of one resource and a context::

    @check(id="s3.bucket_versioning", title="S3 bucket versioning is enabled",
           pillar="availability", severity="medium", resource_type="s3.bucket")
    def bucket_versioning(bucket, ctx):
        status = ctx.need(bucket, "versioning")      # MissingData -> ERROR for this bucket
        if status == "Enabled":
            return PASS(f"Bucket {bucket['name']} has versioning enabled.")
        return FAIL(f"Bucket {bucket['name']} has versioning {status or 'never enabled'}.", versioning=status)

It returns one Outcome, None (not applicable: no finding), or an iterable of Outcomes. It must
not call AWS (no boto3 under checks/): everything it needs is in the snapshot.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from opsctl.errors import MissingData, UsageError, check_id_hint
from opsctl.findings import PILLARS, Severity, Status
from opsctl.resources import RESOURCE_TYPES

ID_PATTERN = re.compile(r"^[a-z0-9]+\.[a-z0-9_]+$")
PARAM_TYPES = (int, float, bool, str, list, dict)


class RegistryError(Exception):
    """A check's metadata is invalid: a programming error, raised at import."""


@dataclass(frozen=True)
class Outcome:
    """What a check says about one resource; the engine turns it into a Finding."""

    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    resource_id: str | None = None  # defaults to the resource's `arn`
    region: str | None = None  # defaults to the resource's `region`
    severity: Severity | None = None  # overrides the check's severity (e.g. legacy OAI is low)
    pillar: str | None = None  # overrides the check's pillar (Trusted Advisor maps categories)
    monthly_savings_usd: float | None = None


def PASS(message: str, **evidence: Any) -> Outcome:  # noqa: N802 - reads like the status it returns
    return Outcome(Status.PASS, message, evidence)


def FAIL(message: str, **evidence: Any) -> Outcome:  # noqa: N802
    return Outcome(Status.FAIL, message, evidence)


def SKIP(message: str, **evidence: Any) -> Outcome:  # noqa: N802
    return Outcome(Status.SKIPPED, message, evidence)


@dataclass(frozen=True)
class CheckContext:
    """What a check may read besides its resource: the whole snapshot and its parameters."""

    snapshot: Any  # opsctl.snapshot.Snapshot (not imported, to keep checks free of I/O types)
    params: dict[str, Any]
    #: The price table (opsctl.pricing.PriceTable) for savings figures; None when not loaded.
    prices: Any = None
    #: The architecture spec (opsctl.architecture.Spec) the arch.* checks read; None: the built-in one.
    spec: Any = None

    @staticmethod
    def need(resource: dict[str, Any], key: str) -> Any:
        """A resource field, or MissingData naming the failed call that should have filled it."""
        errors = resource.get("errors") or {}
        if key in errors:
            raise MissingData(errors[key])
        if key not in resource:
            raise MissingData(f"field {key!r} of {resource.get('arn', 'resource')} was not collected")
        return resource[key]


CheckFn = Callable[[dict[str, Any], CheckContext], "Outcome | Iterable[Outcome] | None"]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    pillar: str
    severity: Severity
    resource_type: str
    fn: CheckFn
    params: dict[str, Any]
    description: str
    runbook: str  # runbooks/<id>.md
    #: The pillar and severity are per finding (Trusted Advisor maps its categories and statuses):
    #: --pillar and --min-severity then keep the check and filter its findings instead.
    per_finding: bool = False

    @property
    def service(self) -> str:
        return self.id.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "pillar": self.pillar,
            "severity": self.severity.value,
            "resource_type": self.resource_type,
            "params": dict(self.params),
            "description": self.description,
            "runbook": self.runbook,
            "per_finding": self.per_finding,
        }


_REGISTRY: dict[str, CheckSpec] = {}


def check(
    *,
    id: str,  # noqa: A002 - the catalogue calls it id
    title: str,
    pillar: str,
    severity: str,
    resource_type: str,
    params: dict[str, Any] | None = None,
    per_finding: bool = False,
) -> Callable[[CheckFn], CheckFn]:
    """Register a check. Every field is validated now, so a bad check fails at import.

    ``pillar`` and ``severity`` are the check's own; an Outcome may override them per finding. A check
    whose findings take their pillar and severity from the data (Trusted Advisor's categories)
    declares ``per_finding=True`` so that --pillar/--min-severity filter its findings, not the check."""

    def decorate(fn: CheckFn) -> CheckFn:
        problems = []
        if not ID_PATTERN.match(id):
            problems.append(f"id {id!r} is not service.resource_expected_state")
        if id in _REGISTRY and _REGISTRY[id].fn.__qualname__ != fn.__qualname__:
            problems.append(f"id {id!r} is registered twice")
        if not title or title.endswith("."):
            problems.append("title must be a non-empty phrase without a final period")
        if pillar not in PILLARS:
            problems.append(f"pillar {pillar!r} is not one of {', '.join(PILLARS)}")
        if severity not in {s.value for s in Severity}:
            problems.append(f"severity {severity!r} is not one of {', '.join(s.value for s in Severity)}")
        if resource_type not in RESOURCE_TYPES:
            problems.append(f"resource_type {resource_type!r} is not declared in opsctl/resources.py")
        for name, default in (params or {}).items():
            if not re.match(r"^[a-z][a-z0-9_]*$", name) or not isinstance(default, PARAM_TYPES):
                problems.append(f"parameter {name!r} needs a snake_case name and an int/float/bool/str/list/dict default")
        doc = (fn.__doc__ or "").strip()
        if not doc:
            problems.append("the check function needs a docstring saying what it checks")
        if problems:
            raise RegistryError(f"check {id}: " + "; ".join(problems))
        _REGISTRY[id] = CheckSpec(
            id=id,
            title=title,
            pillar=pillar,
            severity=Severity(severity),
            resource_type=resource_type,
            fn=fn,
            params=dict(params or {}),
            description=doc.splitlines()[0],
            runbook=f"runbooks/{id}.md",
            per_finding=per_finding,
        )
        return fn

    return decorate


_loaded = False


def load_builtin_checks() -> dict[str, CheckSpec]:
    """Import every module of opsctl.checks once; returns the registry (id -> spec)."""
    global _loaded
    if not _loaded:
        import opsctl.checks as pkg

        for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if not mod.name.startswith("_") and not mod.ispkg:
                importlib.import_module(f"{pkg.__name__}.{mod.name}")
        _loaded = True
    return dict(sorted(_REGISTRY.items()))


def all_checks() -> dict[str, CheckSpec]:
    return load_builtin_checks()


def select_checks(
    registry: dict[str, CheckSpec],
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    pillars: Iterable[str] = (),
    min_severity: str | None = None,
    origin: str = "--select/--ignore",
) -> list[CheckSpec]:
    """Filter the registry. Patterns are ids or globs (`s3.*`); one matching nothing is an error."""
    select, ignore, pillars = list(select), list(ignore), list(pillars)
    for pattern in select + ignore:
        if not any(fnmatchcase(cid, pattern) for cid in registry):
            raise UsageError(f"{origin}: no check matches {pattern!r}{check_id_hint(pattern, registry)}")
    for p in pillars:
        if p not in PILLARS:
            raise UsageError(f"--pillar: {p!r} is not one of {', '.join(PILLARS)}")
    floor = Severity(min_severity).rank if min_severity else -1
    chosen = []
    for cid, spec in registry.items():
        if select and not any(fnmatchcase(cid, p) for p in select):
            continue
        if any(fnmatchcase(cid, p) for p in ignore):
            continue
        if spec.per_finding:
            chosen.append(spec)  # evaluate() filters its findings
            continue
        if pillars and spec.pillar not in pillars:
            continue
        if spec.severity.rank < floor:
            continue
        chosen.append(spec)
    if not chosen and registry:
        asked = [f"{flag} {' '.join(v)}" for flag, v in (("select", select), ("ignore", ignore), ("pillar", pillars))
                 if v] + ([f"min-severity {min_severity}"] if min_severity else [])
        raise UsageError(f"{origin}: no check is left to run ({'; '.join(asked)} exclude every check); "
                         "an audit of nothing would pass — loosen the selection")
    return chosen
