"""Local validation of dashboard bodies before any write.

moto accepts any JSON as a dashboard body; CloudWatch refuses a body that breaks its rules
(PutDashboard: InvalidParameterInput / DashboardInvalidInputError) — possibly half-way through an
apply. So every body is checked here first, against the limits CloudWatch documents
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html):

- the name: 1–255 characters of A-Za-z0-9, "-" and "_";
- the body: a JSON object with a `widgets` list of at most 500 widgets;
- each widget: a type; x 0–23, width 1–24 and x + width ≤ 24; y ≥ 0; height 1–1000;
- metric widgets: a `region`, at most 500 metrics, and at most 2,500 metrics per dashboard;
- alarm widgets: 1–100 alarm ARNs.

Every violation names the dashboard and the widget (its position in the body and its title).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from opsctl.dashboards.config import MAX_NAME_LENGTH, NAME_RE
from opsctl.errors import UsageError

MAX_WIDGETS = 500
MAX_METRICS_PER_WIDGET = 500
MAX_METRICS_PER_DASHBOARD = 2500
MAX_ALARMS_PER_WIDGET = 100
GRID_COLUMNS = 24
MAX_HEIGHT = 1000
WIDGET_TYPES = ("metric", "text", "log", "alarm", "explorer", "custom")


@dataclass(frozen=True)
class Violation:
    dashboard: str
    widget: str  # "" for a problem of the dashboard as a whole
    problem: str

    def __str__(self) -> str:
        where = f"dashboard {self.dashboard}" + (f", {self.widget}" if self.widget else "")
        return f"{where}: {self.problem}"


class InvalidDashboards(UsageError):
    """One or more bodies break CloudWatch's rules: nothing is written (exit 2)."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        shown = "; ".join(str(v) for v in violations[:5])
        more = f"; and {len(violations) - 5} more" if len(violations) > 5 else ""
        count = f"{len(violations)} problems: " if len(violations) > 1 else ""
        super().__init__(f"invalid dashboard, nothing written — {count}{shown}{more}")


def widget_title(widget: Any, index: int) -> str:
    """How a widget is named in messages and plans: its title, else its first line of text, else its type."""
    props = widget.get("properties") if isinstance(widget, dict) else None
    props = props if isinstance(props, dict) else {}
    title = props.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    markdown = props.get("markdown")
    if isinstance(markdown, str) and markdown.strip():
        first = markdown.strip().splitlines()[0].lstrip("#* ").rstrip("*").strip()
        return first[:60] + ("…" if len(first) > 60 else "")
    kind = widget.get("type") if isinstance(widget, dict) else None
    return f"{kind or 'widget'} #{index + 1}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_name(name: str) -> list[Violation]:
    if not name or len(name) > MAX_NAME_LENGTH:
        return [Violation(name, "", f"name must be 1-{MAX_NAME_LENGTH} characters, it has {len(name)}")]
    if not NAME_RE.match(name):
        bad = "".join(sorted({c for c in name if not NAME_RE.match(c)}))
        return [Violation(name, "", f"name may only hold A-Za-z0-9, '-' and '_' (CloudWatch's rule), not {bad!r}")]
    return []


def check_body(name: str, body: Any) -> list[Violation]:
    """Every rule above for one dashboard; [] when CloudWatch should accept it."""
    out = check_name(name)
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return out + [Violation(name, "", f"body is not valid JSON ({exc})")]
    if not isinstance(body, dict) or not isinstance(body.get("widgets"), list):
        return out + [Violation(name, "", 'body must be a JSON object with a "widgets" list')]
    widgets = body["widgets"]
    if len(widgets) > MAX_WIDGETS:
        out.append(Violation(name, "", f"{len(widgets)} widgets, more than CloudWatch's {MAX_WIDGETS} per dashboard"))
    total_metrics = 0
    for i, widget in enumerate(widgets):
        label = f"widget {i + 1} ({widget_title(widget, i)!r})"
        problems, metrics = _check_widget(widget)
        total_metrics += metrics
        out += [Violation(name, label, p) for p in problems]
    if total_metrics > MAX_METRICS_PER_DASHBOARD:
        out.append(Violation(name, "", f"{total_metrics} metrics, more than CloudWatch's {MAX_METRICS_PER_DASHBOARD} per dashboard"))
    return out


def _check_widget(widget: Any) -> tuple[list[str], int]:
    if not isinstance(widget, dict):
        return ["is not a JSON object"], 0
    problems = []
    kind = widget.get("type")
    if kind not in WIDGET_TYPES:
        problems.append(f"type {kind!r} is not one of {', '.join(WIDGET_TYPES)}")
    x, y, width, height = (widget.get(k) for k in ("x", "y", "width", "height"))
    if not _is_int(x) or not 0 <= x <= GRID_COLUMNS - 1:
        problems.append(f"x={x!r} is outside the grid (0-{GRID_COLUMNS - 1})")
    if not _is_int(width) or not 1 <= width <= GRID_COLUMNS:
        problems.append(f"width={width!r} is not 1-{GRID_COLUMNS}")
    elif _is_int(x) and 0 <= x < GRID_COLUMNS and x + width > GRID_COLUMNS:
        problems.append(f"x={x} + width={width} passes the grid's right edge ({GRID_COLUMNS} columns)")
    if not _is_int(y) or y < 0:
        problems.append(f"y={y!r} must be a whole number of at least 0")
    if not _is_int(height) or not 1 <= height <= MAX_HEIGHT:
        problems.append(f"height={height!r} is not 1-{MAX_HEIGHT}")
    props = widget.get("properties")
    if not isinstance(props, dict):
        return problems + ["has no properties object"], 0
    metrics = 0
    if kind == "metric":
        region = props.get("region")
        if not isinstance(region, str) or not region:
            problems.append("metric widget has no region (CloudWatch requires properties.region)")
        series = props.get("metrics", [])
        if not isinstance(series, list):
            problems.append("properties.metrics must be a list")
        else:
            metrics = len(series)
            if metrics > MAX_METRICS_PER_WIDGET:
                problems.append(f"{metrics} metrics, more than CloudWatch's {MAX_METRICS_PER_WIDGET} per widget")
            if not series and "query" not in props:
                problems.append("metric widget has no metrics")
    elif kind == "alarm":
        alarms = props.get("alarms")
        if not isinstance(alarms, list) or not 1 <= len(alarms) <= MAX_ALARMS_PER_WIDGET:
            n = len(alarms) if isinstance(alarms, list) else "no"
            problems.append(f"alarm widget lists {n} alarms; CloudWatch takes 1-{MAX_ALARMS_PER_WIDGET} ARNs")
    elif kind == "text" and not isinstance(props.get("markdown"), str):
        problems.append("text widget has no markdown")
    return problems, metrics


def validate_all(dashboards: dict[str, Any]) -> None:
    """Raise InvalidDashboards naming every violation in any of the bodies (name -> body)."""
    violations = [v for name, body in sorted(dashboards.items()) for v in check_body(name, body)]
    if violations:
        raise InvalidDashboards(violations)
