"""SARIF 2.1.0 for GitHub code scanning: one result per FAIL finding (PASS, ERROR, SKIPPED and WAIVED
findings are not alerts and are left out).

What GitHub needs, and where each comes from (tests/unit/report/test_sarif.py checks every item):

- ``$schema`` and ``version: "2.1.0"``; one run whose ``tool.driver`` has ``name`` "opsctl",
  ``semanticVersion`` and ``rules``.
- Each rule: ``id`` (the check id), ``name``, ``shortDescription.text`` (the check's title),
  ``fullDescription.text`` (the runbook's "What it checks", at most 1024 characters),
  ``help.text`` and ``help.markdown`` (the whole runbook), ``defaultConfiguration.level`` and
  ``properties``: ``tags`` (opsctl, the pillar, "security" for the security pillar),
  ``precision`` and ``security-severity`` — a numeric *string*: critical 9.5, high 8.0,
  medium 5.5, low 3.0, info 1.0 (GitHub maps >= 9.0 to critical, 7.0–8.9 high, 4.0–6.9 medium,
  0.1–3.9 low).
- Each result: ``ruleId`` (present in the rules) and ``ruleIndex``, ``level``, ``message.text``
  (the finding's message plus the resource ARN and region), and a **physical location in the
  repository** — GitHub rejects the whole file when a result has none: ``artifactLocation.uri``
  relative to the repository root and ``region.startLine`` >= 1. AWS resources are not files,
  so every result points at the file that scopes the audit: ``sarif_location`` ("path" or
  "path:line"), else the config file the audit read (``metadata.config_file``), line 1.
- ``partialFingerprints``: ``opsctl/v1`` (sha256 of check id + NUL + resource ARN) and
  ``primaryLocationLineHash`` (derived from it). All results share one file line, so without them
  GitHub's own line hash would merge every alert of a rule into one; with them an alert keeps its
  identity across runs, and closes when its resource stops failing.
- ``automationDetails.id`` ``opsctl/<account>/``: the analysis category, so audits of several
  accounts from one repository do not close each other's alerts.

When the result has a topology, each result's ``properties.tiers`` lists the tiers of the
architecture spec its resource belongs to, and the run's ``properties`` carry ``tier_scores`` and
the spec's name beside ``scores``.

Limits (GitHub): 10 MB gzipped per upload, 25,000 results per run (``MAX_RESULTS_PER_RUN``), 10
locations per result, 20 runs per upload. A run with more FAIL findings than that keeps the worst
(by severity, then the result's order) and says how many it left out: ``properties.truncated``
(``results_total``, ``results_kept``, ``results_left_out``) and a warning in
``invocations[0].toolExecutionNotifications``; the JSON result has them all.

An organisation result (``Result.is_org``) gives one run per audited account, worst account first
(``opsctl.report.org.account_rows``), each self-contained so the log can be split into uploads of at
most 20 runs (as .github/workflows/opsctl-org-audit.yml does): ``automationDetails.id``
``opsctl/<account id>/`` — the category a one-account audit of that account uses, so its alerts
carry on — the FAIL findings of that account only, with the account in each message and in
``properties.account``, only the rules those results use, and the account's own ``properties``
(``account``, ``account_name``, ``ou_path``, ``organization``, its regions, scores, savings, counts
by status, coverage gaps; ``tier_scores`` and ``spec`` when it has a topology). An account not
reached has **no run**: an analysis without results would close every open alert of its category
as fixed, though nothing was looked at; the log's ``properties.accounts_without_run`` lists those
accounts and why. Account names, OU paths and reasons are shown with control characters escaped
(``opsctl.escape.inert``).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from opsctl import __version__
from opsctl.engine import Result, savings_summary
from opsctl.errors import UsageError
from opsctl.escape import inert
from opsctl.findings import Finding, Status
from opsctl.report.helpers import load_runbook, runbook_section, runbook_url
from opsctl.report.org import AccountRow, account_rows, findings_by_account
from opsctl.report.tiers import TierIndex, spec_name, tier_index

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
#: GitHub's scale: > 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low (0.0: none)
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
FINGERPRINT_KEY = "opsctl/v1"
#: GitHub code scanning refuses a run with more results than this
MAX_RESULTS_PER_RUN = 25_000
_DESCRIPTION_LIMIT = 1024

_LOCATION = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+))?$")


def fingerprint(check_id: str, resource_id: str) -> str:
    """Stable identity of a finding across runs: sha256 of check id and resource ARN."""
    return hashlib.sha256(f"{check_id}\0{resource_id}".encode()).hexdigest()


def parse_location(value: str | Mapping[str, Any] | None) -> tuple[str, int] | None:
    """``"opsctl.yaml"`` / ``"ci/opsctl.yaml:12"`` / ``{"uri": ..., "line": ...}`` → (uri, line),
    the uri normalised to a repository-relative POSIX path. Absolute paths, URLs and paths
    leaving the repository (``..``) are refused: GitHub matches the uri against repository files."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        path, line = str(value.get("uri") or value.get("path") or ""), int(value.get("line") or 1)
    else:
        m = _LOCATION.match(str(value).strip())
        if not m:
            raise UsageError(f"--sarif-location {value!r}: expected FILE or FILE:LINE")
        path, line = m.group("path"), int(m.group("line") or 1)
    path = path.replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:/", path) or "://" in path:
        raise UsageError(f"--sarif-location {path!r}: give a path relative to the repository root (e.g. opsctl.yaml), "
                         "not an absolute path or URL")
    if ":" in path or path.endswith("/") or not path.strip():
        raise UsageError(f"--sarif-location {value!r}: expected FILE or FILE:LINE, a file in the repository "
                         "(e.g. opsctl.yaml or ci/opsctl.yaml:12)")
    norm = posixpath.normpath(path)
    if norm == "." or norm.startswith("../") or norm == "..":
        raise UsageError(f"--sarif-location {path!r}: the file must be inside the repository")
    if line < 1:
        raise UsageError(f"--sarif-location {value!r}: line numbers start at 1")
    return norm, line


