"""Each CloudWatch rule, checked before any write, names the dashboard and the widget."""

from __future__ import annotations

import pytest

from opsctl.dashboards.validate import InvalidDashboards, check_body, validate_all


def metric(title="CPU", n=1, region="us-east-1", **pos):
    props = {"title": title, "metrics": [["AWS/EC2", "CPUUtilization", "InstanceId", f"i-{i}"] for i in range(n)]}
    if region is not None:
        props["region"] = region
    return {"type": "metric", "x": 0, "y": 0, "width": 6, "height": 6, **pos, "properties": props}


def body(*widgets):
    return {"widgets": list(widgets)}


def problems(name, b):
    return [str(v) for v in check_body(name, b)]


def test_a_good_body_passes():
    assert problems("opsctl-ok", body(metric(), {"type": "text", "x": 6, "y": 0, "width": 18, "height": 2,
                                                  "properties": {"markdown": "hi"}})) == []


@pytest.mark.parametrize("widget, expected", [
    (metric(x=24), "x=24 is outside the grid (0-23)"),
    (metric(x=-1), "x=-1 is outside the grid"),
    (metric(width=0), "width=0 is not 1-24"),
    (metric(width=25), "width=25 is not 1-24"),
    (metric(x=20, width=6), "x=20 + width=6 passes the grid's right edge"),
    (metric(y=-2), "y=-2 must be a whole number"),
    (metric(height=0), "height=0 is not 1-1000"),
    (metric(width="6"), "width='6' is not 1-24"),
    (metric(region=None), "metric widget has no region"),
    (metric(region=""), "metric widget has no region"),
    (metric(n=501), "501 metrics, more than CloudWatch's 500 per widget"),
    ({"type": "alarm", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"title": "CPU", "alarms": []}},
     "alarm widget lists 0 alarms"),
    ({"type": "alarm", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"title": "CPU", "alarms": ["a"] * 101}},
     "alarm widget lists 101 alarms"),
    ({"type": "graph", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"title": "CPU"}}, "type 'graph' is not one of"),
])
def test_each_widget_rule_names_dashboard_and_widget(widget, expected):
    found = problems("opsctl-data", body(metric("first"), widget))
    assert len(found) == 1, found
    assert found[0].startswith("dashboard opsctl-data, widget 2 ('CPU'): ") or found[0].startswith("dashboard opsctl-data, widget 2 (")
    assert expected in found[0]


def test_widget_count_limit():
    found = problems("opsctl-big", body(*[metric(f"w{i}") for i in range(501)]))
    assert found == ["dashboard opsctl-big: 501 widgets, more than CloudWatch's 500 per dashboard"]


def test_metric_count_limit_per_dashboard():
    found = problems("opsctl-big", body(*[metric(f"w{i}", n=500) for i in range(6)]))
    assert found == ["dashboard opsctl-big: 3000 metrics, more than CloudWatch's 2500 per dashboard"]


@pytest.mark.parametrize("name, expected", [
    ("opsctl-ok_1", None),
    ("opsctl data", "name may only hold A-Za-z0-9, '-' and '_'"),
    ("opsctl.data", "name may only hold"),
    ("x" * 256, "name must be 1-255 characters, it has 256"),
    ("x" * 255, None),
])
def test_name_rules(name, expected):
    found = problems(name, body(metric()))
    assert (found == []) if expected is None else (expected in found[0])


def test_body_must_be_an_object_with_widgets_and_json():
    assert "must be a JSON object" in problems("d", {"widget": []})[0]
    assert "not valid JSON" in problems("d", {"widgets": [{"type": "text", "properties": {"markdown": float("nan")}}]})[0]


def test_validate_all_raises_one_error_listing_the_problems():
    with pytest.raises(InvalidDashboards) as info:
        validate_all({"opsctl-a": body(metric(x=30)), "opsctl-b": body(metric(region=None))})
    message = str(info.value)
    assert message.startswith("invalid dashboard, nothing written — 2 problems: ")
    assert "dashboard opsctl-a, widget 1 ('CPU'): x=30" in message and "dashboard opsctl-b, widget 1 ('CPU'): metric widget has no region" in message
    assert info.value.exit_code == 2
