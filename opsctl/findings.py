"""Findings: the records an audit produces, and the vocabulary they use."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """Outcome of one check on one resource (CATALOGUE.md, "Statuses of one finding")."""

    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"
    WAIVED = "WAIVED"

    def __str__(self) -> str:  # click and f-strings show the bare value
        return self.value


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical=4 … info=0."""
        return _SEVERITY_RANK[self]

    def __str__(self) -> str:
        return self.value


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}

#: The severities, worst first: the one order every renderer, flag and file uses.
SEVERITIES = tuple(s.value for s in sorted(Severity, key=lambda s: -_SEVERITY_RANK[s]))


def severity_rank(value: str | Severity) -> int:
    """The rank of a severity or its name (critical=4 … info=0); an unknown name ranks below info (-1)."""
    try:
        return Severity(value).rank
    except ValueError:
        return -1


PILLARS = ("security", "availability", "scalability", "performance", "cost", "operations")
STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.WAIVED, Status.SKIPPED, Status.PASS)


@dataclass(frozen=True)
class Finding:
    """One check's verdict on one resource. `resource_id` is the resource's ARN."""

    check_id: str
    title: str
    status: Status
    severity: Severity
    pillar: str
    resource_id: str
    resource_type: str
    region: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    runbook: str = ""
    monthly_savings_usd: float | None = None
    #: the AWS account the finding is about, in an organisation result (empty in a one-account result)
    account: str = ""

    def sort_key(self) -> tuple:
        """Deterministic order: worst status, then severity, check, resource."""
        return (
            STATUS_ORDER.index(self.status),
            -self.severity.rank,
            self.pillar,
            self.check_id,
            self.resource_id,
            self.region,
            self.account,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        d["severity"] = self.severity.value
        if not self.account:  # a one-account result keeps the shape it always had
            del d["account"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            check_id=d["check_id"],
            title=d.get("title", ""),
            status=Status(d["status"]),
            severity=Severity(d["severity"]),
            pillar=d["pillar"],
            resource_id=d["resource_id"],
            resource_type=d.get("resource_type", ""),
            region=d.get("region", ""),
            message=d["message"],
            evidence=d.get("evidence") or {},
            runbook=d.get("runbook", ""),
            monthly_savings_usd=d.get("monthly_savings_usd"),
            account=d.get("account") or "",
        )
