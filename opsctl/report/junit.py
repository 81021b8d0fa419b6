"""JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines, GitHub
test-report actions).

One ``<testsuite>`` per pillar with findings, ``tests``/``failures``/``errors``/``skipped`` counts and
the pillar's score (and its potential monthly savings, when any) in ``<properties>``; one ``<testcase>`` per check × resource
(``classname`` the check id, ``name`` the resource ARN and region). FAIL → ``<failure>``
(type = severity), ERROR → ``<error>``, SKIPPED → ``<skipped>``, WAIVED → ``<skipped>`` whose
message starts with "waived" and names owner, expiry and reason: a waived finding is not a
failure. PASS → an empty testcase.

When the result has a topology, a last ``<testsuite name="architecture tiers">`` with no testcase
(``tests="0"``: the findings are already counted in their pillar) carries the per-tier scores as
properties: ``spec``, then for each tier ``tier.<name>.kind``, ``.state`` (present, missing, not
seen), ``.resources``, ``.score``, ``.fail``, ``.pass`` and ``.alarm_coverage``. Every property is
an attribute pair, so the document stays valid for the usual JUnit schemas.

An organisation result (``Result.is_org``) has one ``<testsuite>`` per account instead, worst account
first (``opsctl.report.org.account_rows``: the accounts not reached, then the lowest score), named
``opsctl audit <account id> (<name>)`` — the ``<testsuites>`` of a one-account result is named
``opsctl audit <account>`` — whose test cases are that account's findings, in the result's order,
mapped as above. Its ``<properties>``: ``account``, ``account_name``, ``ou_path``, ``status``
(``audited`` or ``not_reached``), ``reason`` (not reached), ``score``, ``waived``,
``coverage_gaps`` and ``monthly_savings_usd`` (when any). An account not reached has a suite of its
ERROR findings (``errors``) and says why in ``<system-out>`` (``NOT REACHED: <reason>``). The
``<testsuites>`` (``opsctl audit organisation <id>``) carries the totals. Account names, OU paths and
reasons come from AWS Organizations, so their control characters are shown escaped
(``opsctl.escape.inert``) besides the XML escaping.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from opsctl.engine import Result
from opsctl.escape import inert
from opsctl.findings import PILLARS, Finding, Status
from opsctl.report.helpers import runbook_url, waiver_text
from opsctl.report.org import AccountRow, account_rows, findings_by_account, org_scope
from opsctl.report.tiers import spec_name, tier_rows
from opsctl.scores import score_text

# Characters XML 1.0 cannot carry, even escaped.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(value: Any) -> str:
    """Text for an XML attribute or element: control and bidi characters shown escaped
    (escape.inert; the line ends of a multi-line block kept), then what XML 1.0 cannot carry replaced."""
    return _INVALID_XML.sub("\ufffd", inert(value, keep_newlines=True))


def _details(f: Finding, base_url: str | None) -> str:
    lines = [inert(f.title), f"check: {inert(f.check_id)} · severity: {f.severity.value} · pillar: {inert(f.pillar)}",
             f"resource: {inert(f.resource_id)} ({inert(f.region)})", f"message: {inert(f.message)}"]
    if f.monthly_savings_usd:
        lines.append(f"potential savings: ${f.monthly_savings_usd:,.2f}/month")
    if f.evidence:
        lines.append("evidence: " + json.dumps(f.evidence, sort_keys=True, default=str))
    lines.append(f"runbook: {inert(runbook_url(f, base_url))} (opsctl explain {inert(f.check_id)})")
    return _x("\n".join(lines))


def _counts(findings: list[Finding]) -> dict[Status, int]:
    return {s: sum(1 for f in findings if f.status is s) for s in Status}


def _suite_attrs(name: str, findings: list[Finding], counts: dict[Status, int], timestamp: str) -> dict[str, str]:
    attrs = {
        "name": name,
        "tests": str(len(findings)),
        "failures": str(counts[Status.FAIL]),
        "errors": str(counts[Status.ERROR]),
        "skipped": str(counts[Status.SKIPPED] + counts[Status.WAIVED]),
        "time": "0",
    }
    if timestamp:
        attrs["timestamp"] = timestamp
    return attrs


def _cases(suite: ET.Element, findings: list[Finding], base_url: str | None) -> None:
    for f in findings:
        case = ET.SubElement(suite, "testcase", {
            "classname": _x(f.check_id),
            "name": _x(f"{f.resource_id} ({f.region})"),
            "time": "0",
        })
        if f.status is Status.FAIL:
            el = ET.SubElement(case, "failure", {"message": _x(f.message), "type": f.severity.value})
            el.text = _details(f, base_url)
        elif f.status is Status.ERROR:
            el = ET.SubElement(case, "error", {"message": _x(f.message), "type": "ERROR"})
            el.text = _details(f, base_url)
        elif f.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", {"message": _x(f.message)})
        elif f.status is Status.WAIVED:
            ET.SubElement(case, "skipped", {"message": _x(f"{waiver_text(f)} — {f.message}")})


def _account_suite(root: ET.Element, row: AccountRow, findings: list[Finding], timestamp: str,
                   base_url: str | None) -> None:
    """One account of an organisation result: its findings as test cases, who it is in properties."""
    counts = _counts(findings)
    suite = ET.SubElement(root, "testsuite", _suite_attrs(_x(f"opsctl audit {row.title}"), findings, counts, timestamp))
    props = ET.SubElement(suite, "properties")
    values = [("account", row.id), ("account_name", row.name), ("ou_path", row.ou_path), ("status", row.status)]
    if not row.reached:
        values.append(("reason", row.reason))
    values += [("score", row.score_text), ("waived", str(counts[Status.WAIVED])), ("coverage_gaps", str(row.coverage_gaps))]
    if row.savings:
        values.append(("monthly_savings_usd", f"{row.savings:.2f}"))
    for name, value in values:
        ET.SubElement(props, "property", {"name": name, "value": _x(value)})
    _cases(suite, findings, base_url)
    if not row.reached:
        ET.SubElement(suite, "system-out").text = _x(row.status_line)


def render_junit(result: Result, *, runbook_base_url: str | None = None) -> str:
    summary = result.summary()
    by_pillar: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_pillar.setdefault(f.pillar, []).append(f)
    timestamp = _x(result.metadata.get("evaluated_at", ""))
    root = ET.Element("testsuites", {
        "name": _x(f"opsctl audit {result.account}"),
        "tests": str(len(result.findings)),
        "failures": str(summary["by_status"]["FAIL"]),
        "errors": str(summary["by_status"]["ERROR"]),
        "skipped": str(summary["by_status"]["SKIPPED"] + summary["by_status"]["WAIVED"]),
        "time": "0",
    })
    if result.is_org:
        root.set("name", _x(f"opsctl audit {org_scope(result)}"))
        for row, findings in findings_by_account(result, account_rows(result)):
            _account_suite(root, row, findings, timestamp, runbook_base_url)
        by_pillar = {}  # an organisation result's suites are its accounts
    ordered = [p for p in PILLARS if p in by_pillar] + sorted(p for p in by_pillar if p not in PILLARS)
    for pillar in ordered:
        findings = by_pillar[pillar]
        counts = _counts(findings)
        suite = ET.SubElement(root, "testsuite", _suite_attrs(_x(pillar), findings, counts, timestamp))
        props = ET.SubElement(suite, "properties")
        score = summary["scores"]["by_pillar"].get(pillar)
        ET.SubElement(props, "property", {"name": "score", "value": score_text(score)})
        ET.SubElement(props, "property", {"name": "account", "value": _x(result.account)})
        ET.SubElement(props, "property", {"name": "waived", "value": str(counts[Status.WAIVED])})
        if pillar in summary["savings"]["by_pillar"]:
            ET.SubElement(props, "property", {"name": "monthly_savings_usd",
                                              "value": f"{summary['savings']['by_pillar'][pillar]:.2f}"})
        _cases(suite, findings, runbook_base_url)
    tiers = tier_rows(result, summary)
    if tiers:
        attrs = {"name": "architecture tiers", "tests": "0", "failures": "0", "errors": "0", "skipped": "0", "time": "0"}
        if timestamp:
            attrs["timestamp"] = timestamp
        props = ET.SubElement(ET.SubElement(root, "testsuite", attrs), "properties")
        values = [("spec", spec_name(result))]
        for t in tiers:
            values += [(f"tier.{t.name}.kind", t.kind), (f"tier.{t.name}.state", t.state),
                       (f"tier.{t.name}.resources", str(t.resources)), (f"tier.{t.name}.score", t.score_text),
                       (f"tier.{t.name}.fail", str(t.counts["FAIL"])), (f"tier.{t.name}.pass", str(t.counts["PASS"])),
                       (f"tier.{t.name}.alarm_coverage", t.alarm_text)]
        for name, value in values:
            ET.SubElement(props, "property", {"name": _x(name), "value": _x(value)})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
