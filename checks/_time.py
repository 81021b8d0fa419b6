"""Dates of the snapshot, for checks that measure an age or a time left against `taken_at`.

The module name starts with "_" so the registry does not import it as a check module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsctl.timeutil import parse_time

__all__ = ["parse_time", "taken_at"]


def taken_at(ctx: Any) -> datetime:
    """When the snapshot was taken: the "now" of every age a check computes (re-evaluating an old
    snapshot gives the answer of that day, not of today)."""
    return parse_time(ctx.snapshot.taken_at)
