"""The edge of the 3D shop: S3 asset buckets, a CloudFront WAF web ACL and two distributions.

What is deliberately right and wrong (so every S3 and CloudFront check has a FAIL, and a PASS
where moto allows one):

* `3d-shop-assets-<account>` (us-east-1, tier assets): the model and texture bucket behind the
  shop distribution. Encrypted with SSE-KMS, Block Public Access on, ACLs disabled, versioned,
  access-logged, readable by CloudFront only, TLS enforced. Flaw: its lifecycle only expires old
  versions and never aborts incomplete multipart uploads (large glTF uploads leave parts behind).
* `3d-shop-assets-replica-<account>` (eu-west-1, tier assets): the failover origin. Configured
  like the primary, but without access logging (no log bucket in its region).
* `3d-shop-logs-<account>` (us-east-1, tier logs): receives S3 and CloudFront logs. CloudFront
  standard logging needs ACLs, so object ownership is BucketOwnerPreferred; not versioned, does
  not log itself.
* `3d-shop-exports-<account>` (us-east-1, tier assets): a partner-export bucket someone opened
  up: public-read ACL, public bucket policy, no encryption, no Block Public Access, nothing else.
* Web ACL `3d-shop-edge` (scope CLOUDFRONT, tier waf): AWS managed rule groups plus a rate limit,
  logged to CloudWatch Logs.
* Distribution "shop" (tier edge): S3 assets origin, and for /models/* an origin group failing
  over to the replica (moto refuses a group as the default behaviour's target); the API
  load balancer as an HTTPS-only custom origin for /api/*, WAF attached, HTTPS redirect,
  TLSv1.2_2021 with an ACM certificate, HTTP/2+3, compression, standard logging. Its S3 origins
  carry an Origin Access Control (moto before 5.2.6 drops it, MOTO-NOTES.md, and the OAC check
  fails there too).
* Distribution "downloads" (tier edge): a legacy download site with every edge mistake: HTTP
  allowed, TLSv1 with a custom certificate, HTTP-only origin, no WAF, no logging, HTTP/1.1, no
  compression, no origin group, and the partner-exports bucket served under /exports/* as an S3
  origin without origin access control (which is why that bucket was made public).
"""

from __future__ import annotations

import json
from typing import Any

DOMAIN = "3d-shop.example"
#: Used when the compute tier has not run (seeding this tier alone).
PLACEHOLDER_API_ORIGIN = "api-origin.example.com"
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
#: AWS managed cache policies (ids are the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_METHODS = {"Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
               "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}
FAILOVER_CODES = [500, 502, 503, 504]


def seed(env: Any) -> None:
    names = _bucket_names(env)
    _seed_buckets(env, names)
    acl_arn = _seed_web_acl(env)
    cert_arn = _seed_certificate(env)
    shop = _seed_shop_distribution(env, names, acl_arn, cert_arn)
    downloads = _seed_downloads_distribution(env, names, cert_arn)
    for bucket, region in ((names["assets"], env.region), (names["replica"], env.second_region)):
        env.client("s3", region).put_bucket_policy(Bucket=bucket, Policy=json.dumps(_assets_policy(bucket, shop["ARN"])))
    env.outputs["assets_bucket"] = names["assets"]
    env.outputs["logs_bucket"] = names["logs"]
    env.outputs["distribution_ids"] = [shop["Id"], downloads["Id"]]
    env.outputs["distribution_domains"] = [shop["DomainName"], downloads["DomainName"]]
    env.outputs["cloudfront_waf_arn"] = acl_arn


def _bucket_names(env: Any) -> dict[str, str]:
    return {kind: f"3d-shop-{kind}-{env.account}" for kind in ("assets", "logs", "exports")} | {
        "replica": f"3d-shop-assets-replica-{env.account}"
    }


