"""One vocabulary (issue 14, item 4): severities and their order, exit codes and time parsing are
defined once — opsctl/findings.py, opsctl/errors.py, opsctl/timeutil.py — and imported everywhere.
This test reads every module of opsctl/ and checks/ and fails on a redefinition elsewhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from opsctl.errors import EXIT_INTERRUPTED, EXIT_USAGE
from opsctl.findings import SEVERITIES, Severity, severity_rank
from opsctl.timeutil import parse_time

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.joinpath("opsctl").rglob("*.py"), *ROOT.joinpath("checks").rglob("*.py")])
SEVERITY_NAMES = {"critical", "high", "medium", "low", "info"}


def _trees():
    for path in SOURCES:
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _strings(node) -> list[str]:
    return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def test_the_definitions_themselves():
    assert SEVERITIES == ("critical", "high", "medium", "low", "info")
    assert [severity_rank(s) for s in SEVERITIES] == [4, 3, 2, 1, 0] and severity_rank("bogus") == -1
    assert severity_rank(Severity.INFO) == 0
    assert (EXIT_USAGE, EXIT_INTERRUPTED) == (2, 130)
    assert parse_time("2026-12-08T00:00:00Z").utcoffset().total_seconds() == 0
    assert parse_time("2026-12-08T01:00:00").tzinfo is not None  # a naive time is UTC, never naive
    assert parse_time("2026-12-08T01:00:00+01:00") == parse_time("2026-12-08T00:00:00Z")


def test_no_module_redefines_the_severity_order_or_ranks():
    offenders = []
    for name, tree in _trees():
        if name == "opsctl/findings.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Tuple, ast.List)) and len(set(_strings(node)) & SEVERITY_NAMES) >= 4:
                offenders.append(f"{name}:{node.lineno}: a list of the severities")
            if isinstance(node, ast.Dict):  # a severity → its rank (scores' weights are another thing)
                pairs = {k.value: v.value for k, v in zip(node.keys, node.values, strict=True)
                         if isinstance(k, ast.Constant) and k.value in SEVERITY_NAMES and isinstance(v, ast.Constant)}
                if len(pairs) >= 4 and all(v == severity_rank(k) for k, v in pairs.items()):
                    offenders.append(f"{name}:{node.lineno}: a severity → rank table")
    assert not offenders, "import SEVERITIES / severity_rank from opsctl.findings:\n" + "\n".join(offenders)


@pytest.mark.parametrize(("what", "home", "match"), [
    ("exit codes", "opsctl/errors.py", lambda t: isinstance(t, ast.Name) and t.id.startswith("EXIT_")),
])
def test_exit_codes_are_assigned_once(what, home, match):
    offenders = []
    for name, tree in _trees():
        if name == home:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
                if any(match(n) for n in names) and isinstance(getattr(node, "value", None), (ast.Constant, ast.Tuple)):
                    offenders.append(f"{name}:{node.lineno}")
    assert not offenders, f"{what} belong in {home}:\n" + "\n".join(offenders)


def test_time_is_parsed_by_one_function():
    offenders = [f"{name}:{node.lineno}" for name, tree in _trees() if name != "opsctl/timeutil.py"
                 for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == "parse_time"]
    assert not offenders, "use opsctl.timeutil.parse_time:\n" + "\n".join(offenders)
