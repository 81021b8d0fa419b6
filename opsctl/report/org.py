"""What every renderer shows of an organisation result (``Result.is_org``): one row per account,
worst first, and the words and order they all use for it.

An organisation result carries ``accounts`` (one entry per account in scope: id, name, OU path,
status ``audited`` or ``not_reached`` and its reason …) and ``Result.account_summaries()`` adds
what each account's findings say (scores, FAILs by severity, savings, coverage gaps), worst first:
the accounts not reached, then the lowest overall score, the most FAILs, the id. The renderers
read that through :func:`account_rows`, so the order, the labels ("NOT REACHED", ``2C 1H``) and the
totals are the same in every format.

Everything here is plain text: names, OU paths and reasons come from AWS Organizations and are
chosen by whoever may rename an account, so each renderer escapes them with its own helper
(``escape.inert`` for the terminal, ``markdown.md``, Jinja2's autoescape, the XML and CSV
escapers) exactly as it escapes any other account data. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from opsctl.engine import NOT_REACHED, Result
from opsctl.findings import SEVERITIES, Finding
from opsctl.scores import score_text

SEVERITY_LETTER = {"critical": "C", "high": "H", "medium": "M", "low": "L", "info": "I"}
NOT_REACHED_TEXT = "NOT REACHED"


@dataclass(frozen=True)
class AccountRow:
    """One account of an organisation result, as the renderers show it."""

    id: str
    name: str
    ou_path: str
    status: str
    reason: str
    rank: int  # 0 = the worst account
    scores: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)  # counts by status
    failed_by_severity: dict[str, int] = field(default_factory=dict)
    fail_count: int = 0
    savings: float = 0.0
    coverage_gaps: int = 0
    regions: tuple[str, ...] = ()
    tier_scores: dict[str, Any] | None = None
    topology: dict[str, Any] | None = None

    @property
    def reached(self) -> bool:
        return self.status != NOT_REACHED

    @property
    def label(self) -> str:
        """The account's name, or its id when it has none."""
        return self.name or self.id

    @property
    def title(self) -> str:
        """``111111111111 (prod-payments)``, or the bare id."""
        return f"{self.id} ({self.name})" if self.name else self.id

    @property
    def score(self) -> float | None:
        return self.scores.get("overall")

    @property
    def score_text(self) -> str:
        return "-" if not self.reached else score_text(self.score)

    @property
    def status_text(self) -> str:
        """``audited`` or ``NOT REACHED``."""
        return "audited" if self.reached else NOT_REACHED_TEXT

    @property
    def status_line(self) -> str:
        """``audited``, or ``NOT REACHED: <reason>``."""
        if self.reached:
            return self.status_text
        return f"{NOT_REACHED_TEXT}: {self.reason}" if self.reason else NOT_REACHED_TEXT

    def fails_text(self, compact: bool = True) -> str:
        return fails_text(self.failed_by_severity, compact)


def fails_text(by_severity: dict[str, int], compact: bool = True) -> str:
    """FAILs by severity: ``2C 1H 3M`` (compact) or ``2 critical · 1 high · 3 medium``; ``-`` for none."""
    parts = [(n, s) for s in SEVERITIES if (n := by_severity.get(s))]
    if not parts:
        return "-"
    if compact:
        return " ".join(f"{n}{SEVERITY_LETTER[s]}" for n, s in parts)
    return " · ".join(f"{n} {s}" for n, s in parts)


def account_rows(result: Result) -> list[AccountRow]:
    """One row per account, worst first ([] for a one-account result)."""
    if not result.is_org:
        return []
    topologies = {a.get("id"): a.get("topology") for a in result.accounts or []}
    rows = []
    for rank, s in enumerate(result.account_summaries()):
        aid = str(s.get("id") or "")
        rows.append(AccountRow(
            id=aid, name=str(s.get("name") or ""), ou_path=str(s.get("ou_path") or ""),
            status=str(s.get("status") or ""), reason=str(s.get("reason") or ""), rank=rank,
            scores=dict(s.get("scores") or {}), findings=dict(s.get("findings") or {}),
            failed_by_severity=dict(s.get("failed_by_severity") or {}), fail_count=int(s.get("fail_count") or 0),
            savings=float(s.get("savings_monthly_usd") or 0.0), coverage_gaps=int(s.get("coverage_gaps") or 0),
            regions=tuple(s.get("regions") or ()), tier_scores=s.get("tier_scores"), topology=topologies.get(aid),
        ))
    return rows


def account_index(rows: list[AccountRow]) -> dict[str, AccountRow]:
    return {r.id: r for r in rows}


def row_of(index: dict[str, AccountRow], account_id: str) -> AccountRow:
    """The account's row; a finding of an account the result has no entry for gets a bare one,
    ranked after every listed account."""
    row = index.get(account_id)
    if row is None:
        row = AccountRow(id=account_id, name="", ou_path="", status="", reason="", rank=len(index))
    return row


def findings_by_account(result: Result, rows: list[AccountRow]) -> list[tuple[AccountRow, list[Finding]]]:
    """(account, its findings in the result's order) for every account, worst account first;
    findings of an account without an entry come last, under a bare row."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        grouped[f.account].append(f)
    index = account_index(rows)
    out = [(r, grouped.pop(r.id, [])) for r in rows]
    out += [(row_of(index, aid), fs) for aid, fs in sorted(grouped.items())]
    return out


def org_scope(result: Result) -> str:
    """``organisation o-abc123`` (plus the shards of a partial run), or ``accounts`` when the
    accounts were named without --org."""
    org = result.organization or {}
    oid = org.get("id") or result.account
    text = f"organisation {oid}" if oid else "accounts"
    shards = org.get("shards") or []
    if shards:
        text += f" (shard {', '.join(str(s) for s in shards)})"
    return text


def org_counts(rows: list[AccountRow]) -> str:
    """``3 accounts: 2 audited, 1 not reached``."""
    missed = sum(not r.reached for r in rows)
    text = f"{len(rows)} account{'s' if len(rows) != 1 else ''}: {len(rows) - missed} audited"
    return text + (f", {missed} not reached" if missed else "")


def org_totals(result: Result, rows: list[AccountRow], summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """The totals row of the account table: accounts, FAILs (by severity), overall score, savings."""
    summary = summary if summary is not None else result.summary()
    return {
        "accounts": len(rows),
        "audited": sum(r.reached for r in rows),
        "not_reached": sum(not r.reached for r in rows),
        "fail_count": summary["by_status"]["FAIL"],
        "failed_by_severity": summary["failed_by_severity"],
        "score": summary["scores"]["overall"],
        "savings": summary["savings"]["total_monthly_usd"],
        "coverage_gaps": summary["coverage_gaps"],
    }



def skipped_accounts(result: Result) -> list[tuple[str, str, str]]:
    """(id, name, why) of the accounts discovery left out on purpose (not ACTIVE, excluded …)."""
    out = []
    for s in (result.organization or {}).get("skipped") or []:
        if isinstance(s, dict):
            out.append((str(s.get("id") or ""), str(s.get("name") or ""), str(s.get("why") or "")))
    return out


def skipped_text(result: Result) -> str:
    """``Skipped 1 account (not audited on purpose): 941018757135 (sandbox-retired): state SUSPENDED …``; '' for none."""
    items = skipped_accounts(result)
    if not items:
        return ""
    listed = "; ".join(f"{aid} ({name}): {why}" if name else f"{aid}: {why}" for aid, name, why in items)
    return f"Skipped {len(items)} account{'s' if len(items) != 1 else ''} (not audited on purpose): {listed}"
