"""The data tier seeder on the sandbox server, audited end to end by its collectors and checks."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

from opsctl import sandbox
from opsctl.aws import Aws
from opsctl.collect.runner import collect
from opsctl.engine import evaluate
from opsctl.registry import load_builtin_checks
from opsctl.sandbox_seed.data import EXAMPLE_ACCESS_KEY_ID, SANDBOX_DB_PASSWORD

pytestmark = pytest.mark.slow

SERVICES = ["lambda", "rds", "dynamodb", "application-autoscaling"]
#: The checks of this tier; rds.instance_idle and dynamodb.table_overprovisioned need CloudWatch
#: metrics and are seeded and tested with the ops tier.
NOT_MINE = {"rds.instance_idle", "dynamodb.table_overprovisioned"}


@pytest.fixture(scope="module")
def seeded():
    with sandbox.running_server() as url:
        started = time.perf_counter()
        env = sandbox.seed(url, only=("data",))
        seconds = time.perf_counter() - started
        with pytest.MonkeyPatch.context() as patch:
            for name, value in sandbox.environment(url).items():
                patch.setenv(name, value)
            snap = collect(Aws(), [env.region], account=env.account, services=SERVICES, workers=8)
    checks = [c for c in load_builtin_checks().values() if c.service in {"lambda", "rds", "dynamodb"} and c.id not in NOT_MINE]
    return env, snap, evaluate(snap, checks), seconds


def test_every_check_of_the_tier_has_a_fail_and_a_pass(seeded):
    _, _, result, _ = seeded
    by_check: dict[str, set[str]] = defaultdict(set)
    for finding in result.findings:
        by_check[finding.check_id].add(finding.status.value)
    assert len(result.checks_run) == 18
    for check_id in result.checks_run:
        assert {"FAIL", "PASS"} <= by_check[check_id], f"{check_id}: {sorted(by_check[check_id])}"
        assert "ERROR" not in by_check[check_id], check_id


def test_the_collectors_leave_no_coverage_gap(seeded):
    _, snap, _, _ = seeded
    assert snap.coverage == []
    for rtype in ("lambda.function", "rds.db_instance", "rds.db_cluster", "rds.db_snapshot", "dynamodb.table",
                  "applicationautoscaling.scalable_target"):
        assert snap.collected[rtype] == ["us-east-1"], rtype


def test_the_defects_land_where_intended(seeded):
    _, _, result, _ = seeded
    failed = {(f.check_id, f.resource_id.rsplit(":", 1)[-1].rsplit("/", 1)[-1]) for f in result.findings
              if f.status.value == "FAIL"}
    assert {("lambda.function_supported_runtime", "legacy-report-export"), ("lambda.function_supported_runtime", "legacy-webhook"),
            ("lambda.function_url_auth", "legacy-report-export"), ("lambda.function_not_public", "legacy-report-export"),
            ("lambda.function_no_secrets_in_env", "legacy-report-export"), ("rds.instance_not_public", "reporting"),
            ("rds.snapshot_not_public", "reporting-export-public"), ("dynamodb.table_capacity_mode", "sessions-legacy"),
            } <= failed
    good = {"shop-order-events", "shop-thumbnailer", "orders", "users-1", "catalogue", "inventory", "carts"}
    assert not {name for _, name in failed} & good


def test_outputs_and_speed(seeded):
    env, snap, _, seconds = seeded
    arns = env.outputs["lambda_arns:us-east-1"]
    assert len(arns) == 5 and all(a.startswith("arn:aws:lambda:us-east-1:") for a in arns)
    assert env.outputs["db_instance_ids:us-east-1"] == ["orders", "users-1", "users-2", "reporting"]
    assert env.outputs["table_names:us-east-1"] == ["catalogue", "inventory", "carts", "sessions-legacy"]
    assert {f["tags"].get("tier") for f in snap.of_type("lambda.function")} == {"functions"}
    assert {d["tags"].get("tier") for d in snap.of_type("rds.db_instance")} == {"relational_db"}
    assert {t["tags"].get("tier") for t in snap.of_type("dynamodb.table")} == {"nosql_db"}
    assert seconds < 4  # network + data; the data tier alone targets < 2 s


def test_no_seeded_secret_reaches_the_snapshot(seeded):
    _, snap, _, _ = seeded
    text = snap.to_json()
    assert SANDBOX_DB_PASSWORD not in text and EXAMPLE_ACCESS_KEY_ID not in text
