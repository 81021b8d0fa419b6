"""Evaluate checks over a snapshot: pure, no I/O. Produces the Result that every renderer reads."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from opsctl import __version__
from opsctl.errors import MissingData
from opsctl.findings import PILLARS, Finding, Severity, Status
from opsctl.registry import CheckContext, CheckSpec, Outcome
from opsctl.resources import RESOURCE_TYPES, type_of_arn
from opsctl.scores import scores
from opsctl.snapshot import CoverageGap, Snapshot

#: 2 added the organisation sections (``organization``, ``accounts``, and ``account`` on findings and
#: coverage); a one-account result is otherwise as in version 1, which every reader still accepts.
RESULT_SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)
#: the statuses of one account in an organisation result
AUDITED, NOT_REACHED = "audited", "not_reached"


@dataclass
class Result:
    """Findings plus what was (not) seen, and how the run went."""

    findings: list[Finding]
    coverage: list[CoverageGap]
    account: str
    regions: list[str]
    checks_run: list[str]
    metadata: dict[str, Any] = field(default_factory=dict)
    #: the waivers applied to this result, each with status and matched count (opsctl.waivers)
    waivers: list[dict[str, Any]] = field(default_factory=list)
    #: the architecture as deployed (opsctl.topology.build_topology(...).to_dict()); None when not built
    topology: dict[str, Any] | None = None
    #: an organisation result: one entry per account in scope (id, name, ou_path, status, reason,
    #: regions, api_calls, collect_seconds, topology); None for a one-account result
    accounts: list[dict[str, Any]] | None = None
    #: an organisation result: id, management_account, scope (every account id the run was to
    #: cover, before sharding), shards (["1/3"], or [] for the whole scope), role
    organization: dict[str, Any] | None = None

    @property
    def is_org(self) -> bool:
        return self.accounts is not None

    def summary(self) -> dict[str, Any]:
        by_status = Counter(f.status.value for f in self.findings)
        by_pillar: dict[str, Counter] = defaultdict(Counter)
        by_severity: Counter = Counter()
        for f in self.findings:
            by_pillar[f.pillar][f.status.value] += 1
            if f.status is Status.FAIL:
                by_severity[f.severity.value] += 1
        return {
            "total": len(self.findings),
            "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
            "by_pillar": {p: {s.value: by_pillar[p].get(s.value, 0) for s in Status} for p in PILLARS},
            "failed_by_severity": dict(sorted(by_severity.items())),
            "coverage_gaps": len(self.coverage),
            "checks_run": len(self.checks_run),
            "savings": self.savings(),
            "scores": scores(self.findings),
            **self._tier_scores(),
            **self._account_counts(),
        }

    def _account_counts(self) -> dict[str, Any]:
        if self.accounts is None:
            return {}
        states = Counter(a.get("status") for a in self.accounts)
        return {"accounts": {"total": len(self.accounts), AUDITED: states.get(AUDITED, 0),
                             NOT_REACHED: states.get(NOT_REACHED, 0)}}

    def account_summaries(self) -> list[dict[str, Any]]:
        """One entry per account of an organisation result, worst first: the accounts not reached,
        then by overall score (lowest first), FAIL count and id. Each is the stored entry (id,
        name, ou_path, status, reason, …) plus what its findings say now (after waivers): scores,
        FAIL counts by severity, savings, coverage gaps, ERROR count and tier scores."""
        if self.accounts is None:
            return []
        by_account: dict[str, list[Finding]] = defaultdict(list)
        for f in self.findings:
            by_account[f.account].append(f)
        gaps = Counter(g.account for g in self.coverage)
        out = []
        for entry in self.accounts:
            aid = entry.get("id", "")
            mine = by_account.get(aid, [])
            fails = Counter(f.severity.value for f in mine if f.status is Status.FAIL)
            statuses = Counter(f.status.value for f in mine)
            summary = {k: v for k, v in entry.items() if k != "topology"}
            summary.update({
                "scores": scores(mine),
                "findings": {s.value: statuses.get(s.value, 0) for s in Status},
                "failed_by_severity": {s.value: fails.get(s.value, 0) for s in Severity if fails.get(s.value)},
                "fail_count": sum(fails.values()),
                "savings_monthly_usd": savings_summary(mine)["total_monthly_usd"],
                "coverage_gaps": gaps.get(aid, 0),
            })
            if entry.get("topology") is not None:
                from opsctl.topology import tier_scores

                summary["tier_scores"] = tier_scores(mine, entry["topology"])
            out.append(summary)
        return sorted(out, key=_worst_account_first)

    def _tier_scores(self) -> dict[str, Any]:
        """``tier_scores`` beside the pillar scores, when the result carries a topology."""
        if self.topology is None:
            return {}
        from opsctl.topology import tier_scores

        return {"tier_scores": tier_scores(self.findings, self.topology)}

    def savings(self) -> dict[str, Any]:
        """Potential monthly savings of the FAIL findings (savings_summary)."""
        return savings_summary(self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": RESULT_SCHEMA_VERSION,
            "tool": {"name": "opsctl", "version": __version__},
            "account": self.account,
            "regions": self.regions,
            "metadata": self.metadata,
            "summary": self.summary(),
            "checks_run": self.checks_run,
            "findings": [f.to_dict() for f in self.findings],
            "coverage": [g.to_dict() for g in self.coverage],
            "waivers": list(self.waivers),
            **({"topology": self.topology} if self.topology is not None else {}),
            **({"organization": self.organization} if self.organization is not None else {}),
            **({"accounts": self._stored_accounts()} if self.accounts is not None else {}),
        }

    def _stored_accounts(self) -> list[dict[str, Any]]:
        """The account entries as written: the summaries (worst first), each with its topology."""
        topologies = {a.get("id"): a.get("topology") for a in self.accounts or []}
        return [{**a, **({"topology": topologies[a["id"]]} if topologies.get(a["id"]) is not None else {})}
                for a in self.account_summaries()]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        return cls(
            findings=[Finding.from_dict(f) for f in d.get("findings", [])],
            coverage=[CoverageGap(**g) for g in d.get("coverage", [])],
            account=d.get("account", ""),
            regions=list(d.get("regions", [])),
            checks_run=list(d.get("checks_run", [])),
            metadata=dict(d.get("metadata", {})),
            waivers=list(d.get("waivers", [])),
            topology=d.get("topology"),
            accounts=[_stored_entry(a) for a in d["accounts"]] if isinstance(d.get("accounts"), list) else None,
            organization=dict(d["organization"]) if isinstance(d.get("organization"), dict) else None,
        )


#: what an account entry stores; the rest of a written entry is computed from the findings
ACCOUNT_FIELDS = ("id", "name", "email", "ou_path", "status", "reason", "regions", "api_calls", "collect_seconds",
                  "shard", "topology")


def _stored_entry(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a[k] for k in ACCOUNT_FIELDS if k in a}


def savings_summary(findings: Iterable[Finding]) -> dict[str, Any]:
    """Potential monthly savings of the FAIL findings that carry a figure: total, per pillar, per check.

    Recommendations for one resource are alternatives (delete it, downsize it, move it to a newer
    generation), not sums, and Trusted Advisor often flags what opsctl's own cost checks flag. So
    each resource counts once, with its largest figure; the other figures are reported as
    ``overlap_monthly_usd`` and left out of the totals."""
    by_pillar: dict[str, float] = defaultdict(float)
    by_check: dict[str, float] = defaultdict(float)
    counted, unpriced, overlap = counted_savings(findings)
    for f in counted:
        by_pillar[f.pillar] += f.monthly_savings_usd or 0.0
        by_check[f.check_id] += f.monthly_savings_usd or 0.0
    return {
        "currency": "USD",
        "total_monthly_usd": round(sum(by_check.values()), 2),
        "by_pillar": {p: round(v, 2) for p, v in sorted(by_pillar.items())},
        "by_check": {c: round(v, 2) for c, v in sorted(by_check.items(), key=lambda kv: (-kv[1], kv[0]))},
        "unpriced_findings": unpriced,
        "overlap_monthly_usd": round(overlap, 2),
    }


def counted_savings(findings: Iterable[Finding]) -> tuple[list[Finding], int, float]:
    """The FAIL findings whose figures the savings totals add up (one per resource, its largest:
    see savings_summary), how many cost FAILs could not be priced, and the figures left out as
    overlap. Every breakdown of the savings (per check, per region, per tag) sums these."""
    unpriced = 0
    best: dict[tuple[str, ...], Finding] = {}
    overlap = 0.0
    for f in findings:
        if f.status is not Status.FAIL or f.pillar != "cost" and f.monthly_savings_usd is None:
            continue
        if f.monthly_savings_usd is None:
            # Only a finding that tried to price itself and says why it could not (savings_note);
            # a missing lifecycle rule or budget has no price to look up.
            unpriced += "savings_note" in f.evidence
            continue
        key = (f.account, *savings_subject(f))  # two accounts may both name a load balancer `web`
        kept = best.get(key)
        if kept is None:
            best[key] = f
            continue
        if _outranks(f, kept):
            best[key], f = f, kept
        overlap += f.monthly_savings_usd or 0.0
    return list(best.values()), unpriced, overlap


def _worst_account_first(a: dict[str, Any]) -> tuple:
    overall = (a.get("scores") or {}).get("overall")
    return (a.get("status") != NOT_REACHED, 101.0 if overall is None else overall, -a.get("fail_count", 0), a.get("id", ""))


def savings_subject(f: Finding) -> tuple[str, str]:
    """The AWS resource a savings figure is about, as (region, short id), so that Trusted Advisor's
    row for i-0abc and opsctl's finding on arn:aws:ec2:…:instance/i-0abc meet. Evidence may name it
    (``aws_resource_id``); else the ARN's resource part gives it: the last path segment, or the
    load balancer's name for ELB ARNs (…:loadbalancer/app/<name>/<hash>)."""
    named = f.evidence.get("aws_resource_id") if isinstance(f.evidence, dict) else None
    if named:
        return f.region, str(named)
    rid = f.resource_id
    if rid.startswith("arn:"):
        resource = rid.split(":", 5)[-1]
        parts = resource.replace(":", "/").split("/")
        if parts[0] == "loadbalancer" and len(parts) >= 4:
            return f.region, parts[2]
        return f.region, parts[-1]
    return f.region, rid


