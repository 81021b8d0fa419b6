"""A small Result with one finding of each status, savings, a coverage gap, a waiver, and hostile
strings (markup, a spreadsheet formula, quotes, control characters, unicode) for the renderer tests."""

from __future__ import annotations

from opsctl.engine import Result
from opsctl.findings import Finding, Severity, Status
from opsctl.snapshot import CoverageGap

ACCOUNT = "123456789012"
HOSTILE_SCRIPT = "<script>window.__pwned = 1</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned = 2">'
FORMULA = "=cmd|' /C calc'!A0"
BUCKET = "shop-exports-ünïcødé"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
WAIVER = {"check": "s3.bucket_versioning", "resource": "arn:aws:s3:::shop-tmp-*", "reason": "scratch bucket, rebuilt nightly",
          "owner": "platform@example.com", "expires": "2099-12-31", "ticket": "OPS-1234", "source": "waivers.yaml:3"}


def finding(check_id: str, status: Status, severity: Severity = Severity.HIGH, pillar: str = "security",
            resource_id: str = BUCKET_ARN, message: str = "", **kw) -> Finding:
    return Finding(check_id=check_id, title=kw.pop("title", f"Title of {check_id}"), status=status, severity=severity,
                   pillar=pillar, resource_id=resource_id, resource_type=kw.pop("resource_type", "s3.bucket"),
                   region=kw.pop("region", "us-east-1"), message=message or f"{check_id} on {resource_id}.",
                   evidence=kw.pop("evidence", {}), runbook=f"runbooks/{check_id}.md", **kw)


def sample_findings() -> list[Finding]:
    findings = [
        finding("s3.bucket_not_public", Status.FAIL, Severity.CRITICAL,
                message=f"S3 bucket {BUCKET} grants READ to AllUsers {HOSTILE_SCRIPT} | pipe \"quoted\" 'single' *bold* [x](http://e.vil)",
                evidence={"public_grants": ["AllUsers:READ"], "note": HOSTILE_IMG}),
        finding("s3.bucket_encryption", Status.PASS, Severity.HIGH, message=f"S3 bucket {BUCKET} is encrypted."),
        finding("ec2.volume_unattached", Status.FAIL, Severity.LOW, pillar="cost",
                resource_id="arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc", resource_type="ec2.volume",
                message=f"{FORMULA} EBS volume vol-0abc is unattached\x07 (100 GiB).", monthly_savings_usd=8.0),
        finding("ec2.volume_gp2", Status.PASS, Severity.LOW, pillar="cost",
                resource_id="arn:aws:ec2:us-east-1:123456789012:volume/vol-0def", resource_type="ec2.volume"),
        finding("rds.instance_multi_az", Status.ERROR, Severity.HIGH, pillar="availability",
                resource_id="arn:aws:rds:eu-west-1:123456789012:account", resource_type="rds.db_instance", region="eu-west-1",
                message="Could not list rds.db_instance: DescribeDBInstances failed (AccessDenied)."),
        finding("trustedadvisor.check", Status.SKIPPED, Severity.INFO, pillar="operations",
                resource_id="arn:aws:iam::123456789012:root", resource_type="iam.account", region="global",
                message="Trusted Advisor needs a Business support plan; this account has Basic."),
        finding("s3.bucket_versioning", Status.WAIVED, Severity.MEDIUM, pillar="availability",
                resource_id="arn:aws:s3:::shop-tmp-1",
                message="S3 bucket shop-tmp-1 has versioning off. Waived by platform@example.com until 2099-12-31.",
                evidence={"versioning": "Disabled", "waiver": {k: v for k, v in WAIVER.items()}}),
    ]
    findings.sort(key=Finding.sort_key)
    return findings


def sample_result(**metadata) -> Result:
    result = Result(
        findings=sample_findings(),
        coverage=[CoverageGap("rds", "eu-west-1", "DescribeDBInstances", "AccessDenied", "User is not authorized <b>",
                              "rds.db_instance", "")],
        account=ACCOUNT,
        regions=["us-east-1", "eu-west-1"],
        checks_run=sorted({f.check_id for f in sample_findings()}),
        metadata={"source": "snapshot", "evaluated_at": "2026-11-25T09:00:00+00:00", **metadata},
    )
    result.waivers = [{**WAIVER, "status": "active", "matched": 1},
                      {**WAIVER, "check": "ec2.volume_unattached", "resource": "*", "expires": "2020-01-01",
                       "source": "waivers.yaml:9", "status": "expired", "matched": 1}]
    return result


