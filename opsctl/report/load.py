"""Read a saved JSON result (`opsctl audit --format json`) back into a Result, for re-rendering.

Every problem is one line (UsageError, exit 2) naming the file: unreadable, not JSON, not an opsctl
result, another schema_version, or a finding that does not parse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opsctl.engine import READABLE_SCHEMA_VERSIONS, RESULT_SCHEMA_VERSION, Result
from opsctl.errors import UsageError, read_text_file

_HINT = "expected the JSON result of `opsctl audit --format json`"


_STR, _OPT_STR = (str,), (str, type(None))
#: Each finding field a renderer reads, with the JSON types it may have (result.schema.json).
_FINDING_FIELDS: dict[str, tuple[type, ...]] = {
    "check_id": _STR, "status": _STR, "severity": _STR, "pillar": _STR, "resource_id": _STR, "message": _STR,
    "title": _OPT_STR, "resource_type": _OPT_STR, "region": _OPT_STR, "runbook": _OPT_STR,
    "evidence": (dict, type(None)), "account": _OPT_STR,
}
_REQUIRED = ("check_id", "status", "severity", "pillar", "resource_id", "message")
#: Top-level sections and their JSON types (when present).
_SECTIONS: dict[str, tuple[type, ...]] = {
    "account": _STR, "regions": (list,), "checks_run": (list,), "coverage": (list,), "metadata": (dict,),
    "summary": (dict,), "waivers": (list,), "topology": (dict, type(None)),
    "accounts": (list,), "organization": (dict,),
}


def shape_problem(data: Any) -> str | None:
    """What makes `data` not an opsctl result a renderer can read, in a few words (None: sound).
    One check for every reader of result files — report render, report diff, --baseline, topology."""
    import math

    from opsctl.findings import Severity, Status

    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        return "no findings list"
    for key, kinds in _SECTIONS.items():
        if key in data and not isinstance(data[key], kinds):
            return f"{key} must be {' or '.join(_JSON[k] for k in kinds)}"
    if not all(isinstance(g, dict) for g in data.get("coverage", [])):
        return "coverage must be a list of objects"
    for i, a in enumerate(data.get("accounts", [])):
        if not isinstance(a, dict) or not isinstance(a.get("id"), str) or not isinstance(a.get("status"), str):
            return f"account #{i + 1} is not an object with a string id and status"
    statuses, severities = {s.value for s in Status}, {s.value for s in Severity}
    for i, f in enumerate(data["findings"]):
        if not isinstance(f, dict):
            return f"finding #{i + 1} is not an object"
        missing = [k for k in _REQUIRED if k not in f]
        if missing:
            return f"finding #{i + 1} lacks {', '.join(missing)}"
        for key, kinds in _FINDING_FIELDS.items():
            if key in f and not isinstance(f[key], kinds):
                return f"finding #{i + 1}: {key} must be {_JSON[kinds[0]]}, got {json.dumps(f[key])[:30]}"
        if f["status"] not in statuses or f["severity"] not in severities:
            return f"finding #{i + 1}: status {f['status']!r} or severity {f['severity']!r} is not one opsctl writes"
        usd = f.get("monthly_savings_usd")
        if usd is not None and (isinstance(usd, bool) or not isinstance(usd, (int, float)) or not math.isfinite(usd)):
            return f"finding #{i + 1}: monthly_savings_usd must be a number or null, got {json.dumps(usd)[:30]}"
    return None


_JSON = {str: "a string", list: "a list", dict: "an object", type(None): "null"}


def parse_result(data: Any, name: str) -> Result:
    """A Result from the parsed JSON of a result file, or UsageError naming `name`."""
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise UsageError(f"{name}: not an opsctl result (no findings list; {_HINT})")
    tool = data.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "opsctl":
        raise UsageError(f"{name}: not an opsctl result (tool.name is not opsctl; {_HINT})")
    version = data.get("schema_version")
    if isinstance(version, bool) or version not in READABLE_SCHEMA_VERSIONS:
        raise UsageError(f"{name}: schema_version {version!r} is not supported: this opsctl reads versions "
                         f"{', '.join(map(str, READABLE_SCHEMA_VERSIONS))} (it writes {RESULT_SCHEMA_VERSION}; re-run the audit, or use the opsctl that wrote the file)")
    problem = shape_problem(data)
    if problem:
        raise UsageError(f"{name}: not an opsctl result ({problem}; {_HINT})")
    try:
        return Result.from_dict(data)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        where = _first_bad_finding(data)
        raise UsageError(f"{name}: not an opsctl result ({where or type(exc).__name__ + ': ' + str(exc)})") from None


def _first_bad_finding(data: dict[str, Any]) -> str:
    from opsctl.findings import Finding

    for i, f in enumerate(data.get("findings", [])):
        try:
            Finding.from_dict(f)
        except KeyError as exc:
            return f"finding #{i + 1} lacks {exc.args[0]}"
        except (ValueError, TypeError, AttributeError) as exc:
            return f"finding #{i + 1}: {exc}"
    return ""


def load_result_file(path: str | Path) -> Result:
    try:
        text = read_text_file(path)
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not an opsctl result (not UTF-8 text; {_HINT})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); {_HINT}") from None
    return parse_result(data, str(path))
