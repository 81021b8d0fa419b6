"""The snapshot: everything one collection saw, and everything it could not see.

A snapshot is a versioned JSON document (docs/snapshot.md). It is the only input of the checks,
so `opsctl audit --snapshot FILE` re-evaluates an account offline. Two things make it
trustworthy:

* `collected` says, per resource type, in which regions the listing succeeded. A type that was
  not collected in a region yields ERROR findings there, never silence or PASS.
* `coverage` lists every failed call (service, region, operation, error code, message). A
  failed per-resource detail call is also noted on the resource under `errors[<field>]`, which
  makes any check reading that field ERROR for that resource.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from opsctl import __version__
from opsctl.errors import MissingData, UsageError, not_utf8, read_text_file
from opsctl.resources import RESOURCE_TYPES

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CoverageGap:
    """One call that failed. `resource_type` set and `resource_id` empty means a listing failed."""

    service: str
    region: str
    operation: str
    error_code: str
    message: str
    resource_type: str = ""
    resource_id: str = ""
    #: the AWS account, in an organisation result (empty in a snapshot or a one-account result)
    account: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not self.account:
            del d["account"]
        return d

    @property
    def reason(self) -> str:
        where = f" for {self.resource_id}" if self.resource_id else ""
        return f"{self.service}:{self.operation} in {self.region}{where} failed with {self.error_code}: {self.message}"


@dataclass
class Snapshot:
    account: str
    regions: list[str]
    partition: str = "aws"
    taken_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    collected: dict[str, list[str]] = field(default_factory=dict)
    coverage: list[CoverageGap] = field(default_factory=list)
    tool_version: str = __version__
    _index_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _indexes: dict[tuple[str, str], dict[Any, dict]] = field(default_factory=dict, repr=False, compare=False)

    # ----- reading, for checks -------------------------------------------------------------
    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        return self.resources.get(resource_type, [])

    def index(self, resource_type: str, key: str) -> dict[Any, dict[str, Any]]:
        """Resources of a type keyed by one of their fields (built once, then cached)."""
        with self._index_lock:
            cached = self._indexes.get((resource_type, key))
            if cached is None:
                cached = {r.get(key): r for r in self.of_type(resource_type)}
                self._indexes[(resource_type, key)] = cached
            return cached

    def listing_gaps(self, resource_type: str) -> list[CoverageGap]:
        return [g for g in self.coverage if g.resource_type == resource_type and not g.resource_id]

    def require(self, resource_type: str, region: str) -> list[dict[str, Any]]:
        """The resources of a type in a region; MissingData if that listing was not collected."""
        regions = self.collected.get(resource_type)
        for gap in self.listing_gaps(resource_type):
            if gap.region == region:
                raise MissingData(f"{resource_type} not collected: {gap.reason}")
        if regions is None or region not in regions:
            raise MissingData(f"{resource_type} was not collected in {region} for this snapshot")
        return [r for r in self.of_type(resource_type) if r.get("region") == region]

    def require_global(self, resource_type: str) -> list[dict[str, Any]]:
        """All resources of a global type; MissingData if its listing failed or never ran."""
        regions = self.collected.get(resource_type)
        gaps = self.listing_gaps(resource_type)
        if gaps:
            raise MissingData(f"{resource_type} not collected: {gaps[0].reason}")
        if not regions:
            raise MissingData(f"{resource_type} was not collected for this snapshot")
        return self.of_type(resource_type)

    def account_arn(self, service: str | None = None, region: str | None = None) -> str:
        """ARN used for account-wide findings (CATALOGUE.md): root for global, per-service for regional."""
        if service and region and region != "global":
            return f"arn:{self.partition}:{service}:{region}:{self.account}:account"
        return f"arn:{self.partition}:iam::{self.account}:root"

    # ----- (de)serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "opsctl", "version": self.tool_version},
            "account": self.account,
            "partition": self.partition,
            "regions": list(self.regions),
            "taken_at": self.taken_at,
            "collected": {k: sorted(v) for k, v in sorted(self.collected.items())},
            "resources": {k: v for k, v in sorted(self.resources.items())},
            "coverage": [g.to_dict() for g in self.coverage],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=False, default=_json_default) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "snapshot") -> Snapshot:
        if isinstance(data, dict) and "findings" in data and "resources" not in data:
            raise UsageError(f"{source}: this is an audit result, not a snapshot; write a snapshot with --save-snapshot or `opsctl inventory collect -o FILE`")
        if not isinstance(data, dict) or "schema_version" not in data:
            raise UsageError(f"{source}: not an opsctl snapshot (no schema_version); write one with `opsctl inventory collect -o FILE`")
        version = data["schema_version"]
        if version != SCHEMA_VERSION or isinstance(version, bool):
            shown = repr(version) if len(repr(version)) <= 20 else repr(version)[:20] + "…"
            raise UsageError(
                f"{source}: snapshot schema_version {shown} is not supported (this opsctl reads {SCHEMA_VERSION}); "
                "collect a new one with `opsctl inventory collect -o FILE`"
            )
        problem = _shape_problem(data)
        if problem:
            raise UsageError(f"{source}: malformed snapshot ({problem}); collect a new one with `opsctl inventory collect -o FILE`")
        try:
            unknown = sorted(set(data.get("resources", {})) - set(RESOURCE_TYPES))
            if unknown:
                raise UsageError(f"{source}: unknown resource type(s) {', '.join(unknown)}; was it written by a newer opsctl?")
            return cls(
                account=str(data["account"]),
                regions=list(data["regions"]),
                partition=data.get("partition", "aws"),
                taken_at=data["taken_at"],
                resources={k: list(v) for k, v in data.get("resources", {}).items()},
                collected={k: list(v) for k, v in data.get("collected", {}).items()},
                coverage=[CoverageGap(**g) for g in data.get("coverage", [])],
                tool_version=data.get("tool", {}).get("version", "unknown"),
            )
        except (KeyError, TypeError) as exc:
            raise UsageError(f"{source}: malformed snapshot ({exc.__class__.__name__}: {exc}); collect a new one") from None


def _shape_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a snapshot's top-level shape, in a few words; None when it is sound.
    (A hand-edited or truncated file must fail here, not as an exception inside a check.)"""
    for key in ("account", "regions", "taken_at"):
        if key not in data:
            return f"no {key}"
    if not isinstance(data["account"], (str, int)) or isinstance(data["account"], bool):
        return "account must be the account id"
    regions = data["regions"]
    if not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions):
        return "regions must be a list of region names"
    taken = data["taken_at"]
    try:
        if not isinstance(taken, str):
            raise ValueError
        datetime.fromisoformat(taken.replace("Z", "+00:00"))
    except ValueError:
        return f"taken_at must be an ISO 8601 time, got {str(taken)[:40]!r}"
    resources = data.get("resources", {})
    if not isinstance(resources, dict):
        return "resources must map resource types to lists"
    for kind, items in resources.items():
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return f"resources.{kind} must be a list of resources"
    collected = data.get("collected", {})
    if not isinstance(collected, dict) or not all(isinstance(v, list) for v in collected.values()):
        return "collected must map resource types to lists of regions"
    coverage = data.get("coverage", [])
    if not isinstance(coverage, list) or not all(isinstance(g, dict) for g in coverage):
        return "coverage must be a list of failed calls"
    return None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def load_snapshot(path: str | Path) -> Snapshot:
    p = Path(path)
    try:
        text = read_text_file(p)
    except OSError as exc:
        raise UsageError(f"{p}: cannot read snapshot ({exc.strerror or exc}); check the path") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(p, exc, "--snapshot") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{p}:{exc.lineno}: snapshot is not valid JSON ({exc.msg})") from None
    return Snapshot.from_dict(data, source=str(p))


def save_snapshot(snapshot: Snapshot, path: str | Path) -> None:
    Path(path).write_text(snapshot.to_json(), encoding="utf-8")
