"""The topology graph, tier scores, alarm coverage per tier, --scope spec, and the pictures (golden)."""

from __future__ import annotations

import json
import os
import xml.dom.minidom
from pathlib import Path

import jsonschema
import pytest

from opsctl.architecture import default_spec, parse_spec
from opsctl.audit import audit
from opsctl.config import Config
from opsctl.engine import Result
from opsctl.findings import Finding, Severity, Status
from opsctl.registry import load_builtin_checks
from opsctl.topology import alarm_coverage_by_tier, build_topology, in_scope, s3_origin_bucket, tier_scores
from opsctl.topology_render import render_mermaid, render_svg
from tests.helpers import snapshot
from tests.unit.checks.arch_fixtures import ALB_ARN, ASG_ARN, DB_ARN, rule, sg, world

GOLDEN = Path(__file__).parent / "golden"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "opsctl" / "schemas" / "result.schema.json").read_text())
ARCH = [c for cid, c in load_builtin_checks().items() if cid.startswith("arch.")]


def broken_world():
    """The fixture shop with three defects: the ALB open to the world, no Lambda function, a
    dangling failover record."""
    w = world()
    w["ec2.security_group"][0] = sg("sg-alb", rule(443, cidr="0.0.0.0/0"), tier="load_balancer")
    w["lambda.function"] = []
    w["route53.hosted_zone"][0]["records"].append({
        "name": "api.shop.example.com", "type": "CNAME", "set_identifier": "euw1", "alias_target_dns": None,
        "values": ["shop-api-1.eu-west-1.elb.amazonaws.com"]})
    return w


def finding(rid, status, severity="high", check="x.y", **evidence):
    return Finding(check, "t", Status(status), Severity(severity), "security", rid, "t", "us-east-1", "m.", evidence)


def test_graph_of_the_well_wired_shop():
    topo = build_topology(snapshot(world()), default_spec()).to_dict()
    kinds = {(e["kind"], e["ok"]) for e in topo["edges"]}
    assert kinds == {("dns_alias", True), ("origin", True), ("protects", True), ("forwards", True), ("network", True)}
    assert {t["name"]: t["present"] for t in topo["tiers"]} == dict.fromkeys(default_spec().tiers, True)
    assert all(n["tier"] for n in topo["nodes"])
    flows = {(f["from"], f["to"]): f["status"] for f in topo["flows"]}
    assert flows[("edge", "load_balancer")] == "ok" and flows[("compute", "nosql_db")] == "unobservable"
    assert flows[("load_balancer", "functions")] == "missing"  # the fixture's function is behind no target group


def test_broken_edges_and_missing_tiers():
    topo = build_topology(snapshot(broken_world()), default_spec()).to_dict()
    broken = {(e["from"], e["kind"]) for e in topo["edges"] if e["ok"] is False}
    assert ("internet", "ingress") in broken
    assert ("arn:aws:route53:::hostedzone/Z1SHOP", "dns_alias") in broken
    dangling = next(n for n in topo["nodes"] if n["id"] == "shop-api-1.eu-west-1.elb.amazonaws.com")
    assert dangling["kind"] == "external" and dangling["tier"] is None
    assert next(t for t in topo["tiers"] if t["name"] == "functions")["present"] is False


def _ingress(w, **snapshot_args):
    topo = build_topology(snapshot(w, **snapshot_args), default_spec()).to_dict()
    [edge] = [e for e in topo["edges"] if e["from"] == "internet" and e["to"] == ALB_ARN]
    return edge


@pytest.mark.parametrize("field, ok, reason", [
    ({"associated_load_balancer_arns": [ALB_ARN]}, True, "filtered by regional WAF web ACL(s) api-waf"),
    ({"associated_load_balancer_arns": []}, False, "open to the internet around the edge"),
    ({"errors": {"associated_load_balancer_arns": "wafv2:ListResourcesForWebACL failed"}}, None,
     "wafv2:ListResourcesForWebACL failed"),
])
def test_open_load_balancer_behind_a_regional_waf(field, ok, reason):
    """The ingress edge is judged as arch.edge_in_front_of_api judges the load balancer."""
    w = broken_world()
    w["wafv2.web_acl"].append({"id": "2", "name": "api-waf", "scope": "REGIONAL", "region": "us-east-1", "tags": {},
                               "arn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/api-waf/2", **field})
    edge = _ingress(w)
    assert edge["ok"] is ok and reason in edge["reason"]


