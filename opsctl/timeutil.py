"""Time, once: every timestamp opsctl reads (snapshots, AWS fields, result files) is parsed here,
and always comes back as an aware UTC datetime, so two times always compare and subtract."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_time(value: Any) -> datetime:
    """An ISO 8601 timestamp (a trailing ``Z`` accepted; a naive one is taken as UTC), or a
    datetime, as an aware UTC datetime. A value that is not a timestamp raises ValueError."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