# ----- S3 -------------------------------------------------------------------------------------
def _statement_tls_only(bucket: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _assets_policy(bucket: str, distribution_arn: str) -> dict[str, Any]:
    """Read for this one distribution through OAC, nothing else (the OAC bucket policy from the docs)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowCloudFrontServicePrincipalReadOnly",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
            },
            _statement_tls_only(bucket),
        ],
    }


def _logs_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
            _statement_tls_only(bucket),
        ],
    }


def _create_bucket(env: Any, name: str, region: str, tier: str) -> Any:
    s3 = env.client("s3", region)
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": env.tags(tier, name)})
    return s3


def _harden(s3: Any, name: str, sse: dict[str, Any], ownership: str = "BucketOwnerEnforced") -> None:
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [sse]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})


SSE_S3 = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
SSE_KMS = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"},
           "BucketKeyEnabled": True}


def _seed_buckets(env: Any, names: dict[str, str]) -> None:
    # Logs first: server access logging needs a target that grants the logging service write.
    logs = _create_bucket(env, names["logs"], env.region, "logs")
    _harden(logs, names["logs"], SSE_S3, ownership="BucketOwnerPreferred")
    logs.put_bucket_policy(Bucket=names["logs"], Policy=json.dumps(_logs_policy(names["logs"])))
    logs.put_bucket_lifecycle_configuration(Bucket=names["logs"], LifecycleConfiguration={"Rules": [{
        "ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 90},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})

    assets = _create_bucket(env, names["assets"], env.region, "assets")
    _harden(assets, names["assets"], SSE_KMS)
    assets.put_bucket_versioning(Bucket=names["assets"], VersioningConfiguration={"Status": "Enabled"})
    assets.put_bucket_logging(Bucket=names["assets"], BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": names["logs"], "TargetPrefix": "s3/assets/"}})
    assets.put_bucket_lifecycle_configuration(Bucket=names["assets"], LifecycleConfiguration={"Rules": [{
        "ID": "expire-old-versions", "Status": "Enabled", "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})

    replica = _create_bucket(env, names["replica"], env.second_region, "assets")
    _harden(replica, names["replica"], SSE_S3)
    replica.put_bucket_versioning(Bucket=names["replica"], VersioningConfiguration={"Status": "Enabled"})
    replica.put_bucket_lifecycle_configuration(Bucket=names["replica"], LifecycleConfiguration={"Rules": [{
        "ID": "abort-uploads-and-expire-old-versions", "Status": "Enabled", "Filter": {"Prefix": ""},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}, "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})

    exports = _create_bucket(env, names["exports"], env.region, "assets")
    exports.put_bucket_acl(Bucket=names["exports"], ACL="public-read")
    exports.put_bucket_policy(Bucket=names["exports"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PartnerDownloads", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{names['exports']}/*"}]}))


# ----- WAF and certificate ----------------------------------------------------------------------
def _visibility(metric: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric}


def _seed_web_acl(env: Any) -> str:
    """The CloudFront-scope web ACL (created through us-east-1, where CLOUDFRONT scope lives)."""
    rules: list[dict[str, Any]] = [
        {"Name": group, "Priority": i, "OverrideAction": {"None": {}},
         "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}}, "VisibilityConfig": _visibility(group)}
        for i, group in enumerate(MANAGED_RULE_GROUPS)
    ]
    rules.append({"Name": "rate-limit-per-ip", "Priority": len(rules), "Action": {"Block": {}},
                  "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
                  "VisibilityConfig": _visibility("rate-limit-per-ip")})
    waf = env.client("wafv2", "us-east-1")
    acl = waf.create_web_acl(Name="3d-shop-edge", Scope="CLOUDFRONT", DefaultAction={"Allow": {}}, Rules=rules,
                             Description="Edge protection for the 3D shop distributions",
                             VisibilityConfig=_visibility("3d-shop-edge"), Tags=env.tags("waf", "3d-shop-edge"))["Summary"]
    # WAF log groups must be named aws-waf-logs-*; the web ACL's logs stay in us-east-1 with it.
    group = "aws-waf-logs-3d-shop-edge"
    logs = env.client("logs", "us-east-1")
    logs.create_log_group(logGroupName=group, tags=env.tag_map("logs", group))
    logs.put_retention_policy(logGroupName=group, retentionInDays=90)
    waf.put_logging_configuration(LoggingConfiguration={
        "ResourceArn": acl["ARN"], "LogDestinationConfigs": [f"arn:aws:logs:us-east-1:{env.account}:log-group:{group}"]})
    return acl["ARN"]


def _seed_certificate(env: Any) -> str:
    """CloudFront only accepts ACM certificates from us-east-1."""
    return env.client("acm", "us-east-1").request_certificate(
        DomainName=f"www.{DOMAIN}", SubjectAlternativeNames=[f"www.{DOMAIN}", f"*.{DOMAIN}"], ValidationMethod="DNS",
        Tags=env.tags("edge", f"www.{DOMAIN}"))["CertificateArn"]


# ----- CloudFront -------------------------------------------------------------------------------
def _s3_origin(origin_id: str, bucket: str, region: str, oac_id: str) -> dict[str, Any]:
    return {"Id": origin_id, "DomainName": f"{bucket}.s3.{region}.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""}, "OriginAccessControlId": oac_id}


def _custom_origin(origin_id: str, domain: str, policy: str) -> dict[str, Any]:
    return {"Id": origin_id, "DomainName": domain, "CustomOriginConfig": {
        "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": policy,
        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}, "OriginReadTimeout": 30, "OriginKeepaliveTimeout": 5}}


def _create_distribution(env: Any, name: str, config: dict[str, Any]) -> dict[str, Any]:
    cf = env.client("cloudfront", "us-east-1")
    return cf.create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": config, "Tags": {"Items": env.tags("edge", name)}})["Distribution"]


def _seed_shop_distribution(env: Any, names: dict[str, str], acl_arn: str, cert_arn: str) -> dict[str, Any]:
    cf = env.client("cloudfront", "us-east-1")
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": "3d-shop-assets", "Description": "CloudFront reads the asset buckets with SigV4",
        "SigningProtocol": "sigv4", "SigningBehavior": "always", "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    api_origin = env.outputs.get(f"alb_dns:{env.region}") or PLACEHOLDER_API_ORIGIN
    origins = [
        _s3_origin("assets", names["assets"], env.region, oac),
        _s3_origin("assets-replica", names["replica"], env.second_region, oac),
        _custom_origin("api", api_origin, "https-only"),
    ]
    config = {
        "CallerReference": "3d-shop-shop",
        "Comment": "3D shop: assets and API",
        "Enabled": True,
        "Aliases": {"Quantity": 2, "Items": [f"www.{DOMAIN}", f"assets.{DOMAIN}"]},
        "DefaultRootObject": "index.html",
        "Origins": {"Quantity": len(origins), "Items": origins},
        "OriginGroups": {"Quantity": 1, "Items": [{
            "Id": "assets-failover",
            "FailoverCriteria": {"StatusCodes": {"Quantity": len(FAILOVER_CODES), "Items": FAILOVER_CODES}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": "assets"}, {"OriginId": "assets-replica"}]}}]},
        # moto insists the default behaviour targets an origin, not a group: the models path uses the group.
        "DefaultCacheBehavior": {"TargetOriginId": "assets", "ViewerProtocolPolicy": "redirect-to-https",
                                 "Compress": True, "CachePolicyId": CACHING_OPTIMIZED},
        "CacheBehaviors": {"Quantity": 2, "Items": [
            {"PathPattern": "/models/*", "TargetOriginId": "assets-failover", "ViewerProtocolPolicy": "redirect-to-https",
             "Compress": True, "CachePolicyId": CACHING_OPTIMIZED},
            {"PathPattern": "/api/*", "TargetOriginId": "api", "ViewerProtocolPolicy": "https-only", "Compress": True,
             "AllowedMethods": ALL_METHODS, "CachePolicyId": CACHING_DISABLED},
        ]},
        "ViewerCertificate": {"ACMCertificateArn": cert_arn, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
        "WebACLId": acl_arn,
        "HttpVersion": "http2and3",
        "PriceClass": "PriceClass_100",
        "Logging": {"Enabled": True, "IncludeCookies": False, "Bucket": f"{names['logs']}.s3.amazonaws.com", "Prefix": "cloudfront/shop/"},
    }
    return _create_distribution(env, "shop", config)


def _seed_downloads_distribution(env: Any, names: dict[str, str], cert_arn: str) -> dict[str, Any]:
    origins = [_custom_origin("legacy-downloads", f"downloads-origin.{DOMAIN}", "http-only"),
               # No origin access control: CloudFront reads the bucket anonymously, so it had to be public.
               _s3_origin("partner-exports", names["exports"], env.region, oac_id="")]
    config = {
        "CallerReference": "3d-shop-downloads",
        "Comment": "Legacy model downloads (pre-migration)",
        "Enabled": True,
        "Aliases": {"Quantity": 1, "Items": [f"downloads.{DOMAIN}"]},
        "Origins": {"Quantity": len(origins), "Items": origins},
        "DefaultCacheBehavior": {"TargetOriginId": "legacy-downloads", "ViewerProtocolPolicy": "allow-all", "Compress": False,
                                 "CachePolicyId": CACHING_OPTIMIZED},
        "CacheBehaviors": {"Quantity": 1, "Items": [
            {"PathPattern": "/exports/*", "TargetOriginId": "partner-exports", "ViewerProtocolPolicy": "allow-all",
             "Compress": False, "CachePolicyId": CACHING_OPTIMIZED}]},
        "ViewerCertificate": {"ACMCertificateArn": cert_arn, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1"},
        "HttpVersion": "http1.1",
        "PriceClass": "PriceClass_All",
    }
    return _create_distribution(env, "downloads", config)
