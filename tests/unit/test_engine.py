"""The engine's promises: ERROR (never PASS) for what was not seen; a broken check does not stop the audit."""

from __future__ import annotations

from opsctl.engine import Result, evaluate, run_check
from opsctl.errors import MissingData
from opsctl.findings import Severity, Status
from opsctl.registry import FAIL, PASS, CheckSpec, Outcome
from opsctl.snapshot import CoverageGap
from tests.helpers import snapshot


def spec(fn, resource_type="sns.topic", **kw) -> CheckSpec:
    return CheckSpec(id=kw.get("id", "sns.topic_test"), title="Topic is fine", pillar="operations", severity=Severity.MEDIUM,
                     resource_type=resource_type, fn=fn, params=kw.get("params", {}), description="d", runbook="runbooks/x.md")


TOPIC = {"arn": "arn:aws:sns:us-east-1:123456789012:alerts", "region": "us-east-1", "name": "alerts", "subs": 1}


def test_pass_and_fail_become_findings_with_resource_arn_and_region():
    def fn(r, ctx):
        return PASS(f"Topic {r['name']} has subscribers") if ctx.need(r, "subs") else FAIL("no subs")

    findings = run_check(spec(fn), snapshot({"sns.topic": [TOPIC, {**TOPIC, "arn": TOPIC["arn"] + "2", "subs": 0}]}))
    assert [f.status for f in findings] == [Status.PASS, Status.FAIL]
    assert findings[0].resource_id == TOPIC["arn"] and findings[0].region == "us-east-1"
    assert findings[0].message == "Topic alerts has subscribers."  # period added


def test_missing_field_is_error_naming_the_failed_call():
    broken = {**TOPIC, "errors": {"subs": "sns:GetTopicAttributes in us-east-1 failed with AccessDenied: no"}}
    del broken["subs"]
    findings = run_check(spec(lambda r, ctx: PASS("ok") if ctx.need(r, "subs") else None), snapshot({"sns.topic": [broken]}))
    assert [f.status for f in findings] == [Status.ERROR]
    assert "GetTopicAttributes" in findings[0].message and "AccessDenied" in findings[0].message


def test_listing_gap_gives_error_for_that_region_and_no_pass():
    gap = CoverageGap("sns", "eu-west-1", "ListTopics", "AccessDenied", "denied", "sns.topic", "")
    snap = snapshot({"sns.topic": [TOPIC]}, coverage=[gap], regions=("us-east-1", "eu-west-1"))
    findings = run_check(spec(lambda r, ctx: PASS("ok")), snap)
    by_region = {f.region: f for f in findings}
    assert by_region["eu-west-1"].status is Status.ERROR
    assert "ListTopics" in by_region["eu-west-1"].message
    assert by_region["eu-west-1"].resource_id == "arn:aws:sns:eu-west-1:123456789012:account"
    assert by_region["us-east-1"].status is Status.PASS


def test_type_never_collected_is_one_error():
    snap = snapshot({}, collected={})
    findings = run_check(spec(lambda r, ctx: PASS("ok")), snap)
    assert [f.status for f in findings] == [Status.ERROR]
    assert "not collected" in findings[0].message


def test_raising_check_becomes_error_and_others_still_run():
    def boom(r, ctx):
        raise KeyError("surprise")

    ok = spec(lambda r, ctx: PASS("fine"), id="sns.topic_ok")
    result = evaluate(snapshot({"sns.topic": [TOPIC]}), [spec(boom), ok])
    statuses = {f.check_id: f.status for f in result.findings}
    assert statuses == {"sns.topic_test": Status.ERROR, "sns.topic_ok": Status.PASS}
    assert "KeyError" in next(f.message for f in result.findings if f.check_id == "sns.topic_test")


def test_not_applicable_yields_nothing_and_generators_yield_many():
    assert run_check(spec(lambda r, ctx: None), snapshot({"sns.topic": [TOPIC]})) == []

    def many(r, ctx):
        yield PASS("a")
        yield Outcome(Status.FAIL, "b", resource_id="arn:aws:sns:us-east-1:123456789012:other", severity=Severity.LOW)

    findings = run_check(spec(many), snapshot({"sns.topic": [TOPIC]}))
    assert [(f.status, f.severity) for f in findings] == [(Status.PASS, Severity.MEDIUM), (Status.FAIL, Severity.LOW)]


def test_cross_type_require_raises_missing_data_when_listing_failed():
    gap = CoverageGap("sqs", "us-east-1", "ListQueues", "AccessDenied", "denied", "lambda.function", "")
    snap = snapshot({"sns.topic": [TOPIC]}, coverage=[gap])

    def fn(r, ctx):
        ctx.snapshot.require("lambda.function", r["region"])
        return PASS("ok")

    findings = [f for f in run_check(spec(fn), snap) if f.resource_id == TOPIC["arn"]]
    assert findings[0].status is Status.ERROR and "ListQueues" in findings[0].message


