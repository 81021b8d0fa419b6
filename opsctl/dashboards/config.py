"""The `dashboards:` section of opsctl.yaml (registered in opsctl.config.SECTIONS).

    dashboards:
      prefix: opsctl-              # names of the dashboards opsctl owns start with this
      region: us-east-1            # where the dashboards live (default: the first audited region)
      templates_dir: ./dashboards  # your own *.json.j2 templates, next to (or replacing) the built-in ones
      max_widgets_per_resource_list: 20   # above this many resources of a kind, one line per resource instead of one widget each

Relative `templates_dir` paths are resolved against the config file's folder, so the config
works from any working directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from opsctl.config import err, mapping_entries, scalar

DEFAULT_PREFIX = "opsctl-"
DEFAULT_PER_RESOURCE_LIMIT = 20
#: CloudWatch dashboard names: up to 255 of A-Za-z0-9, "-" and "_" (PutDashboard's DashboardName).
NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_NAME_LENGTH = 255


@dataclass(frozen=True)
class DashboardsConfig:
    prefix: str = DEFAULT_PREFIX
    region: str | None = None
    templates_dir: str | None = None
    #: resource lists longer than this are drawn as one line per resource, not one widget per resource
    per_resource_limit: int = DEFAULT_PER_RESOURCE_LIMIT


_KEYS = ("prefix", "region", "templates_dir", "max_widgets_per_resource_list")


def parse_section(path: str, node: yaml.Node) -> DashboardsConfig:
    """Parse `dashboards:`; every error names the file and line (exit 2)."""
    values: dict[str, object] = {}
    for key, _key_node, value_node in mapping_entries(path, node, "dashboards", _KEYS):
        value = scalar(path, value_node, f"dashboards.{key}")
        if key == "prefix":
            if not isinstance(value, str) or not value or not NAME_RE.match(value) or len(value) > 64:
                raise err(path, value_node, f"dashboards.prefix must be 1-64 characters of A-Za-z0-9, '-' and '_' "
                                            f"(CloudWatch dashboard names), got {value!r}")
        elif key == "region":
            if not isinstance(value, str) or not re.match(r"^[a-z]{2}(-[a-z]+)+-\d+$", value):
                raise err(path, value_node, f"dashboards.region must be a region name such as us-east-1, got {value!r}")
        elif key == "templates_dir":
            if not isinstance(value, str) or not value:
                raise err(path, value_node, f"dashboards.templates_dir must be a folder path, got {value!r}")
            folder = Path(value).expanduser()
            if not folder.is_absolute():
                folder = Path(path).parent / folder
            if not folder.is_dir():
                raise err(path, value_node, f"dashboards.templates_dir: {folder} is not a folder")
            value = str(folder)
        elif key == "max_widgets_per_resource_list" and (not isinstance(value, int) or isinstance(value, bool)
                                                          or not 1 <= value <= 100):
            raise err(path, value_node, f"dashboards.max_widgets_per_resource_list must be an integer from 1 to 100, got {value!r}")
        values[key] = value
    return DashboardsConfig(
        prefix=str(values.get("prefix", DEFAULT_PREFIX)),
        region=values.get("region"),  # type: ignore[arg-type]
        templates_dir=values.get("templates_dir"),  # type: ignore[arg-type]
        per_resource_limit=int(values.get("max_widgets_per_resource_list", DEFAULT_PER_RESOURCE_LIMIT)),  # type: ignore[arg-type]
    )
