"""The organisation audit: many accounts in one process, one Result for all of them.

Each account is audited exactly as a one-account audit audits it (the same collection, checks,
configuration and spec), on its own credentials (opsctl.org_access), ``account_workers`` accounts
at a time on top of each account's own worker pool. Its findings and coverage are then marked with
its id and gathered into one organisation Result (opsctl.engine: ``accounts``, ``organization``).

An account that cannot be reached (AssumeRole refused, the role missing, its regions unreadable,
the run interrupted before it) is still in the result: status ``not_reached`` with the reason,
a coverage gap, and one ERROR finding per selected check — never a PASS.

The snapshot of an account and its clients are released once its Result is built, so memory
follows the findings kept, not the number of accounts.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from opsctl.engine import AUDITED, NOT_REACHED, Result
from opsctl.errors import OpsctlError
from opsctl.findings import Finding, Status
from opsctl.org import (
    DEFAULT_ROLE,
    ROLE_SESSION_NAME,
    Account,
    Scope,
    Shard,
    discover,
    given_accounts,
    select_accounts,
)
from opsctl.snapshot import CoverageGap

DEFAULT_ACCOUNT_WORKERS = 4


@dataclass
class OrgOptions:
    org: bool = False
    accounts: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    role: str | None = None
    external_id: str | None = None
    session_name: str | None = None
    account_workers: int | None = None
    shard: Shard | None = None
    rate_limit: float | None = None

    @property
    def active(self) -> bool:
        """An organisation run: --org, or --accounts naming the accounts."""
        return self.org or bool(self.accounts)


@dataclass
class OrgScope:
    organization: dict[str, Any]
    scope: Scope
    #: the accounts this process audits (the scope, or its shard)
    accounts: list[Account]


@dataclass
class OrgOutcome:
    result: Result
    interrupted: bool = False
    sts_calls: int = 0
    api_calls: int = 0
    seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


def resolve_scope(base: Any, opts: OrgOptions, cfg_org: dict[str, Any], home_region: str) -> OrgScope:
    """Which accounts the run covers. Flags win over the config's ``org:`` section."""
    accounts = opts.accounts or tuple(cfg_org.get("accounts", ()))
    ous = opts.ous or tuple(cfg_org.get("ous", ()))
    exclude = opts.exclude or tuple(cfg_org.get("exclude_accounts", ()))
    role = opts.role or cfg_org.get("role") or DEFAULT_ROLE
    if opts.org:
        org = discover(base.client("organizations", home_region))
        scope = select_accounts(org.accounts, accounts, ous, exclude)
        info = {"id": org.id, "management_account": org.management_account}
    else:
        if ous:
            from opsctl.errors import UsageError

            raise UsageError("--ou needs --org (OU ids are resolved through Organizations)")
        given = given_accounts(accounts)
        scope = select_accounts(given, (), (), exclude)
        info = {"id": None, "management_account": None}
    chosen = [a for a in scope.accounts if opts.shard is None or opts.shard.holds(a.id)]
    info.update({"scope": [a.id for a in scope.accounts], "shards": [str(opts.shard)] if opts.shard else [],
                 "role": role, "skipped": scope.skipped})
    return OrgScope(info, scope, chosen)


def unreached_findings(account: Account, checks: Sequence[Any], reason: str, partition: str) -> list[Finding]:
    """One ERROR per selected check for an account that was not audited: nothing in it may PASS."""
    arn = f"arn:{partition}:iam::{account.id}:root"
    label = f"{account.id} ({account.name})" if account.name else account.id
    message = f"Account {label} was not audited: {reason.rstrip('.')}."
    return [Finding(check_id=c.id, title=c.title, status=Status.ERROR, severity=c.severity, pillar=c.pillar,
                    resource_id=arn, resource_type=c.resource_type, region="global", message=message,
                    runbook=c.runbook, account=account.id) for c in checks]


def _entry(account: Account, status: str, reason: str = "", shard: Shard | None = None, **extra: Any) -> dict[str, Any]:
    entry = {"id": account.id, "name": account.name, "email": account.email, "ou_path": account.ou_path,
             "status": status, "reason": reason, "shard": str(shard) if shard else None}
    entry.update(extra)
    return entry


@dataclass
class _AccountOutcome:
    entry: dict[str, Any]
    findings: list[Finding]
    coverage: list[CoverageGap]
    calls: int = 0


