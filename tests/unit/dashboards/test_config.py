"""The `dashboards:` config section: defaults, values, errors naming file and line."""

from __future__ import annotations

import pytest

from opsctl.config import parse_config
from opsctl.dashboards.config import DashboardsConfig
from opsctl.dashboards.workflow import home_region, settings_from
from opsctl.errors import UsageError
from tests.helpers import snapshot


def parse(text, tmp_path):
    path = tmp_path / "opsctl.yaml"
    path.write_text(text)
    return parse_config(text, str(path), {})


def test_defaults_without_a_section(tmp_path):
    assert settings_from(parse("regions: [eu-west-1]\n", tmp_path)) == DashboardsConfig()


def test_values_and_relative_templates_dir(tmp_path):
    (tmp_path / "mine").mkdir()
    cfg = parse("dashboards:\n  prefix: shop-\n  region: eu-west-1\n  templates_dir: mine\n"
                "  max_widgets_per_resource_list: 5\n", tmp_path)
    s = settings_from(cfg)
    assert (s.prefix, s.region, s.templates_dir, s.per_resource_limit) == ("shop-", "eu-west-1", str(tmp_path / "mine"), 5)


@pytest.mark.parametrize("text, message", [
    ("dashboards:\n  prefix: 'a b'\n", ":2: dashboards.prefix must be"),
    ("dashboards:\n  prefix: ''\n", ":2: dashboards.prefix must be"),
    ("dashboards:\n  region: Europe\n", ":2: dashboards.region must be a region name"),
    ("dashboards:\n  templates_dir: nowhere\n", ":2: dashboards.templates_dir:"),
    ("dashboards:\n  colour: blue\n", ":2: dashboards: unknown key 'colour'"),
    ("dashboards:\n  max_widgets_per_resource_list: 0\n", ":2: dashboards.max_widgets_per_resource_list must be"),
    ("dashboards: [a]\n", ":1: dashboards must be a mapping"),
])
def test_errors_name_file_and_line(tmp_path, text, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse(text, tmp_path)


def test_home_region_order():
    s, snap = DashboardsConfig(), snapshot(regions=("ap-south-1",))
    assert home_region(DashboardsConfig(region="eu-central-1"), ["us-west-2"], ["eu-west-1"], snap) == "eu-central-1"
    assert home_region(s, ["us-west-2"], ["eu-west-1"], snap) == "us-west-2"
    assert home_region(s, [], ["eu-west-1"], snap) == "eu-west-1"
    assert home_region(s, [], [], snap) == "ap-south-1"
    assert home_region(s, [], [], None, "sa-east-1") == "sa-east-1"