def _location(result: Result, sarif_location: str | Mapping[str, Any] | None) -> tuple[str, int]:
    loc = parse_location(sarif_location)
    if loc is None:
        config = result.metadata.get("config_file")
        if config:
            try:
                loc = parse_location(str(config))
            except UsageError:
                raise UsageError(f"SARIF: the audit's config file {config} is outside the working directory; "
                                 "pass --sarif-location FILE[:LINE] relative to the repository root") from None
    if loc is None:
        raise UsageError("SARIF needs a file in your repository to attach results to (GitHub rejects results without one): "
                         "audit with a config file (opsctl.yaml) or pass --sarif-location FILE[:LINE]")
    return loc


def _rule(check_id: str, f: Finding, runbook: str | None, base_url: str | None) -> dict[str, Any]:
    text = runbook or f"# {check_id}: {f.title}\n\nRun `opsctl explain {check_id}` for what it checks and how to fix it.\n"
    what = runbook_section(text, "What it checks") or f.title
    what = " ".join(what.split())
    if len(what) > _DESCRIPTION_LIMIT:
        what = what[: _DESCRIPTION_LIMIT - 1] + "…"
    tags = ["opsctl", f.pillar, f.resource_type.split(".", 1)[0]] + (["security"] if f.pillar == "security" else [])
    rule: dict[str, Any] = {
        "id": check_id,
        "name": check_id,
        "shortDescription": {"text": (f.title or check_id)[:_DESCRIPTION_LIMIT]},
        "fullDescription": {"text": what},
        "help": {"text": _help_text(check_id, f, text), "markdown": text},
        "defaultConfiguration": {"level": LEVEL[f.severity.value]},
        "properties": {
            "tags": list(dict.fromkeys(t for t in tags if t)),
            "precision": "very-high",
            "problem.severity": "error" if LEVEL[f.severity.value] == "error" else
            ("warning" if LEVEL[f.severity.value] == "warning" else "recommendation"),
            "security-severity": SECURITY_SEVERITY[f.severity.value],
            "pillar": f.pillar,
            "severity": f.severity.value,
        },
    }
    if base_url:
        rule["helpUri"] = runbook_url(check_id, base_url)
    return rule


