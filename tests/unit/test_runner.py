"""The collection runner: failed calls become coverage, not crashes; no call is made twice."""

from __future__ import annotations

import boto3
import pytest
from botocore.parsers import ResponseParserError
from botocore.stub import Stubber

from opsctl.collect import runner
from opsctl.collect.runner import CollectContext, collect, collector


class FakeAws:
    """Hands out real botocore clients wrapped in Stubbers, one per (service, region)."""

    def __init__(self):
        self.clients, self.stubs = {}, {}

    def client(self, service, region):
        if (service, region) not in self.clients:
            cli = boto3.client(service, region_name=region)
            self.clients[(service, region)] = cli
            self.stubs[(service, region)] = Stubber(cli)
            self.stubs[(service, region)].activate()
        return self.clients[(service, region)]

    def stub(self, service, region="us-east-1"):
        self.client(service, region)
        return self.stubs[(service, region)]


@pytest.fixture
def ctx():
    aws = FakeAws()
    c = CollectContext(aws, "123456789012", workers=4)
    yield aws, c
    c.close()


def test_same_call_is_made_once(ctx):
    aws, c = ctx
    aws.stub("sns").add_response("get_topic_attributes", {"Attributes": {"SubscriptionsConfirmed": "2"}}, {"TopicArn": "arn:t"})
    first = c.call("sns", "us-east-1", "get_topic_attributes", {"TopicArn": "arn:t"})
    second = c.call("sns", "us-east-1", "get_topic_attributes", {"TopicArn": "arn:t"})
    assert first is second and c.calls == 1
    aws.stub("sns").assert_no_pending_responses()


def test_failed_listing_is_recorded_as_gap(ctx):
    aws, c = ctx
    aws.stub("sns").add_client_error("list_topics", "AccessDenied", "not allowed")
    assert c.paginate("sns", "us-east-1", "list_topics", "Topics", resource_type="sns.topic") is None
    (gap,) = c.coverage
    assert (gap.service, gap.region, gap.operation, gap.error_code, gap.resource_type, gap.resource_id) == (
        "sns", "us-east-1", "ListTopics", "AccessDenied", "sns.topic", "")
    assert "AccessDenied" in gap.reason and "ListTopics" in gap.reason


def test_fill_sets_field_not_configured_value_or_error(ctx):
    aws, c = ctx
    s3 = aws.stub("s3")
    s3.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": "a"})
    s3.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", "none", expected_params={"Bucket": "a"})
    s3.add_client_error("get_bucket_encryption", "AccessDenied", "denied", expected_params={"Bucket": "a"})
    bucket = {"arn": "arn:aws:s3:::a", "type": "s3.bucket"}
    c.fill(bucket, "versioning", "s3", "us-east-1", "get_bucket_versioning", {"Bucket": "a"}, extract=lambda r: r.get("Status"))
    c.fill(bucket, "policy", "s3", "us-east-1", "get_bucket_policy", {"Bucket": "a"}, missing={"NoSuchBucketPolicy": None})
    c.fill(bucket, "encryption", "s3", "us-east-1", "get_bucket_encryption", {"Bucket": "a"})
    assert bucket["versioning"] == "Enabled" and bucket["policy"] is None and "encryption" not in bucket
    assert "GetBucketEncryption" in bucket["errors"]["encryption"] and "AccessDenied" in bucket["errors"]["encryption"]
    assert [g.resource_id for g in c.coverage] == ["arn:aws:s3:::a"]


def test_unexpected_shape_is_error_not_crash(ctx):
    aws, c = ctx
    aws.stub("s3").add_response("get_bucket_versioning", {}, {"Bucket": "a"})
    bucket = {"arn": "arn:aws:s3:::a"}
    c.fill(bucket, "versioning", "s3", "us-east-1", "get_bucket_versioning", {"Bucket": "a"}, extract=lambda r: r["Status"])
    assert "unexpected shape" in bucket["errors"]["versioning"]


