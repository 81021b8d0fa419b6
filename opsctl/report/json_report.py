"""JSON result: the machine-readable source every other format is rendered from.

Its schema is opsctl/schemas/result.schema.json, described in docs/result-format.md.
"""

from __future__ import annotations

import json

from opsctl.engine import Result


def render_json(result: Result) -> str:
    return json.dumps(result.to_dict(), indent=2, sort_keys=False, default=str) + "\n"
