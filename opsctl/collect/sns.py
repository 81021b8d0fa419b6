"""SNS: topics with their subscription counts (alarm actions to nowhere are a common gap).

ListTopics (paginated), then per topic ListSubscriptionsByTopic (paginated) and
ListTagsForResource. Counts come from the subscription listing, not from the topic's
SubscriptionsConfirmed/Pending attributes, which AWS refreshes only periodically.

Resource type `sns.topic` (regional):

- arn, name, region
- subscription_count — all subscriptions listed
- subscriptions_confirmed — those with a subscription ARN
- subscriptions_pending — those still "PendingConfirmation"
- subscription_protocols — distinct protocols (email, sqs, lambda, https …), sorted
- tags — {key: value}
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import paginate_detail, tag_dict
from opsctl.collect.runner import CollectContext, collector

TOPIC = "sns.topic"
PENDING = "PendingConfirmation"
SUBSCRIPTION_FIELDS = (
    "subscription_count",
    "subscriptions_confirmed",
    "subscriptions_pending",
    "subscription_protocols",
)


def fill_topic(ctx: CollectContext, region: str, topic: dict[str, Any]) -> None:
    subs = paginate_detail(
        ctx,
        topic,
        SUBSCRIPTION_FIELDS,
        "sns",
        region,
        "list_subscriptions_by_topic",
        "Subscriptions",
        {"TopicArn": topic["arn"]},
    )
    if subs is not None:
        pending = sum(1 for s in subs if s.get("SubscriptionArn") == PENDING)
        topic.update(
            {
                "subscription_count": len(subs),
                "subscriptions_confirmed": len(subs) - pending,
                "subscriptions_pending": pending,
                "subscription_protocols": sorted({s.get("Protocol", "") for s in subs}),
            }
        )
    ctx.fill(
        topic,
        "tags",
        "sns",
        region,
        "list_tags_for_resource",
        {"ResourceArn": topic["arn"]},
        extract=lambda r: tag_dict(r.get("Tags")),
    )


@collector("sns", types=(TOPIC,))
def collect_topics(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate("sns", region, "list_topics", "Topics", resource_type=TOPIC)
    if listed is None:
        return {}
    topics = [
        {"type": TOPIC, "arn": t["TopicArn"], "name": t["TopicArn"].rsplit(":", 1)[-1], "region": region}
        for t in listed
    ]
    ctx.map(lambda t: fill_topic(ctx, region, t), topics)
    return {TOPIC: topics}
