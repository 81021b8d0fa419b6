"""Renderers: pure functions from a Result to text. The JSON result is the source of every format.

Each format is registered in RENDERERS as format name -> (module, function, file extension). The
function takes the Result plus keyword options it may ignore (``color``, ``width``, ``show_pass``
for the terminal; ``sarif_location`` for SARIF, ``runbook_base_url`` for the documents …) and returns the whole document as a string.
Adding a format: write ``opsctl/report/<name>.py`` with ``render_<name>(result, **options) -> str``
and add one line here; the CLI's ``--format`` choices and ``--report-dir`` follow.
"""

from __future__ import annotations

import importlib
from typing import Any

#: format -> (module, function, file extension)
RENDERERS: dict[str, tuple[str, str, str]] = {
    "table": ("opsctl.report.terminal", "render_terminal", "txt"),
    "json": ("opsctl.report.json_report", "render_json", "json"),
    "markdown": ("opsctl.report.markdown", "render_markdown", "md"),
    "html": ("opsctl.report.html", "render_html", "html"),
    "sarif": ("opsctl.report.sarif", "render_sarif", "sarif"),
    "junit": ("opsctl.report.junit", "render_junit", "xml"),
    "csv": ("opsctl.report.csv_report", "render_csv", "csv"),
}


def formats() -> tuple[str, ...]:
    return tuple(RENDERERS)


def extension(fmt: str) -> str:
    return RENDERERS[fmt][2]


def render(result: Any, fmt: str, **options: Any) -> str:
    """Render `result` in `fmt`; unknown options are dropped for renderers that do not take them."""
    import inspect

    module, function, _ = RENDERERS[fmt]
    fn = getattr(importlib.import_module(module), function)
    params = inspect.signature(fn).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        options = {k: v for k, v in options.items() if k in params}
    return fn(result, **options)