def test_params_override_defaults():
    seen = {}

    def fn(r, ctx):
        seen.update(ctx.params)
        return PASS("ok")

    run_check(spec(fn, params={"limit": 2, "ratio": 0.5}), snapshot({"sns.topic": [TOPIC]}), {"limit": 5})
    assert seen == {"limit": 5, "ratio": 0.5}


def test_findings_sorted_worst_first_and_result_roundtrips():
    def fn(r, ctx):
        return FAIL("bad") if r["subs"] == 0 else PASS("good")

    topics = [TOPIC, {**TOPIC, "arn": TOPIC["arn"] + "-b", "subs": 0}]
    result = evaluate(snapshot({"sns.topic": topics}), [spec(fn)])
    assert [f.status for f in result.findings] == [Status.FAIL, Status.PASS]
    again = Result.from_dict(result.to_dict())
    assert again.findings == result.findings
    assert result.summary()["by_status"]["FAIL"] == 1 and result.summary()["by_pillar"]["operations"]["PASS"] == 1


def test_missing_data_reason_kept_verbatim():
    def fn(r, ctx):
        raise MissingData("sns:ListSubscriptions in us-east-1 failed with Throttling: slow down")

    (finding,) = run_check(spec(fn), snapshot({"sns.topic": [TOPIC]}))
    assert finding.status is Status.ERROR and "Throttling" in finding.message


def _cost_finding(check_id, resource_id, usd, region="us-east-1", pillar="cost", **evidence):
    from opsctl.findings import Finding

    return Finding(check_id=check_id, title="t", status=Status.FAIL, severity=Severity.MEDIUM, pillar=pillar,
                   resource_id=resource_id, resource_type="x", region=region, message="m", evidence=evidence,
                   runbook="r", monthly_savings_usd=usd)


def test_savings_total_per_pillar_and_check_count_each_resource_once():
    instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"
    alb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-admin/50dc6c495c0c9188"
    findings = [
        _cost_finding("ec2.instance_idle", instance, 33.87),
        _cost_finding("ec2.instance_previous_generation", instance, 7.0),   # an alternative for the same instance
        _cost_finding("trustedadvisor.check", "arn:aws:trustedadvisor::123456789012:row/1", 33.87, aws_resource_id="i-0abc"),
        _cost_finding("trustedadvisor.check", "arn:aws:trustedadvisor::123456789012:row/2", 18.25, aws_resource_id="shop-admin"),
        _cost_finding("elb.alb_idle", alb, 16.43),                          # TA's larger figure wins
        _cost_finding("ec2.instance_idle", "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc", 5.0, region="eu-west-1"),
        _cost_finding("ec2.volume_gp2", "arn:aws:ec2:us-east-1:123456789012:volume/vol-1", None,
                      savings_note="no price for ebs_gb_month gp2 in us-east-1"),
        _cost_finding("s3.bucket_lifecycle", "arn:aws:s3:::logs", None),   # nothing to price: not 'unpriced'
    ]
    savings = Result(findings, [], "123456789012", ["us-east-1", "eu-west-1"], []).summary()["savings"]
    assert savings["by_check"] == {"ec2.instance_idle": 38.87, "trustedadvisor.check": 18.25}
    assert savings["total_monthly_usd"] == 57.12 and savings["by_pillar"] == {"cost": 57.12}
    assert savings["overlap_monthly_usd"] == round(7.0 + 33.87 + 16.43, 2)
    assert savings["unpriced_findings"] == 1


def test_savings_subject_reads_arns_and_evidence():
    from opsctl.engine import savings_subject

    assert savings_subject(_cost_finding("rds.instance_idle", "arn:aws:rds:us-east-1:1:db:reporting", 1)) == ("us-east-1", "reporting")
    assert savings_subject(_cost_finding("dynamodb.table_overprovisioned", "arn:aws:dynamodb:us-east-1:1:table/orders", 1)) == ("us-east-1", "orders")
    assert savings_subject(_cost_finding("x.y", "vol-1", 1, aws_resource_id="vol-9")) == ("us-east-1", "vol-9")


def test_per_finding_check_is_kept_by_pillar_filter_and_its_findings_filtered():
    from opsctl.registry import select_checks

    def ta(r, ctx):
        yield Outcome(Status.FAIL, "idle instance", pillar="cost", severity=Severity.MEDIUM)
        yield Outcome(Status.FAIL, "open port", pillar="security", severity=Severity.HIGH)

    per_finding = CheckSpec(id="trustedadvisor.check", title="TA", pillar="operations", severity=Severity.MEDIUM,
                            resource_type="sns.topic", fn=ta, params={}, description="d", runbook="r", per_finding=True)
    plain = spec(lambda r, ctx: FAIL("x"))  # operations, medium
    registry = {s.id: s for s in (per_finding, plain)}
    assert [s.id for s in select_checks(registry, pillars=["cost"])] == ["trustedadvisor.check"]
    snap = snapshot({"sns.topic": [TOPIC]})
    assert [f.message for f in evaluate(snap, [per_finding], pillars=["cost"]).findings] == ["idle instance."]
    assert [f.message for f in evaluate(snap, [per_finding], min_severity="high").findings] == ["open port."]
    assert len(evaluate(snap, [per_finding]).findings) == 2
