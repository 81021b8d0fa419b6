"""Cases for the architecture conformance checks (checks/arch.py) on the fixture shop of arch_fixtures."""

from __future__ import annotations

from opsctl.architecture import parse_spec
from opsctl.snapshot import CoverageGap
from tests.helpers import Case
from tests.unit.checks.arch_fixtures import (
    ALB_ARN,
    ALB_DNS,
    CF_DNS,
    CLOUDFRONT_PL,
    alias,
    cname,
    first,
    rule,
    sg,
    world,
)
from tests.unit.checks.arch_fixtures import changed as c

SPEC_BY_NAME = parse_spec("""
version: 1
name: named shop
tiers:
  api: {kind: load_balancer, select: {names: ["shop-*"]}}
  web: {kind: compute, select: {names: ["shop-web-*"]}}
  search: {kind: nosql_db, select: {arns: ["arn:aws:dynamodb:*:*:table/search-*"]}}
""", "named.yaml")
SPEC_DOMAIN = parse_spec("""
extends: default
tiers:
  dns:
    kind: dns
    select: {tags: {tier: dns}}
    params: {domain: shop.example.com, records: [shop.example.com, www.shop.example.com]}
""", "domain.yaml")

#: The user's spec of issue 16: the domain, no records required.
SPEC_DOMAIN_ONLY = parse_spec("""
extends: default
tiers:
  dns: {kind: dns, select: {tags: {tier: dns}}, params: {domain: shop.example.com}}
""", "domain-only.yaml")
#: An apex record wanted: said explicitly.
SPEC_APEX = parse_spec("""
extends: default
tiers:
  dns: {kind: dns, select: {tags: {tier: dns}}, params: {domain: shop.example.com, records: [shop.example.com]}}
""", "apex.yaml")
SPEC_API_RECORD = parse_spec("""
extends: default
tiers:
  dns: {kind: dns, select: {tags: {tier: dns}}, params: {domain: shop.example.com, records: [api.shop.example.com]}}
""", "api.yaml")
NS = {"name": "shop.example.com", "type": "NS", "values": ["ns-1.awsdns-00.com"], "alias_target_dns": None}

CF_GAP = CoverageGap("cloudfront", "global", "ListDistributions", "AccessDenied", "denied", "cloudfront.distribution", "")
TABLE_GAP = CoverageGap("dynamodb", "us-east-1", "ListTables", "AccessDenied", "denied", "dynamodb.table", "")
WAF_GAP = CoverageGap("wafv2", "us-east-1", "ListWebACLs", "AccessDenied", "denied", "wafv2.web_acl", "")
WAF_LBS = "associated_load_balancer_arns"


def _drop(rtype):
    return lambda r: r.update({rtype: []})


def _zone_records(*records):
    return lambda r: first(r, "route53.hosted_zone")["records"].extend(records)


def _records(*records):
    return lambda r: first(r, "route53.hosted_zone").update(records=list(records))


def _sub_zone(name, *records, unread=False):
    """A second public zone of the dns tier (a sub-zone of the domain)."""
    zone = {"id": "Z2SUB", "arn": "arn:aws:route53:::hostedzone/Z2SUB", "name": name, "private": False, "region": "global",
            "tags": {"app": "3d-shop", "tier": "dns"}}
    zone.update({"errors": {"records": "route53:ListResourceRecordSets failed with AccessDenied"}} if unread
                else {"records": list(records)})
    return lambda r: r["route53.hosted_zone"].append(zone)


def _both(*edits):
    return lambda r: [edit(r) for edit in edits]


def _set(rtype, **fields):
    return lambda r: first(r, rtype).update(fields)


def _groups(*groups):
    def edit(r):
        r["ec2.security_group"] = [g for g in r["ec2.security_group"] if g["id"] not in {x["id"] for x in groups}] + list(groups)
    return edit


def _no_tags(rtype):
    def edit(r):
        first(r, rtype).pop("tags")
        first(r, rtype)["errors"] = {"tags": "tagging:GetResources failed with AccessDenied"}
    return edit


