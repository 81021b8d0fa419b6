"""Where the shipped data lives: next to the package when installed, at the repo top in a checkout."""

from __future__ import annotations

from pathlib import Path

import opsctl

_INSTALLED_NAMES = {"runbooks": "runbooks", "dashboards": "dashboards_templates"}


def data_dir(name: str) -> Path:
    """Directory of shipped data: "runbooks" or "dashboards"."""
    pkg = Path(opsctl.__file__).resolve().parent
    installed = pkg / _INSTALLED_NAMES[name]
    if installed.is_dir():
        return installed
    return pkg.parent / name


def runbook_path(check_id: str) -> Path:
    return data_dir("runbooks") / f"{check_id}.md"