def _help_text(check_id: str, f: Finding, runbook: str) -> str:
    """help.text (shown where Markdown is not): what the check checks and why, and where the fix is."""
    parts = [f"{check_id}: {f.title}"]
    for heading in ("What it checks", "Why it matters"):
        body = runbook_section(runbook, heading)
        if body:
            parts.append(f"{heading}: {' '.join(body.split())}")
    parts.append(f"How to fix: `opsctl explain {check_id}` shows the runbook.")
    return "\n\n".join(parts)


def _worst_first(fails: list[Finding], limit: int) -> tuple[list[Finding], int]:
    """At most ``limit`` FAIL findings: all of them in the result's order when they fit, else the
    worst by severity (the result's order among equals). Returns them and how many were left out."""
    if len(fails) <= limit:
        return fails, 0
    ranked = sorted(fails, key=lambda f: -f.severity.rank)  # stable: the result's order within a severity
    return ranked[:limit], len(fails) - limit


def _run(fails: list[Finding], *, automation_id: str, properties: dict[str, Any], uri: str, line: int,
         lookup: Callable[[str], str | None], base_url: str | None, tiers: TierIndex,
         account: AccountRow | None = None) -> dict[str, Any]:
    """One SARIF run of these FAIL findings, with the rules they use (self-contained)."""
    limit = MAX_RESULTS_PER_RUN
    kept, left_out = _worst_first(fails, limit)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for f in sorted(kept, key=lambda f: f.check_id):
        if f.check_id not in index:
            index[f.check_id] = len(rules)
            rules.append(_rule(f.check_id, f, lookup(f.check_id), base_url))
    account_text = f" Account: {account.title}." if account is not None else ""
    results = []
    for f in kept:
        digest = fingerprint(f.check_id, f.resource_id)
        message = f.message.strip() or f.title
        text = f"{message} Resource: {f.resource_id} ({f.region}).{account_text}"
        if f.monthly_savings_usd:
            text += f" Potential savings: ${f.monthly_savings_usd:,.2f}/month."
        results.append({
            "ruleId": f.check_id,
            "ruleIndex": index[f.check_id],
            "level": LEVEL[f.severity.value],
            "message": {"text": text},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": line, "startColumn": 1, "endLine": line, "endColumn": 2},
                },
                "logicalLocations": [{"name": f.resource_id, "fullyQualifiedName": f.resource_id, "kind": "resource"}],
            }],
            "partialFingerprints": {FINGERPRINT_KEY: digest, "primaryLocationLineHash": f"{digest[:16]}:1"},
            "properties": {
                **({"account": f.account} if account is not None else {}),
                "resource_id": f.resource_id,
                "resource_type": f.resource_type,
                "region": f.region,
                "pillar": f.pillar,
                "severity": f.severity.value,
                "monthly_savings_usd": f.monthly_savings_usd,
                "evidence": f.evidence,
                **({"tiers": tiers.of(f)} if tiers and tiers.of(f) else {}),
            },
        })
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "opsctl",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rules,
        }},
        "automationDetails": {"id": automation_id},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The root of the repository."}}},
        "results": results,
        "properties": properties,
    }
    if left_out:
        whose = f"account {account.title}" if account is not None else "this audit"
        properties["truncated"] = {"results_total": len(fails), "results_kept": len(kept), "results_left_out": left_out}
        run["invocations"] = [{
            "executionSuccessful": True,
            "toolExecutionNotifications": [{
                "level": "warning",
                "message": {"text": (
                    f"{left_out:,} of the {len(fails):,} FAIL findings of {whose} were left out of this run: "
                    f"GitHub code scanning takes at most {limit:,} results per run, so the run keeps the worst "
                    "by severity. The JSON result (opsctl audit --format json) has them all.")},
            }],
        }]
    return run