def _outranks(new: Finding, kept: Finding) -> bool:
    """Which of two figures for one resource counts: the larger; on a tie opsctl's own check (its
    figure comes from the price table) over Trusted Advisor's estimate."""
    a, b = new.monthly_savings_usd or 0.0, kept.monthly_savings_usd or 0.0
    if a != b:
        return a > b
    return kept.check_id.startswith("trustedadvisor.") and not new.check_id.startswith("trustedadvisor.")


def _finding(spec: CheckSpec, outcome: Outcome, resource: dict[str, Any] | None, default_id: str, default_region: str) -> Finding:
    message = outcome.message.strip()
    if message and not message.endswith((".", "!", "?")):
        message += "."
    resource_id = outcome.resource_id or (resource or {}).get("arn") or default_id
    return Finding(
        check_id=spec.id,
        title=spec.title,
        status=outcome.status,
        severity=outcome.severity or spec.severity,
        pillar=outcome.pillar or spec.pillar,
        resource_id=resource_id,
        resource_type=_resource_type(spec, outcome, resource, resource_id),
        region=outcome.region or (resource or {}).get("region") or default_region,
        message=message,
        evidence=dict(outcome.evidence),
        runbook=spec.runbook,
        monthly_savings_usd=outcome.monthly_savings_usd,
    )


