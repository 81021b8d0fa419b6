"""Read a saved JSON result (`opsctl audit --format json`) back into a Result, for re-rendering.

Every problem is one line (UsageError, exit 2) naming the file: unreadable, not JSON, not an opsctl
result, another schema_version, or a finding that does not parse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opsctl.engine import RESULT_SCHEMA_VERSION, Result
from opsctl.errors import UsageError

_HINT = "expected the JSON result of `opsctl audit --format json`"


def parse_result(data: Any, name: str) -> Result:
    """A Result from the parsed JSON of a result file, or UsageError naming `name`."""
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise UsageError(f"{name}: not an opsctl result (no findings list; {_HINT})")
    tool = data.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "opsctl":
        raise UsageError(f"{name}: not an opsctl result (tool.name is not opsctl; {_HINT})")
    version = data.get("schema_version")
    if version != RESULT_SCHEMA_VERSION:
        raise UsageError(f"{name}: schema_version {version!r} is not supported: this opsctl reads version "
                         f"{RESULT_SCHEMA_VERSION} (re-run the audit, or use the opsctl that wrote the file)")
    for key, kind in (("account", str), ("regions", list), ("checks_run", list), ("coverage", list), ("metadata", dict)):
        if key in data and not isinstance(data[key], kind):
            raise UsageError(f"{name}: not an opsctl result ({key} must be a {kind.__name__}; {_HINT})")
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
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not an opsctl result (not UTF-8 text; {_HINT})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}); {_HINT}") from None
    return parse_result(data, str(path))
