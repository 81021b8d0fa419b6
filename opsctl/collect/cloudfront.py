"""CloudFront: distributions with their viewer, origin and cache-behaviour settings.

ListDistributions' summaries carry almost everything the checks read, so the only per-
distribution calls are GetDistributionConfig (standard logging is not in the summary) and
ListTagsForResource. The listing is walked marker by marker: its items sit under
DistributionList.Items, a nested key `CollectContext.paginate` does not read.

Two normalisations make the fields mean the same on AWS and on moto (MOTO-NOTES.md):

* `viewer_certificate.cloudfront_default` is true only when no ACM or IAM certificate is
  configured: moto reports CloudFrontDefaultCertificate true next to an ACM certificate, and
  AWS never sets both.
* An origin's `kind` comes from its config block (S3OriginConfig → "s3", CustomOriginConfig →
  "custom", VpcOriginConfig → "vpc"); an origin with none of them (moto drops S3OriginConfig)
  is "s3" when its domain is an S3 REST endpoint, else "custom". S3 *website* endpoints are
  custom origins, as CloudFront itself treats them.

Resource type `cloudfront.distribution` (region "global"):

- id, arn, domain_name — distribution id, ARN, *.cloudfront.net name
- aliases — alternate domain names (CNAMEs), sorted
- tags — {key: value}
- enabled — bool; status — "Deployed" | "InProgress"; staging — a continuous-deployment staging copy
- web_acl_id — WAFv2 web ACL ARN (or WAF Classic id), "" when none
- viewer_certificate — {cloudfront_default (bool), acm_arn, iam_certificate_id, minimum_protocol_version, ssl_support_method}
- http_version — "http1.1" | "http2" | "http2and3" | "http3"
- logging_enabled — standard (legacy) access logging on; logging_bucket — its bucket or None
- origins — [{id, domain_name, kind ("s3" | "custom" | "vpc"), s3_oac_id ("" if none),
  s3_oai (legacy OriginAccessIdentity, "" if none), origin_protocol_policy (custom origins, else None),
  origin_ssl_protocols (custom origins, else [])}]
- origin_groups — [{id, members (origin ids, primary first), failover_status_codes (ints)}]
- cache_behaviors — default first: [{path_pattern ("*" for the default), is_default, target_origin_id,
  viewer_protocol_policy, compress}]
"""

from __future__ import annotations

import re
from typing import Any

from opsctl.collect.runner import CollectContext, collector

DISTRIBUTION = "cloudfront.distribution"

#: S3 REST endpoints: bucket.s3.amazonaws.com, bucket.s3.<region>.amazonaws.com, bucket.s3-<region>.amazonaws.com
#: (and .com.cn); website endpoints (s3-website) are deliberately not matched.
S3_REST_DOMAIN = re.compile(r"\.s3(?:[.-](?!website)[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$")


def _items(block: dict[str, Any] | None) -> list[Any]:
    """CloudFront's {Quantity, Items} lists (Items absent when Quantity is 0)."""
    return list((block or {}).get("Items") or [])


def origin_kind(origin: dict[str, Any]) -> str:
    if "S3OriginConfig" in origin:
        return "s3"
    if "CustomOriginConfig" in origin:
        return "custom"
    if "VpcOriginConfig" in origin:
        return "vpc"
    return "s3" if S3_REST_DOMAIN.search(origin.get("DomainName", "")) else "custom"


def normalise_origin(origin: dict[str, Any]) -> dict[str, Any]:
    custom = origin.get("CustomOriginConfig") or {}
    return {
        "id": origin["Id"],
        "domain_name": origin.get("DomainName", ""),
        "kind": origin_kind(origin),
        "s3_oac_id": origin.get("OriginAccessControlId") or "",
        "s3_oai": (origin.get("S3OriginConfig") or {}).get("OriginAccessIdentity") or "",
        "origin_protocol_policy": custom.get("OriginProtocolPolicy") if custom else None,
        "origin_ssl_protocols": sorted(_items(custom.get("OriginSslProtocols"))),
    }


