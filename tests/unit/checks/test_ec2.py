"""Cases for the EC2 security checks (checks/ec2.py)."""

from __future__ import annotations

from typing import Any

from opsctl.checks.ec2 import rule_covers

from opsctl.snapshot import CoverageGap
from tests.helpers import ACCOUNT, REGION, Case

SG = "ec2.security_group"
LT = "ec2.launch_template"
ASG = "autoscaling.group"
INSTANCE = "ec2.instance"
VOLUME = "ec2.volume"
SETTINGS = "ec2.regional_settings"


def rule(protocol: str = "tcp", low: int | None = 443, high: int | None = 443, v4: tuple[str, ...] = ("0.0.0.0/0",),
         v6: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"protocol": protocol, "from_port": low, "to_port": high, "cidr_ipv4": list(v4), "cidr_ipv6": list(v6),
            "prefix_list_ids": [], "source_group_ids": list(groups)}


def sg(*rules: dict[str, Any], name: str = "web", errors: dict[str, str] | None = None) -> dict[str, list[dict[str, Any]]]:
    group = {"id": "sg-0a1b2c3d", "name": name, "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-0a1b2c3d",
             "region": REGION, "vpc_id": "vpc-1", "ingress": list(rules), "tags": {}}
    if errors:
        group["errors"] = errors
        group.pop("ingress")
    return {SG: [group]}


def template(tokens: str | None = "required", endpoint: str | None = "enabled", tid: str = "lt-0web",
             errors: dict[str, str] | None = None) -> dict[str, Any]:
    t = {"id": tid, "name": tid.removeprefix("lt-0"), "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/{tid}",
         "region": REGION, "default_version": 3, "latest_version": 4, "tags": {},
         "default_version_data": {"version": 3, "metadata_http_tokens": tokens, "metadata_http_endpoint": endpoint,
                                  "instance_type": "t3.small", "image_id": "ami-1", "security_group_ids": []}}
    if errors:
        t["errors"] = errors
        t.pop("default_version_data")
    return t


def group_using(tid: str | None, name: str = "web", template_name: str | None = None) -> dict[str, Any]:
    spec = None if tid is None and template_name is None else {"id": tid, "name": template_name, "version": "$Default"}
    return {"name": name, "arn": f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:1:autoScalingGroupName/{name}",
            "region": REGION, "launch_template": spec, "tags": {}}


def instance(state: str = "running", tokens: str | None = "required", endpoint: str = "enabled", **extra: Any) -> dict[str, Any]:
    i = {"id": "i-0abc", "name": "bastion", "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0abc", "region": REGION,
         "state": state, "metadata_http_tokens": tokens, "metadata_http_endpoint": endpoint, "tags": {}}
    i.update(extra)
    return i


def volume(encrypted: bool = True, attached: bool = True, **extra: Any) -> dict[str, Any]:
    v = {"id": "vol-0abc", "name": "data", "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0abc", "region": REGION,
         "encrypted": encrypted, "attachments": [{"instance_id": "i-0abc"}] if attached else [], "tags": {}}
    v.update(extra)
    return v


def settings(on: bool = True, region: str = REGION, **extra: Any) -> dict[str, Any]:
    s = {"arn": f"arn:aws:ec2:{region}:{ACCOUNT}:account", "region": region, "ebs_encryption_by_default": on, "tags": {}}
    s.update(extra)
    return s


ASG_GAP = CoverageGap("autoscaling", REGION, "DescribeAutoScalingGroups", "AccessDenied", "denied", ASG, "")