def audit_organization(
    base: Any,
    identity: dict[str, str],
    where: OrgScope,
    regions: list[str] | None,
    audit_one: Callable[[Any, Account, list[str] | None, threading.Event], tuple[Result, int]],
    checks: Sequence[Any],
    opts: OrgOptions,
    limiter: Any = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> OrgOutcome:
    """Audit every account of ``where`` and gather one organisation Result.

    ``audit_one(aws, account, regions, stop)`` is the one-account audit (collect + evaluate) and
    returns its Result and API call count; ``regions`` None means the account's enabled regions.
    A KeyboardInterrupt stops every collection at its next call; the accounts done so far are
    kept and the rest are marked not reached (``interrupted`` is then True)."""
    from opsctl.collect.runner import STOP_GRACE_SECONDS, Cancelled, stop_and_wait
    from opsctl.org_access import AccessFailure, AccountAccess

    partition = identity.get("partition", "aws")
    home = (regions or [base.default_region()])[0]
    access = AccountAccess(base, identity["account"], partition, where.organization["role"], opts.external_id,
                           opts.session_name or ROLE_SESSION_NAME, home, limiter)
    stop = threading.Event()
    started = time.perf_counter()

    def unreached(account: Account, reason: str, gap: CoverageGap | None = None) -> _AccountOutcome:
        return _AccountOutcome(_entry(account, NOT_REACHED, reason, opts.shard),
                               unreached_findings(account, checks, reason, partition), [gap] if gap else [])

    def one(account: Account) -> _AccountOutcome:
        if stop.is_set():
            raise Cancelled()
        t0 = time.perf_counter()
        try:
            aws = access.aws_for(account)
        except AccessFailure as failure:
            gap = CoverageGap(failure.operation.split(":")[0], failure.region, failure.operation.split(":")[-1],
                              failure.code, failure.message, "", failure.resource, account=account.id)
            return unreached(account, f"{failure.operation} on {failure.resource} failed with {failure.code}: "
                                      f"{failure.message}", gap)
        try:
            result, calls = audit_one(aws, account, regions, stop)
        except OpsctlError as exc:  # e.g. the account's regions could not be listed
            return unreached(account, str(exc))
        findings = [dataclasses.replace(f, account=account.id) for f in result.findings]
        coverage = [dataclasses.replace(g, account=account.id) for g in result.coverage]
        entry = _entry(account, AUDITED, "", opts.shard, regions=list(result.regions), api_calls=calls,
                       collect_seconds=round(time.perf_counter() - t0, 3), topology=result.topology)
        return _AccountOutcome(entry, findings, coverage, calls)

    accounts = where.accounts
    outcomes: dict[str, _AccountOutcome] = {}
    interrupted = False
    workers = max(1, min(opts.account_workers or DEFAULT_ACCOUNT_WORKERS, len(accounts) or 1))
    running: list[str] = []
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="opsctl-account")
    futures: dict[Future, Account] = {}

    def submit(account: Account) -> None:
        def task() -> _AccountOutcome:
            running.append(f"{account.id} {account.name}".strip())
            if progress:
                progress(_label(running), len(outcomes), len(accounts))
            try:
                return one(account)
            finally:
                running.remove(f"{account.id} {account.name}".strip())
        futures[pool.submit(task)] = account

    try:
        for account in accounts:
            submit(account)
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for fut in done:
                account = futures[fut]
                outcomes[account.id] = _settle(fut, account, unreached)
                if progress:
                    progress(_label(running) or f"{account.id} {account.name}".strip(), len(outcomes), len(accounts))
    except KeyboardInterrupt:
        interrupted = True
        # an account still running after the grace is marked not reached
        stop_and_wait(stop, futures, STOP_GRACE_SECONDS)
        for fut, account in futures.items():
            if account.id not in outcomes:
                settled = fut.done() and not fut.cancelled() and fut.exception() is None
                outcomes[account.id] = (fut.result() if settled else
                                        unreached(account, "the run was interrupted (Ctrl-C) before this account was audited"))
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)

    result = assemble(identity, where, [outcomes[a.id] for a in accounts if a.id in outcomes], checks, regions)
    calls = sum(o.calls for o in outcomes.values())
    seconds = round(time.perf_counter() - started, 3)
    stats = {"accounts": len(accounts), "account_workers": workers, "sts_calls": access.sts_calls,
             "rate_limit_wait_seconds": round(getattr(limiter, "waited", 0.0), 3)}
    return OrgOutcome(result, interrupted, access.sts_calls, calls, seconds, stats)


def _settle(fut: Future, account: Account, unreached: Callable[..., _AccountOutcome]) -> _AccountOutcome:
    from opsctl.collect.runner import Cancelled

    try:
        return fut.result()
    except Cancelled:
        return unreached(account, "the run was interrupted (Ctrl-C) before this account was audited")
    except Exception as exc:  # noqa: BLE001 - one account's failure must not lose the others' results
        return unreached(account, f"the audit failed: {type(exc).__name__}: {exc}")


def _label(running: list[str]) -> str:
    if not running:
        return ""
    return running[-1] + (f" (+{len(running) - 1})" if len(running) > 1 else "")


def assemble(identity: dict[str, str], where: OrgScope, outcomes: Sequence[_AccountOutcome], checks: Sequence[Any],
             regions: list[str] | None) -> Result:
    findings = sorted((f for o in outcomes for f in o.findings), key=Finding.sort_key)
    coverage = sorted((g for o in outcomes for g in o.coverage),
                      key=lambda g: (g.account, g.service, g.region, g.operation, g.resource_id))
    seen_regions = sorted({r for o in outcomes for r in o.entry.get("regions", [])} | set(regions or []))
    return Result(findings=findings, coverage=coverage, account=where.organization.get("id") or "",
                  regions=seen_regions, checks_run=[c.id for c in checks], metadata={},
                  accounts=[o.entry for o in outcomes], organization=dict(where.organization))
