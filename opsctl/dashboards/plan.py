"""The plan: what apply (create, update) and prune (delete) would do — pure, no AWS.

`make_plan(rendered, current, prefix)` compares the rendered dashboards with the account's, by
name, and each changed dashboard widget by widget, matching widgets by title. The safety rule
lives here: a dashboard is opsctl's to update or delete only when its name starts with the prefix
AND its body carries opsctl's marker (render.is_owned). A dashboard with the prefix but not the
marker, which a template would overwrite, is a *conflict*: apply refuses to run until it is
renamed or the prefix changed. A template whose input was incomplete (a listing that failed or
was not collected) is *skipped*: its dashboard is neither created, nor updated, nor deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from opsctl.dashboards.aws_io import CurrentDashboard
from opsctl.dashboards.render import Rendered, has_marker, is_owned
from opsctl.dashboards.validate import widget_title

CREATE, UPDATE, UNCHANGED, DELETE, CONFLICT, SKIP = "create", "update", "unchanged", "delete", "conflict", "skip"
ACTIONS = (CREATE, UPDATE, DELETE, CONFLICT, SKIP, UNCHANGED)


@dataclass(frozen=True)
class WidgetDiff:
    """Widgets by title: added, removed, changed (content), moved (only x/y differ)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()  # top-level keys (start, periodOverride …) that differ

    def summary(self) -> str:
        parts = [f"{len(self.added)} added" if self.added else "", f"{len(self.removed)} removed" if self.removed else "",
                 f"{len(self.changed)} changed" if self.changed else "", f"{len(self.moved)} moved" if self.moved else "",
                 f"settings {', '.join(self.settings)}" if self.settings else ""]
        return ", ".join(p for p in parts if p) or "no widget changes"

    def to_dict(self) -> dict[str, list[str]]:
        return {"added": list(self.added), "removed": list(self.removed), "changed": list(self.changed),
                "moved": list(self.moved), "settings": list(self.settings)}


@dataclass(frozen=True)
class Change:
    name: str
    action: str
    template: str = ""
    body: dict[str, Any] | None = None  # the body to write (create, update)
    widgets: WidgetDiff | None = None  # update only
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "action": self.action, "template": self.template}
        if self.body is not None:
            out["widget_count"] = len(self.body.get("widgets", []))
        if self.widgets is not None:
            out["widgets"] = self.widgets.to_dict()
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Plan:
    region: str
    prefix: str
    changes: tuple[Change, ...] = ()
    #: dashboards of the account opsctl does not own and no template targets: never touched
    not_owned: tuple[str, ...] = field(default_factory=tuple)

    def of(self, *actions: str) -> list[Change]:
        return [c for c in self.changes if c.action in actions]

    @property
    def has_changes(self) -> bool:
        """Anything apply or prune would write (conflicts and skips are not changes: nothing happens)."""
        return bool(self.of(CREATE, UPDATE, DELETE))

    def counts(self) -> dict[str, int]:
        return {a: len(self.of(a)) for a in ACTIONS}

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "prefix": self.prefix, "has_changes": self.has_changes,
                "counts": self.counts(), "changes": [c.to_dict() for c in self.changes],
                "not_owned": list(self.not_owned)}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _titled(widgets: list[Any]) -> dict[str, Any]:
    """Widgets keyed by title; a repeated title gets " (2)", " (3)" … in order."""
    out: dict[str, Any] = {}
    for i, w in enumerate(widgets):
        title = widget_title(w, i)
        key, n = title, 1
        while key in out:
            n += 1
            key = f"{title} ({n})"
        out[key] = w
    return out


def _without_position(widget: Any) -> Any:
    return {k: v for k, v in widget.items() if k not in ("x", "y")} if isinstance(widget, dict) else widget


def diff_widgets(old: dict[str, Any], new: dict[str, Any]) -> WidgetDiff:
    old_w = _titled(old.get("widgets") or [])
    new_w = _titled(new.get("widgets") or [])
    changed, moved = [], []
    for title in new_w.keys() & old_w.keys():
        a, b = old_w[title], new_w[title]
        if _canonical(_without_position(a)) != _canonical(_without_position(b)):
            changed.append(title)
        elif _canonical(a) != _canonical(b):
            moved.append(title)
    settings = sorted(k for k in (old.keys() | new.keys()) - {"widgets"} if _canonical(old.get(k)) != _canonical(new.get(k)))
    return WidgetDiff(
        added=tuple(t for t in new_w if t not in old_w),
        removed=tuple(t for t in old_w if t not in new_w),
        changed=tuple(t for t in new_w if t in changed),
        moved=tuple(t for t in new_w if t in moved),
        settings=tuple(settings),
    )


def _gap_reason(r: Rendered) -> str:
    return "incomplete input, left as it is: " + "; ".join(g.reason for g in r.gaps[:3]) + \
        (f"; and {len(r.gaps) - 3} more" if len(r.gaps) > 3 else "")


def make_plan(rendered: list[Rendered], current: dict[str, CurrentDashboard], prefix: str, region: str) -> Plan:
    changes: list[Change] = []
    targeted = set()
    for r in rendered:
        targeted.add(r.name)
        now = current.get(r.name)
        if r.incomplete:
            changes.append(Change(r.name, SKIP, r.template.file, reason=_gap_reason(r)))
            continue
        if r.body is None:
            if now is not None and is_owned(now.name, now.body, prefix):
                changes.append(Change(r.name, DELETE, r.template.file, reason="its template renders no widgets (no resources of its tier)"))
            continue
        if now is None:
            changes.append(Change(r.name, CREATE, r.template.file, body=r.body))
        elif not is_owned(now.name, now.body, prefix):
            why = "its body is not JSON" if now.body is None else "it has no opsctl marker"
            changes.append(Change(r.name, CONFLICT, r.template.file,
                                  reason=f"a dashboard of this name exists and is not opsctl's ({why}): rename it, or set dashboards.prefix"))
        elif _canonical(now.body) == _canonical(r.body):
            changes.append(Change(r.name, UNCHANGED, r.template.file))
        else:
            changes.append(Change(r.name, UPDATE, r.template.file, body=r.body, widgets=diff_widgets(now.body, r.body)))
    for name, now in sorted(current.items()):
        if name not in targeted and is_owned(name, now.body, prefix):
            changes.append(Change(name, DELETE, reason="no template renders it any more"))
    not_owned = tuple(sorted(n for n, d in current.items() if n not in targeted and not is_owned(n, d.body, prefix)))
    order = {a: i for i, a in enumerate(ACTIONS)}
    return Plan(region, prefix, tuple(sorted(changes, key=lambda c: (order[c.action], c.name))), not_owned)


def ownership(d: CurrentDashboard, prefix: str) -> str:
    """Why a dashboard is or is not opsctl's, for `dashboards list`."""
    if not d.name.startswith(prefix):
        return f"no: name lacks the prefix {prefix!r}"
    if d.body is None:
        return "no: body is not JSON"
    return "yes" if has_marker(d.body) else "no: no opsctl marker in the body"
