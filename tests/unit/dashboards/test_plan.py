"""The plan, pure: create / update (by widget title) / unchanged / delete / conflict / skip."""

from __future__ import annotations

import copy

from opsctl.dashboards.aws_io import CurrentDashboard
from opsctl.dashboards.config import DashboardsConfig
from opsctl.dashboards.inventory import Gap
from opsctl.dashboards.plan import make_plan
from opsctl.dashboards.render import Rendered
from opsctl.dashboards.workflow import desired, format_plan
from tests.unit.dashboards.fixtures import shop_snapshot


def rendered():
    return desired(shop_snapshot(), DashboardsConfig(), "us-east-1")


def current_from(rs, **overrides):
    out = {r.name: CurrentDashboard(r.name, body=copy.deepcopy(r.body), fetched=True) for r in rs if r.body}
    out.update(overrides)
    return out


def actions(plan):
    return {c.name: c.action for c in plan.changes}


def test_empty_account_plans_creates_for_every_dashboard():
    plan = make_plan(rendered(), {}, "opsctl-", "us-east-1")
    assert set(actions(plan).values()) == {"create"} and len(plan.changes) == 6
    assert plan.has_changes
    assert "Plan: 6 to create, 0 to update, 0 to delete (by prune), 0 unchanged." in format_plan(plan)


def test_identical_account_is_unchanged_and_not_a_change():
    rs = rendered()
    plan = make_plan(rs, current_from(rs), "opsctl-", "us-east-1")
    assert set(actions(plan).values()) == {"unchanged"} and not plan.has_changes
    assert "No changes" in format_plan(plan)


def test_update_lists_widgets_added_removed_changed_and_moved_by_title():
    rs = rendered()
    old = copy.deepcopy(next(r.body for r in rs if r.name == "opsctl-data"))
    widgets = old["widgets"]
    cpu = next(w for w in widgets if w["properties"].get("title") == "shop-orders-db: CPU (%)")
    cpu["properties"]["stat"] = "Maximum"                         # changed
    widgets.remove(next(w for w in widgets if w["properties"].get("title") == "catalogue: throttles"))  # → added
    widgets.append({"type": "text", "x": 0, "y": 99, "width": 6, "height": 2,
                    "properties": {"markdown": "## Old note"}})   # → removed
    conn = next(w for w in widgets if w["properties"].get("title") == "shop-orders-db: connections")
    conn["y"] += 1                                                 # → moved
    plan = make_plan(rs, current_from(rs, **{"opsctl-data": CurrentDashboard("opsctl-data", body=old, fetched=True)}),
                     "opsctl-", "us-east-1")
    change = next(c for c in plan.changes if c.name == "opsctl-data")
    assert change.action == "update"
    assert change.widgets.added == ("catalogue: throttles",)
    assert change.widgets.removed == ("Old note",)
    assert change.widgets.changed == ("shop-orders-db: CPU (%)",)
    assert change.widgets.moved == ("shop-orders-db: connections",)
    text = format_plan(plan)
    assert "~ opsctl-data" in text and "1 added, 1 removed, 1 changed, 1 moved" in text
    assert "      + catalogue: throttles" in text and "      - Old note" in text and "      ~ shop-orders-db: CPU (%)" in text


def test_dashboards_opsctl_does_not_own_are_never_planned_for_writes():
    rs = rendered()
    handmade = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 2, "properties": {"markdown": "mine"}}]}
    current = {
        # same name as a template, prefix but no marker: conflict, never update
        "opsctl-data": CurrentDashboard("opsctl-data", body=handmade, fetched=True),
        # prefix, no marker, no template: left alone, never deleted
        "opsctl-handmade": CurrentDashboard("opsctl-handmade", body=handmade, fetched=True),
        # no prefix (body not even read): left alone
        "team-ops": CurrentDashboard("team-ops"),
        # prefix, but the body is not JSON: not owned
        "opsctl-broken": CurrentDashboard("opsctl-broken", body=None, fetched=True),
    }
    plan = make_plan(rs, current, "opsctl-", "us-east-1")
    acts = actions(plan)
    assert acts["opsctl-data"] == "conflict"
    assert "opsctl-handmade" not in acts and "team-ops" not in acts and "opsctl-broken" not in acts
    assert plan.not_owned == ("opsctl-broken", "opsctl-handmade", "team-ops")


def test_owned_dashboards_no_template_renders_are_deletes():
    rs = rendered()
    stale_body = copy.deepcopy(rs[0].body)
    plan = make_plan(rs, current_from(rs, **{"opsctl-retired": CurrentDashboard("opsctl-retired", body=stale_body, fetched=True)}),
                     "opsctl-", "us-east-1")
    assert actions(plan)["opsctl-retired"] == "delete" and plan.has_changes
    # the marker without the prefix is not enough
    plan = make_plan(rs, current_from(rs, **{"retired": CurrentDashboard("retired", body=stale_body, fetched=True)}),
                     "opsctl-", "us-east-1")
    assert "retired" not in actions(plan) and plan.not_owned == ("retired",)


def test_incomplete_input_skips_create_update_and_delete():
    rs = rendered()
    data = next(r for r in rs if r.name == "opsctl-data")
    skipped = Rendered(data.name, data.template, None, [Gap("rds.db_instance", "rds:DescribeDBInstances failed")])
    others = [r for r in rs if r.name != "opsctl-data"]
    plan = make_plan([*others, skipped], current_from(rs), "opsctl-", "us-east-1")
    change = next(c for c in plan.changes if c.name == "opsctl-data")
    assert change.action == "skip" and "DescribeDBInstances" in change.reason
    assert not plan.has_changes


def test_plan_to_dict_is_json_ready():
    import json

    data = make_plan(rendered(), {}, "opsctl-", "us-east-1").to_dict()
    assert json.loads(json.dumps(data))["counts"]["create"] == 6