# ----- a topology for the tier parts of the reports -------------------------------------------------
VOLUME_ARN = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc"
HOSTILE_LABEL = f'say "hi" <b>|x|` %%{{init: {{}}}}%% #quot; {HOSTILE_SCRIPT}\nnext line'


def sample_topology() -> dict:
    """Tiers over the sample findings' resources: assets (the buckets), compute (the volumes; the
    unattached one also in assets, as a resource can be in two tiers), a missing waf and a
    relational_db tier that could not be listed; nodes with a hostile label, a broken edge and a
    missing flow."""
    volumes = [VOLUME_ARN, "arn:aws:ec2:us-east-1:123456789012:volume/vol-0def"]
    return {
        "spec": {"name": 'shop "prod" <i>', "source": "builtin"},
        "tiers": [
            {"name": "assets", "kind": "assets", "description": "", "present": True, "count": 2,
             "members": [BUCKET_ARN, "arn:aws:s3:::shop-tmp-1", VOLUME_ARN]},
            {"name": "compute", "kind": "compute", "description": "", "present": True, "count": 2, "members": volumes},
            {"name": "waf", "kind": "waf", "description": "", "present": False, "count": 0, "members": []},
            {"name": "orders", "kind": "relational_db", "description": "", "present": None, "count": 0, "members": []},
        ],
        "nodes": [
            {"id": "internet", "kind": "external", "tier": None, "label": "Internet", "region": ""},
            {"id": BUCKET_ARN, "kind": "s3.bucket", "tier": "assets", "label": HOSTILE_LABEL, "region": "us-east-1"},
            {"id": "arn:aws:s3:::shop-tmp-1", "kind": "s3.bucket", "tier": "assets", "label": "shop-tmp-1", "region": "us-east-1"},
            {"id": volumes[0], "kind": "ec2.volume", "tier": "compute", "label": "vol-0abc", "region": "us-east-1"},
            {"id": volumes[1], "kind": "ec2.volume", "tier": "compute", "label": "vol-0def", "region": "us-east-1"},
        ],
        "edges": [
            {"from": "internet", "to": BUCKET_ARN, "kind": "ingress", "ok": False, "label": "0.0.0.0/0 \"all\"", "reason": "open"},
            {"from": BUCKET_ARN, "to": volumes[1], "kind": "origin", "ok": True, "label": "", "reason": ""},
            {"from": "arn:aws:s3:::shop-tmp-1", "to": volumes[0], "kind": "origin", "ok": None, "label": "x|y", "reason": ""},
        ],
        "flows": [{"from": "waf", "to": "assets", "kind": "protects", "status": "missing"},
                  {"from": "assets", "to": "compute", "kind": "origin", "status": "ok"}],
    }


def topology_findings() -> list[Finding]:
    """The sample findings plus an arch.tier_present FAIL naming the missing tier and alarm coverage."""
    extra = [
        finding("arch.tier_present", Status.FAIL, Severity.HIGH, pillar="operations", resource_id="arn:aws:iam::123456789012:root",
                resource_type="iam.account", region="global", message="The waf tier is missing.",
                evidence={"missing_tiers": ["waf"]}),
        finding("cloudwatch.alarm_coverage", Status.FAIL, Severity.MEDIUM, pillar="operations", resource_id=VOLUME_ARN,
                resource_type="ec2.volume", message="vol-0abc has no alarm on VolumeIdleTime."),
        finding("cloudwatch.alarm_coverage", Status.PASS, Severity.MEDIUM, pillar="operations",
                resource_id="arn:aws:ec2:us-east-1:123456789012:volume/vol-0def", resource_type="ec2.volume"),
    ]
    return sorted(sample_findings() + extra, key=Finding.sort_key)


def topology_result(**metadata) -> Result:
    result = sample_result(**metadata)
    result.findings = topology_findings()
    result.checks_run = sorted({f.check_id for f in result.findings})
    result.topology = sample_topology()
    return result
