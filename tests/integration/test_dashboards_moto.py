"""plan / apply / prune against CloudWatch on moto (in-process), counting the write calls.

moto accepts any dashboard body; CloudWatch's rules are checked by opsctl.dashboards.validate,
which these tests prove runs before any write.
"""

from __future__ import annotations

import json

import pytest

from opsctl.dashboards import aws_io, workflow
from opsctl.dashboards.config import DashboardsConfig
from opsctl.dashboards.validate import InvalidDashboards
from opsctl.errors import UsageError
from tests.unit.dashboards.fixtures import shop_resources, shop_snapshot

REGION = "us-east-1"
HANDMADE = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 12, "height": 3,
                                    "properties": {"markdown": "# made by hand"}}]})


@pytest.fixture
def cw(moto_aws):
    return moto_aws.client("cloudwatch", REGION)


@pytest.fixture
def writes(cw):
    """Names passed to PutDashboard / DeleteDashboards, recorded by a botocore event hook."""
    calls: dict[str, list] = {"put": [], "delete": []}
    cw.meta.events.register("before-parameter-build.cloudwatch.PutDashboard", lambda params, **_: calls["put"].append(params["DashboardName"]))
    cw.meta.events.register("before-parameter-build.cloudwatch.DeleteDashboards", lambda params, **_: calls["delete"].extend(params["DashboardNames"]))
    return calls


def plan_for(aws, snap=None, settings=None):
    settings = settings or DashboardsConfig()
    return workflow.read_plan(aws, workflow.desired(snap or shop_snapshot(), settings, REGION), settings, REGION)


