"""The config file (`opsctl.yaml` in the working directory, or `--config FILE`).

Validated strictly, so a typo is caught rather than silently ignored: an unknown key, a value of
the wrong type, an unknown check id or parameter is a one-line error naming file and line (exit 2).

    regions: [us-east-1, eu-west-1]
    select: ["*"]                 # check ids or globs
    ignore: [s3.bucket_access_logging]
    pillars: []                   # security, availability, scalability, performance, cost, operations
    min_severity: info
    fail_on: high                 # critical | high | medium | low | info | none
    fail_on_savings: 100          # USD a month: exit 1 on new waste (with --baseline) or savings above it
    workers: 16
    checks:                       # per-check parameters (see `opsctl checks list`)
      autoscaling.group_min_capacity:
        min_instances: 3
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsctl.errors import UsageError, check_id_hint, did_you_mean, not_utf8, unknown_key
from opsctl.findings import PILLARS, Severity

DEFAULT_CONFIG_NAME = "opsctl.yaml"
FAIL_ON_CHOICES = tuple(s.value for s in Severity) + ("none",)


@dataclass
class Config:
    path: str | None = None
    regions: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    pillars: list[str] = field(default_factory=list)
    min_severity: str | None = None
    fail_on: str | None = None
    #: USD a month (--fail-on-savings); None: money never fails the run
    fail_on_savings: float | None = None
    workers: int | None = None
    check_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: parsed values of the sections other modules own (SECTIONS), by key
    sections: dict[str, Any] = field(default_factory=dict)
    #: line of each key, for later errors that point back into the file (e.g. a select glob matching nothing)
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, key: str) -> str:
        line = self.lines.get(key)
        return f"{self.path}:{line}" if self.path and line else (self.path or "config")


#: Top-level sections owned by other parts of opsctl: key -> "module:function". The function is
#: called as ``function(path, node)`` with the section's YAML node (use ``err``/``scalar``/``str_list``
#: below for errors that name file and line) and returns the parsed value, kept in
#: ``Config.sections[key]``. A missing section is absent from ``Config.sections``.
SECTIONS: dict[str, str] = {
    "waivers": "opsctl.waivers:parse_section",
    "alarms": "opsctl.alarms.settings:parse_section",
    "spec": "opsctl.architecture:parse_section",
    "dashboards": "opsctl.dashboards.config:parse_section",
    "org": "opsctl.org:parse_section",
}


def _err(path: str, node: yaml.Node, what: str) -> UsageError:
    return UsageError(f"{path}:{node.start_mark.line + 1}: {what}")


def _scalar(path: str, node: yaml.Node, key: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise _err(path, node, f"{key} must be a single value, not a {'list' if isinstance(node, yaml.SequenceNode) else 'mapping'}")
    return yaml.safe_load(yaml.serialize(node))


def _str_list(path: str, node: yaml.Node, key: str, choices: tuple[str, ...] | None = None) -> list[str]:
    if isinstance(node, yaml.ScalarNode):
        items = [node]  # `regions: us-east-1` is forgiven as a one-item list
    elif isinstance(node, yaml.SequenceNode):
        items = node.value
    else:
        raise _err(path, node, f"{key} must be a list of strings")
    out = []
    for item in items:
        value = _scalar(path, item, key)
        if not isinstance(value, str):
            raise _err(path, item, f"{key} entries must be strings, got {value!r}")
        if choices and value not in choices:
            raise _err(path, item, f"{key}: {value!r} is not one of {', '.join(choices)}")
        out.append(value)
    return out


def _choice(path: str, node: yaml.Node, key: str, choices: tuple[str, ...]) -> str:
    value = _scalar(path, node, key)
    if value not in choices:
        raise _err(path, node, f"{key}: {value!r} is not one of {', '.join(choices)}")
    return value


def _check_params(path: str, node: yaml.Node, registry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if not isinstance(node, yaml.MappingNode):
        raise _err(path, node, "checks must map check ids to their parameters")
    out: dict[str, dict[str, Any]] = {}
    for key_node, value_node in node.value:
        cid = _scalar(path, key_node, "checks")
        if cid not in registry:
            raise _err(path, key_node, f"checks: unknown check id {cid!r}{check_id_hint(cid, registry)}")
        spec = registry[cid]
        if not isinstance(value_node, yaml.MappingNode):
            raise _err(path, value_node, f"checks.{cid} must map parameter names to values")
        params: dict[str, Any] = {}
        for pk, pv in value_node.value:
            name = _scalar(path, pk, f"checks.{cid}")
            if name not in spec.params:
                known = ", ".join(spec.params) or "none"
                raise _err(path, pk, f"checks.{cid}: unknown parameter {name!r} ({did_you_mean(name, spec.params)}parameters: {known})")
            value = _scalar(path, pv, f"checks.{cid}.{name}") if isinstance(pv, yaml.ScalarNode) else yaml.safe_load(yaml.serialize(pv))
            default = spec.params[name]
            ok = isinstance(value, type(default)) and not (isinstance(value, bool) and not isinstance(default, bool))
            if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
                ok, value = True, float(value)
            if not ok:
                raise _err(path, pv, f"checks.{cid}.{name} must be {type(default).__name__} (default {default!r}), got {value!r}")
            out_of_range = _param_range_problem(name, value)
            if out_of_range:
                raise _err(path, pv, f"checks.{cid}.{name} {out_of_range} (default {default!r}), got {value!r}")
            params[name] = value
        out[cid] = params
    return out


def _param_range_problem(name: str, value: Any) -> str | None:
    """Check parameters are counts, days, ratios and percentages: a value outside what its name
    means (a -5 day retention, a 0-day idle window, a 1.5 quota ratio) would pass or fail on nonsense."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return "must be a finite number"
    if name.endswith("_ratio") or name.endswith("utilization"):
        return None if 0 < value <= 1 else "must be a ratio above 0 and at most 1"
    if name.endswith("_percent"):
        return None if 0 <= value <= 100 else "must be a percentage from 0 to 100"
    if name.endswith("_days") or (name.startswith("min_") and name.endswith("s")):
        return None if value >= 1 else "must be at least 1"
    return None if value >= 0 else "must be at least 0"


