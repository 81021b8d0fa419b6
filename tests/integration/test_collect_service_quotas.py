"""Service Quotas collector. moto knows only ServiceCode vpc, so the four quotas are gaps there;
the applied / default / unreadable paths run on botocore's Stubber."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from opsctl.collect.runner import collect
from opsctl.sandbox_seed import moto_patches

QUOTA = "servicequotas.quota"
ACCOUNT = "123456789012"
REGION = "eu-west-1"


def quota(service, code, name, value, unit="None", adjustable=True, arn=True):
    body = {
        "ServiceCode": service,
        "QuotaCode": code,
        "QuotaName": name,
        "Value": value,
        "Unit": unit,
        "Adjustable": adjustable,
        "GlobalQuota": False,
    }
    if arn:
        body["QuotaArn"] = f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:{service}/{code}"
    return {"Quota": body}


def params(service, code):
    return {"ServiceCode": service, "QuotaCode": code}


def test_applied_default_and_unreadable_quotas(moto_aws):
    stub = Stubber(moto_aws.client("service-quotas", REGION))
    # one quota at a time (workers=1), in the collector's order: ec2, lambda, elasticloadbalancing, autoscaling
    stub.add_response(
        "get_service_quota",
        quota("ec2", "L-1216C47A", "Running On-Demand Standard instances", 640.0),
        params("ec2", "L-1216C47A"),
    )
    stub.add_client_error(
        "get_service_quota",
        "NoSuchResourceException",
        "no applied value",
        400,
        expected_params=params("lambda", "L-B99A9384"),
    )
    stub.add_response(
        "get_aws_default_service_quota",
        quota("lambda", "L-B99A9384", "Concurrent executions", 1000.0, arn=False),
        params("lambda", "L-B99A9384"),
    )
    stub.add_client_error(
        "get_service_quota",
        "AccessDeniedException",
        "denied",
        400,
        expected_params=params("elasticloadbalancing", "L-53DA6B97"),
    )
    stub.add_client_error(
        "get_service_quota",
        "NoSuchResourceException",
        "no applied value",
        400,
        expected_params=params("autoscaling", "L-CDE20ADC"),
    )
    stub.add_client_error(
        "get_aws_default_service_quota",
        "TooManyRequestsException",
        "slow down",
        400,
        expected_params=params("autoscaling", "L-CDE20ADC"),
    )

    with stub:
        snap = collect(moto_aws, [REGION], account=ACCOUNT, services=["service-quotas"], workers=1)
        stub.assert_no_pending_responses()

    quotas = {q["quota_code"]: q for q in snap.of_type(QUOTA)}
    assert sorted(quotas) == ["L-1216C47A", "L-B99A9384"]
    ec2 = quotas["L-1216C47A"]
    assert ec2 == {
        "arn": f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:ec2/L-1216C47A",
        "id": "ec2/L-1216C47A",
        "region": REGION,
        "name": "Running On-Demand Standard instances",
        "service_code": "ec2",
        "quota_code": "L-1216C47A",
        "quota_name": "Running On-Demand Standard instances",
        "value": 640.0,
        "source": "applied",
        "unit": "None",
        "adjustable": True,
    }
    lam = quotas["L-B99A9384"]
    assert lam["source"] == "default" and lam["value"] == 1000.0
    assert (
        lam["arn"] == f"arn:aws:servicequotas:{REGION}:{ACCOUNT}:lambda/L-B99A9384"
    )  # built when the API gives none
    gaps = {(g.resource_id.rsplit(":", 1)[-1], g.operation, g.error_code) for g in snap.coverage}
    assert gaps == {
        ("elasticloadbalancing/L-53DA6B97", "GetServiceQuota", "AccessDeniedException"),
        ("autoscaling/L-CDE20ADC", "GetAWSDefaultServiceQuota", "TooManyRequestsException"),
    }
    assert all(g.resource_type == QUOTA and g.region == REGION for g in snap.coverage)
    assert snap.collected[QUOTA] == [REGION]  # per-quota gaps, not a listing gap


def test_moto_quotas_are_gaps_not_records(collect_services):
    """moto itself knows only ServiceCode vpc: both calls fail for the four quotas (a NoSuchResource,
    then an unimplemented action), so there is no record, only coverage under each quota's ARN."""
    assert not moto_patches.is_applied()  # no sandbox left its patch behind
    snap = collect_services(["service-quotas"], regions=["us-east-1"])

    assert snap.of_type(QUOTA) == []
    assert sorted(g.resource_id for g in snap.coverage) == sorted(
        f"arn:aws:servicequotas:us-east-1:{ACCOUNT}:{code}"
        for code in ("ec2/L-1216C47A", "lambda/L-B99A9384", "elasticloadbalancing/L-53DA6B97", "autoscaling/L-CDE20ADC")
    )
    assert {g.operation for g in snap.coverage} == {"GetAWSDefaultServiceQuota"}


def test_sandbox_patched_moto_serves_applied_and_default_quotas(collect_services):
    """The sandbox's patch (nestable): tight applied quotas in us-east-1, AWS defaults elsewhere."""
    with moto_patches.patched(), moto_patches.patched():
        snap = collect_services(["service-quotas"], regions=["us-east-1", "eu-west-1"])
        vpc = boto3.client("service-quotas", region_name="eu-west-1").get_aws_default_service_quota(
            ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]  # moto's own VPC defaults still answer

    assert not snap.coverage and snap.collected[QUOTA] == ["eu-west-1", "us-east-1"]
    got = {(q["region"], q["quota_code"]): (q["value"], q["source"]) for q in snap.of_type(QUOTA)}
    assert got == {
        ("us-east-1", "L-1216C47A"): (16.0, "applied"), ("us-east-1", "L-B99A9384"): (160.0, "applied"),
        ("us-east-1", "L-53DA6B97"): (2.0, "applied"), ("us-east-1", "L-CDE20ADC"): (2.0, "applied"),
        ("eu-west-1", "L-1216C47A"): (32.0, "default"), ("eu-west-1", "L-B99A9384"): (1000.0, "default"),
        ("eu-west-1", "L-53DA6B97"): (50.0, "default"), ("eu-west-1", "L-CDE20ADC"): (500.0, "default"),
    }
    ec2 = next(q for q in snap.of_type(QUOTA) if q["quota_code"] == "L-1216C47A" and q["region"] == "us-east-1")
    assert ec2["arn"] == f"arn:aws:servicequotas:us-east-1:{ACCOUNT}:ec2/L-1216C47A" and ec2["adjustable"] is True
    assert ec2["name"].startswith("Running On-Demand Standard")
    assert vpc["QuotaCode"] == "L-F678F1CE"
