"""Placing widgets on CloudWatch's 24-column grid.

Templates give each widget a width and height only. `lay_out` places them in order, left to
right, starting a new row when the next widget does not fit in what is left of the current one
(the way text flows); a row is as tall as its tallest widget. Widgets that already carry both
`x` and `y` keep them, and the flow starts below the lowest of them.
"""

from __future__ import annotations

from typing import Any

GRID_COLUMNS = 24
DEFAULT_WIDTH = 6
DEFAULT_HEIGHT = 6


def lay_out(widgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return copies of `widgets` with x and y set; keys ordered type, x, y, width, height, properties."""
    placed = [w for w in widgets if _has_position(w)]
    top = max((_int(w.get("y"), 0) + _int(w.get("height"), DEFAULT_HEIGHT) for w in placed), default=0)
    x, y, row_height = 0, top, 0
    out = []
    for widget in widgets:
        if _has_position(widget):
            out.append(_ordered(widget, widget["x"], widget["y"]))
            continue
        width = _int(widget.get("width"), DEFAULT_WIDTH)
        height = _int(widget.get("height"), DEFAULT_HEIGHT)
        if x > 0 and x + width > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        # A width or height that is not a whole number stays as written, for validate() to report.
        sized = {**widget, "width": widget.get("width", DEFAULT_WIDTH), "height": widget.get("height", DEFAULT_HEIGHT)}
        out.append(_ordered(sized, x, y))
        x += width
        row_height = max(row_height, height)
    return out


def _has_position(widget: dict[str, Any]) -> bool:
    return "x" in widget and "y" in widget


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _ordered(widget: dict[str, Any], x: Any, y: Any) -> dict[str, Any]:
    head = {"type": widget.get("type"), "x": x, "y": y, "width": widget.get("width"), "height": widget.get("height")}
    rest = {k: v for k, v in widget.items() if k not in head}
    return {**head, **rest}
