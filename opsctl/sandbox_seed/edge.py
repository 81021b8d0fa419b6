"""Seeder placeholder: filled in by the tier owner."""

from __future__ import annotations

from typing import Any


def seed(env: Any) -> None:
    """Nothing seeded yet."""
