"""Cases for checks/cloudfront.py (run by test_cases.py), plus direct tests of severity overrides."""

from __future__ import annotations

from typing import Any

import pytest
from opsctl.checks.cloudfront import is_modern_tls_policy

from tests.helpers import Case, run, snapshot

ACM = "arn:aws:acm:us-east-1:123456789012:certificate/0f3c1a2b-1111-2222-3333-444455556666"
WAF = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/shop-edge/1b2c3d4e-aaaa-bbbb-cccc-ddddeeeeffff"


def s3_origin(oid: str = "assets", oac: str = "E2OAC123", oai: str = "") -> dict[str, Any]:
    return {"id": oid, "domain_name": f"{oid}.s3.us-east-1.amazonaws.com", "kind": "s3", "s3_oac_id": oac, "s3_oai": oai,
            "origin_protocol_policy": None, "origin_ssl_protocols": []}


def custom_origin(oid: str = "api", policy: str = "https-only") -> dict[str, Any]:
    return {"id": oid, "domain_name": "api-origin.example.com", "kind": "custom", "s3_oac_id": "", "s3_oai": "",
            "origin_protocol_policy": policy, "origin_ssl_protocols": ["TLSv1.2"]}


def behavior(path: str = "*", vpp: str = "redirect-to-https", compress: bool = True) -> dict[str, Any]:
    return {"path_pattern": path, "is_default": path == "*", "target_origin_id": "assets",
            "viewer_protocol_policy": vpp, "compress": compress}


def cert(default: bool = False, policy: str = "TLSv1.2_2021") -> dict[str, Any]:
    if default:
        return {"cloudfront_default": True, "acm_arn": None, "iam_certificate_id": None,
                "minimum_protocol_version": "TLSv1", "ssl_support_method": None}
    return {"cloudfront_default": False, "acm_arn": ACM, "iam_certificate_id": None,
            "minimum_protocol_version": policy, "ssl_support_method": "sni-only"}


def dist(did: str = "E1SHOP", **fields: Any) -> dict[str, Any]:
    """A well-configured distribution; override fields to break it."""
    base = {
        "id": did,
        "arn": f"arn:aws:cloudfront::123456789012:distribution/{did}",
        "region": "global",
        "domain_name": "d111111abcdef8.cloudfront.net",
        "aliases": ["shop.example.com"],
        "tags": {"tier": "edge"},
        "enabled": True,
        "status": "Deployed",
        "web_acl_id": WAF,
        "viewer_certificate": cert(),
        "http_version": "http2and3",
        "logging_enabled": True,
        "logging_bucket": "shop-logs.s3.amazonaws.com",
        "origins": [s3_origin(), custom_origin()],
        "origin_groups": [{"id": "assets-failover", "members": ["assets", "assets-replica"], "failover_status_codes": [500, 502, 503, 504]}],
        "cache_behaviors": [behavior(), behavior("/api/*", "https-only")],
    }
    base.update(fields)
    return base


def dists(*items: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"cloudfront.distribution": list(items)}


def broken(field: str) -> dict[str, Any]:
    return dist(errors={field: "cloudfront:GetDistributionConfig in global failed with AccessDenied: denied"})


