"""The EC2 collectors against moto: instances, security groups, launch templates, volumes,
addresses, snapshots, regional settings, instance types — and their failures."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "123456789012"
AMI = "ami-04681a1dbd79675a5"  # a Linux AMI moto knows


def deny(aws: Any, service_id: str, operation: str) -> None:
    """Make every `operation` call fail with AccessDenied (before moto sees it)."""

    def handler(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": f"not allowed: {operation}"}}, operation)

    aws.session.events.register(f"before-call.{service_id}.{operation}", handler)


@pytest.fixture
def vpc():
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    return {"ec2": ec2, "vpc": vpc_id, "subnet": subnet}


def _tags(name: str, kind: str, **extra: str) -> list[dict[str, Any]]:
    tags = [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in extra.items())]
    return [{"ResourceType": kind, "Tags": tags}]


def test_instances(collect_services, vpc):
    ec2 = vpc["ec2"]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc["vpc"])["GroupId"]
    strict = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=vpc["subnet"],
                               SecurityGroupIds=[sg], MetadataOptions={"HttpTokens": "required"},
                               TagSpecifications=_tags("bastion", "instance", **{"aws:autoscaling:groupName": "web"}))["Instances"][0]
    loose = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t2.medium", SubnetId=vpc["subnet"],
                              MetadataOptions={"HttpTokens": "optional"})["Instances"][0]
    snap = collect_services(["ec2"])

    instances = {i["id"]: i for i in snap.of_type("ec2.instance")}
    first = instances[strict["InstanceId"]]
    assert first["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{strict['InstanceId']}"
    assert (first["name"], first["state"], first["instance_type"]) == ("bastion", "running", "t3.micro")
    assert (first["availability_zone"], first["subnet_id"], first["vpc_id"]) == (f"{REGION}a", vpc["subnet"], vpc["vpc"])
    assert first["security_groups"] == [sg]
    assert (first["metadata_http_tokens"], first["metadata_http_endpoint"]) == ("required", "enabled")
    assert (first["platform"], first["lifecycle"], first["asg_name"]) == ("linux", "on-demand", "web")
    assert first["launch_time"].startswith("20")  # ISO string, not a datetime
    assert instances[loose["InstanceId"]]["metadata_http_tokens"] == "optional"
    assert instances[loose["InstanceId"]]["asg_name"] is None


def test_security_group_rules(collect_services, vpc):
    ec2 = vpc["ec2"]
    alb = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc["vpc"])["GroupId"]
    app = ec2.create_security_group(GroupName="app", Description="app tier", VpcId=vpc["vpc"],
                                    TagSpecifications=_tags("app", "security-group"))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": alb}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "-1", "PrefixListIds": [{"PrefixListId": "pl-0abc"}]},
    ])
    snap = collect_services(["ec2"])
    group = next(g for g in snap.of_type("ec2.security_group") if g["id"] == app)
    assert group["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{app}"
    assert (group["name"], group["vpc_id"], group["description"], group["tags"]) == ("app", vpc["vpc"], "app tier", {"Name": "app"})
    assert group["ingress"] == [
        {"protocol": "tcp", "from_port": 8080, "to_port": 8080, "cidr_ipv4": [], "cidr_ipv6": [], "prefix_list_ids": [],
         "source_group_ids": [alb]},
        {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": ["0.0.0.0/0"], "cidr_ipv6": ["::/0"],
         "prefix_list_ids": [], "source_group_ids": []},
        {"protocol": "-1", "from_port": None, "to_port": None, "cidr_ipv4": [], "cidr_ipv6": [], "prefix_list_ids": ["pl-0abc"],
         "source_group_ids": []},
    ]


def test_launch_templates_and_instance_types(collect_services, vpc):
    ec2 = vpc["ec2"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc["vpc"])["GroupId"]
    web = ec2.create_launch_template(LaunchTemplateName="web", TagSpecifications=_tags("web", "launch-template"), LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.small", "SecurityGroupIds": [sg],
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"}})["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=web, LaunchTemplateData={"ImageId": AMI, "InstanceType": "c5.xlarge"})
    ec2.create_launch_template(LaunchTemplateName="legacy", LaunchTemplateData={"ImageId": AMI, "InstanceType": "m4.large"})
    ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t2.micro", SubnetId=vpc["subnet"])
    boto3.client("autoscaling", region_name=REGION).create_auto_scaling_group(
        AutoScalingGroupName="mixed", MinSize=0, MaxSize=2, DesiredCapacity=0, VPCZoneIdentifier=vpc["subnet"],
        MixedInstancesPolicy={"LaunchTemplate": {"LaunchTemplateSpecification": {"LaunchTemplateId": web, "Version": "$Default"},
                                                 "Overrides": [{"InstanceType": "r5.large"}]}})
    snap = collect_services(["ec2"])

    templates = {t["name"]: t for t in snap.of_type("ec2.launch_template")}
    assert templates["web"]["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/{web}"
    assert (templates["web"]["default_version"], templates["web"]["latest_version"]) == (1, 2)
    assert templates["web"]["default_version_data"] == {
        "version": 1, "metadata_http_tokens": "required", "metadata_http_endpoint": "enabled",
        "instance_type": "t3.small", "image_id": AMI, "security_group_ids": [sg]}
    assert templates["web"]["tags"] == {"Name": "web"}
    assert templates["legacy"]["default_version_data"]["metadata_http_tokens"] is None

    types = {t["instance_type"]: t for t in snap.of_type("ec2.instance_type")}
    # the instance's, both templates' default versions and the group's override; not the non-default c5.xlarge
    assert sorted(types) == ["m4.large", "r5.large", "t2.micro", "t3.small"]
    assert types["t3.small"]["vcpus"] == 2 and types["t3.small"]["current_generation"] is True
    assert types["m4.large"]["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance-type/m4.large"
    assert snap.coverage == []


def test_volumes_and_addresses(collect_services, vpc):
    ec2 = vpc["ec2"]
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=vpc["subnet"])["Instances"][0]
    data = ec2.create_volume(Size=50, AvailabilityZone=f"{REGION}a", VolumeType="gp3", Encrypted=True, Iops=4000, Throughput=250,
                             TagSpecifications=_tags("data", "volume"))["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=instance["InstanceId"], Device="/dev/sdf")
    orphan = ec2.create_volume(Size=100, AvailabilityZone=f"{REGION}a", VolumeType="gp2")["VolumeId"]
    spare = ec2.allocate_address(Domain="vpc", TagSpecifications=_tags("spare", "elastic-ip"))["AllocationId"]
    used = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=used, InstanceId=instance["InstanceId"])
    snap = collect_services(["ec2"])

    volumes = {v["id"]: v for v in snap.of_type("ec2.volume")}
    assert len(volumes) == 3  # plus the instance's root volume
    attached = volumes[data]
    assert (attached["size_gb"], attached["volume_type"], attached["encrypted"], attached["state"]) == (50, "gp3", True, "in-use")
    assert attached["attachments"] == [{"instance_id": instance["InstanceId"], "device": "/dev/sdf", "state": "attached"}]
    assert (attached["iops"], attached["throughput"], attached["name"]) == (4000, 250, "data")
    assert attached["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{data}"
    assert volumes[orphan]["attachments"] == [] and volumes[orphan]["encrypted"] is False
    assert volumes[orphan]["volume_type"] == "gp2" and volumes[orphan]["state"] == "available"
    assert isinstance(volumes[orphan]["create_time"], str)

    addresses = {a["allocation_id"]: a for a in snap.of_type("ec2.address")}
    assert addresses[spare]["arn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:elastic-ip/{spare}"
    assert (addresses[spare]["association_id"], addresses[spare]["instance_id"], addresses[spare]["network_interface_id"]) == (None,) * 3
    assert addresses[spare]["name"] == "spare" and addresses[spare]["domain"] == "vpc"
    assert addresses[used]["instance_id"] == instance["InstanceId"] and addresses[used]["association_id"].startswith("eipassoc-")
    assert addresses[used]["public_ip"]


def test_snapshots_are_the_accounts_own_and_fast(collect_services, moto_aws, vpc):
    ec2 = vpc["ec2"]
    instance = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=vpc["subnet"])["Instances"][0]
    volume = ec2.create_volume(Size=20, AvailabilityZone=f"{REGION}a", Encrypted=True)["VolumeId"]
    nightly = ec2.create_snapshot(VolumeId=volume, Description="nightly", TagSpecifications=_tags("nightly", "snapshot"))["SnapshotId"]
    image = ec2.create_image(InstanceId=instance["InstanceId"], Name="golden")["ImageId"]
    ami_snapshot = ec2.describe_images(ImageIds=[image])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    # moto's RegisterImage ignores the mapping and makes its own snapshot ("Auto-created snapshot
    # for AMI ...", a description EC2 does not use): it is flagged only because the AMI references it.
    registered = ec2.register_image(Name="from-snapshot", RootDeviceName="/dev/sda1",
                                    BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": nightly}}])["ImageId"]
    referenced = ec2.describe_images(ImageIds=[registered])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    calls: list[dict] = []  # registered before the clients exist: they copy the session's handlers
    moto_aws.session.events.register("provide-client-params.ec2.DescribeSnapshots", lambda params, **_: calls.append(dict(params)))
    collect_services(["ec2"])  # warm moto's backend: its first call builds ~1,300 AMI snapshots
    calls.clear()

    started = time.perf_counter()
    snap = collect_services(["ec2"])
    elapsed = time.perf_counter() - started

    # The owner-id filter is what keeps moto from shipping ~1,300 foreign AMI snapshots (0.4 s).
    assert calls == [{"OwnerIds": ["self"], "Filters": [{"Name": "owner-id", "Values": [ACCOUNT]}]}]

    snapshots = {s["id"]: s for s in snap.of_type("ec2.snapshot")}
    assert sorted(snapshots) == sorted({nightly, ami_snapshot, referenced})  # none of moto's public AMI snapshots
    assert snapshots[ami_snapshot]["created_for_ami"] is True  # "Created by CreateImage(...)"
    assert snapshots[referenced]["created_for_ami"] is True  # referenced by one of the account's AMIs
    nightly_snap = snapshots[nightly]
    assert nightly_snap["created_for_ami"] is False
    assert nightly_snap["arn"] == f"arn:aws:ec2:{REGION}::snapshot/{nightly}"
    assert (nightly_snap["volume_id"], nightly_snap["volume_size"], nightly_snap["encrypted"]) == (volume, 20, True)
    assert (nightly_snap["description"], nightly_snap["name"]) == ("nightly", "nightly")
    assert isinstance(nightly_snap["start_time"], str)
    assert elapsed < 1.5, f"ec2 collection took {elapsed:.2f}s"


def test_regional_settings(collect_services):
    boto3.client("ec2", region_name=REGION).enable_ebs_encryption_by_default()
    snap = collect_services(["ec2"], regions=[REGION, "eu-west-1"])
    settings = {s["region"]: s for s in snap.of_type("ec2.regional_settings")}
    assert settings[REGION] == {"arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:account", "region": REGION,
                                "ebs_encryption_by_default": True, "tags": {}}
    assert settings["eu-west-1"]["ebs_encryption_by_default"] is False


def test_failures_become_errors_and_gaps(collect_services, moto_aws, vpc):
    ec2 = vpc["ec2"]
    ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.small"})
    volume = ec2.create_volume(Size=20, AvailabilityZone=f"{REGION}a")["VolumeId"]
    ec2.create_snapshot(VolumeId=volume, Description="nightly")
    for operation in ("DescribeLaunchTemplateVersions", "DescribeImages", "DescribeInstances", "GetEbsEncryptionByDefault"):
        deny(moto_aws, "ec2", operation)
    snap = collect_services(["ec2"])

    template = snap.of_type("ec2.launch_template")[0]
    assert "default_version_data" not in template and "AccessDenied" in template["errors"]["default_version_data"]
    snapshot = snap.of_type("ec2.snapshot")[0]
    assert "AccessDenied" in snapshot["errors"]["created_for_ami"]
    assert snap.collected["ec2.instance"] == []
    assert snap.collected["ec2.instance_type"] == []  # the types in use are unknown without the instances
    assert snap.collected["ec2.regional_settings"] == []
    assert snap.collected["ec2.launch_template"] == [REGION]
    assert snap.collected["ec2.snapshot"] == [REGION]
    assert {g.resource_type for g in snap.coverage if not g.resource_id} >= {
        "ec2.instance", "ec2.instance_type", "ec2.regional_settings"}
