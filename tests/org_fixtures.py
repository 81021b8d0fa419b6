"""Organisation results for the renderer tests, built in memory (no AWS): accounts with OU paths,
one of them not reached (its ERROR findings and coverage gap, as opsctl.org_audit writes them),
findings of every status with their ``account`` set, savings, coverage gaps per account, and
optionally hostile account names or thousands of synthetic findings.

    org_result()                      # 3 accounts: legacy (not reached), prod-payments, staging
    org_result(5, hostile=True)       # names that try markup, escapes, pipes and formulas
    org_result(extra_fails={"111111111111": 25_010})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opsctl.engine import AUDITED, NOT_REACHED, Result
from opsctl.findings import Finding, Severity, Status
from opsctl.snapshot import CoverageGap

ORG_ID = "o-abc123example"
MANAGEMENT = "999999999999"
PROD, STAGING, LEGACY = "111111111111", "222222222222", "333333333333"
REASON = ("sts:AssumeRole on arn:aws:iam::333333333333:role/OpsctlAudit failed with AccessDenied: "
          "User is not authorized to perform sts:AssumeRole")
HOSTILE_NAMES = (
    "<script>window.__pwned = 3</script>",
    "evil\x1b[2J\x1b]0;owned\x07 name",
    "a | b | c",
    "=cmd|' /C calc'!A0",
    "[/red] [link=http://e.vil]x[/link]",
)
CHECKS = ("s3.bucket_not_public", "iam.root_mfa", "ec2.volume_unattached", "rds.instance_multi_az",
          "cloudtrail.enabled")


def account_id(i: int) -> str:
    """The i-th account id (0-based): 111111111111 … 999999999999, then 100000000010 …"""
    return str(i + 1) * 12 if i < 9 else str(100_000_000_000 + i)


def f(account: str, check_id: str, status: Status, severity: Severity = Severity.HIGH, pillar: str = "security",
      resource: str = "", message: str = "", savings: float | None = None, region: str = "us-east-1",
      resource_type: str = "s3.bucket") -> Finding:
    resource = resource or f"arn:aws:s3:::bucket-{account}"
    return Finding(check_id=check_id, title=f"Title of {check_id}", status=status, severity=severity, pillar=pillar,
                   resource_id=resource, resource_type=resource_type, region=region,
                   message=message or f"{check_id} {status.value} on {resource}.", runbook=f"runbooks/{check_id}.md",
                   monthly_savings_usd=savings, account=account)


def _prod(a: str) -> list[Finding]:
    """Score 40: a critical and a high FAIL against two high PASSes, an ERROR, a cost FAIL."""
    return [
        f(a, "s3.bucket_not_public", Status.FAIL, Severity.CRITICAL, message="Bucket payments-exports is public."),
        f(a, "iam.root_mfa", Status.FAIL, Severity.HIGH, resource=f"arn:aws:iam::{a}:root", region="global",
          resource_type="iam.account", message="The root user has no MFA."),
        f(a, "cloudtrail.enabled", Status.PASS, Severity.HIGH, pillar="operations", resource=f"arn:aws:iam::{a}:root",
          region="global", resource_type="iam.account"),
        f(a, "s3.bucket_versioning", Status.PASS, Severity.HIGH, pillar="availability"),
        f(a, "rds.instance_multi_az", Status.ERROR, Severity.HIGH, pillar="availability",
          resource=f"arn:aws:rds:eu-west-1:{a}:account", region="eu-west-1", resource_type="rds.db_instance",
          message="Could not list rds.db_instance: DescribeDBInstances failed (AccessDenied)."),
        f(a, "ec2.volume_unattached", Status.FAIL, Severity.LOW, pillar="cost",
          resource=f"arn:aws:ec2:us-east-1:{a}:volume/vol-0prod", resource_type="ec2.volume",
          message="EBS volume vol-0prod is unattached (100 GiB).", savings=8.0),
    ]


def _staging(a: str) -> list[Finding]:
    """Score 86.7 (score 1 - 3/23 with the cost FAIL low): a medium FAIL, a low cost FAIL, PASSes."""
    return [
        f(a, "s3.bucket_encryption", Status.FAIL, Severity.MEDIUM, message="Bucket staging-logs is not encrypted."),
        f(a, "iam.root_mfa", Status.PASS, Severity.HIGH, resource=f"arn:aws:iam::{a}:root", region="global",
          resource_type="iam.account"),
        f(a, "cloudtrail.enabled", Status.PASS, Severity.HIGH, pillar="operations", resource=f"arn:aws:iam::{a}:root",
          region="global", resource_type="iam.account"),
        f(a, "s3.bucket_not_public", Status.PASS, Severity.CRITICAL),
        f(a, "trustedadvisor.check", Status.SKIPPED, Severity.INFO, pillar="operations",
          resource=f"arn:aws:iam::{a}:root", region="global", resource_type="iam.account",
          message="Trusted Advisor needs a Business support plan."),
        f(a, "ec2.volume_unattached", Status.FAIL, Severity.LOW, pillar="cost",
          resource=f"arn:aws:ec2:us-east-1:{a}:volume/vol-0stg", resource_type="ec2.volume",
          message="EBS volume vol-0stg is unattached (20 GiB).", savings=1.6),
    ]


def _quiet(a: str) -> list[Finding]:
    """Score ~96: one low FAIL among high PASSes (the accounts after the first three)."""
    return [
        f(a, "s3.bucket_logging", Status.FAIL, Severity.LOW, pillar="operations"),
        f(a, "iam.root_mfa", Status.PASS, Severity.HIGH, resource=f"arn:aws:iam::{a}:root", region="global",
          resource_type="iam.account"),
        f(a, "s3.bucket_not_public", Status.PASS, Severity.CRITICAL),
        f(a, "cloudtrail.enabled", Status.PASS, Severity.HIGH, pillar="operations", resource=f"arn:aws:iam::{a}:root",
          region="global", resource_type="iam.account"),
    ]


def _unreached(a: str, label: str, reason: str) -> list[Finding]:
    """As opsctl.org_audit.unreached_findings: one ERROR per check on the account's root."""
    return [f(a, c, Status.ERROR, Severity.HIGH, resource=f"arn:aws:iam::{a}:root", region="global",
              resource_type="iam.account", message=f"Account {label} was not audited: {reason.rstrip('.')}.")
            for c in CHECKS]