C = "cloudfront."
CASES = [
    # https_only
    Case(C + "distribution_https_only", "redirect-and-https-only", dists(dist()), ["PASS"]),
    Case(C + "distribution_https_only", "default-allow-all", dists(dist(cache_behaviors=[behavior(vpp="allow-all")])), ["FAIL"],
         message_contains="* (allow-all)"),
    Case(C + "distribution_https_only", "one-path-allow-all",
         dists(dist(cache_behaviors=[behavior(), behavior("/downloads/*", "allow-all")])), ["FAIL"], message_contains="/downloads/*"),
    Case(C + "distribution_https_only", "unknown", dists(broken("cache_behaviors")), ["ERROR"]),
    # modern_tls
    Case(C + "distribution_modern_tls", "tls12-2021", dists(dist()), ["PASS"]),
    Case(C + "distribution_modern_tls", "tls12-2019-boundary", dists(dist(viewer_certificate=cert(policy="TLSv1.2_2019"))), ["PASS"]),
    Case(C + "distribution_modern_tls", "tls13", dists(dist(viewer_certificate=cert(policy="TLSv1.3_2025"))), ["PASS"]),
    Case(C + "distribution_modern_tls", "tls12-2018", dists(dist(viewer_certificate=cert(policy="TLSv1.2_2018"))), ["FAIL"]),
    Case(C + "distribution_modern_tls", "tls1", dists(dist(viewer_certificate=cert(policy="TLSv1"))), ["FAIL"], message_contains="TLSv1"),
    Case(C + "distribution_modern_tls", "default-certificate-not-applicable", dists(dist(viewer_certificate=cert(default=True))), []),
    Case(C + "distribution_modern_tls", "unknown", dists(broken("viewer_certificate")), ["ERROR"]),
    # waf
    Case(C + "distribution_waf", "attached", dists(dist()), ["PASS"]),
    Case(C + "distribution_waf", "none", dists(dist(web_acl_id="")), ["FAIL"]),
    Case(C + "distribution_waf", "unknown", dists(broken("web_acl_id")), ["ERROR"]),
    # s3_origin_access
    Case(C + "distribution_s3_origin_access", "oac", dists(dist()), ["PASS"]),
    Case(C + "distribution_s3_origin_access", "legacy-oai", dists(dist(origins=[s3_origin(oac="", oai="origin-access-identity/cloudfront/E2OAI")])),
         ["FAIL"], message_contains="migrate to Origin Access Control"),
    Case(C + "distribution_s3_origin_access", "neither", dists(dist(origins=[s3_origin(oac=""), custom_origin()])), ["FAIL"],
         message_contains="without origin access control"),
    Case(C + "distribution_s3_origin_access", "one-of-two-unprotected",
         dists(dist(origins=[s3_origin(), s3_origin("replica", oac="")])), ["FAIL"], message_contains="replica"),
    Case(C + "distribution_s3_origin_access", "no-s3-origin-not-applicable", dists(dist(origins=[custom_origin()])), []),
    Case(C + "distribution_s3_origin_access", "unknown", dists(broken("origins")), ["ERROR"]),
    # origin_https
    Case(C + "distribution_origin_https", "https-only", dists(dist()), ["PASS"]),
    Case(C + "distribution_origin_https", "http-only", dists(dist(origins=[custom_origin(policy="http-only")])), ["FAIL"],
         message_contains="api (http-only)"),
    Case(C + "distribution_origin_https", "match-viewer", dists(dist(origins=[custom_origin(policy="match-viewer")])), ["FAIL"]),
    Case(C + "distribution_origin_https", "s3-only-not-applicable", dists(dist(origins=[s3_origin()])), []),
    Case(C + "distribution_origin_https", "unknown", dists(broken("origins")), ["ERROR"]),
    # logging
    Case(C + "distribution_logging", "on", dists(dist()), ["PASS"], message_contains="shop-logs"),
    Case(C + "distribution_logging", "off", dists(dist(logging_enabled=False, logging_bucket=None)), ["FAIL"]),
    Case(C + "distribution_logging", "unknown", dists(broken("logging_enabled")), ["ERROR"], message_contains="AccessDenied"),
    # compression
    Case(C + "distribution_compression", "all", dists(dist()), ["PASS"]),
    Case(C + "distribution_compression", "one-path-off", dists(dist(cache_behaviors=[behavior(), behavior("/api/*", compress=False)])),
         ["FAIL"], message_contains="/api/*"),
    Case(C + "distribution_compression", "unknown", dists(broken("cache_behaviors")), ["ERROR"]),
    # http2
    Case(C + "distribution_http2", "http2and3", dists(dist()), ["PASS"]),
    Case(C + "distribution_http2", "http2", dists(dist(http_version="http2")), ["PASS"]),
    Case(C + "distribution_http2", "http3", dists(dist(http_version="http3")), ["PASS"]),
    Case(C + "distribution_http2", "http1.1", dists(dist(http_version="http1.1")), ["FAIL"]),
    Case(C + "distribution_http2", "unknown", dists(broken("http_version")), ["ERROR"]),
    # origin_failover
    Case(C + "distribution_origin_failover", "group", dists(dist()), ["PASS"]),
    Case(C + "distribution_origin_failover", "no-group", dists(dist(origin_groups=[])), ["FAIL"]),
    Case(C + "distribution_origin_failover", "group-without-criteria",
         dists(dist(origin_groups=[{"id": "g", "members": ["a", "b"], "failover_status_codes": []}])), ["FAIL"]),
    Case(C + "distribution_origin_failover", "unknown", dists(broken("origin_groups")), ["ERROR"]),
]


def test_legacy_oai_is_low_severity_and_missing_access_keeps_high() -> None:
    legacy = dist("E1OAI", origins=[s3_origin(oac="", oai="origin-access-identity/cloudfront/E2OAI")])
    open_bucket = dist("E2OPEN", origins=[s3_origin(oac="")])
    findings = run("cloudfront.distribution_s3_origin_access", snapshot(dists(legacy, open_bucket)))
    assert [(f.resource_id.rsplit("/", 1)[1], f.status.value, f.severity.value) for f in findings] == [
        ("E1OAI", "FAIL", "low"),
        ("E2OPEN", "FAIL", "high"),
    ]


def test_listing_gap_reports_error_not_silence() -> None:
    from opsctl.snapshot import CoverageGap

    gap = CoverageGap("cloudfront", "global", "ListDistributions", "AccessDenied", "denied", "cloudfront.distribution", "")
    findings = run("cloudfront.distribution_waf", snapshot({}, coverage=[gap]))
    assert [f.status.value for f in findings] == ["ERROR"]
    assert "AccessDenied" in findings[0].message


@pytest.mark.parametrize(
    ("policy", "modern"),
    [("SSLv3", False), ("TLSv1", False), ("TLSv1_2016", False), ("TLSv1.1_2016", False), ("TLSv1.2_2018", False),
     ("TLSv1.2_2019", True), ("TLSv1.2_2021", True), ("TLSv1.2_2025", True), ("TLSv1.3_2025", True), (None, False), ("", False)],
)
def test_modern_tls_policy_names(policy: str | None, modern: bool) -> None:
    assert is_modern_tls_policy(policy) is modern