def test_unimplemented_and_parser_errors_are_gaps(ctx, monkeypatch):
    aws, c = ctx
    cli = aws.client("sns", "us-east-1")
    monkeypatch.setattr(cli, "list_topics", lambda **_: (_ for _ in ()).throw(NotImplementedError("nope")), raising=False)
    assert c.call("sns", "us-east-1", "list_topics", resource_type="sns.topic") is None
    assert c.coverage[-1].error_code == "NotImplemented"
    err = ResponseParserError("bad html")
    monkeypatch.setattr(cli, "list_subscriptions", lambda **_: (_ for _ in ()).throw(err), raising=False)
    assert c.call("sns", "us-east-1", "list_subscriptions") is None
    assert c.coverage[-1].error_code == "UnparseableResponse"


def test_collect_marks_failed_regions_as_not_collected(monkeypatch):
    monkeypatch.setattr(runner, "COLLECTORS", [])
    monkeypatch.setattr(runner, "load_collectors", lambda: list(runner.COLLECTORS))

    @collector("sns", types=("sns.topic",))
    def fake(ctx, region):
        if region == "eu-west-1":
            ctx.record_listing_gap("sns", region, "ListTopics", "AccessDenied", "denied", "sns.topic")
            return {}
        return {"sns.topic": [{"arn": f"arn:aws:sns:{region}:123456789012:t", "region": region, "type": "sns.topic"}]}

    progress = []
    snap = collect(FakeAws(), ["us-east-1", "eu-west-1"], account="123456789012", workers=2,
                   progress=lambda label, done, total: progress.append((done, total)))
    assert snap.collected == {"sns.topic": ["us-east-1"]}
    assert snap.resources["sns.topic"][0] == {"arn": "arn:aws:sns:us-east-1:123456789012:t", "region": "us-east-1"}
    assert sorted(progress) == [(1, 2), (2, 2)]


def test_collector_declares_known_types_only():
    with pytest.raises(ValueError, match="not declared"):
        collector("sns", types=("sns.nothing",))


def test_http_status_only_errors_get_a_readable_code_and_message(ctx):
    aws, c = ctx
    aws.stub("budgets").add_client_error("describe_budgets", "", "<!doctype html><title>500 Internal Server Error</title><p>x</p>",
                                         http_status_code=500)
    assert c.call("budgets", "us-east-1", "describe_budgets", {"AccountId": "123456789012"}, resource_type="budgets.budget") is None
    gap = c.coverage[-1]
    assert gap.error_code == "HTTP500"
    assert gap.message.startswith("the endpoint answered HTTP 500 (500 Internal Server Error)") and "<" not in gap.message


