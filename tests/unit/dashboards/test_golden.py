"""Golden tests: the built-in templates rendered from the fixture snapshot, body for body.

After a deliberate template change, regenerate the files and review the diff:

    python -m tests.unit.dashboards.test_golden --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from opsctl.dashboards.config import DashboardsConfig
from opsctl.dashboards.workflow import desired
from tests.unit.dashboards.fixtures import shop_snapshot

GOLDEN = Path(__file__).parent / "golden"
REGION = "us-east-1"


def rendered_bodies() -> dict[str, dict]:
    return {r.name: r.body for r in desired(shop_snapshot(), DashboardsConfig(), REGION) if r.body is not None}


def dump(body: dict) -> str:
    return json.dumps(body, indent=1, ensure_ascii=False) + "\n"


def test_every_builtin_template_has_a_golden_file():
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(rendered_bodies())


@pytest.mark.parametrize("name", sorted(rendered_bodies()))
def test_rendered_body_matches_golden(name):
    expected = (GOLDEN / f"{name}.json").read_text(encoding="utf-8")
    assert dump(rendered_bodies()[name]) == expected, (
        f"{name} differs from {GOLDEN / (name + '.json')}; if intended: python -m tests.unit.dashboards.test_golden --update")


def update() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for old in GOLDEN.glob("*.json"):
        old.unlink()
    for name, body in rendered_bodies().items():
        (GOLDEN / f"{name}.json").write_text(dump(body), encoding="utf-8")
        print(f"wrote {GOLDEN / name}.json")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.unit.dashboards.test_golden --update")
    update()