def _lookup(runbooks: Mapping[str, str] | Callable[[str], str | None] | None) -> Callable[[str], str | None]:
    if runbooks is None:
        return load_runbook
    if callable(runbooks):
        return runbooks
    return runbooks.get


def render_sarif(result: Result, *, sarif_location: str | Mapping[str, Any] | None = None,
                 runbook_base_url: str | None = None,
                 runbooks: Mapping[str, str] | Callable[[str], str | None] | None = None) -> str:
    """The SARIF log as JSON text.

    ``sarif_location``: "path[:line]" (repository-relative) every result points at; default the
    result's ``metadata.config_file``; neither → UsageError. ``runbooks``: check id → Markdown (a
    mapping or a function) for the rules' help; default: the runbooks shipped with opsctl.
    ``runbook_base_url``: when set, rules get ``helpUri`` = base + ``runbooks/<check>.md``.
    An organisation result gives one run per audited account (see the module's docstring)."""
    path, line = _location(result, sarif_location)
    uri = urllib.parse.quote(path)  # a URI reference (SARIF 3.10.2): "ci/my config.yaml" → "ci/my%20config.yaml"
    common = {"uri": uri, "line": line, "lookup": _lookup(runbooks), "base_url": runbook_base_url}
    log: dict[str, Any] = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION}
    if result.is_org:
        log["runs"], without = _org_runs(result, common)
        log["properties"] = {"organization": _org_id(result), "accounts_without_run": without}
    else:
        summary = result.summary()
        fails = [f for f in result.findings if f.status is Status.FAIL]
        properties = {
            "account": result.account,
            "regions": result.regions,
            "scores": summary["scores"],
            "savings": summary["savings"],
            **({"tier_scores": summary["tier_scores"], "spec": spec_name(result)} if "tier_scores" in summary else {}),
            "by_status": summary["by_status"],
            "evaluated_at": result.metadata.get("evaluated_at"),
        }
        log["runs"] = [_run(fails, automation_id=f"opsctl/{result.account or 'unknown'}/", properties=properties,
                            tiers=tier_index(result), **common)]
    return json.dumps(_inert_strings(log), indent=2, default=str) + "\n"


def _inert_strings(node: Any) -> Any:
    """Every string of the log through escape.inert: code scanning shows messages, names and
    properties as text, so an ESC or U+202E from a resource name is written escaped, not obeyed."""
    if isinstance(node, str):
        return inert(node)
    if isinstance(node, dict):
        return {k: _inert_strings(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inert_strings(v) for v in node]
    return node


def _org_id(result: Result) -> str:
    return str((result.organization or {}).get("id") or result.account or "")


def _org_runs(result: Result, common: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """One run per account of an organisation result, worst account first; and the accounts not
    reached (id, name, reason), which get none."""
    runs, without = [], []
    org_id = _org_id(result)
    for row, findings in findings_by_account(result, account_rows(result)):
        if not row.reached:
            without.append({"id": row.id, "name": row.name, "reason": row.reason})
            continue
        fails = [f for f in findings if f.status is Status.FAIL]
        properties: dict[str, Any] = {
            "account": row.id,
            "account_name": row.name,
            "ou_path": row.ou_path,
            "organization": org_id,
            "regions": list(row.regions) or list(result.regions),
            "scores": row.scores,
            "savings": savings_summary(findings),
        }
        if row.tier_scores is not None:
            properties["tier_scores"] = row.tier_scores
            properties["spec"] = str(((row.topology or {}).get("spec") or {}).get("name") or "the architecture")
        properties.update({
            "by_status": {s.value: sum(1 for f in findings if f.status is s) for s in Status},
            "coverage_gaps": row.coverage_gaps,
            "evaluated_at": result.metadata.get("evaluated_at"),
        })
        runs.append(_run(fails, automation_id=f"opsctl/{row.id or 'unknown'}/", properties=properties,
                         tiers=TierIndex(row.topology), account=row, **common))
    return runs, without
