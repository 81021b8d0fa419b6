"""CloudTrail: trails with their logging status.

DescribeTrails in a region also returns the "shadow" copies of multi-region trails whose home
is another region. A trail is recorded once, by the collector of its home region, and
GetTrailStatus / ListTags are called once per trail, in that region. Consequence: a
multi-region trail whose home region is not audited is not in the snapshot.

Resource type `cloudtrail.trail` (regional; region = home region):

- name, arn, region
- home_region — HomeRegion (equal to region)
- is_multi_region — bool
- log_file_validation — bool: log file integrity validation on
- is_logging — bool, from GetTrailStatus
- s3_bucket — destination bucket name
- kms_key_id — KMS key ARN encrypting the logs, or None
- include_global_events — bool: IAM/STS/CloudFront events are delivered
- is_organization_trail — bool
- tags — {key: value}
"""

from __future__ import annotations

from typing import Any

from opsctl.collect._details import batches, mark_missing, tag_dict
from opsctl.collect.runner import CollectContext, collector

TRAIL = "cloudtrail.trail"
#: ListTags accepts at most 20 trail ARNs per call.
TAG_BATCH = 20


def home_region(trail: dict[str, Any]) -> str:
    """HomeRegion, or the region part of the trail ARN when an endpoint omits it."""
    return trail.get("HomeRegion") or trail["TrailARN"].split(":")[3]


def normalise_trail(trail: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "type": TRAIL,
        "name": trail["Name"],
        "arn": trail["TrailARN"],
        "region": region,
        "home_region": home_region(trail),
        "is_multi_region": bool(trail.get("IsMultiRegionTrail", False)),
        "log_file_validation": bool(trail.get("LogFileValidationEnabled", False)),
        "s3_bucket": trail.get("S3BucketName"),
        "kms_key_id": trail.get("KmsKeyId"),
        "include_global_events": bool(trail.get("IncludeGlobalServiceEvents", False)),
        "is_organization_trail": bool(trail.get("IsOrganizationTrail", False)),
    }


def fill_tags(ctx: CollectContext, region: str, trails: list[dict[str, Any]]) -> None:
    for batch in batches(trails, TAG_BATCH):
        arns = [t["arn"] for t in batch]
        tag_lists = ctx.paginate(
            "cloudtrail",
            region,
            "list_tags",
            "ResourceTagList",
            {"ResourceIdList": arns},
            resource_type=TRAIL,
            resource_id=arns[0],
        )
        if tag_lists is None:
            reason = ctx.failure_reason("cloudtrail", region, "list_tags", arns[0])
            for trail in batch:
                mark_missing(trail, ("tags",), reason)
            continue
        by_arn = {t["ResourceId"]: tag_dict(t.get("TagsList")) for t in tag_lists}
        for trail in batch:
            trail["tags"] = by_arn.get(trail["arn"], {})


def fill_status(ctx: CollectContext, region: str, trail: dict[str, Any]) -> None:
    ctx.fill(
        trail,
        "is_logging",
        "cloudtrail",
        region,
        "get_trail_status",
        {"Name": trail["arn"]},
        extract=lambda r: bool(r["IsLogging"]),
    )


@collector("cloudtrail", types=(TRAIL,))
def collect_trails(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.paginate(
        "cloudtrail",
        region,
        "describe_trails",
        "trailList",
        {"includeShadowTrails": True},
        resource_type=TRAIL,
    )
    if listed is None:
        return {}
    trails = [normalise_trail(t, region) for t in listed if home_region(t) == region]
    ctx.map(lambda t: fill_status(ctx, region, t), trails)
    if trails:
        fill_tags(ctx, region, trails)
    return {TRAIL: trails}