def test_public_database_is_an_open_edge():
    w = world()
    w["rds.db_instance"][0]["publicly_accessible"] = True
    topo = build_topology(snapshot(w), default_spec()).to_dict()
    assert {"from": "internet", "to": DB_ARN, "kind": "ingress", "ok": False, "label": "",
            "reason": "publicly accessible"} in topo["edges"]


def test_tier_scores_weighted_by_severity():
    topo = build_topology(snapshot(world()), default_spec()).to_dict()
    findings = [finding(ALB_ARN, "PASS"), finding(ALB_ARN, "FAIL", "low"), finding(ASG_ARN, "FAIL", "critical"),
                finding(ASG_ARN, "ERROR"), finding("arn:aws:iam::123456789012:root", "FAIL", missing_tiers=["functions"])]
    scores = tier_scores(findings, topo)
    assert scores["load_balancer"] == round(100 * (1 - 1 / 6), 1)
    assert scores["compute"] == 0.0 and scores["functions"] == 0.0 and scores["nosql_db"] is None


def test_alarm_coverage_by_tier():
    topo = build_topology(snapshot(world()), default_spec()).to_dict()
    findings = [finding(ALB_ARN, "FAIL", check="cloudwatch.alarm_coverage"), finding(ASG_ARN, "PASS", check="cloudwatch.alarm_coverage"),
                finding(DB_ARN, "ERROR", check="cloudwatch.alarm_coverage"), finding(DB_ARN, "FAIL", check="rds.x")]
    cov = alarm_coverage_by_tier(findings, topo)
    assert cov["load_balancer"]["uncovered"] == 1 and cov["load_balancer"]["missing"][0]["resource_id"] == ALB_ARN
    assert cov["compute"]["covered"] == 1 and cov["relational_db"] == {"covered": 0, "uncovered": 0, "error": 1, "missing": []}


def test_audit_attaches_topology_scores_and_scope():
    registry = load_builtin_checks()
    checks = list(registry.values())
    w = broken_world()
    w["s3.bucket"].append({"name": "unrelated", "arn": "arn:aws:s3:::unrelated", "region": "us-east-1", "tags": {}})
    result = audit(snapshot(w), checks, Config())
    data = result.to_dict()
    jsonschema.validate(data, SCHEMA)
    assert data["summary"]["tier_scores"]["functions"] == 0.0
    assert data["metadata"]["spec"] == {"name": default_spec().name, "source": "built-in", "scope": "all"}
    assert any(f.resource_id == "arn:aws:s3:::unrelated" for f in result.findings)
    scoped = audit(snapshot(w), checks, Config(), scope="spec")
    assert not any(f.resource_id == "arn:aws:s3:::unrelated" for f in scoped.findings)
    assert {f.check_id for f in scoped.findings if f.check_id.startswith("arch.")} == {c.id for c in ARCH}
    assert in_scope(result.findings, result.topology) == scoped.findings
    again = Result.from_dict(json.loads(json.dumps(data)))
    assert again.topology == data["topology"] and again.summary()["tier_scores"] == data["summary"]["tier_scores"]


def test_audit_reads_the_config_spec():
    spec = parse_spec("tiers: {web: {kind: compute, select: {names: ['shop-web-*']}}}", "mine.yaml")
    result = audit(snapshot(world()), ARCH, Config(sections={"spec": spec}))
    assert [t["name"] for t in result.topology["tiers"]] == ["web"]
    assert result.metadata["spec"]["source"] == "mine.yaml"


@pytest.mark.parametrize(("domain", "bucket"), [
    ("shop-assets.s3.amazonaws.com", "shop-assets"), ("shop-assets.s3.eu-west-1.amazonaws.com", "shop-assets"),
    ("shop.assets.s3-eu-west-1.amazonaws.com", "shop.assets"), ("site.s3-website-us-east-1.amazonaws.com", "site"),
    ("site.s3-website.eu-west-1.amazonaws.com", "site"), ("api.example.com", None)])
def test_s3_origin_bucket(domain, bucket):
    assert s3_origin_bucket(domain) == bucket


def _pictures():
    snap = snapshot(broken_world())
    result = audit(snap, ARCH, Config())
    return render_mermaid(result.topology, result.findings), render_svg(result.topology, result.findings)