def _resource_tags(outcome: Outcome, resource: dict[str, Any] | None, snapshot: Snapshot) -> dict[str, str] | None:
    """The tags of the resource a finding names, for a priced finding (``evidence.tags``, which
    ``--group-savings-by tag:KEY`` reads): the evaluated resource's own, or, when the outcome names
    another resource (a Trusted Advisor row names the flagged instance), that resource's from the
    snapshot. None when it has no tags, they could not be read, or the resource is not in the snapshot."""
    named = outcome.resource_id
    if named and named != (resource or {}).get("arn"):
        resource = next((hit for rtype in snapshot.resources
                         if (hit := snapshot.index(rtype, "arn").get(named)) is not None), None)
    tags = (resource or {}).get("tags")
    if not isinstance(tags, dict) or not tags:
        return None
    return {str(k): str(v) for k, v in tags.items()}


def _resource_type(spec: CheckSpec, outcome: Outcome, resource: dict[str, Any] | None, resource_id: str) -> str:
    """The type of the resource the finding names: the check's own type, unless the outcome names
    another resource (cloudwatch.alarm_coverage on an Auto Scaling group, a quota, a Trusted
    Advisor recommendation) whose ARN says its type. The account itself keeps the check's type."""
    if not outcome.resource_id or outcome.resource_id == (resource or {}).get("arn"):
        return spec.resource_type
    named = type_of_arn(resource_id)
    return named if named and named != "iam.account" else spec.resource_type