CASES = [
    # ec2.security_group_admin_ports
    Case("ec2.security_group_admin_ports", "https from the internet", sg(rule()), ["PASS"]),
    Case("ec2.security_group_admin_ports", "ssh from the internet", sg(rule(low=22, high=22), name="bastion"), ["FAIL"],
         message_contains="22"),
    Case("ec2.security_group_admin_ports", "rdp from ipv6 internet", sg(rule(low=3389, high=3389, v4=(), v6=("::/0",))), ["FAIL"],
         message_contains="::/0"),
    Case("ec2.security_group_admin_ports", "range covering 22", sg(rule(low=0, high=1024)), ["FAIL"]),
    Case("ec2.security_group_admin_ports", "all traffic rule", sg(rule("-1", None, None)), ["FAIL"]),
    Case("ec2.security_group_admin_ports", "all tcp ports", sg(rule(low=0, high=65535)), ["FAIL"]),
    Case("ec2.security_group_admin_ports", "ssh from the office only", sg(rule(low=22, high=22, v4=("203.0.113.0/24",))), ["PASS"]),
    Case("ec2.security_group_admin_ports", "all traffic from a security group",
         sg(rule("-1", None, None, v4=(), groups=("sg-alb",))), ["PASS"]),
    Case("ec2.security_group_admin_ports", "icmp from the internet", sg(rule("icmp", -1, -1)), ["PASS"]),
    Case("ec2.security_group_admin_ports", "range just above 22", sg(rule(low=23, high=3388)), ["PASS"]),
    Case("ec2.security_group_admin_ports", "no ingress at all", sg(), ["PASS"]),
    Case("ec2.security_group_admin_ports", "rules not collected", sg(errors={"ingress": "denied"}), ["ERROR"]),
    # ec2.security_group_db_ports
    Case("ec2.security_group_db_ports", "https from the internet", sg(rule()), ["PASS"]),
    Case("ec2.security_group_db_ports", "mysql from the internet", sg(rule(low=3306, high=3306), name="legacy-db"), ["FAIL"],
         message_contains="3306"),
    Case("ec2.security_group_db_ports", "redis and memcached in one range", sg(rule(low=6000, high=12000)), ["FAIL"],
         message_contains="6379, 9200, 11211"),
    Case("ec2.security_group_db_ports", "all traffic from ipv6", sg(rule("-1", None, None, v4=(), v6=("::/0",))), ["FAIL"]),
    Case("ec2.security_group_db_ports", "postgres from the app tier only",
         sg(rule(low=5432, high=5432, v4=(), groups=("sg-app",))), ["PASS"]),
    Case("ec2.security_group_db_ports", "ssh only", sg(rule(low=22, high=22)), ["PASS"]),
    Case("ec2.security_group_db_ports", "rules not collected", sg(errors={"ingress": "denied"}), ["ERROR"]),
    # ec2.launch_template_imdsv2
    Case("ec2.launch_template_imdsv2", "used and required", {LT: [template()], ASG: [group_using("lt-0web")]}, ["PASS"]),
    Case("ec2.launch_template_imdsv2", "used and optional", {LT: [template("optional")], ASG: [group_using("lt-0web")]}, ["FAIL"],
         message_contains="web"),
    Case("ec2.launch_template_imdsv2", "used, tokens not set", {LT: [template(None, None)], ASG: [group_using("lt-0web")]}, ["FAIL"],
         message_contains="not set"),
    Case("ec2.launch_template_imdsv2", "metadata endpoint disabled",
         {LT: [template("optional", "disabled")], ASG: [group_using("lt-0web")]}, ["PASS"]),
    Case("ec2.launch_template_imdsv2", "used by name only", {LT: [template("optional")], ASG: [group_using(None, template_name="web")]},
         ["FAIL"]),
    Case("ec2.launch_template_imdsv2", "not used by any group: not applicable",
         {LT: [template("optional")], ASG: [group_using("lt-0other"), group_using(None, name="lc-group")]}, []),
    Case("ec2.launch_template_imdsv2", "no groups at all: not applicable", {LT: [template("optional")], ASG: []}, []),
    Case("ec2.launch_template_imdsv2", "default version not collected",
         {LT: [template(errors={"default_version_data": "ec2:DescribeLaunchTemplateVersions failed"})], ASG: [group_using("lt-0web")]},
         ["ERROR"]),
    Case("ec2.launch_template_imdsv2", "groups not collected", {LT: [template()], ASG: []}, ["ERROR"], coverage=[ASG_GAP]),
    # ec2.instance_imdsv2
    Case("ec2.instance_imdsv2", "running and required", {INSTANCE: [instance()]}, ["PASS"]),
    Case("ec2.instance_imdsv2", "running and optional", {INSTANCE: [instance(tokens="optional")]}, ["FAIL"], message_contains="optional"),
    Case("ec2.instance_imdsv2", "metadata endpoint disabled", {INSTANCE: [instance(tokens="optional", endpoint="disabled")]}, ["PASS"]),
    Case("ec2.instance_imdsv2", "stopped: not applicable", {INSTANCE: [instance("stopped", "optional")]}, []),
    Case("ec2.instance_imdsv2", "terminated: not applicable", {INSTANCE: [instance("terminated", "optional")]}, []),
    Case("ec2.instance_imdsv2", "metadata options not collected",
         {INSTANCE: [{**instance(), "errors": {"metadata_http_tokens": "denied"}}]}, ["ERROR"]),
    # ec2.ebs_encryption_by_default
    Case("ec2.ebs_encryption_by_default", "on", {SETTINGS: [settings()]}, ["PASS"]),
    Case("ec2.ebs_encryption_by_default", "off", {SETTINGS: [settings(False, "eu-west-1")]}, ["FAIL"], message_contains="eu-west-1"),
    Case("ec2.ebs_encryption_by_default", "setting not collected",
         {SETTINGS: [settings(errors={"ebs_encryption_by_default": "denied"})]}, ["ERROR"]),
    Case("ec2.ebs_encryption_by_default", "listing failed", {SETTINGS: []}, ["ERROR"],
         coverage=[CoverageGap("ec2", REGION, "GetEbsEncryptionByDefault", "AccessDenied", "denied", SETTINGS, "")]),
    # ec2.volume_encrypted
    Case("ec2.volume_encrypted", "encrypted", {VOLUME: [volume()]}, ["PASS"]),
    Case("ec2.volume_encrypted", "unencrypted and attached", {VOLUME: [volume(False)]}, ["FAIL"], message_contains="i-0abc"),
    Case("ec2.volume_encrypted", "unencrypted and unattached", {VOLUME: [volume(False, attached=False)]}, ["FAIL"]),
    Case("ec2.volume_encrypted", "encryption not collected", {VOLUME: [volume(errors={"encrypted": "denied"})]}, ["ERROR"]),
]


def test_rule_coverage_edges():
    assert rule_covers(rule("udp", 3389, 3389), 3389)
    assert rule_covers(rule("6", 20, 25), 22)
    assert not rule_covers(rule("icmpv6", None, None), 22)
    assert not rule_covers(rule("50", None, None), 22)  # ESP carries no ports
    assert rule_covers(rule("tcp", None, None), 22)
