"""CloudTrail collector against moto: a multi-region trail is recorded once, in its home region."""

from __future__ import annotations

import boto3
import botocore.exceptions

TRAIL = "cloudtrail.trail"


def make_trails():
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="shop-trail-logs")
    us = boto3.client("cloudtrail", region_name="us-east-1")
    main = us.create_trail(
        Name="shop-trail",
        S3BucketName="shop-trail-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/abc",
        TagsList=[{"Key": "tier", "Value": "logs"}],
    )["TrailARN"]
    us.start_logging(Name="shop-trail")
    eu = boto3.client("cloudtrail", region_name="eu-west-1")
    local = eu.create_trail(
        Name="eu-local", S3BucketName="shop-trail-logs", IncludeGlobalServiceEvents=False
    )["TrailARN"]
    return main, local


def test_trails_once_in_home_region_with_status(collect_services):
    main, local = make_trails()

    snap = collect_services(["cloudtrail"], regions=["us-east-1", "eu-west-1"])

    assert snap.collected[TRAIL] == ["eu-west-1", "us-east-1"] and not snap.coverage
    trails = {t["arn"]: t for t in snap.of_type(TRAIL)}
    assert sorted(trails) == sorted(
        [main, local]
    )  # the multi-region trail's eu-west-1 shadow is not recorded
    t = trails[main]
    assert (t["name"], t["region"], t["home_region"]) == ("shop-trail", "us-east-1", "us-east-1")
    assert t["is_multi_region"] is True and t["log_file_validation"] is True and t["is_logging"] is True
    assert t["s3_bucket"] == "shop-trail-logs" and t["kms_key_id"].endswith(":key/abc")
    assert (
        t["include_global_events"] is True
        and t["is_organization_trail"] is False
        and t["tags"] == {"tier": "logs"}
    )
    e = trails[local]
    assert e["region"] == "eu-west-1" and e["is_multi_region"] is False and e["is_logging"] is False
    assert (
        e["include_global_events"] is False and e["log_file_validation"] is False and e["kms_key_id"] is None
    )


def test_status_is_read_once_per_trail(collect_services, moto_aws):
    make_trails()
    calls = []
    moto_aws.session.events.register(
        "before-parameter-build.cloudtrail.GetTrailStatus", lambda params, **_: calls.append(params["Name"])
    )

    collect_services(["cloudtrail"], regions=["us-east-1", "eu-west-1"])

    assert sorted(calls) == sorted(set(calls)) and len(calls) == 2


def test_denied_status_marks_is_logging_missing(collect_services, moto_aws):
    make_trails()

    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetTrailStatus"
        )

    moto_aws.session.events.register("before-call.cloudtrail.GetTrailStatus", refuse)

    snap = collect_services(["cloudtrail"])

    (t,) = snap.of_type(TRAIL)
    assert "is_logging" not in t and "AccessDeniedException" in t["errors"]["is_logging"]
    assert t["log_file_validation"] is True and snap.collected[TRAIL] == ["us-east-1"]
