"""Service Quotas: the few quotas the scaling-limit checks compare usage against.

Per region and quota, GetServiceQuota (the applied value); when it answers
NoSuchResourceException (the quota was never adjusted, or has no applied value) the AWS
default from GetAWSDefaultServiceQuota. When neither can be read, no record is emitted and the
failed call stays in coverage with resource_id = the quota's ARN, so the quota check reports
ERROR for that region, never PASS.

Resource type `servicequotas.quota` (regional):

- arn — QuotaArn (or arn:aws:servicequotas:<region>:<account>:<service_code>/<quota_code>)
- id — "<service_code>/<quota_code>"; region
- service_code, quota_code, name / quota_name
- value — float
- source — "applied" | "default"
- unit — e.g. "None", "Count"
- adjustable — bool
"""

from __future__ import annotations

from typing import Any

from opsctl.collect.runner import CollectContext, NotFound, collector

QUOTA = "servicequotas.quota"
SERVICE = "service-quotas"
#: (service code, quota code): running On-Demand Standard vCPUs, Lambda concurrent executions,
#: Application Load Balancers per region, Auto Scaling groups per region.
QUOTAS: tuple[tuple[str, str], ...] = (
    ("ec2", "L-1216C47A"),
    ("lambda", "L-B99A9384"),
    ("elasticloadbalancing", "L-53DA6B97"),
    ("autoscaling", "L-CDE20ADC"),
)


def quota_arn(ctx: CollectContext, region: str, service_code: str, quota_code: str) -> str:
    return ctx.arn("servicequotas", region, f"{service_code}/{quota_code}")


def normalise_quota(
    ctx: CollectContext, region: str, quota: dict[str, Any], source: str, service_code: str, quota_code: str
) -> dict[str, Any]:
    name = quota.get("QuotaName", quota_code)
    return {
        "type": QUOTA,
        "arn": quota.get("QuotaArn") or quota_arn(ctx, region, service_code, quota_code),
        "id": f"{service_code}/{quota_code}",
        "region": region,
        "name": name,
        "service_code": service_code,
        "quota_code": quota_code,
        "quota_name": name,
        "value": float(quota["Value"]) if quota.get("Value") is not None else None,
        "source": source,
        "unit": quota.get("Unit"),
        "adjustable": bool(quota.get("Adjustable", False)),
    }


def read_quota(ctx: CollectContext, region: str, codes: tuple[str, str]) -> dict[str, Any] | None:
    service_code, quota_code = codes
    params = {"ServiceCode": service_code, "QuotaCode": quota_code}
    arn = quota_arn(ctx, region, service_code, quota_code)
    applied = ctx.call(
        SERVICE,
        region,
        "get_service_quota",
        params,
        resource_type=QUOTA,
        resource_id=arn,
        not_found=("NoSuchResourceException",),
    )
    if applied is None:
        return None
    if not isinstance(applied, NotFound):
        return normalise_quota(ctx, region, applied["Quota"], "applied", service_code, quota_code)
    default = ctx.call(
        SERVICE, region, "get_aws_default_service_quota", params, resource_type=QUOTA, resource_id=arn
    )
    if default is None:
        return None
    return normalise_quota(ctx, region, default["Quota"], "default", service_code, quota_code)


@collector(SERVICE, types=(QUOTA,))
def collect_quotas(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    quotas = [q for q in ctx.map(lambda codes: read_quota(ctx, region, codes), QUOTAS) if q is not None]
    return {QUOTA: quotas}
