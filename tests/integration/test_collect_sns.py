"""SNS collector against moto: subscription counts per topic, tags, a denied detail listing."""

from __future__ import annotations

import boto3
import botocore.exceptions

TOPIC = "sns.topic"


def make_topics():
    sns = boto3.client("sns", region_name="us-east-1")
    alerts = sns.create_topic(Name="ops-alerts", Tags=[{"Key": "tier", "Value": "ops"}])["TopicArn"]
    sns.subscribe(TopicArn=alerts, Protocol="email", Endpoint="oncall@example.com")
    sns.subscribe(TopicArn=alerts, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:alerts")
    orphan = sns.create_topic(Name="orphan-alerts")["TopicArn"]
    return alerts, orphan


def test_topic_fields(collect_services):
    alerts, orphan = make_topics()

    snap = collect_services(["sns"])

    assert snap.collected[TOPIC] == ["us-east-1"] and not snap.coverage
    topics = {t["arn"]: t for t in snap.of_type(TOPIC)}
    a = topics[alerts]
    assert a["name"] == "ops-alerts" and a["region"] == "us-east-1" and a["tags"] == {"tier": "ops"}
    assert (a["subscription_count"], a["subscriptions_confirmed"], a["subscriptions_pending"]) == (2, 2, 0)
    assert a["subscription_protocols"] == ["email", "sqs"]
    o = topics[orphan]
    assert (o["subscription_count"], o["subscriptions_confirmed"], o["subscriptions_pending"]) == (0, 0, 0)


def test_denied_subscription_listing_marks_counts_missing(collect_services, moto_aws):
    alerts, _ = make_topics()

    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AuthorizationError", "Message": "no"}}, "ListSubscriptionsByTopic"
        )

    moto_aws.session.events.register("before-call.sns.ListSubscriptionsByTopic", refuse)

    snap = collect_services(["sns"])

    for topic in snap.of_type(TOPIC):
        assert {"subscription_count", "subscriptions_confirmed", "subscriptions_pending"} <= set(
            topic["errors"]
        )
        assert (
            "AuthorizationError" in topic["errors"]["subscriptions_confirmed"]
            and "subscription_count" not in topic
        )
    assert {g.resource_id for g in snap.coverage} == {t["arn"] for t in snap.of_type(TOPIC)}
    assert snap.collected[TOPIC] == ["us-east-1"]


def test_denied_topic_listing_is_a_gap(collect_services, moto_aws):
    make_topics()

    def refuse(**_):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AuthorizationError", "Message": "no"}}, "ListTopics"
        )

    moto_aws.session.events.register("before-call.sns.ListTopics", refuse)

    snap = collect_services(["sns"])

    assert "us-east-1" not in snap.collected.get(TOPIC, []) and not snap.of_type(TOPIC)
    (gap,) = snap.listing_gaps(TOPIC)
    assert (gap.operation, gap.error_code) == ("ListTopics", "AuthorizationError")