def synthetic_fails(account: str, n: int, check_ids: Sequence[str] = ("s3.bucket_logging", "ec2.volume_gp2")) -> list[Finding]:
    """n FAIL findings of one account on distinct resources, severities cycling critical … info."""
    sevs = list(Severity)
    return [f(account, check_ids[i % len(check_ids)], Status.FAIL, sevs[i % len(sevs)],
              resource=f"arn:aws:s3:::synthetic-{account}-{i:06d}", message=f"Synthetic finding {i} of {account}.")
            for i in range(n)]


def org_result(n_accounts: int = 3, *, hostile: bool = False, not_reached: int = 1,
               extra_fails: Mapping[str, int] | None = None, names: Sequence[str] | None = None,
               shards: Sequence[str] = ()) -> Result:
    """An organisation result of ``n_accounts`` accounts (at least 2). The third (or the last,
    with fewer) is not reached (``not_reached=0``: every account audited); the first is the worst
    audited one (prod-payments), the second staging, the others nearly clean. ``hostile`` names
    the accounts with HOSTILE_NAMES (the reason and OU path too); ``names`` gives them outright;
    ``extra_fails`` adds that many synthetic FAIL findings to an account."""
    assert n_accounts >= 2
    default_names = ["prod-payments", "staging", "legacy"] + [f"team-{i:03d}" for i in range(3, n_accounts)]
    chosen = list(names) if names else list(HOSTILE_NAMES) if hostile else default_names
    chosen = (chosen * (n_accounts // len(chosen) + 1))[:n_accounts]
    ous = ["Root/Workloads/Production", "Root/Workloads/Staging", "Root/Legacy"] + ["Root/Teams"] * n_accounts
    if hostile:
        ous = ["Root/<b>Prod</b>", "Root/| pipes |", "Root/\x1b[31mred"] + ["Root/=1+1"] * n_accounts
    unreached_at = {min(2, n_accounts - 1)} if not_reached else set()
    reason = REASON + (" <img src=x onerror=alert(1)> | =2+2" if hostile else "")
    findings: list[Finding] = []
    coverage: list[CoverageGap] = []
    accounts = []
    for i in range(n_accounts):
        aid, name = account_id(i), chosen[i]
        entry = {"id": aid, "name": name, "email": f"aws+{aid}@example.com", "ou_path": ous[i],
                 "status": AUDITED, "reason": "", "shard": None, "regions": ["us-east-1", "eu-west-1"],
                 "api_calls": 120 + i, "collect_seconds": 3.5}
        if i in unreached_at:
            entry.update(status=NOT_REACHED, reason=reason, regions=[], api_calls=1, collect_seconds=0.2)
            findings += _unreached(aid, f"{aid} ({name})", reason)
            coverage.append(CoverageGap("sts", "us-east-1", "AssumeRole", "AccessDenied", reason,
                                        "", f"arn:aws:iam::{aid}:role/OpsctlAudit", account=aid))
        else:
            findings += _prod(aid) if i == 0 else _staging(aid) if i == 1 else _quiet(aid)
            if i == 0:
                coverage.append(CoverageGap("rds", "eu-west-1", "DescribeDBInstances", "AccessDenied",
                                            "User is not authorized <b>", "rds.db_instance", "", account=aid))
        accounts.append(entry)
    for aid, n in (extra_fails or {}).items():
        findings += synthetic_fails(aid, n)
    findings.sort(key=Finding.sort_key)
    return Result(
        findings=findings, coverage=coverage, account=ORG_ID, regions=["us-east-1", "eu-west-1"],
        checks_run=sorted({x.check_id for x in findings}),
        metadata={"source": "org", "evaluated_at": "2026-11-25T09:00:00+00:00", "config_file": "opsctl.yaml"},
        accounts=accounts,
        organization={"id": ORG_ID, "management_account": MANAGEMENT, "scope": [a["id"] for a in accounts],
                      "shards": list(shards), "role": "OpsctlAudit"},
    )
