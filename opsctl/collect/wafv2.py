"""WAFv2: web ACLs, regional (for load balancers, API Gateway) and CloudFront-scoped.

Two collectors produce `wafv2.web_acl`:

* `collect_regional_web_acls` runs per audited region with Scope=REGIONAL.
* `collect_cloudfront_web_acls` is a *global* collector with Scope=CLOUDFRONT. CloudFront web
  ACLs live in us-east-1's API but protect a global service, so they are recorded with region
  "global". Running them as a global task (rather than inside the us-east-1 regional run)
  means they are collected even when us-east-1 is not among the audited regions, and the
  snapshot records the "global" listing as collected — or as a gap — on its own.

ListWebACLs has no botocore paginator; it is walked with NextMarker. Which application load
balancers a REGIONAL web ACL protects comes from ListResourcesForWebACL, one call per regional web
ACL (not GetWebACLForResource per load balancer: accounts have few web ACLs and more load
balancers, and a region without regional web ACLs then costs no call at all). CloudFront
distributions name their web ACL themselves (cloudfront.distribution.web_acl_id), so CLOUDFRONT
web ACLs make no such call. Other protected resource types (API Gateway, AppSync, Cognito, App
Runner, Verified Access, Amplify) are not collected.

Resource type `wafv2.web_acl` (region: the region, or "global" for scope CLOUDFRONT):

- id, name, arn — from ListWebACLs
- scope — "REGIONAL" | "CLOUDFRONT"
- tags — {key: value}
- default_action — "allow" | "block"
- rule_count — number of rules
- managed_rule_groups — "Vendor/Name" of each managed rule group the ACL uses, sorted
- rate_based_rule_count — number of rate-based rules
- logging_enabled — a logging configuration exists (WAFNonexistentItemException → False)
- logging_destinations — its destination ARNs, [] when logging is off
- associated_load_balancer_arns — REGIONAL web ACLs only: sorted ARNs of the application load
  balancers the web ACL is associated with ([] when none). When ListResourcesForWebACL fails, the
  field is absent and `errors` names the call, so a check never rules out a regional WAF unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opsctl.collect.runner import CollectContext, collector

WEB_ACL = "wafv2.web_acl"
PAGE_LIMIT = 100  # the API's maximum
#: Field of a REGIONAL web ACL: the application load balancers it protects (ListResourcesForWebACL).
ASSOCIATED_LBS = "associated_load_balancer_arns"


def acl_fields(resp: dict[str, Any]) -> dict[str, Any]:
    """default_action, rule_count, managed_rule_groups, rate_based_rule_count from GetWebACL."""
    acl = resp["WebACL"]
    rules = acl.get("Rules") or []
    managed = {
        f"{s['VendorName']}/{s['Name']}"
        for s in (r.get("Statement", {}).get("ManagedRuleGroupStatement") for r in rules)
        if s
    }
    return {
        "default_action": "block" if "Block" in (acl.get("DefaultAction") or {}) else "allow",
        "rule_count": len(rules),
        "managed_rule_groups": sorted(managed),
        "rate_based_rule_count": sum(1 for r in rules if "RateBasedStatement" in r.get("Statement", {})),
    }


def logging_fields(resp: dict[str, Any]) -> dict[str, Any]:
    destinations = resp["LoggingConfiguration"].get("LogDestinationConfigs") or []
    return {"logging_enabled": True, "logging_destinations": sorted(destinations)}


def _fill_acl(ctx: CollectContext, acl: dict[str, Any], region: str) -> None:
    ctx.fill_many(acl, {"default_action": None, "rule_count": None, "managed_rule_groups": None, "rate_based_rule_count": None},
                "wafv2", region, "get_web_acl", {"Name": acl["name"], "Scope": acl["scope"], "Id": acl["id"]}, extract=acl_fields)


def _fill_logging(ctx: CollectContext, acl: dict[str, Any], region: str) -> None:
    ctx.fill_many(acl, {"logging_enabled": False, "logging_destinations": []}, "wafv2", region,
                "get_logging_configuration", {"ResourceArn": acl["arn"]}, extract=logging_fields,
                not_found=("WAFNonexistentItemException",))


def _fill_tags(ctx: CollectContext, acl: dict[str, Any], region: str) -> None:
    ctx.fill(acl, "tags", "wafv2", region, "list_tags_for_resource", {"ResourceARN": acl["arn"]},
             extract=lambda r: {t["Key"]: t.get("Value", "") for t in (r.get("TagInfoForResource") or {}).get("TagList") or []})


def _fill_load_balancers(ctx: CollectContext, acl: dict[str, Any], region: str) -> None:
    if acl["scope"] != "REGIONAL":  # CloudFront distributions name their web ACL (web_acl_id)
        return
    ctx.fill(acl, ASSOCIATED_LBS, "wafv2", region, "list_resources_for_web_acl",
             {"WebACLArn": acl["arn"], "ResourceType": "APPLICATION_LOAD_BALANCER"},
             extract=lambda r: sorted(r.get("ResourceArns") or []))


DETAILS: tuple[Callable[[CollectContext, dict[str, Any], str], None], ...] = (
    _fill_acl, _fill_logging, _fill_tags, _fill_load_balancers)


def _collect(ctx: CollectContext, region: str, scope: str) -> dict[str, list[dict[str, Any]]]:
    listed = ctx.marker_pages("wafv2", region, "list_web_acls", {"Scope": scope, "Limit": PAGE_LIMIT},
        items=lambda page: page.get("WebACLs") or [],
        next_marker=lambda page: page.get("NextMarker"),
        marker_param="NextMarker",
        resource_type=WEB_ACL,
    )
    if listed is None:
        return {}
    acls = [
        {"type": WEB_ACL, "id": a["Id"], "name": a["Name"], "arn": a["ARN"], "scope": scope, "region": region}
        for a in sorted(listed, key=lambda a: a["ARN"])
    ]
    ctx.map(lambda task: task[1](ctx, task[0], region), [(a, detail) for a in acls for detail in DETAILS])
    return {WEB_ACL: acls}


@collector("wafv2", types=(WEB_ACL,), scope="regional")
def collect_regional_web_acls(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """Web ACLs of scope REGIONAL in `region`."""
    return _collect(ctx, region, "REGIONAL")


@collector("wafv2", types=(WEB_ACL,), scope="global")
def collect_cloudfront_web_acls(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """Web ACLs of scope CLOUDFRONT (served by us-east-1's API), recorded with region "global"."""
    return _collect(ctx, region, "CLOUDFRONT")
