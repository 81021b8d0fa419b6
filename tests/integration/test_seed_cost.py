"""The cost tier on the full sandbox: every cost check of issue 3 FAILs somewhere with a priced
saving, the well-used resources PASS, and no metric-based check is left without data."""

from __future__ import annotations

import os
import time
from collections import defaultdict

import pytest

from opsctl import sandbox
from opsctl.audit import effective_params
from opsctl.aws import Aws
from opsctl.collect.runner import collect
from opsctl.config import Config
from opsctl.engine import evaluate
from opsctl.pricing import load_price_table
from opsctl.registry import load_builtin_checks

pytestmark = pytest.mark.slow

#: The collectors the cost checks read (cloudwatch brings the phase-2 metric collector).
SERVICES = ["ec2", "elbv2", "rds", "dynamodb", "cloudwatch"]
COST_CHECKS = ("elb.alb_idle", "ec2.volume_unattached", "ec2.volume_gp2", "ec2.eip_unassociated", "ec2.snapshot_old",
               "ec2.instance_previous_generation", "ec2.instance_idle", "rds.instance_idle", "dynamodb.table_overprovisioned")


@pytest.fixture(scope="module")
def audited():
    registry = load_builtin_checks()
    with sandbox.running_server() as url:
        started = time.perf_counter()
        env = sandbox.seed(url)
        seconds = time.perf_counter() - started
        with pytest.MonkeyPatch.context() as patch:
            for name, value in sandbox.environment(url).items():
                patch.setenv(name, value)
            assert os.environ["AWS_ENDPOINT_URL"] == url
            snap = collect(Aws(), [env.region, env.second_region], account=env.account, services=SERVICES, workers=8,
                           check_params=effective_params(registry, Config()))
    result = evaluate(snap, [registry[c] for c in COST_CHECKS], prices=load_price_table())
    return env, snap, result, seconds


def short(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def test_every_cost_check_fails_with_a_priced_saving_and_passes_elsewhere(audited):
    _, _, result, _ = audited
    statuses: dict[str, set[str]] = defaultdict(set)
    for f in result.findings:
        statuses[f.check_id].add(f.status.value)
        if f.status.value == "FAIL":
            # every price these FAILs need is in the built-in table for us-east-1
            assert f.monthly_savings_usd is not None and f.monthly_savings_usd > 0, (f.check_id, f.message, f.evidence)
            assert f.evidence["prices_used"] and f.evidence["prices_as_of"]
    for check_id in COST_CHECKS:
        assert {"FAIL", "PASS"} <= statuses[check_id], f"{check_id}: {sorted(statuses[check_id])}"
        assert "ERROR" not in statuses[check_id], [f.message for f in result.findings if f.check_id == check_id]


def test_the_waste_lands_where_intended(audited):
    env, snap, result, _ = audited
    names = {i["id"]: i.get("name") or i.get("asg_name") for i in snap.of_type("ec2.instance")}
    failed = {(f.check_id, names.get(short(f.resource_id), short(f.resource_id))) for f in result.findings
              if f.status.value == "FAIL"}
    lbs = {short(lb["arn"]): lb["name"] for lb in snap.of_type("elbv2.load_balancer")}
    failed |= {(c, lbs[r]) for c, r in failed if r in lbs}
    old = env.outputs["old_snapshot_id:us-east-1"]
    assert {("ec2.instance_idle", "legacy-reporting"), ("ec2.instance_previous_generation", "legacy-reporting"),
            ("elb.alb_idle", "shop-internal-alb"), ("rds.instance_idle", "reporting"),
            ("dynamodb.table_overprovisioned", "sessions-legacy"), ("ec2.snapshot_old", old)} <= failed
    busy = {"shop-alb", "orders", "users-1", "users-2", "carts", "shop-web-asg", "shop-bastion"}
    assert not {name for check, name in failed if check.endswith(("_idle", "_overprovisioned"))} & busy


def test_metric_series_are_complete_and_gap_free(audited):
    _, snap, _, _ = audited
    series = snap.of_type("cloudwatch.metric_series")
    assert series and all(s["values"] for s in series), [s["arn"] for s in series if not s.get("values")]
    assert {s["metric_key"] for s in series} == {"cpu_daily_avg", "requests_daily_sum", "connections_daily_max",
                                                  "consumed_read_daily_sum", "consumed_write_daily_sum"}
    assert not [g for g in snap.coverage if g.service == "cloudwatch"]
    assert snap.collected["cloudwatch.metric_series"] == ["eu-west-1", "us-east-1"]


def test_savings_total_in_the_summary(audited):
    _, _, result, _ = audited
    savings = result.summary()["savings"]
    assert savings["unpriced_findings"] == 0
    assert set(savings["by_check"]) == set(COST_CHECKS)
    assert savings["total_monthly_usd"] == pytest.approx(sum(savings["by_check"].values()), abs=0.05)
    assert savings["by_pillar"] == {"cost": savings["total_monthly_usd"]}


def test_seeding_stays_fast(audited):
    _, _, _, seconds = audited
    assert seconds < 10  # every tier; the cost tier itself takes ~0.15 s
