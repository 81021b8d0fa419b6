"""The audit use case: resolve scope, collect (or load) a snapshot, evaluate, decide the exit code.

The CLI parses flags and prints; everything between lives here so it can be called and tested
without click.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from opsctl.aws import Aws
from opsctl.collect.runner import collect
from opsctl.config import Config
from opsctl.diff import finding_key
from opsctl.engine import Result, evaluate
from opsctl.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError  # noqa: F401 - re-exported
from opsctl.findings import Severity, Status
from opsctl.registry import CheckSpec, select_checks
from opsctl.snapshot import Snapshot, load_snapshot


@dataclass
class AwsOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    all_regions: bool = False
    role_arn: str | None = None
    external_id: str | None = None
    workers: int | None = None


@dataclass
class Selection:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    pillars: tuple[str, ...] = ()
    min_severity: str | None = None


@dataclass
class CollectOutcome:
    snapshot: Snapshot
    identity: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    calls: int = 0


def choose_checks(registry: dict[str, CheckSpec], cfg: Config, sel: Selection) -> list[CheckSpec]:
    """Flags win over the config file; ignores add up."""
    origin = "--select/--ignore" if (sel.select or sel.ignore) else cfg.where("select")
    return select_checks(
        registry,
        select=sel.select or cfg.select,
        ignore=tuple(sel.ignore) + tuple(cfg.ignore),
        pillars=sel.pillars or cfg.pillars,
        min_severity=sel.min_severity or cfg.min_severity,
        origin=origin,
    )


def effective_params(registry: dict[str, CheckSpec], cfg: Config) -> dict[str, dict[str, Any]]:
    """Every check's parameters: its defaults, overridden by the config file."""
    return {cid: {**spec.params, **cfg.check_params.get(cid, {})} for cid, spec in registry.items()}


def resolve_regions(aws: Aws, opts: AwsOptions, cfg: Config) -> list[str]:
    if opts.all_regions and opts.regions:
        raise UsageError("--all-regions and --region exclude each other; pick one")
    if opts.all_regions:
        return aws.enabled_regions()
    regions = list(dict.fromkeys(opts.regions or cfg.regions or [aws.default_region()]))
    source = ("--region" if opts.regions else f"{cfg.where('regions')}: regions" if cfg.regions
              else "your default region (AWS_DEFAULT_REGION, AWS_REGION or the profile's region)")
    return aws.validate_regions(regions, source)


def collect_snapshot(
    opts: AwsOptions,
    cfg: Config,
    progress: Callable[[str, int, int], None] | None = None,
    services: list[str] | None = None,
) -> CollectOutcome:
    """Connect, resolve regions, and collect. Read-only: only List/Describe/Get calls are made."""
    workers = opts.workers or cfg.workers or 16
    if opts.external_id and not opts.role_arn:
        raise UsageError("--external-id needs --role-arn (or --org/--accounts, where it goes with --org-role)")
    aws = Aws(profile=opts.profile, role_arn=opts.role_arn, external_id=opts.external_id, workers=workers)
    identity = aws.identity()
    regions = resolve_regions(aws, opts, cfg)
    started = time.perf_counter()
    from opsctl.registry import load_builtin_checks

    snap = collect(aws, regions, account=identity["account"], partition=identity["partition"], services=services,
                   workers=workers, progress=progress, check_params=effective_params(load_builtin_checks(), cfg))
    stats: dict[str, Any] = getattr(snap, "stats", {})
    return CollectOutcome(snap, identity, round(time.perf_counter() - started, 3), stats.get("calls", 0))


def load_or_collect(snapshot_path: str | None, opts: AwsOptions, cfg: Config, progress=None) -> CollectOutcome:
    if snapshot_path:
        return CollectOutcome(load_snapshot(snapshot_path))
    return collect_snapshot(opts, cfg, progress)


def audit(snapshot: Snapshot, checks: list[CheckSpec], cfg: Config, metadata: dict[str, Any] | None = None,
          prices: Any = None, selection: Selection | None = None, spec: Any = None, scope: str = "all") -> Result:
    """Evaluate, and attach the topology of the architecture spec (``spec``: an
    opsctl.architecture.Spec; None: the config file's, else the built-in one). ``scope="spec"``
    keeps only the findings about resources the spec binds (and the arch.* findings)."""
    from dataclasses import replace

    from opsctl.architecture import resolve_spec
    from opsctl.topology import build_topology, in_scope

    sel = selection or Selection()
    arch_spec = spec or resolve_spec(None, cfg)
    result = evaluate(snapshot, checks, cfg.check_params, metadata, prices,
                      pillars=sel.pillars or cfg.pillars, min_severity=sel.min_severity or cfg.min_severity, spec=arch_spec)
    prefix_lists = cfg.check_params.get("arch.edge_in_front_of_api", {}).get("cloudfront_prefix_list_ids", ())
    result.topology = build_topology(snapshot, arch_spec, prefix_lists).to_dict()
    result.metadata["spec"] = {"name": arch_spec.name, "source": arch_spec.source, "scope": scope}
    if scope == "spec":
        result = replace(result, findings=in_scope(result.findings, result.topology))
    return result


