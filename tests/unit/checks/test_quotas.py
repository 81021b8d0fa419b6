"""Cases for the scaling-limit checks (checks/quotas.py): usage from the snapshot vs Service Quotas."""

from __future__ import annotations

from typing import Any

import pytest

from opsctl.snapshot import CoverageGap
from tests.helpers import ACCOUNT, REGION, Case, run, snapshot

OTHER = "eu-west-1"
SETTINGS = "ec2.regional_settings"
QUOTA = "servicequotas.quota"
VCPU, LAMBDA, ALB, ASG = ("ec2", "L-1216C47A"), ("lambda", "L-B99A9384"), ("elasticloadbalancing", "L-53DA6B97"), ("autoscaling", "L-CDE20ADC")
TYPES = {"t3.micro": 2, "t3.medium": 2, "m5.large": 2, "m5.2xlarge": 8, "c6g.4xlarge": 16, "p3.2xlarge": 8,
         "inf1.xlarge": 4, "g5.xlarge": 4, "trn1.2xlarge": 8, "x2iedn.xlarge": 4, "dl1.24xlarge": 96, "hpc6a.48xlarge": 96}


def quota_arn(codes: tuple[str, str], region: str = REGION) -> str:
    return f"arn:aws:servicequotas:{region}:{ACCOUNT}:{codes[0]}/{codes[1]}"


def settings(region: str = REGION) -> dict[str, Any]:
    return {"arn": f"arn:aws:ec2:{region}:{ACCOUNT}:account", "region": region, "ebs_encryption_by_default": True, "tags": {}}


def quota(codes: tuple[str, str], value: float | None, region: str = REGION, source: str = "applied") -> dict[str, Any]:
    return {"arn": quota_arn(codes, region), "id": "/".join(codes), "region": region, "service_code": codes[0],
            "quota_code": codes[1], "name": "q", "quota_name": "q", "value": value, "source": source, "unit": "None",
            "adjustable": True, "tags": {}}


def instance(instance_type: str, state: str = "running", lifecycle: str = "on-demand", region: str = REGION,
             errors: dict[str, str] | None = None, n: int = 0) -> dict[str, Any]:
    i = {"arn": f"arn:aws:ec2:{region}:{ACCOUNT}:instance/i-{instance_type.replace('.', '')}{state}{lifecycle}{n}",
         "id": f"i-{n}", "region": region, "state": state, "lifecycle": lifecycle, "instance_type": instance_type, "tags": {}}
    if errors:
        i["errors"] = errors
    return i


def instance_types(region: str = REGION, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{"arn": f"arn:aws:ec2:{region}::instance-type/{t}", "region": region, "instance_type": t, "vcpus": v,
             "current_generation": True, "tags": {}} for t, v in TYPES.items() if t not in skip]


def group(name: str, max_size: int, count: int, types: list[str], region: str = REGION) -> dict[str, Any]:
    return {"arn": f"arn:aws:autoscaling:{region}:{ACCOUNT}:autoScalingGroup:1:autoScalingGroupName/{name}", "name": name,
            "region": region, "max_size": max_size, "instance_count": count, "instance_types": types, "tags": {}}


def function(name: str, reserved: int | None, errors: dict[str, str] | None = None) -> dict[str, Any]:
    f = {"arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}", "name": name, "region": REGION,
         "reserved_concurrency": reserved, "tags": {}}
    if errors:
        f["errors"] = errors
        f.pop("reserved_concurrency")
    return f


def alb(n: int, region: str = REGION) -> dict[str, Any]:
    return {"arn": f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:loadbalancer/app/alb-{n}/{n:016x}", "name": f"alb-{n}",
            "region": region, "tags": {}}


def world(quotas: list[dict[str, Any]], regions: tuple[str, ...] = (REGION,), **others: list[dict[str, Any]]) -> dict[str, list]:
    out: dict[str, list] = {SETTINGS: [settings(r) for r in regions], QUOTA: quotas}
    out["ec2.instance_type"] = [t for r in regions for t in instance_types(r)]
    for key, value in others.items():
        out[key.replace("__", ".")] = value
    return out


def shop_compute(vcpu_quota: float, **kw: Any) -> dict[str, list]:
    """2 × t3.medium behind an ASG (max 6) + a bastion: 6 vCPUs running, 8 more at MaxSize."""
    instances = [instance("t3.medium", n=1), instance("t3.medium", n=2), instance("t3.micro", n=3)]
    return world([quota(VCPU, vcpu_quota)], ec2__instance=instances,
                 autoscaling__group=[group("web", 6, 2, ["t3.medium"])], **kw)


def gap(codes: tuple[str, str], operation: str = "GetServiceQuota", code: str = "AccessDeniedException",
        region: str = REGION) -> CoverageGap:
    return CoverageGap("service-quotas", region, operation, code, "not allowed", QUOTA, quota_arn(codes, region))