def _error(spec: CheckSpec, reason: str, resource_id: str, region: str) -> Finding:
    return _finding(spec, Outcome(Status.ERROR, reason), None, resource_id, region)


def _as_outcomes(value: Outcome | Iterable[Outcome] | None) -> list[Outcome]:
    if value is None:
        return []
    if isinstance(value, Outcome):
        return [value]
    return [o for o in value if o is not None]


def run_check(spec: CheckSpec, snapshot: Snapshot, params: dict[str, Any] | None = None, prices: Any = None,
              arch_spec: Any = None) -> list[Finding]:
    """All findings of one check. Never raises: a failing check becomes ERROR findings.
    ``arch_spec`` is the architecture spec (opsctl.architecture.Spec) the arch.* checks read."""
    merged = {**spec.params, **(params or {})}
    ctx = CheckContext(snapshot=snapshot, params=merged, prices=prices, spec=arch_spec)
    rtype = RESOURCE_TYPES[spec.resource_type]
    findings: list[Finding] = []

    # Listings that failed: the check cannot speak for those regions.
    for gap in snapshot.listing_gaps(spec.resource_type):
        arn = snapshot.account_arn(rtype.service, gap.region)
        findings.append(_error(spec, f"Could not list {spec.resource_type}: {gap.reason}.", arn, gap.region))
    if spec.resource_type not in snapshot.collected and not findings:
        arn = snapshot.account_arn()
        findings.append(_error(spec, f"{spec.resource_type} was not collected in this snapshot, so the check could not run.", arn, "global"))
        return findings

    for resource in snapshot.of_type(spec.resource_type):
        arn = resource.get("arn", "")
        region = resource.get("region", "")
        try:
            outcomes = _as_outcomes(spec.fn(resource, ctx))
            for o in outcomes:
                f = _finding(spec, o, resource, arn, region)
                if f.monthly_savings_usd is not None and "tags" not in f.evidence:
                    tags = _resource_tags(o, resource, snapshot)
                    if tags:
                        f.evidence["tags"] = tags  # the finding's own copy of the evidence (_finding)
                findings.append(f)
        except MissingData as missing:
            findings.append(_error(spec, f"Could not evaluate: {missing.reason}", arn, region))
        except Exception as exc:  # noqa: BLE001 - a broken check must not stop the audit; it is reported as ERROR
            findings.append(_error(spec, f"Check raised {type(exc).__name__}: {exc}", arn, region))
    return findings


def evaluate(
    snapshot: Snapshot,
    checks: list[CheckSpec],
    params: dict[str, dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    prices: Any = None,
    pillars: Iterable[str] = (),
    min_severity: str | None = None,
    spec: Any = None,
) -> Result:
    """Run the given checks over the snapshot; findings sorted deterministically.

    ``pillars``/``min_severity`` filter the findings of checks whose pillar and severity are per
    finding (``per_finding``); the other checks were already chosen by them. ``spec`` is the
    architecture spec (opsctl.architecture.Spec) for the arch.* checks; None means the built-in one."""
    started = time.perf_counter()
    params = params or {}
    wanted = set(pillars)
    floor = Severity(min_severity).rank if min_severity else -1
    findings: list[Finding] = []
    for check in checks:
        for f in run_check(check, snapshot, params.get(check.id), prices, spec):
            if check.per_finding and ((wanted and f.pillar not in wanted) or f.severity.rank < floor):
                continue
            findings.append(f)
    findings.sort(key=Finding.sort_key)
    meta = {
        "snapshot_taken_at": snapshot.taken_at,
        "evaluated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "evaluate_seconds": round(time.perf_counter() - started, 4),
        **(metadata or {}),
    }
    return Result(
        findings=findings,
        coverage=list(snapshot.coverage),
        account=snapshot.account,
        regions=list(snapshot.regions),
        checks_run=[c.id for c in checks],
        metadata=meta,
    )