def compose_yaml(text: str, path: str) -> yaml.Node | None:
    """The YAML node tree of `text` (line numbers kept for later errors); bad YAML is a UsageError
    naming `path:line`. The config file, the architecture spec and waivers parse through it."""
    try:
        return yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(f"{path}{line}: not valid YAML ({problem})") from None


def parse_config(text: str, path: str, registry: dict[str, Any]) -> Config:
    """Parse and validate config text. `registry` (id -> CheckSpec) validates check ids and params."""
    root = compose_yaml(text, path)
    cfg = Config(path=path)
    if root is None:
        return cfg
    if not isinstance(root, yaml.MappingNode):
        raise _err(path, root, "the config file must be a mapping of keys (regions, select, ignore, checks, ...)")
    handlers = {
        "regions": lambda n: setattr(cfg, "regions", _str_list(path, n, "regions")),
        "select": lambda n: setattr(cfg, "select", _str_list(path, n, "select")),
        "ignore": lambda n: setattr(cfg, "ignore", _str_list(path, n, "ignore")),
        "pillars": lambda n: setattr(cfg, "pillars", _str_list(path, n, "pillars", PILLARS)),
        "min_severity": lambda n: setattr(cfg, "min_severity", _choice(path, n, "min_severity", tuple(s.value for s in Severity))),
        "fail_on": lambda n: setattr(cfg, "fail_on", _choice(path, n, "fail_on", FAIL_ON_CHOICES)),
        "fail_on_savings": lambda n: setattr(cfg, "fail_on_savings", _usd_limit(path, n, "fail_on_savings")),
        "workers": lambda n: setattr(cfg, "workers", _workers(path, n)),
        "checks": lambda n: setattr(cfg, "check_params", _check_params(path, n, registry)),
    }
    for key, target in SECTIONS.items():
        handlers[key] = _section_handler(cfg, path, key, target)
    seen = set()
    for key_node, value_node in root.value:
        key = _scalar(path, key_node, "key")
        if key not in handlers:
            raise _err(path, key_node, unknown_key(key, list(handlers)))
        if key in seen:
            raise _err(path, key_node, f"key {key!r} appears twice")
        seen.add(key)
        cfg.lines[key] = key_node.start_mark.line + 1
        handlers[key](value_node)
    return cfg


def _section_handler(cfg: Config, path: str, key: str, target: str):
    import importlib

    module, function = target.split(":")

    def handle(node: yaml.Node) -> None:
        cfg.sections[key] = getattr(importlib.import_module(module), function)(path, node)

    return handle


def mapping_entries(path: str, node: yaml.Node, section: str, keys: tuple[str, ...]):
    """Yield (key, key_node, value_node) of a section that must be a mapping of `keys`, each at most
    once; anything else is a UsageError naming file and line."""
    if not isinstance(node, yaml.MappingNode):
        raise _err(path, node, f"{section} must be a mapping with keys {', '.join(keys)}")
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = _scalar(path, key_node, section)
        if key not in keys:
            raise _err(path, key_node, f"{section}: {unknown_key(key, list(keys))}")
        if key in seen:
            raise _err(path, key_node, f"{section}: key {key!r} appears twice")
        seen.add(key)
        yield key, key_node, value_node


# Public names for section parsers in other modules.
err = _err
scalar = _scalar
str_list = _str_list


def _usd_limit(path: str, node: yaml.Node, key: str) -> float:
    """A monthly figure in USD: a finite number of at least 0."""
    value = _scalar(path, node, key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (
            float("inf"), float("-inf")) or value < 0:
        raise _err(path, node, f"{key} must be a number of USD a month, at least 0, got {value!r}")
    return float(value)


def _workers(path: str, node: yaml.Node) -> int:
    value = _scalar(path, node, "workers")
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 64:
        raise _err(path, node, f"workers must be an integer from 1 to 64, got {value!r}")
    return value


def load_config(path: str | None, registry: dict[str, Any], cwd: Path | None = None) -> Config:
    """Load `path`, or `opsctl.yaml` from the working directory if present; else defaults."""
    if path is None:
        candidate = (cwd or Path.cwd()) / DEFAULT_CONFIG_NAME
        if not candidate.is_file():
            return Config()
        path = str(candidate)
    from opsctl.errors import read_text_file  # a FIFO or device is refused, not waited on

    try:
        text = read_text_file(path)
    except OSError as exc:
        raise UsageError(f"--config: cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc, "--config") from None
    return parse_config(text, path, registry)