def listing_gap(resource_type: str, service: str, operation: str, region: str = REGION) -> CoverageGap:
    return CoverageGap(service, region, operation, "AccessDenied", "denied", resource_type, "")


V, L, A, G = "quotas.ec2_on_demand_vcpus", "quotas.lambda_concurrency", "quotas.alb_count", "quotas.asg_count"

CASES = [
    # quotas.ec2_on_demand_vcpus: running standard on-demand vCPUs + ASG headroom vs 0.8 × L-1216C47A
    Case(V, "14 of 32 vCPUs", shop_compute(32), ["PASS"], message_contains="could use 14 vCPUs (6 running, 8 more"),
    Case(V, "14 of 16 vCPUs", shop_compute(16), ["FAIL"], message_contains="over 80% of quota L-1216C47A (16)"),
    Case(V, "exactly the ratio passes", shop_compute(17.5), ["PASS"]),  # 0.8 × 17.5 = 14
    Case(V, "ratio parameter", shop_compute(17.5), ["FAIL"], params={"max_quota_ratio": 0.75}),
    Case(V, "default quota counts like an applied one",
         world([quota(VCPU, 4.5, source="default")], ec2__instance=[instance("m5.large"), instance("m5.large", n=1)]),
         ["FAIL"]),
    Case(V, "spot, stopped and terminated instances do not count",
         world([quota(VCPU, 8)], ec2__instance=[instance("m5.2xlarge", lifecycle="spot"), instance("m5.2xlarge", "stopped"),
                                                instance("m5.2xlarge", "terminated"), instance("t3.micro")],
               autoscaling__group=[]), ["PASS"]),
    Case(V, "pending instances count", world([quota(VCPU, 8)], ec2__instance=[instance("m5.2xlarge", "pending")]), ["FAIL"]),
    Case(V, "other quotas' families do not count (P, Inf, G, Trn, X, DL, HPC)",
         world([quota(VCPU, 4)], ec2__instance=[instance(t, n=i) for i, t in enumerate(
             ["p3.2xlarge", "inf1.xlarge", "g5.xlarge", "trn1.2xlarge", "x2iedn.xlarge", "dl1.24xlarge", "hpc6a.48xlarge"])]),
         ["PASS"]),
    Case(V, "a group at MaxSize adds nothing", world([quota(VCPU, 10)], autoscaling__group=[group("full", 4, 4, ["m5.2xlarge"])]),
         ["PASS"]),
    Case(V, "a mixed group's headroom counts at its largest standard type",
         world([quota(VCPU, 39)], autoscaling__group=[group("mixed", 3, 1, ["m5.large", "c6g.4xlarge", "p3.2xlarge"])]),
         ["FAIL"], message_contains="32 more at Auto Scaling maximums"),
    Case(V, "two regions, one finding each", {
        **world([quota(VCPU, 32), quota(VCPU, 4, OTHER)], regions=(REGION, OTHER),
                ec2__instance=[instance("m5.2xlarge", region=OTHER)])}, ["PASS", "FAIL"], regions=(REGION, OTHER)),
    Case(V, "quota call failed", world([], ec2__instance=[]), ["ERROR"], coverage=[gap(VCPU)],
         message_contains="AccessDeniedException"),
    Case(V, "default quota call failed after NoSuchResource", world([]), ["ERROR"],
         coverage=[gap(VCPU, "GetAWSDefaultServiceQuota", "TooManyRequestsException")], message_contains="TooManyRequests"),
    Case(V, "quota not collected", world([]), ["ERROR"], message_contains="no quota data"),
    Case(V, "quota without a value", world([quota(VCPU, None)]), ["ERROR"]),
    Case(V, "instances not listed", world([quota(VCPU, 32)]), ["ERROR"],
         coverage=[listing_gap("ec2.instance", "ec2", "DescribeInstances")], message_contains="DescribeInstances"),
    Case(V, "instance type facts missing",
         {**world([quota(VCPU, 32)], ec2__instance=[instance("m5.large")]), "ec2.instance_type": []}, ["ERROR"],
         message_contains="vCPUs of instance type m5.large"),
    Case(V, "instance field not collected", world([quota(VCPU, 32)], ec2__instance=[instance("m5.large", errors={"state": "denied"})]),
         ["ERROR"]),
    Case(V, "group with unknown instance type", world([quota(VCPU, 32)], autoscaling__group=[group("odd", 4, 1, [])]), ["ERROR"]),
    Case(V, "regional settings not listed: the engine reports ERROR", world([quota(VCPU, 32)], regions=()), ["ERROR"],
         coverage=[listing_gap(SETTINGS, "ec2", "GetEbsEncryptionByDefault")]),
    # quotas.lambda_concurrency: reserved sum vs 0.8 × L-B99A9384, and at least 100 unreserved
    Case(L, "75 of 1000 reserved", world([quota(LAMBDA, 1000)], lambda__function=[
        function("a", 50), function("b", 20), function("c", 5), function("d", None)]), ["PASS"],
        message_contains="reserve 75 of 1000"),
    Case(L, "no functions", world([quota(LAMBDA, 1000)], lambda__function=[]), ["PASS"]),
    Case(L, "850 of 1000 reserved", world([quota(LAMBDA, 1000)], lambda__function=[function("a", 850)]), ["FAIL"],
         message_contains="over 80% of the quota"),
    Case(L, "fewer than 100 unreserved", world([quota(LAMBDA, 160)], lambda__function=[function("a", 75)]), ["FAIL"],
         message_contains="leaving 85 unreserved, fewer than 100"),
    Case(L, "exactly 100 unreserved and under the ratio", world([quota(LAMBDA, 200)], lambda__function=[function("a", 100)]),
         ["PASS"]),
    Case(L, "both limits crossed", world([quota(LAMBDA, 100)], lambda__function=[function("a", 90)]), ["FAIL"],
         message_contains="over 80% of the quota and leaving 10 unreserved"),
    Case(L, "reserved concurrency not collected", world([quota(LAMBDA, 1000)], lambda__function=[
        function("a", None, errors={"reserved_concurrency": "lambda:GetFunctionConcurrency failed"})]), ["ERROR"],
        message_contains="GetFunctionConcurrency"),
    Case(L, "quota missing", world([], lambda__function=[]), ["ERROR"], coverage=[gap(LAMBDA)]),
    # quotas.alb_count
    Case(A, "2 of 50", world([quota(ALB, 50)], elbv2__load_balancer=[alb(1), alb(2)]), ["PASS"]),
    Case(A, "40 of 50 is the ratio", world([quota(ALB, 50)], elbv2__load_balancer=[alb(i) for i in range(40)]), ["PASS"]),
    Case(A, "41 of 50", world([quota(ALB, 50)], elbv2__load_balancer=[alb(i) for i in range(41)]), ["FAIL"]),
    Case(A, "2 of 2", world([quota(ALB, 2)], elbv2__load_balancer=[alb(1), alb(2)]), ["FAIL"],
         message_contains="Region us-east-1 has 2 application load balancer(s), over 80% of quota L-53DA6B97 (2)"),
    Case(A, "another region's load balancers do not count",
         world([quota(ALB, 2), quota(ALB, 2, OTHER)], regions=(REGION, OTHER), elbv2__load_balancer=[alb(1, OTHER), alb(2, OTHER)]),
         ["PASS", "FAIL"], regions=(REGION, OTHER)),
    Case(A, "quota missing", world([]), ["ERROR"], coverage=[gap(ALB)]),
    Case(A, "load balancers not listed", world([quota(ALB, 50)]), ["ERROR"],
         coverage=[listing_gap("elbv2.load_balancer", "elbv2", "DescribeLoadBalancers")]),
    # quotas.asg_count
    Case(G, "2 of 500", world([quota(ASG, 500)], autoscaling__group=[group("a", 2, 2, ["t3.micro"]), group("b", 2, 2, ["t3.micro"])]),
         ["PASS"]),
    Case(G, "2 of 2", world([quota(ASG, 2)], autoscaling__group=[group("a", 2, 2, ["t3.micro"]), group("b", 2, 2, ["t3.micro"])]),
         ["FAIL"], message_contains="over 80% of quota L-CDE20ADC"),
    Case(G, "no groups", world([quota(ASG, 500)], autoscaling__group=[]), ["PASS"]),
    Case(G, "quota missing", world([]), ["ERROR"], coverage=[gap(ASG)]),
    Case(G, "groups not listed", world([quota(ASG, 500)]), ["ERROR"],
         coverage=[listing_gap("autoscaling.group", "autoscaling", "DescribeAutoScalingGroups")]),
]


