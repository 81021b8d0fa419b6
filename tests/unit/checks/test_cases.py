"""Runs the CASES table of every check test module in this folder."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def all_cases():
    cases = []
    for mod in pkgutil.iter_modules([str(HERE)]):
        if mod.name.startswith("test_") and mod.name != "test_cases":
            module = importlib.import_module(f"tests.unit.checks.{mod.name}")
            cases.extend(getattr(module, "CASES", []))
    return cases


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.id)
def test_case(case):
    case.check()