@pytest.mark.parametrize(("index", "name"), [(0, "topology.mmd"), (1, "topology.svg")])
def test_pictures_match_golden_files(index, name):
    """Regenerate with OPSCTL_UPDATE_GOLDEN=1 after an intended change, and look at the diff."""
    text = _pictures()[index]
    path = GOLDEN / name
    if os.environ.get("OPSCTL_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_mermaid_marks_failures_broken_edges_and_missing_tiers():
    mermaid, svg = _pictures()
    assert mermaid.startswith("flowchart LR\n")
    assert 'subgraph tier_functions["functions — missing"]' in mermaid and "class tier_functions_none missing" in mermaid
    assert "-.->|\"✗ 0.0.0.0/0\"|" in mermaid and "linkStyle" in mermaid
    assert '-.->|"expected forwards: missing"|' in mermaid
    fail_line = next(line for line in mermaid.splitlines() if line.strip().endswith(" fail") and line.strip().startswith("class"))
    assert fail_line  # the open ALB and the dangling zone are red
    xml.dom.minidom.parseString(svg)  # well-formed
    assert 'stroke-dasharray="6 4"' in svg and "#c62828" in svg


def test_labels_are_escaped():
    topo = {"spec": {"name": 'a "b"'}, "tiers": [{"name": "t", "kind": "edge", "present": True}],
            "nodes": [{"id": "x", "kind": "external", "tier": "t", "label": 'say "hi" <b>|'}], "edges": [], "flows": []}
    assert 'say #quot;hi#quot; #lt;b#gt;#124;' in render_mermaid(topo)
    assert "&lt;b&gt;" in render_svg(topo)


# ----- a tier that binds nothing (issue 16) --------------------------------------------------------
USER_SPEC = """\
extends: default
tiers:
  api-failover: {kind: load_balancer, select: {names: ["shop-api*"], regions: [eu-west-1]}}
"""


def _failover_world():
    """The fixture shop, and in eu-west-1 no load balancer but security groups named like the
    failover tier's glob (one open to the world, so its checks FAIL and PASS there)."""
    w = world()
    for gid, name, rules in (("sg-euw1a", "shop-api-sg", [rule(22, cidr="0.0.0.0/0")]), ("sg-euw1b", "shop-api-admin", [])):
        w["ec2.security_group"].append({"id": gid, "name": name, "region": "eu-west-1", "vpc_id": "vpc-2", "tags": {},
                                        "arn": f"arn:aws:ec2:eu-west-1:123456789012:security-group/{gid}", "ingress": rules})
    return w


def test_a_missing_tier_has_no_members_and_scores_0():
    registry = load_builtin_checks()
    checks = [c for cid, c in registry.items() if cid.startswith(("arch.", "ec2.security_group"))]
    spec = parse_spec(USER_SPEC, "user.yaml")
    result = audit(snapshot(_failover_world(), regions=("us-east-1", "eu-west-1")), checks, Config(sections={"spec": spec}))
    tier = next(t for t in result.topology["tiers"] if t["name"] == "api-failover")
    assert (tier["present"], tier["count"], tier["members"]) == (False, 0, [])
    euw1 = [f for f in result.findings if f.region == "eu-west-1"]
    assert {f.status.value for f in euw1} == {"PASS", "FAIL"}  # the groups are judged, just not as the tier's
    assert result.summary()["tier_scores"]["api-failover"] == 0.0
    # the same with only the security group checks: nothing names the tier, it still scores 0
    only_sg = audit(snapshot(_failover_world(), regions=("us-east-1", "eu-west-1")),
                    [c for c in checks if not c.id.startswith("arch.")], Config(sections={"spec": spec}))
    assert only_sg.summary()["tier_scores"]["api-failover"] == 0.0
    assert in_scope(result.findings, result.topology) == [f for f in result.findings if f.region != "eu-west-1"]


def test_a_tier_not_seen_is_not_scored_0():
    from opsctl.snapshot import CoverageGap

    w = world()
    w["lambda.function"] = []
    gap = CoverageGap("lambda", "us-east-1", "ListFunctions", "AccessDenied", "denied", "lambda.function", "")
    topo = build_topology(snapshot(w, coverage=[gap]), default_spec()).to_dict()
    assert next(t for t in topo["tiers"] if t["name"] == "functions")["present"] is None
    assert tier_scores([finding(ALB_ARN, "PASS")], topo)["functions"] is None


def test_tier_scores_of_a_missing_tier_in_a_stored_topology():
    topo = {"tiers": [{"name": "a", "present": False, "members": []}, {"name": "b", "present": True, "members": [ALB_ARN]}]}
    assert tier_scores([finding(ALB_ARN, "PASS")], topo) == {"a": 0.0, "b": 100.0}
