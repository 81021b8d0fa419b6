"""CloudFront distribution checks (CATALOGUE.md, "CloudFront (distribution)"): viewer and origin security, delivery."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from opsctl.findings import Severity
from opsctl.registry import FAIL, PASS, CheckContext, Outcome, check

SECURE_VIEWER_POLICIES = ("redirect-to-https", "https-only")
MODERN_HTTP_VERSIONS = ("http2", "http2and3", "http3")
#: Security policies are named TLSv1.<minor>_<year> (plus the bare legacy "SSLv3" and "TLSv1"):
#: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-viewer-protocols-ciphers.html
_POLICY_NAME = re.compile(r"^TLSv1(?:\.(\d+))?_(\d{4})$")
#: TLSv1.2_2019: the oldest policy that refuses TLS 1.0/1.1 and CBC-SHA1 ciphers.
MIN_MODERN_POLICY = (2, 2019)


def _name(dist: dict[str, Any]) -> str:
    return f"CloudFront distribution {dist.get('id') or dist.get('arn', '?')}"


def is_modern_tls_policy(name: str | None) -> bool:
    match = _POLICY_NAME.match(name or "")
    return bool(match) and (int(match.group(1) or 0), int(match.group(2))) >= MIN_MODERN_POLICY


@check(id="cloudfront.distribution_https_only", title="CloudFront serves viewers over HTTPS only", pillar="security",
       severity="high", resource_type="cloudfront.distribution")
def distribution_https_only(dist: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Plain-HTTP viewer traffic can be read and altered in transit, including shop sessions and checkout pages."""
    behaviors = ctx.need(dist, "cache_behaviors")
    insecure = [f"{b['path_pattern']} ({b['viewer_protocol_policy']})" for b in behaviors
                if b.get("viewer_protocol_policy") not in SECURE_VIEWER_POLICIES]
    if insecure:
        return FAIL(f"{_name(dist)} serves plain HTTP on cache behaviour(s) {', '.join(insecure)}.", behaviors=insecure)
    return PASS(f"{_name(dist)} redirects or restricts every cache behaviour to HTTPS.")


@check(id="cloudfront.distribution_modern_tls", title="CloudFront custom certificate requires TLS 1.2 or newer",
       pillar="security", severity="medium", resource_type="cloudfront.distribution")
def distribution_modern_tls(dist: dict[str, Any], ctx: CheckContext) -> Outcome | None:
    """Old security policies let viewers negotiate TLS 1.0/1.1 and weak ciphers on the shop's own domain."""
    cert = ctx.need(dist, "viewer_certificate")
    if cert.get("cloudfront_default"):
        return None  # the *.cloudfront.net certificate's policy is fixed by CloudFront (TLSv1)
    policy = cert.get("minimum_protocol_version")
    if is_modern_tls_policy(policy):
        return PASS(f"{_name(dist)} requires security policy {policy} for its custom certificate.", minimum_protocol_version=policy)
    return FAIL(f"{_name(dist)} allows viewers the old security policy {policy or 'unset'}; use TLSv1.2_2021 or newer.",
                minimum_protocol_version=policy)


@check(id="cloudfront.distribution_waf", title="CloudFront distribution has a WAF web ACL", pillar="security",
       severity="high", resource_type="cloudfront.distribution")
def distribution_waf(dist: dict[str, Any], ctx: CheckContext) -> Outcome:
    """A web ACL at the edge filters injection attempts, bad bots and floods before they reach the API."""
    acl = ctx.need(dist, "web_acl_id")
    if acl:
        return PASS(f"{_name(dist)} is protected by web ACL {acl}.", web_acl_id=acl)
    return FAIL(f"{_name(dist)} has no WAF web ACL attached.")


@check(id="cloudfront.distribution_s3_origin_access", title="CloudFront S3 origins use Origin Access Control",
       pillar="security", severity="high", resource_type="cloudfront.distribution")
