"""Cost tier of the sandbox: metric history and waste (filled in by the cost work)."""

from __future__ import annotations

from typing import Any


def seed(env: Any) -> None:
    """Nothing seeded yet."""
