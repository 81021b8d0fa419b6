"""The network every tier sits in: a VPC with three public and three private subnets in three AZs."""

from __future__ import annotations

from typing import Any


def seed(env: Any) -> None:
    for region in (env.region, env.second_region):
        ec2 = env.client("ec2", region)
        vpc = ec2.create_vpc(
            CidrBlock="10.20.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": env.tags("network", "shop-vpc")}],
        )["Vpc"]["VpcId"]
        azs = [f"{region}{suffix}" for suffix in "abc"]
        public, private = [], []
        for i, az in enumerate(azs):
            public.append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=az,
                                            TagSpecifications=[{"ResourceType": "subnet", "Tags": env.tags("network", f"public-{az}")}])["Subnet"]["SubnetId"])
            private.append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{10 + i}.0/24", AvailabilityZone=az,
                                             TagSpecifications=[{"ResourceType": "subnet", "Tags": env.tags("network", f"private-{az}")}])["Subnet"]["SubnetId"])
        env.outputs[f"vpc:{region}"] = vpc
        env.outputs[f"public_subnets:{region}"] = public
        env.outputs[f"private_subnets:{region}"] = private
        env.outputs[f"azs:{region}"] = azs
