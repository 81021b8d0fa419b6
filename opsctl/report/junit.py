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
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from opsctl.engine import Result
from opsctl.findings import PILLARS, Finding, Status
from opsctl.report.helpers import runbook_url, waiver_text
from opsctl.report.tiers import spec_name, tier_rows
from opsctl.scores import score_text

# Characters XML 1.0 cannot carry, even escaped.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(value: Any) -> str:
    return _INVALID_XML.sub("\ufffd", "" if value is None else str(value))


def _details(f: Finding, base_url: str | None) -> str:
    lines = [f"{f.title}", f"check: {f.check_id} · severity: {f.severity.value} · pillar: {f.pillar}",
             f"resource: {f.resource_id} ({f.region})", f"message: {f.message}"]
    if f.monthly_savings_usd:
        lines.append(f"potential savings: ${f.monthly_savings_usd:,.2f}/month")
    if f.evidence:
        lines.append("evidence: " + json.dumps(f.evidence, sort_keys=True, default=str))
    lines.append(f"runbook: {runbook_url(f, base_url)} (opsctl explain {f.check_id})")
    return _x("\n".join(lines))


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
    ordered = [p for p in PILLARS if p in by_pillar] + sorted(p for p in by_pillar if p not in PILLARS)
    for pillar in ordered:
        findings = by_pillar[pillar]
        counts = {s: sum(1 for f in findings if f.status is s) for s in Status}
        attrs = {
            "name": _x(pillar),
            "tests": str(len(findings)),
            "failures": str(counts[Status.FAIL]),
            "errors": str(counts[Status.ERROR]),
            "skipped": str(counts[Status.SKIPPED] + counts[Status.WAIVED]),
            "time": "0",
        }
        if timestamp:
            attrs["timestamp"] = timestamp
        suite = ET.SubElement(root, "testsuite", attrs)
        props = ET.SubElement(suite, "properties")
        score = summary["scores"]["by_pillar"].get(pillar)
        ET.SubElement(props, "property", {"name": "score", "value": score_text(score)})
        ET.SubElement(props, "property", {"name": "account", "value": _x(result.account)})
        ET.SubElement(props, "property", {"name": "waived", "value": str(counts[Status.WAIVED])})
        if pillar in summary["savings"]["by_pillar"]:
            ET.SubElement(props, "property", {"name": "monthly_savings_usd",
                                              "value": f"{summary['savings']['by_pillar'][pillar]:.2f}"})
        for f in findings:
            case = ET.SubElement(suite, "testcase", {
                "classname": _x(f.check_id),
                "name": _x(f"{f.resource_id} ({f.region})"),
                "time": "0",
            })
            if f.status is Status.FAIL:
                el = ET.SubElement(case, "failure", {"message": _x(f.message), "type": f.severity.value})
                el.text = _details(f, runbook_base_url)
            elif f.status is Status.ERROR:
                el = ET.SubElement(case, "error", {"message": _x(f.message), "type": "ERROR"})
                el.text = _details(f, runbook_base_url)
            elif f.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", {"message": _x(f.message)})
            elif f.status is Status.WAIVED:
                ET.SubElement(case, "skipped", {"message": _x(f"{waiver_text(f)} — {f.message}")})
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