@pytest.mark.parametrize("check_id", [V, L, A, G])
def test_every_finding_names_the_quota_arn(check_id):
    """PASS, FAIL and ERROR all carry the quota's ARN, so waivers and diffs match across runs."""
    codes = {V: VCPU, L: LAMBDA, A: ALB, G: ASG}[check_id]
    ok = world([quota(codes, 1000)], ec2__instance=[], autoscaling__group=[], lambda__function=[], elbv2__load_balancer=[])
    (passed,) = run(check_id, snapshot(ok))
    (errored,) = run(check_id, snapshot(world([]), coverage=[gap(codes)]))
    assert passed.status.value == "PASS" and errored.status.value == "ERROR"
    assert passed.resource_id == errored.resource_id == quota_arn(codes)
    assert passed.evidence["quota"] == 1000 and passed.evidence["max_quota_ratio"] == 0.8


def test_vcpu_evidence_splits_running_and_headroom():
    (finding,) = run(V, snapshot(shop_compute(16)))
    assert finding.evidence["running_vcpus"] == 6 and finding.evidence["auto_scaling_headroom_vcpus"] == 8
    assert finding.evidence["usage"] == 14 and finding.evidence["quota_source"] == "applied"
    assert finding.severity.value == "high" and finding.pillar == "scalability"
