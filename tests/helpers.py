"""Helpers for check unit tests: tiny snapshots and a case table the meta-test reads.

Every check test module declares `CASES`, a list of `Case`s. `tests/unit/checks/test_cases.py`
runs them all, and `tests/unit/test_registry_meta.py` fails if any registered check has no case
expecting PASS and none expecting FAIL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opsctl.engine import run_check
from opsctl.findings import Finding, Status
from opsctl.registry import load_builtin_checks
from opsctl.resources import RESOURCE_TYPES
from opsctl.snapshot import CoverageGap, Snapshot

ACCOUNT = "123456789012"
REGION = "us-east-1"


def snapshot(resources: dict[str, list[dict[str, Any]]] | None = None, *, coverage: list[CoverageGap] = (),
             collected: dict[str, list[str]] | None = None, regions=(REGION,)) -> Snapshot:
    """A snapshot holding `resources`; every declared type counts as collected in every region
    (and in "global") unless `collected` says otherwise or a listing gap in `coverage` applies."""
    resources = resources or {}
    if collected is None:
        all_regions = sorted(set(regions) | {"global"})
        collected = {t: all_regions for t in RESOURCE_TYPES}
    return Snapshot(account=ACCOUNT, regions=list(regions), resources={k: list(v) for k, v in resources.items()},
                    collected=collected, coverage=list(coverage))


def run(check_id: str, snap: Snapshot, arch_spec: Any = None, **params: Any) -> list[Finding]:
    spec = load_builtin_checks()[check_id]
    return run_check(spec, snap, params or None, arch_spec=arch_spec)


def statuses(findings: list[Finding]) -> list[str]:
    return [f.status.value for f in findings]


@dataclass
class Case:
    """One expectation: running `check_id` over `resources` yields exactly `expect` statuses
    (in order of the resources), and each message contains `message_contains` if given."""

    check_id: str
    name: str
    resources: dict[str, list[dict[str, Any]]]
    expect: list[str]
    params: dict[str, Any] = field(default_factory=dict)
    message_contains: str | None = None
    coverage: list[CoverageGap] = field(default_factory=list)
    regions: tuple[str, ...] = (REGION,)
    #: the architecture spec (opsctl.architecture.Spec) for arch.* checks; None: the built-in one
    spec: Any = None

    @property
    def id(self) -> str:
        return f"{self.check_id}:{self.name}"

    def check(self) -> list[Finding]:
        findings = run(self.check_id, snapshot(self.resources, coverage=self.coverage, regions=self.regions), self.spec,
                       **self.params)
        got = statuses(findings)
        assert got == self.expect, f"{self.id}: expected {self.expect}, got {got}: {[f.message for f in findings]}"
        if self.message_contains:
            for f in findings:
                assert self.message_contains in f.message, f"{self.id}: {f.message!r} lacks {self.message_contains!r}"
        for f in findings:
            assert f.message.endswith("."), f"{self.id}: message must be one sentence ending with a period: {f.message!r}"
            if f.status in (Status.PASS, Status.FAIL):
                assert f.resource_id.startswith("arn:"), f"{self.id}: resource_id must be an ARN: {f.resource_id!r}"
        return findings
