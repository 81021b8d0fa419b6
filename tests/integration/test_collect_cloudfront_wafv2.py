"""The CloudFront and WAFv2 collectors against moto in-process."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.exceptions
import pytest

ACCOUNT = "123456789012"
VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


def _fail_on(aws: Any, service: str, region: str, operation: str, code: str = "AccessDenied") -> None:
    """Make opsctl's own client for (service, region) fail `operation`."""
    client = aws.client(service, region)

    def hook(**_: Any) -> None:
        raise botocore.exceptions.ClientError({"Error": {"Code": code, "Message": f"not allowed: {operation}"}}, operation)

    client.meta.events.register(f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", hook)


def _web_acl(name: str, scope: str, region: str = "us-east-1", rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    waf = boto3.client("wafv2", region_name=region)
    return waf.create_web_acl(Name=name, Scope=scope, DefaultAction={"Block": {}} if scope == "REGIONAL" else {"Allow": {}},
                              VisibilityConfig={**VISIBILITY, "MetricName": name}, Rules=rules or [],
                              Tags=[{"Key": "tier", "Value": "waf"}])["Summary"]


MANAGED_RULE = {
    "Name": "common", "Priority": 0, "OverrideAction": {"None": {}},
    "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
    "VisibilityConfig": {**VISIBILITY, "MetricName": "common"},
}
RATE_RULE = {
    "Name": "rate", "Priority": 1, "Action": {"Block": {}},
    "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
    "VisibilityConfig": {**VISIBILITY, "MetricName": "rate"},
}


def _distribution(cf: Any, ref: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "CallerReference": ref, "Comment": ref, "Enabled": True,
        "Origins": {"Quantity": 2, "Items": [
            {"Id": "assets", "DomainName": "shop-assets.s3.us-east-1.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}},
            {"Id": "api", "DomainName": "api-origin.example.com", "CustomOriginConfig": {
                "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
                "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}}},
        ]},
        "DefaultCacheBehavior": {"TargetOriginId": "assets", "ViewerProtocolPolicy": "redirect-to-https", "Compress": True,
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "MinTTL": 0},
        "CacheBehaviors": {"Quantity": 1, "Items": [{
            "PathPattern": "/api/*", "TargetOriginId": "api", "ViewerProtocolPolicy": "https-only", "Compress": False,
            "ForwardedValues": {"QueryString": True, "Cookies": {"Forward": "all"}}, "MinTTL": 0}]},
        "HttpVersion": "http2and3",
    }
    config.update(overrides)
    return cf.create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": config, "Tags": {"Items": [{"Key": "tier", "Value": "edge"}]}})["Distribution"]


def test_distribution_fields(collect_services: Any) -> None:
    cert = boto3.client("acm", region_name="us-east-1").request_certificate(DomainName="shop.example.com")["CertificateArn"]
    acl = _web_acl("shop-edge", "CLOUDFRONT")
    cf = boto3.client("cloudfront", region_name="us-east-1")
    main = _distribution(
        cf, "main",
        Aliases={"Quantity": 1, "Items": ["shop.example.com"]},
        WebACLId=acl["ARN"],
        ViewerCertificate={"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
        Logging={"Enabled": True, "IncludeCookies": False, "Bucket": "shop-logs.s3.amazonaws.com", "Prefix": "cf/"},
        OriginGroups={"Quantity": 1, "Items": [{
            "Id": "assets-failover", "FailoverCriteria": {"StatusCodes": {"Quantity": 2, "Items": [503, 500]}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": "assets"}, {"OriginId": "api"}]}}]},
    )
    bare = _distribution(cf, "bare", HttpVersion="http1.1")
    snap = collect_services(["cloudfront"])
    got = {d["id"]: d for d in snap.resources["cloudfront.distribution"]}
    d = got[main["Id"]]
    assert d["arn"] == main["ARN"] and d["region"] == "global"
    assert d["domain_name"].endswith(".cloudfront.net")
    assert d["aliases"] == ["shop.example.com"]
    assert d["tags"] == {"tier": "edge"}
    assert d["enabled"] is True
    assert d["web_acl_id"] == acl["ARN"]
    # moto says CloudFrontDefaultCertificate=true next to an ACM certificate; the collector does not.
    assert d["viewer_certificate"] == {"cloudfront_default": False, "acm_arn": cert, "iam_certificate_id": None,
                                       "minimum_protocol_version": "TLSv1.2_2021", "ssl_support_method": "sni-only"}
    assert d["http_version"] == "http2and3"
    assert (d["logging_enabled"], d["logging_bucket"]) == (True, "shop-logs.s3.amazonaws.com")
    assert d["origins"] == [
        # moto drops S3OriginConfig: the S3 REST domain still makes it an s3 origin.
        {"id": "assets", "domain_name": "shop-assets.s3.us-east-1.amazonaws.com", "kind": "s3", "s3_oac_id": "", "s3_oai": "",
         "origin_protocol_policy": None, "origin_ssl_protocols": []},
        {"id": "api", "domain_name": "api-origin.example.com", "kind": "custom", "s3_oac_id": "", "s3_oai": "",
         "origin_protocol_policy": "https-only", "origin_ssl_protocols": ["TLSv1.2"]},
    ]
    assert d["origin_groups"] == [{"id": "assets-failover", "members": ["assets", "api"], "failover_status_codes": [500, 503]}]
    assert d["cache_behaviors"] == [
        {"path_pattern": "*", "is_default": True, "target_origin_id": "assets", "viewer_protocol_policy": "redirect-to-https", "compress": True},
        {"path_pattern": "/api/*", "is_default": False, "target_origin_id": "api", "viewer_protocol_policy": "https-only", "compress": False},
    ]
    b = got[bare["Id"]]
    assert b["viewer_certificate"]["cloudfront_default"] is True
    assert (b["logging_enabled"], b["logging_bucket"], b["web_acl_id"], b["origin_groups"]) == (False, None, "", [])
    assert b["http_version"] == "http1.1"
    assert not snap.coverage
    json.dumps(snap.to_dict())


def test_distribution_listing_is_paginated(collect_services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from opsctl.collect.runner import CollectContext

    cf = boto3.client("cloudfront", region_name="us-east-1")
    ids = sorted(_distribution(cf, f"d{i}")["Id"] for i in range(3))
    pages = []

    def fake_call(self: Any, service: str, region: str, operation: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        """Serve ListDistributions one item per page, as AWS does past MaxItems."""
        if operation != "list_distributions":
            return original(self, service, region, operation, params, **kw)
        pages.append(dict(params or {}))
        items = cf.list_distributions()["DistributionList"]["Items"]
        start = int((params or {}).get("Marker") or 0)
        more = start + 1 < len(items)
        return {"DistributionList": {"Items": items[start:start + 1], "IsTruncated": more, "NextMarker": str(start + 1) if more else ""}}

    original = CollectContext.call
    monkeypatch.setattr(CollectContext, "call", fake_call)
    snap = collect_services(["cloudfront"])
    assert [d["id"] for d in snap.resources["cloudfront.distribution"]] == ids
    assert pages == [{}, {"Marker": "1"}, {"Marker": "2"}]


def test_distribution_failures(collect_services: Any, moto_aws: Any) -> None:
    _distribution(boto3.client("cloudfront", region_name="us-east-1"), "main")
    _fail_on(moto_aws, "cloudfront", "us-east-1", "GetDistributionConfig")
    snap = collect_services(["cloudfront"])
    [d] = snap.resources["cloudfront.distribution"]
    assert set(d["errors"]) == {"logging_enabled", "logging_bucket"}
    assert "AccessDenied" in d["errors"]["logging_enabled"]
    assert d["tags"] == {"tier": "edge"}
    assert snap.collected["cloudfront.distribution"] == ["global"]

    _fail_on(moto_aws, "cloudfront", "us-east-1", "ListDistributions")
    snap = collect_services(["cloudfront"])
    assert snap.resources.get("cloudfront.distribution", []) == []
    assert [g.operation for g in snap.listing_gaps("cloudfront.distribution")] == ["ListDistributions"]


def test_web_acls_both_scopes(collect_services: Any, waf_listing: Any) -> None:
    edge = _web_acl("shop-edge", "CLOUDFRONT", rules=[MANAGED_RULE, RATE_RULE])
    api = _web_acl("shop-api", "REGIONAL")
    eu = _web_acl("shop-api-eu", "REGIONAL", region="eu-west-1")
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="aws-waf-logs-shop-edge")
    group_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:aws-waf-logs-shop-edge"
    boto3.client("wafv2", region_name="us-east-1").put_logging_configuration(
        LoggingConfiguration={"ResourceArn": edge["ARN"], "LogDestinationConfigs": [group_arn]})

    snap = collect_services(["wafv2"], regions=["us-east-1", "eu-west-1"])
    got = {a["name"]: a for a in snap.resources["wafv2.web_acl"]}
    assert got["shop-edge"] == {
        "id": edge["Id"], "name": "shop-edge", "arn": edge["ARN"], "scope": "CLOUDFRONT", "region": "global",
        "tags": {"tier": "waf"}, "default_action": "allow", "rule_count": 2,
        "managed_rule_groups": ["AWS/AWSManagedRulesCommonRuleSet"], "rate_based_rule_count": 1,
        "logging_enabled": True, "logging_destinations": [group_arn],
    }
    assert (got["shop-api"]["scope"], got["shop-api"]["region"], got["shop-api"]["arn"]) == ("REGIONAL", "us-east-1", api["ARN"])
    assert (got["shop-api"]["default_action"], got["shop-api"]["logging_enabled"], got["shop-api"]["logging_destinations"]) == ("block", False, [])
    assert got["shop-api"][LBS] == [] and LBS not in got["shop-edge"]
    assert (got["shop-api-eu"]["region"], got["shop-api-eu"]["arn"]) == ("eu-west-1", eu["ARN"])
    assert snap.collected["wafv2.web_acl"] == ["eu-west-1", "global", "us-east-1"]
    assert not snap.coverage


def test_cloudfront_acls_collected_without_us_east_1(collect_services: Any) -> None:
    _web_acl("shop-edge", "CLOUDFRONT")
    snap = collect_services(["wafv2"], regions=["eu-west-1"])
    assert [(a["name"], a["region"]) for a in snap.resources["wafv2.web_acl"]] == [("shop-edge", "global")]


def test_web_acl_failures(collect_services: Any, moto_aws: Any) -> None:
    _web_acl("shop-edge", "CLOUDFRONT")
    _web_acl("shop-api-eu", "REGIONAL", region="eu-west-1")
    _fail_on(moto_aws, "wafv2", "us-east-1", "GetLoggingConfiguration")
    _fail_on(moto_aws, "wafv2", "eu-west-1", "ListWebACLs")
    snap = collect_services(["wafv2"], regions=["us-east-1", "eu-west-1"])
    [edge] = snap.resources["wafv2.web_acl"]
    assert set(edge["errors"]) == {"logging_enabled", "logging_destinations"}
    assert edge["rule_count"] == 0
    assert snap.collected["wafv2.web_acl"] == ["global", "us-east-1"]
    assert [(g.region, g.operation) for g in snap.listing_gaps("wafv2.web_acl")] == [("eu-west-1", "ListWebACLs")]


def test_origin_normalisation_of_aws_shapes() -> None:
    """What moto cannot return (OAC ids, OAIs, VPC origins), in the shapes AWS documents."""
    from opsctl.collect.cloudfront import normalise_origin

    oac = normalise_origin({"Id": "assets", "DomainName": "shop-assets.s3.us-east-1.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""}, "OriginAccessControlId": "E2QWRUHEXAMPLE"})
    oai = normalise_origin({"Id": "old", "DomainName": "shop-old.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": "origin-access-identity/cloudfront/E1OAIEXAMPLE"}})
    website = normalise_origin({"Id": "site", "DomainName": "shop-site.s3-website-us-east-1.amazonaws.com",
                                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}})
    vpc = normalise_origin({"Id": "internal", "DomainName": "internal-alb.example.com",
                            "VpcOriginConfig": {"VpcOriginId": "vo_123"}})
    assert (oac["kind"], oac["s3_oac_id"], oac["s3_oai"]) == ("s3", "E2QWRUHEXAMPLE", "")
    assert (oai["kind"], oai["s3_oac_id"], oai["s3_oai"]) == ("s3", "", "origin-access-identity/cloudfront/E1OAIEXAMPLE")
    assert (website["kind"], website["origin_protocol_policy"], website["origin_ssl_protocols"]) == ("custom", "http-only", [])
    assert (vpc["kind"], vpc["origin_protocol_policy"]) == ("vpc", None)


# ----- which load balancers a regional web ACL protects (ListResourcesForWebACL) --------------
LBS = "associated_load_balancer_arns"


@pytest.fixture
def waf_listing() -> Any:
    """moto lacks ListResourcesForWebACL: the sandbox's patch serves it from moto's associations."""
    from opsctl.sandbox_seed import moto_patches

    with moto_patches.patched():
        yield


def _albs(*names: str, region: str = "us-east-1") -> dict[str, str]:
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    sg = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    elb = boto3.client("elbv2", region_name=region)
    return {n: elb.create_load_balancer(Name=n, Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing",
                                        Tags=[{"Key": "tier", "Value": "load_balancer"}])["LoadBalancers"][0]["LoadBalancerArn"]
            for n in names}


def _calls(aws: Any, operation: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    aws.session.events.register(f"provide-client-params.wafv2.{operation}", lambda params, **_: calls.append(dict(params)))
    return calls


def test_regional_web_acls_name_their_load_balancers(collect_services: Any, moto_aws: Any, waf_listing: Any) -> None:
    albs = _albs("api", "admin")
    api = _web_acl("shop-api", "REGIONAL")
    _web_acl("spare", "REGIONAL")
    _web_acl("shop-edge", "CLOUDFRONT")
    boto3.client("wafv2", region_name="us-east-1").associate_web_acl(WebACLArn=api["ARN"], ResourceArn=albs["api"])
    calls = _calls(moto_aws, "ListResourcesForWebACL")

    snap = collect_services(["wafv2"], regions=["us-east-1", "eu-west-1"])
    got = {a["name"]: a for a in snap.resources["wafv2.web_acl"]}
    assert got["shop-api"][LBS] == [albs["api"]]
    assert got["spare"][LBS] == []
    assert LBS not in got["shop-edge"]  # CloudFront ACLs: distributions name theirs (web_acl_id)
    assert not snap.coverage
    # One call per regional web ACL, none for the CloudFront one nor for eu-west-1, which has no regional ACL.
    assert sorted(c["WebACLArn"] for c in calls) == sorted([api["ARN"], got["spare"]["arn"]])
    assert {c["ResourceType"] for c in calls} == {"APPLICATION_LOAD_BALANCER"}


def test_load_balancer_associations_denied_is_a_gap(collect_services: Any, moto_aws: Any, waf_listing: Any) -> None:
    albs = _albs("api")
    api = _web_acl("shop-api", "REGIONAL")
    boto3.client("wafv2", region_name="us-east-1").associate_web_acl(WebACLArn=api["ARN"], ResourceArn=albs["api"])
    _fail_on(moto_aws, "wafv2", "us-east-1", "ListResourcesForWebACL")
    snap = collect_services(["wafv2"])
    [acl] = [a for a in snap.resources["wafv2.web_acl"] if a["scope"] == "REGIONAL"]
    assert LBS not in acl and set(acl["errors"]) == {LBS}
    assert "wafv2:ListResourcesForWebACL in us-east-1" in acl["errors"][LBS] and "AccessDenied" in acl["errors"][LBS]
    assert (acl["rule_count"], acl["tags"]) == (0, {"tier": "waf"})  # the other details are unaffected
    assert snap.collected["wafv2.web_acl"] == ["global", "us-east-1"]  # the listing itself succeeded
    assert [(g.operation, g.error_code, g.resource_id) for g in snap.coverage] == [("ListResourcesForWebACL", "AccessDenied", api["ARN"])]


def test_unimplemented_association_listing_is_a_gap(collect_services: Any) -> None:
    """Plain moto has no ListResourcesForWebACL: recorded as a gap, never read as "protects nothing"."""
    _web_acl("shop-api", "REGIONAL")
    snap = collect_services(["wafv2"])
    [acl] = snap.resources["wafv2.web_acl"]
    assert LBS not in acl and "ListResourcesForWebACL" in acl["errors"][LBS]
    assert [(g.operation, g.error_code) for g in snap.coverage] == [("ListResourcesForWebACL", "NotImplemented")]


@pytest.mark.parametrize("deny, expect", [
    (False, {"api": "PASS", "admin": "FAIL"}),
    (True, {"api": "ERROR", "admin": "ERROR"}),
])
def test_edge_check_reads_the_collected_associations(collect_services: Any, moto_aws: Any, waf_listing: Any,
                                                     deny: bool, expect: dict[str, str]) -> None:
    """Collected for real, judged by arch.edge_in_front_of_api: both load balancers are open to the world."""
    from tests.helpers import run

    albs = _albs("api", "admin")
    api = _web_acl("shop-api", "REGIONAL")
    boto3.client("wafv2", region_name="us-east-1").associate_web_acl(WebACLArn=api["ARN"], ResourceArn=albs["api"])
    if deny:
        _fail_on(moto_aws, "wafv2", "us-east-1", "ListResourcesForWebACL")
    snap = collect_services(["ec2", "elbv2", "wafv2", "cloudfront"])
    findings = {f.resource_id: f for f in run("arch.edge_in_front_of_api", snap)}
    assert {name: findings[arn].status.value for name, arn in albs.items()} == expect
    if deny:
        assert all("wafv2:ListResourcesForWebACL" in f.message for f in findings.values())
    else:
        assert "regional WAF web ACL(s) shop-api" in findings[albs["api"]].message