def test_fill_many_marks_every_field_on_failure_and_defaults_on_not_found(ctx):
    aws, c = ctx
    s3 = aws.stub("s3")
    s3.add_client_error("get_bucket_logging", "AccessDenied", "denied", expected_params={"Bucket": "a"})
    s3.add_response("get_bucket_logging", {"LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "a/"}}, {"Bucket": "b"})
    fields = {"logging_enabled": False, "logging_target": None}
    extract = lambda r: {"logging_enabled": "LoggingEnabled" in r, "logging_target": r.get("LoggingEnabled", {}).get("TargetBucket")}  # noqa: E731
    a, b = {"arn": "arn:aws:s3:::a"}, {"arn": "arn:aws:s3:::b"}
    assert c.fill_many(a, fields, "s3", "us-east-1", "get_bucket_logging", {"Bucket": "a"}, extract=extract) is None
    assert set(a["errors"]) == {"logging_enabled", "logging_target"} and "AccessDenied" in a["errors"]["logging_target"]
    c.fill_many(b, fields, "s3", "us-east-1", "get_bucket_logging", {"Bucket": "b"}, extract=extract)
    assert b == {"arn": "arn:aws:s3:::b", "logging_enabled": True, "logging_target": "logs"}
    assert c.failure_reason("s3", "us-east-1", "GetBucketLogging", "arn:aws:s3:::a") == a["errors"]["logging_enabled"]
    assert c.failure_reason("s3", "us-east-1", "get_bucket_logging", "arn:aws:s3:::a") == a["errors"]["logging_enabled"]


def test_marker_pages_follows_markers_where_botocore_has_no_paginator(ctx):
    aws, c = ctx
    waf = aws.stub("wafv2")
    acl = lambda name: {"Name": name, "Id": name, "ARN": f"arn:aws:wafv2:us-east-1:123456789012:regional/webacl/{name}/{name}"}  # noqa: E731
    waf.add_response("list_web_acls", {"WebACLs": [acl("a")], "NextMarker": "m1"}, {"Scope": "REGIONAL"})
    waf.add_response("list_web_acls", {"WebACLs": [acl("b")]}, {"Scope": "REGIONAL", "NextMarker": "m1"})
    got = c.marker_pages("wafv2", "us-east-1", "list_web_acls", {"Scope": "REGIONAL"}, items=lambda p: p["WebACLs"],
                         next_marker=lambda p: p.get("NextMarker"), marker_param="NextMarker", resource_type="wafv2.web_acl")
    assert [a["Name"] for a in got] == ["a", "b"]
    waf.assert_no_pending_responses()


def test_a_shared_failed_call_is_one_gap(ctx):
    aws, c = ctx
    aws.stub("autoscaling").add_client_error("describe_auto_scaling_groups", "Throttling", "slow down")
    for _ in range(2):  # two collectors asking for the same listing
        c.paginate("autoscaling", "us-east-1", "describe_auto_scaling_groups", "AutoScalingGroups", resource_type="autoscaling.group")
    assert len(c.coverage) == 1


def test_a_crashing_collector_is_a_gap_and_the_others_keep_their_data(monkeypatch):
    monkeypatch.setattr(runner, "COLLECTORS", [])
    monkeypatch.setattr(runner, "load_collectors", lambda: list(runner.COLLECTORS))

    @collector("sns", types=("sns.topic",))
    def broken(ctx, region):
        raise KeyError("Topics")

    @collector("kms", types=("kms.key",))
    def fine(ctx, region):
        return {"kms.key": [{"arn": f"arn:aws:kms:{region}:123456789012:key/1", "region": region}]}

    snap = collect(FakeAws(), ["us-east-1"], account="123456789012", workers=2)
    assert snap.collected == {"kms.key": ["us-east-1"], "sns.topic": []}
    (gap,) = snap.coverage
    assert (gap.error_code, gap.resource_type, gap.operation) == ("CollectorError", "sns.topic", "broken")


def test_the_memo_keeps_facts_not_responses_or_tracebacks(ctx):
    """Issue 15: a memoised response drops botocore's ResponseMetadata; a memoised failure keeps no
    traceback or chained context (they hold the call's frames alive for the whole run), and its
    ClientError response is reduced to the error and the HTTP status — what coverage needs."""
    aws, c = ctx
    aws.stub("sns").add_response("get_topic_attributes", {"Attributes": {"SubscriptionsConfirmed": "2"},
                                                          "ResponseMetadata": {"RequestId": "r", "HTTPHeaders": {"a": "b"}}},
                                 {"TopicArn": "arn:t"})
    aws.stub("sns").add_client_error("list_topics", "AccessDenied", "not allowed", http_status_code=403)
    assert c.call("sns", "us-east-1", "get_topic_attributes", {"TopicArn": "arn:t"}) == {
        "Attributes": {"SubscriptionsConfirmed": "2"}}
    assert c.paginate("sns", "us-east-1", "list_topics", "Topics", resource_type="sns.topic") is None
    kept = [f.exception() for f in c._memo.values() if f.exception() is not None]
    assert len(kept) == 1 and kept[0].__traceback__ is None and kept[0].__context__ is None
    assert kept[0].response == {"Error": {"Code": "AccessDenied", "Message": "not allowed"},
                                "ResponseMetadata": {"HTTPStatusCode": 403}}
    assert c.coverage[0].error_code == "AccessDenied"  # what the gap says is unchanged
