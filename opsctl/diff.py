"""Compare two audit results (their JSON): what is new, resolved, unchanged — and what cannot be told.

Findings are matched by (account, check_id, resource_id): a finding's own ``account`` in an
organisation result, else the result's ``account``, so a one-account result and an organisation
result that covers the same account compare finding by finding. Only FAILs make a difference; each FAIL of
either result lands in exactly one category:

* **new** — FAIL now; before it was absent, PASS, ERROR, SKIPPED or WAIVED (``before`` says which:
  ERROR → FAIL was failing unseen, WAIVED → FAIL is a waiver that lapsed).
* **resolved** — FAIL before; now PASS, or the check ran and no longer reports the resource
  (it was deleted).
* **unchanged** — FAIL before and now.
* **unknown** — FAIL before; now ERROR (could not be evaluated), SKIPPED, or the check did not run
  this time. Not resolved: nobody looked.
* **waived** — FAIL before, WAIVED now: accepted, not fixed.

The money (``savings``): the potential monthly savings of each result (its priced FAILs, each
resource once, as ``summary.savings`` counts them) before, now and the change, in total and per
check (only the checks whose figure changed), plus ``new_waste_monthly_usd`` (the figures of the
new FAILs) and ``resolved_monthly_usd`` (the figures the resolved FAILs carried before). Every
entry carries its ``monthly_savings_usd`` (a resolved one, the figure it had before).

Scores per pillar are compared when both results carry ``summary.scores``, and per tier of the
architecture spec (``tier_scores``: tier → old, new, delta) when both carry ``summary.tier_scores``
— a tier only one of them has (the spec changed) shows with ``None`` on the other side.
Pure: dicts in, dict out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from opsctl.errors import UsageError, not_utf8
from opsctl.findings import severity_rank

CATEGORIES = ("new", "resolved", "unchanged", "unknown", "waived")
_WORST = ("FAIL", "ERROR", "WAIVED", "SKIPPED", "PASS")  # findings.STATUS_ORDER


Key = tuple[str, str, str]


def key(f: dict[str, Any], account: str = "") -> Key:
    """(account, check_id, resource_id); ``account`` is the result's, for findings that name none."""
    return f.get("account") or account, f["check_id"], f["resource_id"]


def finding_key(f: Any, account: str = "") -> Key:
    """The same key of a Finding object."""
    return f.account or account, f.check_id, f.resource_id


def _by_key(findings: Iterable[dict[str, Any]], account: str = "") -> dict[Key, dict[str, Any]]:
    """One finding per key: the worst, should a check report a resource twice (e.g. per region)."""
    out: dict[Key, dict[str, Any]] = {}
    for f in findings:
        k = key(f, account)
        kept = out.get(k)
        if kept is None or _WORST.index(f["status"]) < _WORST.index(kept["status"]):
            out[k] = f
    return out


def _entry(f: dict[str, Any], before: str | None, after: str | None, note: str = "",
           savings: Any = None) -> dict[str, Any]:
    """One finding of the diff; ``savings`` is the figure it carries (``f``'s own unless given)."""
    figure = f.get("monthly_savings_usd") if savings is None else savings
    return {
        **({"account": f["account"]} if f.get("account") else {}),
        "check_id": f["check_id"], "resource_id": f["resource_id"], "region": f.get("region", ""),
        "severity": f.get("severity", "info"), "pillar": f.get("pillar", ""), "title": f.get("title", ""),
        "before": before, "after": after, "message": f.get("message", ""), "note": note,
        "monthly_savings_usd": _number(figure),
    }