def distribution_s3_origin_access(dist: dict[str, Any], ctx: CheckContext) -> Outcome | None:
    """Without OAC the bucket must be readable by others, so assets can be fetched around CloudFront and WAF."""
    s3_origins = [o for o in ctx.need(dist, "origins") if o.get("kind") == "s3"]
    if not s3_origins:
        return None
    unprotected = [o["id"] for o in s3_origins if not o.get("s3_oac_id") and not o.get("s3_oai")]
    legacy = [o["id"] for o in s3_origins if not o.get("s3_oac_id") and o.get("s3_oai")]
    if unprotected:
        return FAIL(f"{_name(dist)} reaches S3 origin(s) {', '.join(unprotected)} without origin access control.",
                    origins=unprotected)
    if legacy:
        # Still a FAIL (OAI is deprecated: no SSE-KMS, no new regions), but not a hole: the bucket is private.
        return replace(
            FAIL(f"{_name(dist)} uses a legacy origin access identity for S3 origin(s) {', '.join(legacy)}; migrate to Origin Access Control.",
                 origins=legacy),
            severity=Severity.LOW,
        )
    return PASS(f"{_name(dist)} reaches every S3 origin through Origin Access Control.",
                origins=[o["id"] for o in s3_origins])


@check(id="cloudfront.distribution_origin_https", title="CloudFront custom origins are reached over HTTPS only",
       pillar="security", severity="medium", resource_type="cloudfront.distribution")
def distribution_origin_https(dist: dict[str, Any], ctx: CheckContext) -> Outcome | None:
    """Edge-to-origin traffic crosses the internet; over HTTP, API requests and responses travel in clear text."""
    custom = [o for o in ctx.need(dist, "origins") if o.get("kind") == "custom"]
    if not custom:
        return None
    weak = [f"{o['id']} ({o.get('origin_protocol_policy')})" for o in custom if o.get("origin_protocol_policy") != "https-only"]
    if weak:
        return FAIL(f"{_name(dist)} may reach custom origin(s) {', '.join(weak)} over plain HTTP.", origins=weak)
    return PASS(f"{_name(dist)} reaches every custom origin over HTTPS only.", origins=[o["id"] for o in custom])


@check(id="cloudfront.distribution_logging", title="CloudFront standard logging is on", pillar="operations",
       severity="low", resource_type="cloudfront.distribution")
def distribution_logging(dist: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Access logs are the only per-request record of who fetched what at the edge, for incidents and cost analysis."""
    if ctx.need(dist, "logging_enabled"):
        bucket = ctx.need(dist, "logging_bucket")
        return PASS(f"{_name(dist)} writes standard logs to {bucket}.", logging_bucket=bucket)
    return FAIL(f"{_name(dist)} has standard logging off.")


@check(id="cloudfront.distribution_compression", title="CloudFront compresses every cache behaviour", pillar="performance",
       severity="low", resource_type="cloudfront.distribution")
def distribution_compression(dist: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Compressed JSON, JS and glTF/OBJ model files download several times faster and cost less egress."""
    behaviors = ctx.need(dist, "cache_behaviors")
    uncompressed = [b["path_pattern"] for b in behaviors if not b.get("compress")]
    if uncompressed:
        return FAIL(f"{_name(dist)} does not compress cache behaviour(s) {', '.join(uncompressed)}.", behaviors=uncompressed)
    return PASS(f"{_name(dist)} compresses every cache behaviour.")


@check(id="cloudfront.distribution_http2", title="CloudFront serves HTTP/2 or newer", pillar="performance",
       severity="low", resource_type="cloudfront.distribution")
def distribution_http2(dist: dict[str, Any], ctx: CheckContext) -> Outcome:
    """HTTP/2 multiplexes the many asset requests of a product page over one connection."""
    version = ctx.need(dist, "http_version")
    if version in MODERN_HTTP_VERSIONS:
        return PASS(f"{_name(dist)} serves {version}.", http_version=version)
    return FAIL(f"{_name(dist)} serves only {version or 'an unknown HTTP version'}; enable http2and3.", http_version=version)


@check(id="cloudfront.distribution_origin_failover", title="CloudFront has an origin group with failover",
       pillar="availability", severity="low", resource_type="cloudfront.distribution")
def distribution_origin_failover(dist: dict[str, Any], ctx: CheckContext) -> Outcome:
    """An origin group retries a secondary origin when the primary errors, so assets keep loading during an outage."""
    groups = ctx.need(dist, "origin_groups")
    failover = [g["id"] for g in groups if g.get("failover_status_codes")]
    if failover:
        return PASS(f"{_name(dist)} fails over between origins in group(s) {', '.join(failover)}.", origin_groups=failover)
    return FAIL(f"{_name(dist)} has no origin group with failover criteria.")