def normalise_origin_group(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": group["Id"],
        "members": [m["OriginId"] for m in _items(group.get("Members"))],
        "failover_status_codes": sorted(int(c) for c in _items((group.get("FailoverCriteria") or {}).get("StatusCodes"))),
    }


def normalise_behavior(behavior: dict[str, Any], is_default: bool) -> dict[str, Any]:
    return {
        "path_pattern": "*" if is_default else behavior.get("PathPattern", ""),
        "is_default": is_default,
        "target_origin_id": behavior.get("TargetOriginId", ""),
        "viewer_protocol_policy": behavior.get("ViewerProtocolPolicy", ""),
        "compress": bool(behavior.get("Compress", False)),
    }


def viewer_certificate(cert: dict[str, Any]) -> dict[str, Any]:
    acm = cert.get("ACMCertificateArn") or ""
    iam = cert.get("IAMCertificateId") or ""
    return {
        "cloudfront_default": not acm and not iam,
        "acm_arn": acm or None,
        "iam_certificate_id": iam or None,
        "minimum_protocol_version": cert.get("MinimumProtocolVersion") or None,
        "ssl_support_method": cert.get("SSLSupportMethod") or None,
    }


def normalise_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A distribution record from its ListDistributions summary (no API calls)."""
    behaviors = [normalise_behavior(summary.get("DefaultCacheBehavior") or {}, True)]
    behaviors += [normalise_behavior(b, False) for b in _items(summary.get("CacheBehaviors"))]
    return {
        "type": DISTRIBUTION,
        "id": summary["Id"],
        "arn": summary["ARN"],
        "region": "global",
        "domain_name": summary.get("DomainName", ""),
        "aliases": sorted(_items(summary.get("Aliases"))),
        "enabled": bool(summary.get("Enabled", False)),
        "status": summary.get("Status", ""),
        "staging": bool(summary.get("Staging", False)),
        "web_acl_id": summary.get("WebACLId") or "",
        "viewer_certificate": viewer_certificate(summary.get("ViewerCertificate") or {}),
        "http_version": (summary.get("HttpVersion") or "").lower(),
        "origins": [normalise_origin(o) for o in _items(summary.get("Origins"))],
        "origin_groups": [normalise_origin_group(g) for g in _items(summary.get("OriginGroups"))],
        "cache_behaviors": behaviors,
    }


def logging_fields(resp: dict[str, Any]) -> dict[str, Any]:
    log = resp["DistributionConfig"].get("Logging") or {}
    enabled = bool(log.get("Enabled", False))
    return {"logging_enabled": enabled, "logging_bucket": (log.get("Bucket") or None) if enabled else None}


def _next_marker(page: dict[str, Any]) -> str | None:
    listing = page.get("DistributionList") or {}
    return listing.get("NextMarker") if listing.get("IsTruncated") else None


def _details(ctx: CollectContext, dist: dict[str, Any], region: str) -> None:
    ctx.fill_many(dist, {"logging_enabled": False, "logging_bucket": None}, "cloudfront", region,
                "get_distribution_config", {"Id": dist["id"]}, extract=logging_fields)
    ctx.fill(dist, "tags", "cloudfront", region, "list_tags_for_resource", {"Resource": dist["arn"]},
             extract=lambda r: {t["Key"]: t.get("Value", "") for t in _items(r.get("Tags"))})


@collector("cloudfront", types=(DISTRIBUTION,), scope="global")
def collect_distributions(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """Every distribution with the fields in the module docstring."""
    summaries = ctx.marker_pages("cloudfront", region, "list_distributions", {},
        items=lambda page: _items(page.get("DistributionList")),
        next_marker=_next_marker,
        marker_param="Marker",
        resource_type=DISTRIBUTION,
    )
    if summaries is None:
        return {}
    distributions = [normalise_summary(s) for s in sorted(summaries, key=lambda s: s["Id"])]
    ctx.map(lambda d: _details(ctx, d, region), distributions)
    return {DISTRIBUTION: distributions}
