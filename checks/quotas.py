"""Scaling limits: usage (from the snapshot) against Service Quotas, one finding per region.

Each check runs on `ec2.regional_settings`, of which the EC2 collector makes exactly one record
per audited region, and looks the quota up itself. Running on `servicequotas.quota` would be
wrong: a quota whose GetServiceQuota and GetAWSDefaultServiceQuota both failed has no record (its
failure is in coverage under the quota's ARN, not as a listing gap), so the region would get no
finding at all instead of ERROR. From the region's record, a missing quota is always seen: the
finding is ERROR with the failed call's reason, never PASS. (Should the regional settings
themselves not be listed in a region, the engine reports ERROR there too.)

Every finding's resource_id is the quota's ARN (arn:aws:servicequotas:<region>:<account>:
<service code>/<quota code>), so a waiver names exactly one quota in one region.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opsctl.errors import MissingData
from opsctl.findings import Status
from opsctl.registry import FAIL, PASS, CheckContext, Outcome, check

QUOTA_TYPE = "servicequotas.quota"
PARAMS = {"max_quota_ratio": 0.8}
#: 0.8 × 5 must count as 4: comparisons of counts against a float ratio allow for rounding.
_EPSILON = 1e-9
#: Lambda keeps at least this much of the account's concurrency unreserved (an AWS rule).
MIN_UNRESERVED_CONCURRENCY = 100
#: Instances that count against the quota: those running, and those about to.
_RUNNING_STATES = ("pending", "running")
#: Standard families are A, C, D, H, I, M, R, T and Z; these prefixes start with such a letter but
#: have quotas of their own (Inf, DL, HPC, Trn) or none (Mac: Dedicated Hosts only).
_OTHER_QUOTA_PREFIXES = ("inf", "dl", "hpc", "trn", "mac")
_FAMILY = re.compile(r"^[a-z]+")


@dataclass(frozen=True)
class Quota:
    """A quota as read from the snapshot: its ARN, value and whether it is the applied or the default value."""

    arn: str
    value: float
    source: str


def quota_arn(ctx: CheckContext, region: str, service_code: str, quota_code: str) -> str:
    """The ARN the collector records a failed quota call under (opsctl/collect/service_quotas.py)."""
    snap = ctx.snapshot
    return f"arn:{snap.partition}:servicequotas:{region}:{snap.account}:{service_code}/{quota_code}"


def read_quota(ctx: CheckContext, region: str, service_code: str, quota_code: str) -> Quota:
    """The quota of a region; MissingData naming the failed call when it could not be read."""
    arn = quota_arn(ctx, region, service_code, quota_code)
    for record in ctx.snapshot.require(QUOTA_TYPE, region):
        if (record.get("service_code"), record.get("quota_code")) == (service_code, quota_code):
            value = ctx.need(record, "value")
            if value is None:
                raise MissingData(f"Service Quotas gave no value for {service_code} quota {quota_code} in {region}")
            return Quota(record.get("arn") or arn, float(value), record.get("source") or "applied")
    failures = [g.reason for g in ctx.snapshot.coverage if g.resource_id == arn]
    if failures:
        raise MissingData(f"no quota data for {service_code} quota {quota_code} in {region}: {failures[-1]}")
    raise MissingData(f"no quota data for {service_code} quota {quota_code} in {region}: it was not collected")


def over(usage: float, quota: Quota, ratio: float) -> bool:
    return usage > ratio * quota.value + _EPSILON


def quota_check(settings: dict[str, Any], ctx: CheckContext, service_code: str, quota_code: str,
                judge: Callable[[Quota, float], Outcome]) -> Outcome:
    """Read the region's quota, let `judge` compare usage; any missing input is ERROR on the quota's ARN."""
    region = settings["region"]
    arn = quota_arn(ctx, region, service_code, quota_code)
    ratio = float(ctx.params["max_quota_ratio"])
    try:
        quota = read_quota(ctx, region, service_code, quota_code)
        outcome = judge(quota, ratio)
    except MissingData as missing:
        return Outcome(Status.ERROR, f"Could not evaluate: {missing.reason}", resource_id=arn)
    evidence = {"quota_code": quota_code, "quota": quota.value, "quota_source": quota.source,
                "max_quota_ratio": ratio, **outcome.evidence}
    return Outcome(outcome.status, outcome.message, evidence, resource_id=quota.arn)


def pct(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def fmt(value: float) -> str:
    return f"{value:g}"


# ----- EC2 On-Demand Standard vCPUs -------------------------------------------------------------


def is_standard(instance_type: str) -> bool:
    """Instance types counted by quota L-1216C47A (families A, C, D, H, I, M, R, T, Z)."""
    family = _FAMILY.match(instance_type.lower())
    if not family:
        return False
    prefix = family.group(0)
    return prefix[0] in "acdhimrtz" and not prefix.startswith(_OTHER_QUOTA_PREFIXES)


def vcpus_of(types: dict[str, dict[str, Any]], instance_type: str, region: str, ctx: CheckContext) -> int:
    record = types.get(instance_type)
    if record is None:
        raise MissingData(f"the vCPUs of instance type {instance_type} were not collected in {region}")
    return int(ctx.need(record, "vcpus"))


def running_vcpus(ctx: CheckContext, region: str, types: dict[str, dict[str, Any]]) -> int:
    total = 0
    for instance in ctx.snapshot.require("ec2.instance", region):
        if ctx.need(instance, "state") not in _RUNNING_STATES:
            continue
        if (ctx.need(instance, "lifecycle") or "on-demand") != "on-demand":
            continue  # spot (and scheduled, capacity-block) capacity has quotas of its own
        instance_type = ctx.need(instance, "instance_type")
        if is_standard(instance_type):
            total += vcpus_of(types, instance_type, region, ctx)
    return total


def headroom_vcpus(ctx: CheckContext, region: str, types: dict[str, dict[str, Any]]) -> int:
    """vCPUs every group would add at MaxSize, at its largest standard instance type."""
    total = 0
    for group in ctx.snapshot.require("autoscaling.group", region):
        room = max(0, int(ctx.need(group, "max_size")) - int(ctx.need(group, "instance_count")))
        if not room:
            continue
        launched = ctx.need(group, "instance_types")
        if not launched:
            raise MissingData(f"the instance type of Auto Scaling group {group.get('name')} in {region} is unknown")
        standard = [t for t in launched if is_standard(t)]
        if standard:
            total += room * max(vcpus_of(types, t, region, ctx) for t in standard)
    return total


@check(id="quotas.ec2_on_demand_vcpus", title="On-Demand Standard vCPUs leave quota headroom",
       pillar="scalability", severity="high", resource_type="ec2.regional_settings", params=dict(PARAMS))
def ec2_on_demand_vcpus(settings: dict[str, Any], ctx: CheckContext) -> Outcome:
    """At the vCPU quota, Auto Scaling cannot launch the instances a traffic spike needs."""
    region = settings["region"]

    def judge(quota: Quota, ratio: float) -> Outcome:
        types = {t.get("instance_type"): t for t in ctx.snapshot.require("ec2.instance_type", region)}
        running, headroom = running_vcpus(ctx, region, types), headroom_vcpus(ctx, region, types)
        usage = running + headroom
        facts = {"running_vcpus": running, "auto_scaling_headroom_vcpus": headroom, "usage": usage}
        text = (f"On-Demand Standard instances in {region} could use {usage} vCPUs ({running} running, "
                f"{headroom} more at Auto Scaling maximums)")
        if over(usage, quota, ratio):
            return FAIL(f"{text}, over {pct(ratio)} of quota L-1216C47A ({fmt(quota.value)}).", **facts)
        return PASS(f"{text}, within {pct(ratio)} of quota L-1216C47A ({fmt(quota.value)}).", **facts)

    return quota_check(settings, ctx, "ec2", "L-1216C47A", judge)


# ----- Lambda concurrency -----------------------------------------------------------------------


@check(id="quotas.lambda_concurrency", title="Lambda reserved concurrency leaves quota headroom",
       pillar="scalability", severity="medium", resource_type="ec2.regional_settings", params=dict(PARAMS))
def lambda_concurrency(settings: dict[str, Any], ctx: CheckContext) -> Outcome:
    """Reserved concurrency is carved out of the account's pool; the rest share what is left."""
    region = settings["region"]

    def judge(quota: Quota, ratio: float) -> Outcome:
        reserved = sum(int(ctx.need(f, "reserved_concurrency") or 0)
                       for f in ctx.snapshot.require("lambda.function", region))
        unreserved = quota.value - reserved
        facts = {"reserved_concurrency": reserved, "unreserved": unreserved, "usage": reserved}
        text = f"Lambda functions in {region} reserve {reserved} of {fmt(quota.value)} concurrent executions (quota L-B99A9384)"
        problems = []
        if over(reserved, quota, ratio):
            problems.append(f"over {pct(ratio)} of the quota")
        if unreserved < MIN_UNRESERVED_CONCURRENCY:
            problems.append(f"leaving {fmt(unreserved)} unreserved, fewer than {MIN_UNRESERVED_CONCURRENCY}")
        if problems:
            return FAIL(f"{text}, {' and '.join(problems)}.", **facts)
        return PASS(f"{text}, leaving {fmt(unreserved)} unreserved.", **facts)

    return quota_check(settings, ctx, "lambda", "L-B99A9384", judge)


