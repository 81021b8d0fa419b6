"""Merge shard results (`opsctl audit --org --shard I/N`) into the organisation result one process
would have written: the same findings in the same order, the same account entries.

Refused (UsageError, one line naming the file): a file that is not an organisation result, results
of different organisations, different schema versions, or different shard counts. Named, not
refused: an account two shards audited (the audited copy is kept — a shard that audited it beats
one that could not reach it — else the first; ``organization.duplicate_accounts``), and the
accounts of the scope that no shard covered — a missing shard. Those are added as not reached,
each check ERROR, so every report shows the hole (``organization.missing_accounts``; ``--strict``
makes it exit 3). Pure: parsed result dicts in, a Result and warnings out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opsctl.engine import AUDITED, NOT_REACHED, Result
from opsctl.errors import UsageError
from opsctl.findings import Finding
from opsctl.org import Account, parse_shard, shard_of


@dataclass
class Merged:
    result: Result
    warnings: list[str] = field(default_factory=list)
    missing_shards: list[str] = field(default_factory=list)
    missing_accounts: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def merge_results(items: Sequence[tuple[str, dict[str, Any]]], registry: dict[str, Any] | None = None) -> Merged:
    """``items``: (file name, parsed JSON) of each shard result, in the order given."""
    if not items:
        raise UsageError("report merge: give the shard results to merge (SHARD.json ...)")
    parsed: list[tuple[str, dict[str, Any], Result]] = []
    from opsctl.report.load import parse_result

    for name, data in items:
        result = parse_result(data, name)
        if not result.is_org or result.organization is None:
            raise UsageError(f"{name}: a one-account result; report merge takes results of `opsctl audit --org` "
                             "(or --accounts), e.g. one per --shard")
        parsed.append((name, data, result))
    first_name, first_data, first = parsed[0]
    for name, data, result in parsed[1:]:
        if data.get("schema_version") != first_data.get("schema_version"):
            raise UsageError(f"{name}: result schema_version {data.get('schema_version')} differs from {first_name}'s "
                             f"{first_data.get('schema_version')}: re-run the shards with one opsctl version")
        org_a, org_b = first.organization.get("id"), result.organization.get("id")  # type: ignore[union-attr]
        if org_a != org_b:
            raise UsageError(f"{name}: organisation {org_b or 'none (--accounts)'} is not {first_name}'s "
                             f"{org_a or 'none (--accounts)'}: merge the shards of one organisation")
    warnings: list[str] = []
    counts = {_shard_count(name, r) for name, _, r in parsed} - {None}
    if len(counts) > 1:
        raise UsageError(f"report merge: the results come from different shard counts ({', '.join(map(str, sorted(counts)))}): "
                         "merge the shards of one `--shard I/N` run")
    count = counts.pop() if counts else None
    versions = {(d.get("tool") or {}).get("version") for _, d, _ in parsed}
    if len(versions) > 1:
        warnings.append(f"the shards were written by different opsctl versions ({', '.join(sorted(map(str, versions)))})")
    checks = [r.checks_run for _, _, r in parsed]
    if any(c != checks[0] for c in checks):
        warnings.append("the shards ran different checks (a different --select or config): findings may not compare")

    # scope: every account any shard was to cover
    scope: list[str] = []
    for _, _, r in parsed:
        scope.extend(i for i in r.organization.get("scope", []) if i not in scope)  # type: ignore[union-attr]
    scopes = {tuple(sorted(r.organization.get("scope", []))) for _, _, r in parsed}  # type: ignore[union-attr]
    if len(scopes) > 1:
        warnings.append("the shards saw different account lists (accounts joined or left between them): "
                        "the merged scope is their union")

    seen_shards: dict[str, str] = {}
    for name, _, r in parsed:
        for s in r.organization.get("shards", []):  # type: ignore[union-attr]
            if s in seen_shards:
                warnings.append(f"shard {s} is in more than one shard result ({seen_shards[s]} and {name}): "
                                "kept one copy of each account")
            else:
                seen_shards[s] = name
    kept: dict[str, tuple[dict[str, Any], Result]] = {}
    duplicates: list[str] = []
    for name, _, r in parsed:
        for entry in r.accounts or []:
            aid = entry["id"]
            if aid in kept:
                duplicates.append(aid)
                if kept[aid][0].get("status") != AUDITED and entry.get("status") == AUDITED:
                    kept[aid] = (entry, r)
                warnings.append(f"account {aid} is in more than one shard result ({name} among them): kept one copy")
            else:
                kept[aid] = (entry, r)
    findings: list[Finding] = []
    coverage = []
    for aid, (_entry, r) in kept.items():
        findings.extend(f for f in r.findings if f.account == aid)
        coverage.extend(g for g in r.coverage if g.account == aid)

    shards_given = sorted({s for _, _, r in parsed for s in r.organization.get("shards", [])},  # type: ignore[union-attr]
                          key=lambda s: parse_shard(s).index)
    missing_shards = ([f"{i}/{count}" for i in range(1, count + 1) if f"{i}/{count}" not in shards_given]
                      if count else [])
    missing = [aid for aid in scope if aid not in kept]
    entries = [e for e, _ in kept.values()]
    if missing:
        from opsctl.org_audit import unreached_findings

        specs = _check_specs(first.checks_run, registry)
        partition = _partition(first)
        for aid in missing:
            where = f"shard {shard_of(aid, count)}/{count}" if count else "any shard"
            reason = f"no shard result covered it ({where} is missing from the merge)"
            entries.append({"id": aid, "name": "", "email": "", "ou_path": "", "status": NOT_REACHED,
                            "reason": reason, "shard": f"{shard_of(aid, count)}/{count}" if count else None})
            findings.extend(unreached_findings(Account(aid), specs, reason, partition))
        warnings.append(f"{len(missing)} account(s) of the scope were in no shard result"
                        + (f" (missing: {', '.join(missing_shards)})" if missing_shards else ""))
    findings.sort(key=Finding.sort_key)
    coverage.sort(key=lambda g: (g.account, g.service, g.region, g.operation, g.resource_id))
    organization = {**first.organization, "scope": scope, "shards": shards_given,  # type: ignore[dict-item]
                    "skipped": _union_skipped(parsed)}
    if missing:
        organization["missing_accounts"] = missing
    if duplicates:
        organization["duplicate_accounts"] = sorted(set(duplicates))
    metadata = {**first.metadata, "merged_from": [name for name, _, _ in parsed],
                "api_calls": sum(int(r.metadata.get("api_calls") or 0) for _, _, r in parsed),
                "sts_calls": sum(int(r.metadata.get("sts_calls") or 0) for _, _, r in parsed),
                "collect_seconds": max(float(r.metadata.get("collect_seconds") or 0) for _, _, r in parsed)}
    regions = sorted({g for _, _, r in parsed for g in r.regions})
    result = Result(findings=findings, coverage=coverage, account=first.account, regions=regions,
                    checks_run=list(first.checks_run), metadata=metadata, waivers=_merge_waivers(parsed),
                    accounts=entries, organization=organization)
    return Merged(result, warnings, missing_shards, missing, sorted(set(duplicates)))


def _merge_waivers(parsed: Sequence[tuple[str, dict[str, Any], Result]]) -> list[dict[str, Any]]:
    """Each shard applied the same waivers to its own accounts: add up what each matched. A waiver
    is active if it waived anything anywhere, stale only if it was stale in every shard."""
    from opsctl.waivers import ACTIVE, EXPIRED, NOT_EVALUATED, STALE

    merged: dict[tuple, dict[str, Any]] = {}
    states: dict[tuple, list[str]] = {}
    for _, _, r in parsed:
        for w in r.waivers:
            k = (w.get("source"), w.get("check"), w.get("resource"), w.get("account"))
            if k not in merged:
                merged[k] = {**w, "matched": 0}
                states[k] = []
            merged[k]["matched"] += int(w.get("matched") or 0)
            states[k].append(str(w.get("status")))
    for k, w in merged.items():
        seen = states[k]
        w["status"] = (EXPIRED if EXPIRED in seen else ACTIVE if w["matched"] and ACTIVE in seen
                       else STALE if all(s == STALE for s in seen) else NOT_EVALUATED)
    return list(merged.values())


def _shard_count(name: str, r: Result) -> int | None:
    shards = (r.organization or {}).get("shards") or []
    out = set()
    for s in shards:
        try:
            out.add(parse_shard(s).count)
        except UsageError:
            raise UsageError(f"{name}: organization.shards holds {s!r}, not I/N") from None
    if len(out) > 1:
        raise UsageError(f"{name}: holds shards of different counts ({', '.join(shards)})")
    return out.pop() if out else None


def _union_skipped(parsed: Sequence[tuple[str, dict[str, Any], Result]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for _, _, r in parsed:
        for s in (r.organization or {}).get("skipped", []) or []:
            if isinstance(s, dict):
                seen.setdefault(str(s.get("id")), s)
    return list(seen.values())


def _partition(r: Result) -> str:
    for f in r.findings:
        if f.resource_id.startswith("arn:"):
            return f.resource_id.split(":")[1]
    return "aws"


def _check_specs(check_ids: Sequence[str], registry: dict[str, Any] | None) -> list[Any]:
    from opsctl.registry import load_builtin_checks

    registry = registry or load_builtin_checks()
    return [registry[c] for c in check_ids if c in registry]
