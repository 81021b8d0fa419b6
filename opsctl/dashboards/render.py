"""Rendering the templates into dashboard bodies (pure: a snapshot in, bodies out).

A template is a Jinja2 file `<stem>.json.j2` that renders a CloudWatch dashboard body; the
dashboard is named `<prefix><stem>`. Files whose name starts with "_" are helpers to import
(`_widgets.j2`), not dashboards. The built-in templates ship as package data
(`opsctl.dashboards_templates`); a `templates_dir` from the config adds templates, and one with the
same stem as a built-in replaces it. A template that renders no widgets (say, the data tier of an
account without databases) produces no dashboard.

Every rendered body gets opsctl's marker, a one-line text widget at the top containing
`opsctl-managed`: together with the name prefix it is what makes a dashboard opsctl's to update or
delete. Rendering is deterministic — no timestamps — so an unchanged account renders an identical
body and a second apply writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from opsctl.dashboards.inventory import TIERS, Gap, Inventory
from opsctl.dashboards.layout import lay_out
from opsctl.errors import UsageError
from opsctl.paths import data_dir
from opsctl.snapshot import Snapshot

MARKER = "opsctl-managed"
TEMPLATE_SUFFIX = ".json.j2"


@dataclass(frozen=True)
class Template:
    stem: str
    path: Path
    origin: str  # "built-in" | "user"

    @property
    def file(self) -> str:
        return self.path.name


@dataclass
class Rendered:
    """One template's outcome: a body, no dashboard (no widgets), or incomplete input (gaps)."""

    name: str
    template: Template
    body: dict[str, Any] | None
    gaps: list[Gap] = field(default_factory=list)

    @property
    def incomplete(self) -> bool:
        return bool(self.gaps)


class TemplateError(UsageError):
    """A template that does not render, or renders something that is not JSON: exit 2."""


def builtin_templates_dir() -> Path:
    return data_dir("dashboards")


def discover_templates(user_dir: str | None = None) -> list[Template]:
    """The built-in templates plus those of `user_dir` (which win on equal stems), sorted by stem."""
    found: dict[str, Template] = {}
    for origin, folder in (("built-in", builtin_templates_dir()), ("user", Path(user_dir) if user_dir else None)):
        if folder is None:
            continue
        for path in sorted(folder.glob(f"*{TEMPLATE_SUFFIX}")):
            if not path.name.startswith("_"):
                stem = path.name[: -len(TEMPLATE_SUFFIX)]
                found[stem] = Template(stem, path, origin)
    return [found[k] for k in sorted(found)]


def has_marker(body: Any) -> bool:
    """Whether a body carries opsctl's marker widget."""
    widgets = body.get("widgets") if isinstance(body, dict) else None
    for w in widgets if isinstance(widgets, list) else []:
        props = w.get("properties") if isinstance(w, dict) else None
        if isinstance(w, dict) and w.get("type") == "text" and isinstance(props, dict) \
                and MARKER in str(props.get("markdown", "")):
            return True
    return False


def is_owned(name: str, body: Any, prefix: str) -> bool:
    """opsctl updates or deletes a dashboard only when it has BOTH the prefix and the marker."""
    return name.startswith(prefix) and has_marker(body)


def marker_widget(template: Template) -> dict[str, Any]:
    return {"type": "text", "width": 24, "height": 1, "properties": {"markdown": (
        f"`{MARKER}` · made by opsctl from template `{template.file}`: edit the template, not this dashboard "
        "(`opsctl dashboards apply` overwrites changes made here)")}}


def _environment(templates_dir: str | None) -> jinja2.Environment:
    folders = [templates_dir, str(builtin_templates_dir())] if templates_dir else [str(builtin_templates_dir())]
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),  # the user's folder first: its templates (and helpers) win
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render_template(env: jinja2.Environment, template: Template, context: dict[str, Any]) -> str:
    try:
        return env.get_template(template.file).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {template.path}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template.path}{_template_line(exc)}: {exc}") from None
    except (KeyError, ValueError, TypeError, AttributeError) as exc:  # a helper called with bad arguments
        raise TemplateError(f"template {template.path}{_template_line(exc)}: {type(exc).__name__}: {exc}") from None


def _template_line(exc: BaseException) -> str:
    """":<line>" of the innermost template frame of a rendering error (Jinja keeps template lines in tracebacks)."""
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line


def parse_rendered(template: Template, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        snippet = lines[exc.lineno - 1].strip()[:80] if 0 < exc.lineno <= len(lines) else ""
        raise TemplateError(
            f"template {template.path} rendered invalid JSON at rendered line {exc.lineno}, column {exc.colno} "
            f"({exc.msg}): {snippet!r}; `opsctl dashboards render` without --output-dir shows the output"
        ) from None


def render_all(snapshot: Snapshot, *, prefix: str, home_region: str, templates_dir: str | None = None,
               per_resource_limit: int = 20) -> list[Rendered]:
    """Render every template against the snapshot; bodies are laid out but not yet validated."""
    templates = discover_templates(templates_dir)
    env = _environment(templates_dir)
    out = []
    for template in templates:
        inv = Inventory(snapshot)
        name = f"{prefix}{template.stem}"
        context = {"inv": inv, "tiers": TIERS, "prefix": prefix, "dashboard": name, "template": template.file,
                   "home_region": home_region, "per_resource_limit": per_resource_limit}
        body = parse_rendered(template, render_template(env, template, context))
        gaps = inv.gaps()
        widgets = body.get("widgets") if isinstance(body, dict) else None
        if isinstance(widgets, list) and not widgets:
            out.append(Rendered(name, template, None, gaps))
            continue
        if isinstance(widgets, list):
            if not has_marker(body):
                widgets = [marker_widget(template), *widgets]
            if all(isinstance(w, dict) for w in widgets):  # else validate() names the odd one
                widgets = lay_out(widgets)
            body = {**body, "widgets": widgets}
        out.append(Rendered(name, template, body, gaps))
    return out
