"""The architecture spec: parsing with file:line errors, extends, binding, and the config section."""

from __future__ import annotations

import pytest

from opsctl.architecture import KINDS, bind, default_spec, load_spec, parse_spec, resolve_spec
from opsctl.config import parse_config
from opsctl.errors import UsageError
from opsctl.registry import load_builtin_checks
from tests.helpers import snapshot
from tests.unit.checks.arch_fixtures import world


def test_default_spec_is_the_reference_architecture():
    spec = default_spec()
    assert [t.kind for t in spec.tiers.values()] == list(KINDS)
    assert spec.source == "built-in"
    assert ("edge", "load_balancer") in {(f.source, f.target) for f in spec.flows}


def test_the_docs_example_parses():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "architecture-spec.md").read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    spec = parse_spec(example, "docs/architecture-spec.md")
    assert spec.tiers["dns"].params["domain"] == "shop.example.com"


@pytest.mark.parametrize(("text", "message"), [
    ("tiers: {edge: {kind: cdn, select: {tags: {tier: edge}}}}", "x.yaml:1: tiers.edge.kind: 'cdn' is not one of dns"),
    ("tiers:\n  edge:\n    kind: edge\n", "x.yaml:2: tiers.edge needs select"),
    ("tiers:\n  edge:\n    kind: edge\n    select: {regions: [us-east-1]}\n", "x.yaml:4: tiers.edge.select needs tags, names or arns"),
    ("tiers:\n  edge:\n    kind: edge\n    select: {tag: {tier: edge}}\n", "x.yaml:4: tiers.edge.select: unknown key 'tag' (did you mean 'tags'?"),
    ("tiers:\n  edge: {kind: edge, select: {names: [a]}, params: {domain: x}}\n",
     "x.yaml:2: tiers.edge.params: unknown parameter 'domain' for kind edge (parameters: none)"),
    ("tiers:\n  edge: {kind: edge, select: {names: [a]}}\nflows:\n  - {from: edge, to: api}\n",
     "x.yaml:4: flows.to: no tier named 'api'"),
    ("tiers:\n  a: {kind: nosql_db, select: {names: [a]}}\n  b: {kind: dns, select: {names: [b]}}\nflows:\n  - {from: a, to: b}\n",
     "x.yaml:5: flows: a flow from a nosql_db tier to a dns tier is not part"),
    ("version: 2\ntiers: {}\n", "x.yaml:1: version 2 is not supported"),
    ("tier: {}\n", "x.yaml:1: unknown key 'tier' (did you mean 'tiers'?"),
    ("tiers:\n  a: {kind: dns, select: {names: [a], regions: [mars-9]}}\n",
     "x.yaml:2: tiers.a.select.regions: 'mars-9' is not an AWS region name"),
    ("tiers:\n  '': {kind: dns, select: {names: [a]}}\n", "x.yaml:2: tier name '': use letters"),
    ("tiers: [edge]\n", "x.yaml:1: tiers must be a mapping"),
    ("extends: mine\n", "x.yaml:1: extends: only 'default'"),
    ("tiers:\n  a: {kind: dns, select: {names: [a]}}\n  a: {kind: dns, select: {names: [b]}}\n", "x.yaml:3: tiers: key 'a' appears twice"),
    ("tiers: {a: {kind: edge, select: {tags: {tier: [x]}}}}", "tiers.a.select.tags.tier must be a string"),
    ("tiers: {a: {kind: [edge]", "x.yaml:1: not valid YAML"),
    ("", "x.yaml: the architecture spec is empty"),
])
def test_errors_name_file_line_and_what(text, message):
    with pytest.raises(UsageError) as err:
        parse_spec(text, "x.yaml")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_extends_default_adds_and_overrides_tiers():
    spec = parse_spec("extends: default\nname: mine\ntiers:\n  dns: {kind: dns, select: {names: ['shop.*']}, "
                      "params: {domain: Shop.Example.com.}}\n  search: {kind: nosql_db, select: {names: [search]}}\n", "m.yaml")
    assert spec.name == "mine" and list(spec.tiers)[-1] == "search" and len(spec.tiers) == 10
    assert spec.tiers["dns"].params["domain"] == "shop.example.com"
    assert spec.flows == default_spec().flows


def test_selectors_bind_by_tags_names_arns_and_regions():
    spec = parse_spec("""
tiers:
  web:
    kind: compute
    select:
      - {names: ["shop-web-*"], regions: [us-east-1]}
      - {arns: ["arn:aws:ec2:*:*:instance/i-other"]}
  lbs: {kind: load_balancer, select: {tags: {tier: "load_*", app: "3d-shop"}}}
  none: {kind: load_balancer, select: {names: [shop-alb], regions: [eu-west-1]}}
""", "s.yaml")
    binding = bind(spec, snapshot(world()))
    assert sorted(r["name"] for r in binding.members["web"].values() if "min_size" in r) == ["shop-web-asg"]
    assert [r["name"] for r in binding.members["lbs"].values()] == ["shop-alb"]
    assert binding.members["none"] == {}
    # attached: the ASG's instance and template, the security groups, the ALB's target group
    attached = binding.attached["web"]
    assert any(a.endswith("instance/i-web1") for a in attached) and any(a.endswith("launch-template/lt-web") for a in attached)
    assert binding.security_groups["web"] == {"sg-app"}
    assert any("targetgroup/shop-web-tg" in a for a in binding.attached["lbs"])


def test_binding_is_cached_per_snapshot():
    spec, snap = default_spec(), snapshot(world())
    assert bind(spec, snap) is bind(spec, snap)
    assert bind(spec, snapshot(world())) is not bind(spec, snap)


def test_config_section_inline_or_file(tmp_path):
    registry = load_builtin_checks()
    inline = parse_config("spec:\n  extends: default\n  name: inline\n", "opsctl.yaml", registry)
    assert inline.sections["spec"].name == "inline"
    (tmp_path / "arch.yaml").write_text("tiers: {edge: {kind: edge, select: {names: ['*']}}}\n")
    cfg_path = tmp_path / "opsctl.yaml"
    cfg = parse_config("spec: arch.yaml\n", str(cfg_path), registry)
    assert list(cfg.sections["spec"].tiers) == ["edge"]
    assert resolve_spec(None, cfg) is cfg.sections["spec"]
    with pytest.raises(UsageError, match=r"opsctl.yaml:1: spec: no such file 'nope.yaml'"):
        parse_config("spec: nope.yaml\n", str(cfg_path), registry)
    with pytest.raises(UsageError, match=r"opsctl.yaml:3: tiers.x.kind"):
        parse_config("spec:\n  tiers:\n    x: {kind: y, select: {names: [a]}}\n", "opsctl.yaml", registry)


def test_load_spec_unreadable(tmp_path):
    with pytest.raises(UsageError, match="--spec: cannot read"):
        load_spec(tmp_path / "missing.yaml")