# ----- resource counts --------------------------------------------------------------------------


def count_check(settings: dict[str, Any], ctx: CheckContext, resource_type: str, noun: str,
                service_code: str, quota_code: str) -> Outcome:
    region = settings["region"]

    def judge(quota: Quota, ratio: float) -> Outcome:
        count = len(ctx.snapshot.require(resource_type, region))
        text = f"Region {region} has {count} {noun}"
        if over(count, quota, ratio):
            return FAIL(f"{text}, over {pct(ratio)} of quota {quota_code} ({fmt(quota.value)}).", usage=count)
        return PASS(f"{text}, within {pct(ratio)} of quota {quota_code} ({fmt(quota.value)}).", usage=count)

    return quota_check(settings, ctx, service_code, quota_code, judge)


@check(id="quotas.alb_count", title="Application load balancers leave quota headroom",
       pillar="scalability", severity="low", resource_type="ec2.regional_settings", params=dict(PARAMS))
def alb_count(settings: dict[str, Any], ctx: CheckContext) -> Outcome:
    """At the load balancer quota, a new environment or a blue/green cut-over cannot get its ALB."""
    return count_check(settings, ctx, "elbv2.load_balancer", "application load balancer(s)",
                       "elasticloadbalancing", "L-53DA6B97")


@check(id="quotas.asg_count", title="Auto Scaling groups leave quota headroom",
       pillar="scalability", severity="low", resource_type="ec2.regional_settings", params=dict(PARAMS))
def asg_count(settings: dict[str, Any], ctx: CheckContext) -> Outcome:
    """At the group quota, a deployment that creates a replacement group fails."""
    return count_check(settings, ctx, "autoscaling.group", "Auto Scaling group(s)", "autoscaling", "L-CDE20ADC")
