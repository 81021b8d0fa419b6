"""The architecture spec: parsing with file:line errors, extends, binding, and the config section."""

from __future__ import annotations

import pytest

from opsctl.architecture import KIND_ATTACHED, KINDS, bind, default_spec, load_spec, parse_spec, resolve_spec
from opsctl.config import parse_config
from opsctl.errors import UsageError
from opsctl.registry import load_builtin_checks
from opsctl.snapshot import CoverageGap
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


# ----- what a tier binds and what is attached to it (issue 16) ------------------------------------
EUW1 = "eu-west-1"


def _sg_in(region, gid, name, **tags):
    return {"id": gid, "name": name, "arn": f"arn:aws:ec2:{region}:123456789012:security-group/{gid}", "region": region,
            "vpc_id": "vpc-2", "tags": tags, "ingress": []}


def _two_regions(w):
    return snapshot(w, regions=("us-east-1", EUW1))


def test_a_tier_that_binds_nothing_has_nothing_attached():
    """The user's spec: a load_balancer tier selected by a name glob in a region with no load
    balancer. Security groups whose names match the glob are not load balancers: not bound, not
    attached."""
    w = world()
    w["ec2.security_group"] += [_sg_in(EUW1, "sg-api1", "shop-api-sg"), _sg_in(EUW1, "sg-api2", "shop-api-admin")]
    spec = parse_spec("tiers:\n  api-failover: {kind: load_balancer, select: {names: ['shop-api*'], regions: [eu-west-1]}}\n",
                      "user.yaml")
    binding = bind(spec, _two_regions(w))
    assert binding.members["api-failover"] == {} and binding.attached["api-failover"] == set()
    assert binding.security_groups["api-failover"] == set() and binding.present("api-failover") is False


@pytest.mark.parametrize("kind", ["load_balancer", "relational_db"])
def test_security_groups_come_from_the_tiers_resources_not_its_selectors(kind):
    """A selector that also matches security groups (here: every sg-* name, every tag value) binds
    only resources of the tier's kind; the groups attached are those of its load balancers/databases."""
    spec = parse_spec(f"tiers:\n  t: {{kind: {kind}, select: [{{tags: {{tier: '*'}}}}, {{names: ['sg-*']}}]}}\n", "s.yaml")
    binding = bind(spec, snapshot(world()))
    own = {"load_balancer": "sg-alb", "relational_db": "sg-db"}[kind]
    groups = {a.rsplit("/", 1)[-1] for a in binding.attached["t"] if ":security-group/" in a}
    assert groups == {own} and binding.security_groups["t"] == {own}


def test_compute_attaches_the_security_groups_its_selectors_bind_where_it_runs():
    """The documented exception: compute also gets the security groups its selectors bind (a
    group of containers the snapshot does not show), in the regions where it binds resources."""
    w = world()
    w["ec2.security_group"] += [_sg_in("us-east-1", "sg-tasks", "tasks", tier="compute"),
                                _sg_in(EUW1, "sg-far", "far", tier="compute")]
    binding = bind(default_spec(), _two_regions(w))
    groups = {a.rsplit("/", 1)[-1] for a in binding.attached["compute"] if ":security-group/" in a}
    assert groups == {"sg-app", "sg-tasks"} and binding.security_groups["compute"] == {"sg-app", "sg-tasks"}
    # a compute tier that binds nothing gets none of them
    spec = parse_spec("tiers:\n  batch: {kind: compute, select: {tags: {tier: compute}, regions: [eu-west-1]}}\n", "b.yaml")
    empty = bind(spec, _two_regions(w))
    assert empty.members["batch"] == {} and empty.attached["batch"] == set() and empty.security_groups["batch"] == set()


def test_dns_attaches_the_health_checks_its_records_use_only():
    w = world()
    zone = w["route53.hosted_zone"][0]
    zone["records"][1]["health_check_id"] = "hc-used"
    w["route53.health_check"] = [
        {"id": i, "arn": f"arn:aws:route53:::healthcheck/{i}", "region": "global", "tags": {"tier": "dns"}}
        for i in ("hc-used", "hc-unused")]
    binding = bind(default_spec(), snapshot(w))
    assert binding.attached["dns"] == {"arn:aws:route53:::healthcheck/hc-used"}
    w["route53.hosted_zone"] = []  # no zone: the tagged health checks are not the tier
    assert bind(default_spec(), snapshot(w)).attached["dns"] == set()


def test_a_tier_not_seen_is_not_missing():
    w = world()
    w["lambda.function"] = []
    snap = snapshot(w, coverage=[CoverageGap("lambda", "us-east-1", "ListFunctions", "AccessDenied", "denied",
                                             "lambda.function", "")])
    binding = bind(default_spec(), snap)
    assert binding.present("functions") is None and "lambda.function not collected" in binding.not_seen["functions"]
    assert binding.present("nosql_db") is True and "nosql_db" not in binding.not_seen


def test_the_docs_say_what_is_attached_to_each_kind():
    """docs/architecture-spec.md's table of kinds says KIND_ATTACHED, word for word."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "architecture-spec.md").read_text()
    table = text.split("### Tier kinds", 1)[1].split("\n\n", 2)[1]
    rows = {cells[0].strip(" `"): cells[2].strip() for cells in
            (line.strip("|").split("|") for line in table.splitlines()[2:])}
    assert rows == {k: ("" if v == "nothing" else v) for k, v in KIND_ATTACHED.items()}