def failing(result: Result, fail_on: str, new_only: Collection[tuple[str, str, str]] | None = None) -> list:
    """The FAIL findings that fail the run: at or above `fail_on` (none for "none"), and with
    `new_only` (the keys of --fail-on-new's new FAILs) only those."""
    if fail_on == "none":
        return []
    floor = Severity(fail_on).rank
    return [f for f in result.findings if f.status is Status.FAIL and f.severity.rank >= floor
            and (new_only is None or finding_key(f, result.account) in new_only)]


def exit_code(result: Result, fail_on: str, strict: bool, new_only: Collection[tuple[str, str, str]] | None = None) -> int:
    """0 clean · 1 a FAIL at or above `fail_on` · 3 coverage gaps with `strict` (1 wins over 3).

    WAIVED findings never fail a run. With `new_only` (--fail-on-new: the (check_id, resource_id)
    keys of FAILs that were not FAIL in the baseline, opsctl.diff.new_failures) only those count.
    An organisation result with an account not reached is incomplete too."""
    if failing(result, fail_on, new_only):
        return EXIT_FINDINGS
    unreached = any(a.get("status") != "audited" for a in result.accounts or [])
    if strict and (result.coverage or unreached or any(f.status is Status.ERROR for f in result.findings)):
        return EXIT_INCOMPLETE
    return EXIT_OK


def savings_breach(result: Result, limit: float | None, diff: dict[str, Any] | None = None) -> str | None:
    """--fail-on-savings USD: the line saying why the run fails on money, or None when it does not.

    With a baseline (``diff``, opsctl.diff.diff_results against it): the new waste (the monthly
    figures of the FAILs new since) above ``limit``; without one: the total potential savings
    (summary.savings) above it. WAIVED findings carry no figure that counts."""
    if limit is None:
        return None
    if diff is not None:
        waste = diff["savings"]["new_waste_monthly_usd"]
        if waste <= limit:
            return None
        since = diff["old"].get("file") or "the baseline"
        return (f"--fail-on-savings {limit:g}: new waste since {since} is ${waste:,.2f}/month, above "
                f"${limit:,.2f} (exit 1)")
    total = result.savings()["total_monthly_usd"]
    if total <= limit:
        return None
    return f"--fail-on-savings {limit:g}: potential savings total ${total:,.2f}/month, above ${limit:,.2f} (exit 1)"


def with_savings(code: int, breach: str | None) -> int:
    """The exit code once --fail-on-savings is weighed: 1 when it failed the run (1 wins over 3,
    as for FAIL findings), else ``code``."""
    return EXIT_FINDINGS if breach else code


def audit_org(opts: AwsOptions, org: Any, cfg: Config, checks: list[CheckSpec], selection: Selection | None = None,
              spec: Any = None, scope: str = "all", prices: Any = None,
              progress: Callable[[str, int, int], None] | None = None) -> Any:
    """The organisation audit (opsctl.org_audit): every account of the scope (or of ``org.shard``)
    audited as ``audit`` audits one, gathered into one Result. Returns an OrgOutcome."""
    from opsctl.org_audit import OrgOutcome, audit_organization, resolve_scope
    from opsctl.ratelimit import DEFAULT_RATE, RateLimiter
    from opsctl.registry import load_builtin_checks

    cfg_org: dict[str, Any] = cfg.sections.get("org") or {}
    workers = opts.workers or cfg.workers or 16
    external_id = org.external_id or cfg_org.get("external_id")
    aws = Aws(profile=opts.profile, role_arn=opts.role_arn, external_id=external_id if opts.role_arn else None,
              workers=workers)
    identity = aws.identity()
    if opts.all_regions and opts.regions:
        raise UsageError("--all-regions and --region exclude each other; pick one")
    regions = None if opts.all_regions else resolve_regions(aws, opts, cfg)  # None: each account's enabled regions
    home = (regions or [aws.default_region()])[0]
    org = _with_config(org, cfg_org, external_id)
    where = resolve_scope(aws, org, cfg_org, home)
    rate = org.rate_limit if org.rate_limit is not None else cfg_org.get("rate_limit", DEFAULT_RATE)
    limiter = RateLimiter(rate)
    params = effective_params(load_builtin_checks(), cfg)

    def audit_one(account_aws: Aws, account: Any, account_regions: list[str] | None, stop: Any) -> tuple[Result, int]:
        regs = account_regions or _enabled_regions(account_aws, account.id)
        snap = collect(account_aws, regs, account=account.id, partition=identity["partition"], workers=workers,
                       check_params=params, stop=stop, limiter=limiter)
        stats: dict[str, Any] = getattr(snap, "stats", {})
        return audit(snap, checks, cfg, {}, prices, selection, spec=spec, scope=scope), int(stats.get("calls", 0))

    outcome: OrgOutcome = audit_organization(aws, identity, where, regions, audit_one, checks, org, limiter, progress)
    outcome.stats["identity"] = identity
    return outcome


def _with_config(org: Any, cfg_org: dict[str, Any], external_id: str | None) -> Any:
    from dataclasses import replace

    return replace(org, external_id=external_id, session_name=org.session_name or cfg_org.get("role_session_name"),
                   account_workers=org.account_workers or cfg_org.get("account_workers"))


def _enabled_regions(aws: Aws, account: str) -> list[str]:
    try:
        return aws.enabled_regions()
    except UsageError as exc:
        raise UsageError(f"account {account}: {exc}") from None
