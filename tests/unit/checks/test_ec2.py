"""Cases for the EC2 security checks (checks/ec2.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from opsctl.checks.ec2 import rule_covers

from opsctl.snapshot import CoverageGap
from tests.helpers import ACCOUNT, REGION, Case, run, snapshot
from tests.unit.checks.cost_fixtures import SERIES, priced, series

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

# ----- cost checks ------------------------------------------------------------------------------
ADDRESS = "ec2.address"
SNAPSHOT = "ec2.snapshot"
NOW = datetime.now(timezone.utc).replace(microsecond=0)  # tests.helpers.snapshot() is taken (at or after) now


def disk(vtype: str = "gp3", size: int = 100, attached: bool = True, **extra: Any) -> dict[str, Any]:
    fields = {"state": "in-use" if attached else "available", "iops": 3000, "throughput": 125, **extra}
    return volume(attached=attached, size_gb=size, volume_type=vtype, **fields)


def eip(associated: bool = True, **extra: Any) -> dict[str, Any]:
    a = {"allocation_id": "eipalloc-0abc", "public_ip": "203.0.113.10", "name": "spare",
         "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:elastic-ip/eipalloc-0abc", "region": REGION, "domain": "vpc",
         "association_id": "eipassoc-1" if associated else None, "instance_id": "i-0abc" if associated else None,
         "network_interface_id": "eni-1" if associated else None, "tags": {}}
    a.update(extra)
    return a


def ebs_snapshot(age_days: float = 10, for_ami: bool = False, size: int = 50, **extra: Any) -> dict[str, Any]:
    s = {"id": "snap-0abc", "name": "nightly", "arn": f"arn:aws:ec2:{REGION}::snapshot/snap-0abc", "region": REGION,
         "volume_id": "vol-0abc", "volume_size": size, "start_time": (NOW - timedelta(days=age_days)).isoformat(),
         "description": "", "encrypted": True, "state": "completed", "created_for_ami": for_ami, "tags": {}}
    s.update(extra)
    return s


def box(itype: str = "t3.medium", state: str = "running", **extra: Any) -> dict[str, Any]:
    fields = {"platform": "linux", "platform_details": "Linux/UNIX", "lifecycle": "on-demand", "tenancy": "default", **extra}
    return instance(state, instance_type=itype, **fields)


BOX_ARN = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0abc"


def cpu(*values: float, days: int = 14) -> dict[str, Any]:
    return series(BOX_ARN, "cpu_daily_avg", list(values), days=days)


def idle_case(name: str, values: list[float] | None, expect: list[str], itype: str = "t3.medium", **kw: Any) -> Case:
    resources = {INSTANCE: [box(itype)], SERIES: [] if values is None else [cpu(*values)]}
    return Case("ec2.instance_idle", name, resources, expect, **kw)


CASES += [
    # ec2.volume_unattached
    Case("ec2.volume_unattached", "attached", {VOLUME: [disk()]}, ["PASS"], message_contains="i-0abc"),
    Case("ec2.volume_unattached", "unattached", {VOLUME: [disk("gp2", attached=False)]}, ["FAIL"], message_contains="100 GiB of gp2"),
    Case("ec2.volume_unattached", "being deleted: not applicable", {VOLUME: [disk(attached=False, state="deleting")]}, []),
    Case("ec2.volume_unattached", "attachments not collected", {VOLUME: [volume(errors={"attachments": "denied"})]}, ["ERROR"]),
    # ec2.volume_gp2
    Case("ec2.volume_gp2", "gp3", {VOLUME: [disk()]}, ["PASS"]),
    Case("ec2.volume_gp2", "io2", {VOLUME: [disk("io2")]}, ["PASS"]),
    Case("ec2.volume_gp2", "gp2 attached", {VOLUME: [disk("gp2")]}, ["FAIL"], message_contains="is gp2 (100 GiB)"),
    Case("ec2.volume_gp2", "gp2 unattached", {VOLUME: [disk("gp2", attached=False)]}, ["FAIL"]),
    Case("ec2.volume_gp2", "type not collected", {VOLUME: [volume(errors={"volume_type": "denied"})]}, ["ERROR"]),
    # ec2.eip_unassociated
    Case("ec2.eip_unassociated", "associated", {ADDRESS: [eip()]}, ["PASS"], message_contains="i-0abc"),
    Case("ec2.eip_unassociated", "on a NAT gateway's interface", {ADDRESS: [eip(instance_id=None)]}, ["PASS"],
         message_contains="eni-1"),
    Case("ec2.eip_unassociated", "unassociated", {ADDRESS: [eip(False)]}, ["FAIL"], message_contains="203.0.113.10"),
    Case("ec2.eip_unassociated", "association not collected", {ADDRESS: [{**eip(), "errors": {"association_id": "x"}}]},
         ["ERROR"]),
    # ec2.snapshot_old
    Case("ec2.snapshot_old", "ten days", {SNAPSHOT: [ebs_snapshot(10)]}, ["PASS"]),
    Case("ec2.snapshot_old", "89 days", {SNAPSHOT: [ebs_snapshot(89.5)]}, ["PASS"]),
    Case("ec2.snapshot_old", "90 days is no longer younger", {SNAPSHOT: [ebs_snapshot(90.01)]}, ["FAIL"]),
    Case("ec2.snapshot_old", "200 days", {SNAPSHOT: [ebs_snapshot(200)]}, ["FAIL"], message_contains="200 days old"),
    Case("ec2.snapshot_old", "stricter parameter", {SNAPSHOT: [ebs_snapshot(40)]}, ["FAIL"],
         params={"max_snapshot_age_days": 30}),
    Case("ec2.snapshot_old", "created for an AMI: not applicable", {SNAPSHOT: [ebs_snapshot(400, for_ami=True)]}, []),
    Case("ec2.snapshot_old", "AMI link not collected",
         {SNAPSHOT: [{**ebs_snapshot(400), "errors": {"created_for_ami": "ec2:DescribeImages failed"}}]}, ["ERROR"]),
    # ec2.instance_previous_generation
    Case("ec2.instance_previous_generation", "t3", {INSTANCE: [box("t3.medium")]}, ["PASS"]),
    Case("ec2.instance_previous_generation", "m5d is not m5's predecessor", {INSTANCE: [box("m5d.large")]}, ["PASS"]),
    Case("ec2.instance_previous_generation", "t2", {INSTANCE: [box("t2.medium")]}, ["FAIL"], message_contains="t3.medium"),
    Case("ec2.instance_previous_generation", "m4", {INSTANCE: [box("m4.xlarge")]}, ["FAIL"], message_contains="m5.xlarge"),
    Case("ec2.instance_previous_generation", "i2 without equivalent", {INSTANCE: [box("i2.xlarge")]}, ["FAIL"]),
    Case("ec2.instance_previous_generation", "older than the list (m1)", {INSTANCE: [box("m1.small")]}, ["FAIL"]),
    Case("ec2.instance_previous_generation", "stopped: not applicable", {INSTANCE: [box("t2.medium", "stopped")]}, []),
    Case("ec2.instance_previous_generation", "type not collected",
         {INSTANCE: [{**box(), "errors": {"instance_type": "denied"}}]}, ["ERROR"]),
    # ec2.instance_idle
    idle_case("busy", [30.0, 42.5, 38.0], ["PASS"]),
    idle_case("one busy day is enough", [1.0, 1.2, 5.0, 0.9], ["PASS"]),
    idle_case("idle", [1.0, 0.8, 2.1, 1.4], ["FAIL"], message_contains="2.1%"),
    idle_case("stricter threshold", [8.0, 9.5], ["FAIL"], params={"idle_cpu_percent": 10}),
    idle_case("no datapoints", [], ["ERROR"], message_contains="no CloudWatch data for CPUUtilization"),
    idle_case("no series", None, ["ERROR"], message_contains="over 14 days"),
    Case("ec2.instance_idle", "GetMetricData failed",
         {INSTANCE: [box()], SERIES: [series(BOX_ARN, "cpu_daily_avg", None, error="cloudwatch:GetMetricData failed with Throttling")]},
         ["ERROR"], message_contains="Throttling"),
    Case("ec2.instance_idle", "window shorter than asked", {INSTANCE: [box()], SERIES: [cpu(1.0, 1.0, days=7)]}, ["ERROR"],
         message_contains="covers 7 days"),
    Case("ec2.instance_idle", "longer window is trimmed to idle_days",
         {INSTANCE: [box()], SERIES: [series(BOX_ARN, "cpu_daily_avg", [80.0] + [1.0] * 13, days=14)]}, ["FAIL"],
         params={"idle_days": 7}),
    Case("ec2.instance_idle", "stopped: not applicable", {INSTANCE: [box(state="stopped")], SERIES: []}, []),
    Case("ec2.instance_idle", "metrics not collected in the region", {INSTANCE: [box()]}, ["ERROR"],
         coverage=[CoverageGap("cloudwatch", REGION, "collect_metric_series", "CollectorError", "boom", SERIES, "")]),
]


def only(findings):
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def test_unattached_volume_saving_is_size_times_its_type_price():
    f = only(priced("ec2.volume_unattached", {VOLUME: [disk("gp2", size=100, attached=False)]}))
    assert f.monthly_savings_usd == 10.0  # 100 GiB x $0.10 (gp2, us-east-1)
    assert f.evidence["size_gb"] == 100 and f.evidence["volume_type"] == "gp2"
    assert f.evidence["prices_used"][0] == {"kind": "ebs_gb_month", "key": "gp2", "region": REGION, "usd": 0.1,
                                            "as_of": f.evidence["prices_as_of"]}


def test_unattached_io2_saving_is_a_lower_bound():
    f = only(priced("ec2.volume_unattached", {VOLUME: [disk("io2", size=200, attached=False)]}))
    assert f.monthly_savings_usd == 25.0 and "lower bound" in f.evidence["savings_note"]


def test_gp2_saving_is_the_price_difference():
    f = only(priced("ec2.volume_gp2", {VOLUME: [disk("gp2", size=100)]}))
    assert f.monthly_savings_usd == 2.0  # 100 x (0.10 - 0.08)
    assert "savings_note" not in f.evidence
    big = only(priced("ec2.volume_gp2", {VOLUME: [disk("gp2", size=2000)]}))
    assert big.monthly_savings_usd == 40.0 and "upper bound" in big.evidence["savings_note"]


def test_eip_saving_is_the_hourly_charge_for_a_month():
    assert only(priced("ec2.eip_unassociated", {ADDRESS: [eip(False)]})).monthly_savings_usd == 3.65  # 0.005 x 730


def test_old_snapshot_saving_is_an_upper_bound():
    f = only(priced("ec2.snapshot_old", {SNAPSHOT: [ebs_snapshot(200, size=50)]}))
    assert f.monthly_savings_usd == 2.5  # 50 GiB x $0.05
    assert "upper bound" in f.evidence["savings_note"] and f.evidence["age_days"] == 200


def test_previous_generation_saving_names_the_current_equivalent():
    f = only(priced("ec2.instance_previous_generation", {INSTANCE: [box("m4.large")]}))
    assert f.evidence["suggested_type"] == "m5.large"
    assert f.monthly_savings_usd == round((0.10 - 0.096) * 730, 2)


def test_previous_generation_without_equivalent_has_no_figure():
    f = only(priced("ec2.instance_previous_generation", {INSTANCE: [box("i2.xlarge")]}))
    assert f.monthly_savings_usd is None and "no like-for-like" in f.evidence["savings_note"]


def test_previous_generation_price_missing_has_no_figure():
    f = only(priced("ec2.instance_previous_generation", {INSTANCE: [box("m4.16xlarge")]}))
    assert f.monthly_savings_usd is None
    assert "no price for ec2_linux_hour m4.16xlarge in us-east-1 in the price table (" in f.evidence["savings_note"]


def test_idle_instance_saving_is_its_monthly_on_demand_price():
    f = only(priced("ec2.instance_idle", {INSTANCE: [box("t3.medium")], SERIES: [cpu(1.0, 2.0)]}))
    assert f.status.value == "FAIL" and f.monthly_savings_usd == round(0.0416 * 730, 2)
    assert f.evidence["max_daily_avg_cpu"] == 2.0 and f.evidence["instance_type"] == "t3.medium"


def test_idle_instance_price_missing_gives_null_and_note():
    f = only(priced("ec2.instance_idle", {INSTANCE: [box("m5.24xlarge")], SERIES: [cpu(1.0)]}))
    assert f.monthly_savings_usd is None
    assert f.evidence["savings_note"].startswith("no price for ec2_linux_hour m5.24xlarge in us-east-1 in the price table (")


def test_idle_windows_or_spot_instance_is_not_priced_as_linux_on_demand():
    windows = box("t3.medium", platform="windows", platform_details="Windows")
    f = only(priced("ec2.instance_idle", {INSTANCE: [windows], SERIES: [cpu(1.0)]}))
    assert f.monthly_savings_usd is None and "Windows" in f.evidence["savings_note"]
    spot = box("t3.medium", lifecycle="spot")
    f = only(priced("ec2.instance_idle", {INSTANCE: [spot], SERIES: [cpu(1.0)]}))
    assert f.monthly_savings_usd is None and "spot" in f.evidence["savings_note"]


def test_without_a_price_table_fails_carry_no_figure():
    [f] = run("ec2.eip_unassociated", snapshot({ADDRESS: [eip(False)]}))
    assert f.status.value == "FAIL" and f.monthly_savings_usd is None
    assert "no price table" in f.evidence["savings_note"]


def test_idle_instance_with_a_region_missing_from_the_table():
    other = box("t3.medium", region="sa-east-1", arn=BOX_ARN)
    f = only(priced("ec2.instance_idle", {INSTANCE: [other], SERIES: [series(BOX_ARN, "cpu_daily_avg", [0.5], region="sa-east-1")]},
                      regions=("sa-east-1",)))
    assert f.monthly_savings_usd is None and "in sa-east-1" in f.evidence["savings_note"]


def test_rule_coverage_edges():
    assert rule_covers(rule("udp", 3389, 3389), 3389)
    assert rule_covers(rule("6", 20, 25), 22)
    assert not rule_covers(rule("icmpv6", None, None), 22)
    assert not rule_covers(rule("50", None, None), 22)  # ESP carries no ports
    assert rule_covers(rule("tcp", None, None), 22)