def _regional_acl(name, lb_arns):
    """A REGIONAL web ACL protecting `lb_arns`; None: ListResourcesForWebACL failed; ...: never collected."""
    acl = {"id": name, "name": name, "scope": "REGIONAL", "region": "us-east-1", "tags": {},
           "arn": f"arn:aws:wafv2:us-east-1:123456789012:regional/webacl/{name}/1"}
    if lb_arns is None:
        acl["errors"] = {WAF_LBS: f"wafv2:ListResourcesForWebACL in us-east-1 for {acl['arn']} failed with AccessDenied: no"}
    elif lb_arns is not ...:
        acl[WAF_LBS] = lb_arns
    return acl


def _open_alb_with_acls(*acls):
    """The ALB open to the world, and these regional web ACLs next to the fixture's CloudFront one."""
    def edit(r):
        _groups(sg("sg-alb", rule(443, cidr="0.0.0.0/0"), tier="load_balancer"))(r)
        r["wafv2.web_acl"].extend(acls)
    return edit


PUBLIC_READ = {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shop-assets/*"}

CASES = [
    # arch.tier_present
    Case("arch.tier_present", "every tier deployed", world(), ["PASS"], message_contains="matches deployed resources"),
    Case("arch.tier_present", "no load balancer", c(_drop("elbv2.load_balancer")), ["FAIL"],
         message_contains="load_balancer (load_balancer)"),
    Case("arch.tier_present", "two tiers missing", c(lambda r: (_drop("lambda.function")(r), _drop("dynamodb.table")(r))),
         ["FAIL"], message_contains="2 tier(s)"),
    Case("arch.tier_present", "a table listing failed: ERROR, never a guess", c(_drop("dynamodb.table")), ["ERROR"],
         coverage=[TABLE_GAP]),
    Case("arch.tier_present", "a missing tier is FAIL even when another could not be seen",
         c(lambda r: (_drop("dynamodb.table")(r), _drop("lambda.function")(r))), ["FAIL"], coverage=[TABLE_GAP],
         message_contains="functions (functions)"),
    Case("arch.tier_present", "tags unread: cannot say the tier is missing", c(_no_tags("lambda.function")), ["ERROR"]),
    Case("arch.tier_present", "a spec binding by names and ARNs", world(), ["FAIL"], spec=SPEC_BY_NAME,
         message_contains="search (nosql_db)"),
    # arch.assets_via_cdn
    Case("arch.assets_via_cdn", "origin with OAC-only policy", world(), ["PASS"]),
    Case("arch.assets_via_cdn", "public read too", c(lambda r: first(r, "s3.bucket")["policy"]["Statement"].append(PUBLIC_READ)),
         ["FAIL"], message_contains="everyone (Principal *)"),
    Case("arch.assets_via_cdn", "not an origin", c(lambda r: first(r, "cloudfront.distribution")["origins"].pop(0)), ["FAIL"],
         message_contains="not an origin"),
    Case("arch.assets_via_cdn", "no policy at all", c(_set("s3.bucket", policy=None)), ["FAIL"],
         message_contains="grants CloudFront no read access"),
    Case("arch.assets_via_cdn", "public ACL", c(_set("s3.bucket", acl_grants=[
        {"grantee_uri": "http://acs.amazonaws.com/groups/global/AllUsers", "grantee_type": "Group", "permission": "READ"}])),
         ["FAIL"], message_contains="ACL grants READ to AllUsers"),
    Case("arch.assets_via_cdn", "origin of a distribution outside the spec",
         c(lambda r: first(r, "cloudfront.distribution").update(tags={"tier": "legacy"})), ["FAIL"],
         message_contains="outside the spec"),
    Case("arch.assets_via_cdn", "a bucket outside the assets tier: no finding", c(_set("s3.bucket", tags={"tier": "logs"})), []),
    Case("arch.assets_via_cdn", "policy unread", c(lambda r: (first(r, "s3.bucket").pop("policy"),
                                                               first(r, "s3.bucket").update(errors={"policy": "denied"}))),
         ["ERROR"]),
    Case("arch.assets_via_cdn", "distributions not listed", world(), ["ERROR"], coverage=[CF_GAP]),
    # arch.edge_in_front_of_api
    Case("arch.edge_in_front_of_api", "origin admitting only the CloudFront prefix list", world(), ["PASS"]),
    Case("arch.edge_in_front_of_api", "open to the world", c(_groups(sg("sg-alb", rule(443, cidr="0.0.0.0/0"), tier="load_balancer"))),
         ["FAIL"], message_contains="sg-alb admits the whole internet on port 443"),
    Case("arch.edge_in_front_of_api", "not behind the distribution",
         c(lambda r: first(r, "cloudfront.distribution")["origins"].pop(1)), ["FAIL"], message_contains="not an origin"),
    Case("arch.edge_in_front_of_api", "prefix list not the configured one", world(), ["FAIL"],
         params={"cloudfront_prefix_list_ids": ["pl-other"]}, message_contains=f"admits {CLOUDFRONT_PL}"),
    Case("arch.edge_in_front_of_api", "open to the world but behind a regional WAF", c(_open_alb_with_acls(
        _regional_acl("other-waf", []), _regional_acl("api-waf", [ALB_ARN]))), ["PASS"],
         message_contains="regional WAF web ACL(s) api-waf"),
    Case("arch.edge_in_front_of_api", "a regional WAF is enough even if another ACL was not read", c(_open_alb_with_acls(
        _regional_acl("api-waf", [ALB_ARN]), _regional_acl("other-waf", None))), ["PASS"]),
    Case("arch.edge_in_front_of_api", "regional web ACLs protecting other load balancers: FAIL", c(_open_alb_with_acls(
        _regional_acl("api-waf", ["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/1"]),
        _regional_acl("spare-waf", []))), ["FAIL"], message_contains="has no regional WAF web ACL"),
    Case("arch.edge_in_front_of_api", "a CloudFront web ACL does not protect the load balancer: FAIL",
         c(_open_alb_with_acls()), ["FAIL"], message_contains="sg-alb admits the whole internet"),
    Case("arch.edge_in_front_of_api", "associations of a regional web ACL unread: ERROR naming the call",
         c(_open_alb_with_acls(_regional_acl("api-waf", None))), ["ERROR"],
         message_contains="(wafv2:ListResourcesForWebACL in us-east-1 for"),
    Case("arch.edge_in_front_of_api", "associations never collected (older snapshot): ERROR",
         c(_open_alb_with_acls(_regional_acl("api-waf", ...))), ["ERROR"], message_contains="api-waf"),
    Case("arch.edge_in_front_of_api", "regional web ACLs not listed: ERROR", c(_open_alb_with_acls()), ["ERROR"],
         coverage=[WAF_GAP], message_contains="wafv2:ListWebACLs"),
    Case("arch.edge_in_front_of_api", "properly fronted: PASS whatever is known of the WAF", world(), ["PASS"],
         coverage=[WAF_GAP]),
    Case("arch.edge_in_front_of_api", "internal load balancer: no finding", c(_set("elbv2.load_balancer", scheme="internal")), []),
    Case("arch.edge_in_front_of_api", "security group not in the snapshot: ERROR",
         c(_set("elbv2.load_balancer", security_groups=["sg-gone"])), ["ERROR"]),
    # arch.dns_to_edge
    Case("arch.dns_to_edge", "aliases to the distribution and the load balancer", world(), ["PASS"]),
    Case("arch.dns_to_edge", "a CNAME to the load balancer counts", c(lambda r: first(r, "route53.hosted_zone").update(
        records=[alias("shop.example.com", "d111111abcdef8.cloudfront.net."), cname("api.shop.example.com", ALB_DNS)])), ["PASS"]),
    Case("arch.dns_to_edge", "dangling failover record", c(_zone_records(
        cname("api.shop.example.com", "shop-api-1.eu-west-1.elb.amazonaws.com", "api-euw1"))), ["FAIL"],
         message_contains="api.shop.example.com (api-euw1) points to shop-api-1.eu-west-1.elb.amazonaws.com"),
    Case("arch.dns_to_edge", "address record", c(_zone_records(
        {"name": "legacy.shop.example.com", "type": "A", "values": ["203.0.113.10"], "alias_target_dns": None})), ["FAIL"],
         message_contains="address record (203.0.113.10)"),
    Case("arch.dns_to_edge", "the domain's records only (records parameter)", c(_zone_records(
        cname("status.shop.example.com", "status.s3-website-us-east-1.amazonaws.com"))), ["PASS"], spec=SPEC_DOMAIN),
    Case("arch.dns_to_edge", "records: lists the apex, which has no record", c(lambda r: first(r, "route53.hosted_zone").update(
        records=[alias("www.shop.example.com", "d111111abcdef8.cloudfront.net")])), ["FAIL"], spec=SPEC_DOMAIN,
         message_contains="lacks records the spec lists: shop.example.com has no A, AAAA or CNAME record (it is listed in records)"),
    # issue 16: the apex is not required unless records: says so
    Case("arch.dns_to_edge", "domain: www and api alias the edge and the load balancer, no apex record", c(_records(
        NS, alias("www.shop.example.com", CF_DNS), alias("api.shop.example.com", f"dualstack.{ALB_DNS}"))), ["PASS"],
         spec=SPEC_DOMAIN_ONLY, message_contains="points 2 record(s) at the spec's edge"),
    Case("arch.dns_to_edge", "domain: the apex exists and points elsewhere", c(_records(
        NS, {"name": "shop.example.com", "type": "A", "values": ["203.0.113.10"], "alias_target_dns": None},
        alias("www.shop.example.com", CF_DNS))), ["FAIL"], spec=SPEC_DOMAIN_ONLY,
         message_contains="shop.example.com is an address record (203.0.113.10)"),
    Case("arch.dns_to_edge", "domain: an apex alias somewhere else", c(_records(
        NS, alias("shop.example.com", "shop-old.s3-website-us-east-1.amazonaws.com"), alias("www.shop.example.com", CF_DNS))),
         ["FAIL"], spec=SPEC_DOMAIN_ONLY, message_contains="shop.example.com points to shop-old.s3-website-us-east-1.amazonaws.com"),
    Case("arch.dns_to_edge", "domain: no record at all", c(_records(NS)), ["FAIL"], spec=SPEC_DOMAIN_ONLY,
         message_contains="shop.example.com has no A, AAAA or CNAME record in the dns tier's zones"),
    Case("arch.dns_to_edge", "no domain: a zone with no record at all", c(_records(NS)), ["FAIL"],
         message_contains="it has no A, AAAA or CNAME record"),
    Case("arch.dns_to_edge", "records: requiring the apex, which aliases the edge", c(_records(
        NS, alias("shop.example.com", CF_DNS), alias("www.shop.example.com", "elsewhere.example.net"))), ["PASS"],
         spec=SPEC_APEX, message_contains="points 1 record(s)"),
    Case("arch.dns_to_edge", "records: requiring the apex, missing", c(_records(NS, alias("www.shop.example.com", CF_DNS))),
         ["FAIL"], spec=SPEC_APEX, message_contains="shop.example.com has no A, AAAA or CNAME record (it is listed in records)"),
    Case("arch.dns_to_edge", "records: the required name missing is certain even when a listing failed",
         c(_records(NS, alias("www.shop.example.com", CF_DNS))), ["FAIL"], spec=SPEC_DOMAIN, coverage=[CF_GAP],
         message_contains="lacks records the spec lists: shop.example.com has no"),
    Case("arch.dns_to_edge", "domain: the apex zone has no record, its sub-zone aliases the load balancer", c(_both(
        _records(NS), _sub_zone("api.shop.example.com", alias("api.shop.example.com", ALB_DNS)))), ["PASS"],
         spec=SPEC_DOMAIN_ONLY),
    Case("arch.dns_to_edge", "domain: neither the zone nor its sub-zone has a record", c(_both(
        _records(NS), _sub_zone("api.shop.example.com"))), ["FAIL", "FAIL"], spec=SPEC_DOMAIN_ONLY,
         message_contains="shop.example.com has no A, AAAA or CNAME record"),
    Case("arch.dns_to_edge", "domain: the sub-zone's records unread, so an empty zone cannot be judged", c(_both(
        _records(NS), _sub_zone("api.shop.example.com", unread=True))), ["ERROR", "ERROR"], spec=SPEC_DOMAIN_ONLY),
    Case("arch.dns_to_edge", "records: a required name is judged by the sub-zone it lives in", c(_both(
        _records(NS, alias("www.shop.example.com", CF_DNS)), _sub_zone("api.shop.example.com"))), ["FAIL"],
         spec=SPEC_API_RECORD, message_contains="Hosted zone api.shop.example.com lacks records the spec lists"),
    Case("arch.dns_to_edge", "records: a required name no zone of the tier holds is missing", world(), ["FAIL"],
         spec=parse_spec("extends: default\ntiers:\n  dns: {kind: dns, select: {tags: {tier: dns}}, "
                         "params: {records: [www.shop.example.com, shop.example.org]}}\n", "org.yaml"),
         message_contains="lacks records the spec lists: shop.example.org has no A, AAAA or CNAME record"),
    Case("arch.dns_to_edge", "private zone: no finding", c(_set("route53.hosted_zone", private=True)), []),
    Case("arch.dns_to_edge", "distributions not listed and a record unexplained: ERROR", c(lambda r: None), ["ERROR"],
         coverage=[CF_GAP]),
    Case("arch.dns_to_edge", "records unread", c(lambda r: (first(r, "route53.hosted_zone").pop("records"),
                                                            first(r, "route53.hosted_zone").update(errors={"records": "denied"}))),
         ["ERROR"]),
    # arch.compute_behind_lb
    Case("arch.compute_behind_lb", "attached to the ALB's target group", world(), ["PASS"]),
    Case("arch.compute_behind_lb", "no target group", c(_set("autoscaling.group", target_group_arns=[])), ["FAIL"],
         message_contains="attached to no target group"),
    Case("arch.compute_behind_lb", "target group of a load balancer outside the spec",
         c(lambda r: first(r, "elbv2.load_balancer").update(tags={"tier": "legacy"})), ["FAIL"],
         message_contains="shop-web-tg, which no load balancer"),
    Case("arch.compute_behind_lb", "a spec binding by names", world(), ["PASS"], spec=SPEC_BY_NAME),
    Case("arch.compute_behind_lb", "attachments unread",
         c(lambda r: (first(r, "autoscaling.group").pop("target_group_arns"),
                      first(r, "autoscaling.group").update(errors={"target_group_arns": "denied"}))), ["ERROR"]),
    # arch.data_tier_private
    Case("arch.data_tier_private", "private, admitting the app tier only", world(), ["PASS"]),
    Case("arch.data_tier_private", "publicly accessible", c(_set("rds.db_instance", publicly_accessible=True)), ["FAIL"],
         message_contains="publicly accessible"),
    Case("arch.data_tier_private", "a VPC range", c(_groups(sg("sg-db", rule(5432, group="sg-app"), rule(5432, cidr="10.0.0.0/16"),
                                                              tier="relational_db"))), ["FAIL"],
         message_contains="sg-db admits 10.0.0.0/16 on port 5432"),
    Case("arch.data_tier_private", "the bastion's group", c(lambda r: (
        _groups(sg("sg-db", rule(5432, group="sg-bastion"), tier="relational_db"))(r),
        r["ec2.security_group"].append(sg("sg-bastion", rule(22, cidr="0.0.0.0/0"), tier="ops")))), ["FAIL"],
         message_contains="security group sg-bastion, not of the compute tier"),
    Case("arch.data_tier_private", "the world", c(_groups(sg("sg-db", rule(3306, cidr="0.0.0.0/0"), tier="relational_db"))), ["FAIL"],
         message_contains="the whole internet"),
    Case("arch.data_tier_private", "a database outside the tier: no finding", c(_set("rds.db_instance", tags={})), []),
    Case("arch.data_tier_private", "security groups unread",
         c(lambda r: (first(r, "rds.db_instance").pop("vpc_security_group_ids"),
                      first(r, "rds.db_instance").update(errors={"vpc_security_group_ids": "denied"}))), ["ERROR"]),
]