def diff_results(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The difference between two result dicts (as `opsctl audit --format json` writes them)."""
    before = _by_key(old.get("findings", []), str(old.get("account") or ""))
    after = _by_key(new.get("findings", []), str(new.get("account") or ""))
    ran_now = set(new.get("checks_run", []))
    out: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    new_fails: list[dict[str, Any]] = []  # the findings behind "new" and "resolved", for the money
    resolved_fails: list[dict[str, Any]] = []
    for k, f in after.items():
        if f["status"] != "FAIL":
            continue
        was = before.get(k)
        prev = was["status"] if was else None
        if prev == "FAIL":
            out["unchanged"].append(_entry(f, prev, "FAIL"))
        else:
            note = {None: "not reported before", "ERROR": "could not be evaluated before",
                    "WAIVED": "waiver no longer applies", "SKIPPED": "skipped before", "PASS": "passed before"}[prev]
            out["new"].append(_entry(f, prev, "FAIL", note))
            new_fails.append(f)
    for k, f in before.items():
        if f["status"] != "FAIL" or (k in after and after[k]["status"] == "FAIL"):
            continue
        now = after.get(k)
        status = now["status"] if now else None
        if status == "PASS":
            out["resolved"].append(_entry(now, "FAIL", "PASS", "passes now", f.get("monthly_savings_usd")))
            resolved_fails.append(f)
        elif status == "WAIVED":
            out["waived"].append(_entry(now, "FAIL", "WAIVED", "accepted by a waiver, not fixed",
                                        f.get("monthly_savings_usd")))
        elif status is None and f["check_id"] in ran_now:
            out["resolved"].append(_entry(f, "FAIL", None, "no longer reported: the resource is gone"))
            resolved_fails.append(f)
        elif status is None:
            out["unknown"].append(_entry(f, "FAIL", None, "the check did not run this time"))
        else:
            note = "could not be evaluated now" if status == "ERROR" else "skipped now"
            out["unknown"].append(_entry(now, "FAIL", status, note))
    for entries in out.values():
        entries.sort(key=lambda e: (-severity_rank(e["severity"]), e["check_id"], e["resource_id"],
                                    e.get("account", "")))
    warnings = []
    if (old.get("accounts") is None) != (new.get("accounts") is None):
        warnings.append("one result is of an organisation and the other of one account: only the accounts both "
                        "cover compare; the others' findings show as new or as not evaluated")
    elif old.get("accounts") is not None:
        a = {e.get("id") for e in old["accounts"] if isinstance(e, dict)}
        b = {e.get("id") for e in new["accounts"] if isinstance(e, dict)}
        if a != b:
            warnings.append(f"the results cover different accounts ({len(a - b)} only in the old, {len(b - a)} only "
                            "in the new): their findings show as new or as not evaluated")
    elif old.get("account") != new.get("account"):
        warnings.append(f"the results are of different accounts ({old.get('account')} and {new.get('account')})")
    if sorted(old.get("regions", [])) != sorted(new.get("regions", [])):
        warnings.append(f"the results cover different regions ({', '.join(old.get('regions', [])) or '-'} and "
                        f"{', '.join(new.get('regions', [])) or '-'})")
    return {
        "old": _describe(old),
        "new": _describe(new),
        "counts": {c: len(out[c]) for c in CATEGORIES},
        "findings": out,
        "scores": compare_scores(old, new),
        "tier_scores": compare_tier_scores(old, new),
        "savings": compare_savings(old, new, new_fails, resolved_fails),
        "warnings": warnings,
    }


def _describe(r: dict[str, Any]) -> dict[str, Any]:
    meta = r.get("metadata") or {}
    return {"account": r.get("account", ""), "regions": r.get("regions", []),
            "evaluated_at": meta.get("evaluated_at"), "file": r.get("_file")}


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _flatten_scores(scores: Any) -> dict[str, float | None]:
    """{name: score or None} from summary.scores: ``overall`` and each pillar of ``by_pillar``
    (None: not evaluated). Other top-level numbers are taken as they are; ``weights`` is not a score."""
    out: dict[str, float | None] = {}
    if not isinstance(scores, dict):
        return out
    for name, value in scores.items():
        if name == "weights":
            continue
        if name == "by_pillar" and isinstance(value, dict):
            out.update({p: _number(v) for p, v in value.items()})
        elif value is None or _number(value) is not None:
            out[name] = _number(value)
    return out


def compare_scores(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, float | None]] | None:
    """Per pillar (and overall, if present): old, new and delta; None unless both results have scores."""
    a = _flatten_scores((old.get("summary") or {}).get("scores"))
    b = _flatten_scores((new.get("summary") or {}).get("scores"))
    if not a or not b:
        return None
    out = {}
    for name in list(dict.fromkeys([*b, *a])):
        if a.get(name) is None and b.get(name) is None:
            continue
        x, y = a.get(name), b.get(name)
        delta = round(y - x, 2) if x is not None and y is not None else None
        out[name] = {"old": x, "new": y, "delta": delta}
    return out


def compare_tier_scores(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, float | None]] | None:
    """Per tier: old, new and delta (None where either side has no score, e.g. a tier the other spec
    lacks; a tier scored on neither side is left out); the newer result's tiers first. None unless
    both results have ``summary.tier_scores``."""
    a = (old.get("summary") or {}).get("tier_scores")
    b = (new.get("summary") or {}).get("tier_scores")
    if not isinstance(a, dict) or not isinstance(b, dict):
        return None
    out = {}
    for name in dict.fromkeys([*b, *a]):
        x, y = _number(a.get(name)), _number(b.get(name))
        if x is None and y is None:
            continue
        out[name] = {"old": x, "new": y, "delta": round(y - x, 2) if x is not None and y is not None else None}
    return out


def _findings(entries: Iterable[Any]) -> list[Any]:
    """Finding objects of finding dicts, leaving out an entry they cannot be made of (hand-edited)."""
    from opsctl.findings import Finding

    out = []
    for d in entries:
        try:
            out.append(Finding.from_dict(d))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def _money(x: float) -> float:
    return round(x, 2) + 0.0  # never -0.0


def compare_savings(old: dict[str, Any], new: dict[str, Any], new_fails: Iterable[dict[str, Any]] = (),
                    resolved_fails: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """The potential monthly savings of both results (``summary.savings`` recomputed from the
    findings, so results of any version compare): ``total`` old, new and delta; ``by_check`` the
    same for each check whose figure changed (largest change first); ``new_waste_monthly_usd``
    the figures of ``new_fails`` (the FAIL findings new in ``new``) and ``resolved_monthly_usd``
    those of ``resolved_fails`` (the FAILs of ``old`` resolved since), each counted as the
    totals count them (one figure per resource: opsctl.engine.savings_summary)."""
    from opsctl.engine import savings_summary

    a = savings_summary(_findings(old.get("findings", [])))
    b = savings_summary(_findings(new.get("findings", [])))
    waste = savings_summary(_findings(new_fails))
    fixed = savings_summary(_findings(resolved_fails))
    by_check = {}
    for cid in dict.fromkeys([*b["by_check"], *a["by_check"]]):
        x, y = float(a["by_check"].get(cid, 0.0)), float(b["by_check"].get(cid, 0.0))
        if round(y - x, 2):
            by_check[cid] = {"old": x, "new": y, "delta": _money(y - x)}
    by_check = dict(sorted(by_check.items(), key=lambda kv: (-abs(kv[1]["delta"]), kv[0])))
    return {
        "currency": "USD",
        "total": {"old": float(a["total_monthly_usd"]), "new": float(b["total_monthly_usd"]),
                  "delta": _money(b["total_monthly_usd"] - a["total_monthly_usd"])},
        "by_check": by_check,
        "new_waste_monthly_usd": float(waste["total_monthly_usd"]),
        "resolved_monthly_usd": float(fixed["total_monthly_usd"]),
    }


def new_failures(baseline: dict[str, Any], findings: Iterable[Any], account: str = "") -> set[Key]:
    """Keys (finding_key) of the FAIL findings (Finding objects) that were not FAIL in the baseline
    result dict; ``account`` is the new result's, for findings that name none."""
    base_account = str(baseline.get("account") or "")
    account = account or base_account
    failed_before = {k for k, f in _by_key(baseline.get("findings", []), base_account).items() if f["status"] == "FAIL"}
    return {finding_key(f, account) for f in findings
            if str(getattr(f.status, "value", f.status)) == "FAIL" and finding_key(f, account) not in failed_before}


def load_result(path: str | Path, flag: str) -> dict[str, Any]:
    """Read a result JSON written by `opsctl audit --format json` (or --report-dir). Bad input is a
    one-line UsageError naming the file (and line, for JSON syntax)."""
    from opsctl.errors import read_text_file  # a FIFO or device is refused, not waited on

    try:
        text = read_text_file(path)
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc, flag) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); {flag} takes the JSON result of "
                         "`opsctl audit --format json`") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise UsageError(f"{path}: not an opsctl result (no findings list); {flag} takes the JSON result of "
                         "`opsctl audit --format json`")
    from opsctl.engine import READABLE_SCHEMA_VERSIONS

    version = data.get("schema_version")
    if isinstance(version, bool) or version not in READABLE_SCHEMA_VERSIONS:
        raise UsageError(f"{path}: result schema_version {version!r} is not supported (this opsctl reads "
                         f"{', '.join(map(str, READABLE_SCHEMA_VERSIONS))})")
    from opsctl.report.load import shape_problem

    problem = shape_problem(data)
    if problem:
        raise UsageError(f"{path}: not an opsctl result ({problem}); {flag} takes the JSON result of "
                         "`opsctl audit --format json`")
    data["_file"] = str(path)
    return data
