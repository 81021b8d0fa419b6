"""Rendering: templates from the snapshot, the marker, the grid, user templates, honest gaps."""

from __future__ import annotations

import pytest

from opsctl.dashboards.config import DashboardsConfig
from opsctl.dashboards.inventory import Inventory
from opsctl.dashboards.layout import lay_out
from opsctl.dashboards.render import (
    MARKER,
    TemplateError,
    discover_templates,
    has_marker,
    is_owned,
    render_all,
)
from opsctl.dashboards.workflow import desired
from opsctl.snapshot import CoverageGap
from tests.helpers import snapshot
from tests.unit.dashboards.fixtures import ALB_ARN, shop_resources, shop_snapshot

BUILTIN = ["compute", "data", "dns", "edge", "load-balancing", "overview"]


def by_name(rendered):
    return {r.name: r for r in rendered}


def titles(body):
    return [w["properties"].get("title") for w in body["widgets"]]


def test_builtin_templates_are_found_and_helpers_are_not_dashboards():
    assert [t.stem for t in discover_templates()] == BUILTIN


def test_every_body_has_the_marker_first_and_is_owned_with_the_prefix():
    for r in desired(shop_snapshot(), DashboardsConfig(), "us-east-1"):
        first = r.body["widgets"][0]
        assert first["type"] == "text" and MARKER in first["properties"]["markdown"]
        assert (first["x"], first["y"], first["width"]) == (0, 0, 24)
        assert is_owned(r.name, r.body, "opsctl-") and not is_owned(r.name, r.body, "team-")


def test_rendering_is_deterministic():
    a = desired(shop_snapshot(), DashboardsConfig(), "us-east-1")
    b = desired(shop_snapshot(), DashboardsConfig(), "us-east-1")
    assert [r.body for r in a] == [r.body for r in b]


def test_widgets_per_resource_and_alarm_widgets_per_tier():
    r = by_name(desired(shop_snapshot(), DashboardsConfig(), "us-east-1"))
    lb = r["opsctl-load-balancing"].body
    assert "shop-alb: healthy / unhealthy hosts" in titles(lb)
    hosts = next(w for w in lb["widgets"] if w["properties"].get("title") == "shop-alb: healthy / unhealthy hosts")
    # the orphan target group (no load balancer) is not drawn; the attached one with both dimensions
    assert [m[3] for m in hosts["properties"]["metrics"]] == ["targetgroup/shop-web/73e2d6bc24d8a067"] * 2
    assert hosts["properties"]["metrics"][0][5] == ALB_ARN.split(":loadbalancer/")[1]
    alarm = next(w for w in lb["widgets"] if w["type"] == "alarm")
    assert alarm["properties"]["alarms"] == ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-alb-latency"]
    compute = r["opsctl-compute"].body
    alarm_widgets = [w for w in compute["widgets"] if w["type"] == "alarm"]
    assert [w["properties"]["title"] for w in alarm_widgets] == ["Alarms: compute (eu-west-1)", "Alarms: compute (us-east-1)"]
    # the Lambda function lives in eu-west-1: its widgets say so, whatever the dashboard's region
    fn = next(w for w in compute["widgets"] if w["properties"].get("title", "").startswith("shop-order-events: invocations"))
    assert fn["properties"]["region"] == "eu-west-1"
    edge = r["opsctl-edge"].body
    req = next(w for w in edge["widgets"] if w["properties"].get("title") == "shop.example.com: requests")
    assert req["properties"]["metrics"][0][:6] == ["AWS/CloudFront", "Requests", "DistributionId", "E2SHOP", "Region", "Global"]
    assert req["properties"]["region"] == "us-east-1"


def test_alarms_match_resources_by_region_and_dimension():
    inv = Inventory(shop_snapshot())
    data = [a["name"] for a in inv.alarms("data")]
    assert data == ["shop-orders-db-cpu-high"]  # catalogue-elsewhere is about an eu-west-1 table of that name
    assert [a["name"] for a in inv.alarms("compute")] == ["shop-order-events-failures", "shop-api-cpu-high"]  # by region
    assert "unrelated" not in [a["name"] for a in inv.alarms()]


def test_a_tier_without_alarms_gets_an_honest_text_widget():
    resources = shop_resources()
    resources["cloudwatch.alarm"] = []
    body = by_name(desired(snapshot(resources), DashboardsConfig(), "us-east-1"))["opsctl-data"].body
    assert not [w for w in body["widgets"] if w["type"] == "alarm"]
    assert "no CloudWatch alarm" in body["widgets"][-1]["properties"]["markdown"]


