"""CloudWatch dashboards as code: render templates from a snapshot, plan, apply, prune.

Pure parts: inventory (what templates see), render (Jinja2 → body), layout (24-column grid),
validate (CloudWatch's rules, before any write), plan (diff at widget level). I/O: aws_io only.
Use cases: workflow (also `workflow.demo`, which `opsctl sandbox demo` can call).
"""

from __future__ import annotations

from typing import Any


def demo(*args: Any, **kwargs: Any) -> Any:
    """plan → apply → plan again on an account (see opsctl.dashboards.workflow.demo)."""
    from opsctl.dashboards.workflow import demo as _demo

    return _demo(*args, **kwargs)