def names(cw):
    return sorted(d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"])


def test_plan_apply_then_nothing_left_to_do(moto_aws, cw, writes):
    first = plan_for(moto_aws)
    assert [c.action for c in first.changes] == ["create"] * 6
    outcome = workflow.apply(moto_aws, first)
    assert outcome.done == [f"created opsctl-{n}" for n in ("compute", "data", "dns", "edge", "load-balancing", "overview")]
    assert len(writes["put"]) == 6
    stored = json.loads(cw.get_dashboard(DashboardName="opsctl-data")["DashboardBody"])
    assert stored == next(c.body for c in first.changes if c.name == "opsctl-data")

    second = plan_for(moto_aws)
    assert {c.action for c in second.changes} == {"unchanged"} and not second.has_changes
    workflow.apply(moto_aws, second)
    assert len(writes["put"]) == 6, "a second apply must make no write call"


def test_changed_resources_update_only_the_affected_dashboards(moto_aws, writes):
    workflow.apply(moto_aws, plan_for(moto_aws))
    resources = shop_resources()
    resources["dynamodb.table"].append({"name": "carts", "arn": "arn:aws:dynamodb:us-east-1:123456789012:table/carts",
                                        "region": "us-east-1", "billing_mode": "PROVISIONED", "tags": {}})
    from tests.helpers import snapshot

    plan = plan_for(moto_aws, snapshot(resources, regions=("us-east-1", "eu-west-1")))
    updates = {c.name: c for c in plan.of("update")}
    assert set(updates) == {"opsctl-data", "opsctl-overview"}
    assert updates["opsctl-data"].widgets.added == ("carts: consumed capacity", "carts: throttles", "carts: latency (ms)")
    before = len(writes["put"])
    workflow.apply(moto_aws, plan)
    assert writes["put"][before:] == ["opsctl-data", "opsctl-overview"]


def test_hand_made_dashboards_are_left_alone(moto_aws, cw, writes):
    cw.put_dashboard(DashboardName="team-ops", DashboardBody=HANDMADE)           # no prefix
    cw.put_dashboard(DashboardName="opsctl-notes", DashboardBody=HANDMADE)       # prefix, no marker
    writes["put"].clear()
    plan = plan_for(moto_aws)
    assert plan.not_owned == ("opsctl-notes", "team-ops")
    workflow.apply(moto_aws, plan)
    workflow.prune(moto_aws, plan_for(moto_aws))
    assert "opsctl-notes" not in writes["put"] and "team-ops" not in writes["put"]
    assert writes["delete"] == []
    for name in ("team-ops", "opsctl-notes"):
        assert cw.get_dashboard(DashboardName=name)["DashboardBody"] == HANDMADE


def test_a_conflict_stops_apply_before_any_write(moto_aws, cw, writes):
    cw.put_dashboard(DashboardName="opsctl-data", DashboardBody=HANDMADE)
    writes["put"].clear()
    plan = plan_for(moto_aws)
    assert next(c for c in plan.changes if c.name == "opsctl-data").action == "conflict"
    with pytest.raises(UsageError, match="opsctl-data: a dashboard of this name exists and is not opsctl's"):
        workflow.apply(moto_aws, plan)
    assert writes["put"] == []
    assert cw.get_dashboard(DashboardName="opsctl-data")["DashboardBody"] == HANDMADE


def test_prune_deletes_only_owned_dashboards_no_template_renders(moto_aws, cw, writes, tmp_path):
    (tmp_path / "checkout.json.j2").write_text(
        '{"widgets": [{"type": "text", "width": 24, "height": 2, "properties": {"markdown": "checkout"}}]}')
    with_extra = DashboardsConfig(templates_dir=str(tmp_path))
    workflow.apply(moto_aws, plan_for(moto_aws, settings=with_extra))
    cw.put_dashboard(DashboardName="team-ops", DashboardBody=HANDMADE)
    cw.put_dashboard(DashboardName="opsctl-notes", DashboardBody=HANDMADE)
    assert "opsctl-checkout" in names(cw)

    plan = plan_for(moto_aws)  # without the user template
    assert [c.name for c in plan.of("delete")] == ["opsctl-checkout"]
    outcome = workflow.apply(moto_aws, plan)  # apply never deletes
    assert outcome.done == [] and "opsctl-checkout" in names(cw)
    outcome = workflow.prune(moto_aws, plan)
    assert outcome.done == ["deleted opsctl-checkout"] and writes["delete"] == ["opsctl-checkout"]
    assert "opsctl-checkout" not in names(cw) and {"team-ops", "opsctl-notes", "opsctl-data"} <= set(names(cw))
    assert not plan_for(moto_aws).has_changes


def test_an_invalid_template_is_refused_before_any_write(moto_aws, writes, tmp_path):
    (tmp_path / "wide.json.j2").write_text(
        '{"widgets": [{"type": "metric", "x": 20, "y": 0, "width": 8, "height": 6,'
        ' "properties": {"title": "Too wide", "metrics": [["AWS/EC2", "CPUUtilization"]]}}]}')
    with pytest.raises(InvalidDashboards) as info:
        plan_for(moto_aws, settings=DashboardsConfig(templates_dir=str(tmp_path)))
    message = str(info.value)
    assert "dashboard opsctl-wide, widget 2 ('Too wide'): x=20 + width=8 passes the grid's right edge" in message
    assert "dashboard opsctl-wide, widget 2 ('Too wide'): metric widget has no region" in message
    assert writes["put"] == [] and writes["delete"] == []


def test_list_reads_bodies_of_prefixed_dashboards_only(moto_aws, cw):
    cw.put_dashboard(DashboardName="team-ops", DashboardBody=HANDMADE)
    cw.put_dashboard(DashboardName="opsctl-notes", DashboardBody=HANDMADE)
    fetched = []
    cw.meta.events.register("before-parameter-build.cloudwatch.GetDashboard", lambda params, **_: fetched.append(params["DashboardName"]))
    current = aws_io.read_current(moto_aws, REGION, "opsctl-")
    assert sorted(current) == ["opsctl-notes", "team-ops"] and fetched == ["opsctl-notes"]
    assert current["team-ops"].body is None and current["opsctl-notes"].body["widgets"][0]["width"] == 12


def test_demo_prints_plan_apply_plan(moto_aws, writes):
    lines: list[str] = []
    last = workflow.demo(shop_snapshot(), moto_aws, echo=lines.append)
    text = "\n".join(lines)
    assert "$ opsctl dashboards apply --yes" in text and "created opsctl-overview" in text
    assert text.rstrip().endswith("No changes: the dashboards match the templates.")
    assert not last.has_changes and len(writes["put"]) == 6