def test_more_than_100_alarms_are_split_per_widget():
    from tests.unit.dashboards.fixtures import alarm

    resources = shop_resources()
    resources["cloudwatch.alarm"] = [alarm(f"db-{i:03}", "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "shop-orders-db"})
                                     for i in range(150)]
    body = by_name(desired(snapshot(resources), DashboardsConfig(), "us-east-1"))["opsctl-data"].body
    counts = [len(w["properties"]["alarms"]) for w in body["widgets"] if w["type"] == "alarm"]
    assert counts == [100, 50]


def test_many_resources_switch_to_one_line_per_resource():
    resources = shop_resources()
    resources["lambda.function"] = [{"name": f"fn-{i:03}", "arn": f"arn:aws:lambda:us-east-1:123456789012:function:fn-{i:03}",
                                     "region": "us-east-1", "tags": {}} for i in range(250)]
    r = by_name(desired(snapshot(resources), DashboardsConfig(per_resource_limit=20), "us-east-1"))
    t = titles(r["opsctl-compute"].body)
    assert "Lambda errors (1/3)" in t and "Lambda errors (3/3)" in t
    assert not any(str(x).startswith("fn-000:") for x in t)
    errors = next(w for w in r["opsctl-compute"].body["widgets"] if w["properties"].get("title") == "Lambda errors (3/3)")
    assert len(errors["properties"]["metrics"]) == 50


def test_a_tier_without_resources_renders_no_dashboard():
    resources = shop_resources()
    del resources["route53.health_check"]
    r = by_name(render_all(snapshot(resources), prefix="opsctl-", home_region="us-east-1"))
    assert r["opsctl-dns"].body is None and not r["opsctl-dns"].incomplete


def test_a_failed_listing_makes_the_dashboard_incomplete():
    gap = CoverageGap("rds", "us-east-1", "DescribeDBInstances", "AccessDenied", "no", "rds.db_instance", "")
    r = by_name(render_all(snapshot(shop_resources(), coverage=[gap], regions=("us-east-1", "eu-west-1")),
                           prefix="opsctl-", home_region="us-east-1"))
    assert r["opsctl-data"].incomplete and "AccessDenied" in r["opsctl-data"].gaps[0].reason
    assert r["opsctl-overview"].incomplete
    assert not r["opsctl-edge"].incomplete


def test_a_type_never_collected_makes_the_dashboard_incomplete():
    snap = snapshot(shop_resources(), collected={"cloudfront.distribution": ["global"], "cloudwatch.alarm": ["us-east-1"]})
    r = by_name(render_all(snap, prefix="opsctl-", home_region="us-east-1"))
    assert not r["opsctl-edge"].incomplete
    assert r["opsctl-data"].incomplete and "not collected" in r["opsctl-data"].gaps[0].reason


def test_user_templates_add_and_override(tmp_path):
    (tmp_path / "checkout.json.j2").write_text(
        '{% import "_widgets.j2" as w %}{"widgets": [{{ w.metric("Payment failures", '
        '[["3DShop/Checkout", "PaymentFailures", "Service", "checkout"]], home_region, stat="Sum") }}]}')
    (tmp_path / "dns.json.j2").write_text('{"widgets": [{"type": "text", "width": 24, "height": 2, "properties": {"markdown": "mine"}}]}')
    r = by_name(render_all(shop_snapshot(), prefix="opsctl-", home_region="us-east-1", templates_dir=str(tmp_path)))
    assert set(r) == {f"opsctl-{s}" for s in BUILTIN} | {"opsctl-checkout"}
    assert titles(r["opsctl-checkout"].body)[1] == "Payment failures"
    assert r["opsctl-checkout"].template.origin == "user"
    assert r["opsctl-dns"].body["widgets"][1]["properties"]["markdown"] == "mine"
    assert has_marker(r["opsctl-checkout"].body)


def test_template_syntax_error_names_file_and_line(tmp_path):
    (tmp_path / "bad.json.j2").write_text('{"widgets": [\n{% if %}\n]}')
    with pytest.raises(TemplateError, match=r"bad\.json\.j2:2"):
        render_all(shop_snapshot(), prefix="opsctl-", home_region="us-east-1", templates_dir=str(tmp_path))


def test_template_undefined_name_names_file_and_line(tmp_path):
    (tmp_path / "bad.json.j2").write_text('{"widgets": [\n{{ inv.nothing_here }}\n]}')
    with pytest.raises(TemplateError, match=r"bad\.json\.j2:2: .*nothing_here"):
        render_all(shop_snapshot(), prefix="opsctl-", home_region="us-east-1", templates_dir=str(tmp_path))


def test_template_rendering_invalid_json_is_refused(tmp_path):
    (tmp_path / "bad.json.j2").write_text('{"widgets": [\n{"type": "text",},\n]}')
    with pytest.raises(TemplateError, match=r"bad\.json\.j2 rendered invalid JSON at rendered line 2"):
        render_all(shop_snapshot(), prefix="opsctl-", home_region="us-east-1", templates_dir=str(tmp_path))


def test_layout_flows_left_to_right_and_wraps():
    widgets = [{"type": "text", "width": w, "height": h, "properties": {}} for w, h in [(24, 1), (8, 6), (8, 3), (12, 6), (6, 2)]]
    placed = lay_out(widgets)
    assert [(w["x"], w["y"]) for w in placed] == [(0, 0), (0, 1), (8, 1), (0, 7), (12, 7)]
    assert list(placed[0])[:5] == ["type", "x", "y", "width", "height"]


def test_layout_keeps_explicit_positions_and_flows_below_them():
    placed = lay_out([{"type": "text", "x": 4, "y": 2, "width": 4, "height": 3, "properties": {}},
                      {"type": "text", "width": 6, "height": 6, "properties": {}}])
    assert [(w["x"], w["y"]) for w in placed] == [(4, 2), (0, 5)]
