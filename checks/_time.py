"""Dates of the snapshot, for checks that measure an age or a time left against `taken_at`.

The module name starts with "_" so the registry does not import it as a check module.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_time(value: Any) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (a trailing Z accepted; naive means UTC)."""
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def taken_at(ctx: Any) -> datetime:
    """When the snapshot was taken: the "now" of every age a check computes (re-evaluating an old
    snapshot gives the answer of that day, not of today)."""
    return parse_time(ctx.snapshot.taken_at)
