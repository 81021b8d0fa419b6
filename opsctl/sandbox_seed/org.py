"""The sandbox organisation: an AWS Organizations org on the sandbox server, for `opsctl audit --org`.

The caller's account (opsctl.sandbox.ACCOUNT, the CREDENTIAL_ENV credentials) creates the
organisation (FeatureSet ALL) and is its management account, seeded with the full reference
architecture (`opsctl.sandbox.seed`). The members are created with `create_account`, moved into
their OUs and seeded through credentials from `sts.assume_role` into their
OrganizationAccountAccessRole, which moto routes to the member's own backend.

`accounts` counts every account, the management account included (MIN_ACCOUNTS..MAX_ACCOUNTS).
The layout depends on the index only, so two seeds of the same size have the same names, OUs and
kinds (moto draws the account ids at random):

    index  name              OU                          kind
    0      master            Root                        reference (the management account)
    1      shop-prod         Root/Workloads/Production   reference
    2      payments-legacy   Root/Workloads/Production   missing-role
    3      sandbox-retired   Root/Suspended              suspended
    then three accounts per team, teams a, b, …, z, aa, …:
           team-<t>-data     Root/Workloads/Production   data-only
           team-<t>-batch    Root/Workloads/Staging      compute-only
           team-<t>-dev      Root/Sandbox                idle
    with, right after team a's (index 7):
           shop-staging      Root/Workloads/Staging      reference

So an organisation of 8 accounts or more has every kind, and three reference accounts whatever its
size: a reference account takes ~2 s to seed, a variant ~0.15 s (50 accounts: ~15 s).

Kinds, each with its deliberate defects (the variants are small and fast to seed):

* reference — the whole 3D shop with its defects, as the single-account sandbox.
* data-only — a hardened data-lake bucket and a protected table with PITR (PASS), next to a
  partner-share bucket made public (ACL and policy, no encryption, no Block Public Access) and an
  events table without point-in-time recovery.
* compute-only — a VPC, an IMDSv2 launch template, and an Auto Scaling group confined to one
  zone, with an unencrypted EBS volume attached to its instance.
* idle — an unattached (encrypted) volume and an unassociated Elastic IP: cost waste only.
* missing-role — ACTIVE, but created with RoleName LegacyAdminAccess: it has no
  OrganizationAccountAccessRole, so assuming it is AccessDenied (moto_patches, patch 6) and the org
  audit cannot reach it. Seeded (through LegacyAdminAccess) with the data-only resources: the
  public bucket of the org's blind spot.
* suspended — seeded with the idle resources, then closed with `close_account`: moto marks it
  SUSPENDED at once, in both `State` and the older `Status` (AWS passes through PENDING_CLOSURE).

The management account keeps the name and e-mail moto gives it (master, master@example.com):
Organizations has no API to rename it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from opsctl.sandbox_seed import compute, data, edge

MIN_ACCOUNTS = 4
MAX_ACCOUNTS = 200
AUDIT_ROLE = "OrganizationAccountAccessRole"
#: The role the missing-role member was created with instead of AUDIT_ROLE.
LEGACY_ROLE = "LegacyAdminAccess"
SESSION_NAME = "opsctl-sandbox-seed"
EMAIL_DOMAIN = "3d-shop.example"

PRODUCTION, STAGING = "Root/Workloads/Production", "Root/Workloads/Staging"
SANDBOX, SUSPENDED_OU = "Root/Sandbox", "Root/Suspended"
#: Every OU, parents first.
OU_PATHS = ("Root/Workloads", PRODUCTION, STAGING, SANDBOX, SUSPENDED_OU)

REFERENCE, DATA_ONLY, COMPUTE_ONLY, IDLE = "reference", "data-only", "compute-only", "idle"
MISSING_ROLE, SUSPENDED = "missing-role", "suspended"
KINDS = (REFERENCE, DATA_ONLY, COMPUTE_ONLY, IDLE, MISSING_ROLE, SUSPENDED)

#: Members 1-3: (name, OU path, kind).
FIXED_MEMBERS = (
    ("shop-prod", PRODUCTION, REFERENCE),
    ("payments-legacy", PRODUCTION, MISSING_ROLE),
    ("sandbox-retired", SUSPENDED_OU, SUSPENDED),
)
#: Then each team's accounts: (name suffix, OU path, kind).
TEAM_ACCOUNTS = (
    ("data", PRODUCTION, DATA_ONLY),
    ("batch", STAGING, COMPUTE_ONLY),
    ("dev", SANDBOX, IDLE),
)
#: The third reference account, after the first team's.
SHOP_STAGING = ("shop-staging", STAGING, REFERENCE)


def check_accounts(accounts: int, what: str = "accounts") -> None:
    """A one-line error (exit 2) unless MIN_ACCOUNTS <= accounts <= MAX_ACCOUNTS."""
    from opsctl.sandbox import SandboxUnavailable

    if not MIN_ACCOUNTS <= accounts <= MAX_ACCOUNTS:
        raise SandboxUnavailable(
            f"{what} {accounts}: the sandbox organisation has {MIN_ACCOUNTS} to {MAX_ACCOUNTS} accounts, the management "
            f"account included (it needs one to audit, one without the audit role and one closed)")


def _team(index: int) -> str:
    """a, b, …, z, aa, ab, … (spreadsheet columns)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def layout(accounts: int) -> list[tuple[str, str, str]]:
    """(name, OU path, kind) of the members (index 1 on) of an organisation of `accounts` accounts."""
    check_accounts(accounts)
    members = list(FIXED_MEMBERS)
    team = 0
    while len(members) < accounts - 1:
        members += [(f"team-{_team(team)}-{suffix}", ou_path, kind) for suffix, ou_path, kind in TEAM_ACCOUNTS]
        if team == 0:
            members.append(SHOP_STAGING)
        team += 1
    return members[:accounts - 1]


@dataclass(frozen=True)
class OrgAccount:
    id: str
    name: str
    ou_path: str
    kind: str
    state: str  # as list_accounts reports it: ACTIVE or SUSPENDED
    seed_seconds: float = field(default=0.0, compare=False)


@dataclass
class OrgSeed:
    org_id: str
    management_account_id: str
    accounts: list[OrgAccount]  # the management account first, then the members by index

    @property
    def management(self) -> OrgAccount:
        return next(a for a in self.accounts if a.id == self.management_account_id)

    @property
    def members(self) -> list[OrgAccount]:
        return [a for a in self.accounts if a.id != self.management_account_id]

    def of_kind(self, kind: str) -> list[OrgAccount]:
        return [a for a in self.accounts if a.kind == kind]

    def table(self) -> list[str]:
        """The accounts as aligned text lines: id, name, OU path, kind, state (a header first)."""
        rows = [("id", "name", "OU", "kind", "state")]
        rows += [(a.id, a.name, a.ou_path, a.kind + (" (management)" if a.id == self.management_account_id else ""), a.state)
                 for a in self.accounts]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        return ["  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]) for row in rows]

    def seconds_by_kind(self) -> dict[str, tuple[int, float]]:
        """kind → (accounts, total seed seconds), in KINDS order."""
        out: dict[str, tuple[int, float]] = {}
        for kind in KINDS:
            seconds = [a.seed_seconds for a in self.accounts if a.kind == kind]
            if seconds:
                out[kind] = (len(seconds), sum(seconds))
        return out


def seed_organization(endpoint: str, accounts: int) -> OrgSeed:
    """Create and seed the sandbox organisation of `accounts` accounts on a running sandbox."""
    from opsctl import sandbox

    members = layout(accounts)
    management = sandbox.SeedEnv(endpoint=endpoint)
    orgs = management.client("organizations")
    org_id = orgs.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    ou_ids = _create_ous(orgs)

    started = time.perf_counter()
    sandbox.seed(endpoint, env=management)
    seconds = {management.account: time.perf_counter() - started}

    created: list[tuple[str, str, str, str]] = []  # (id, name, OU path, kind)
    sts = management.client("sts")
    for name, ou_path, kind in members:
        started = time.perf_counter()
        role = LEGACY_ROLE if kind == MISSING_ROLE else AUDIT_ROLE
        account_id = orgs.create_account(AccountName=name, Email=f"aws+{name}@{EMAIL_DOMAIN}",
                                         RoleName=role)["CreateAccountStatus"]["AccountId"]
        orgs.move_account(AccountId=account_id, SourceParentId=ou_ids["Root"], DestinationParentId=ou_ids[ou_path])
        credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role}",
                                      RoleSessionName=SESSION_NAME)["Credentials"]
        SEEDERS[kind](sandbox.SeedEnv(endpoint=endpoint, account=account_id, credentials=credentials))
        if kind == SUSPENDED:
            orgs.close_account(AccountId=account_id)
        created.append((account_id, name, ou_path, kind))
        seconds[account_id] = time.perf_counter() - started

    # moto reports both State and the older Status (the same values); State is what AWS now documents.
    states = {a["Id"]: a.get("State") or a["Status"]
              for page in orgs.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    me = management.account
    rows = [OrgAccount(me, orgs.describe_account(AccountId=me)["Account"]["Name"], "Root", REFERENCE, states[me], seconds[me])]
    rows += [OrgAccount(a_id, name, ou_path, kind, states[a_id], seconds[a_id]) for a_id, name, ou_path, kind in created]
    return OrgSeed(org_id=org_id, management_account_id=me, accounts=rows)


def _create_ous(orgs: Any) -> dict[str, str]:
    """OU path → id, "Root" included."""
    ids = {"Root": orgs.list_roots()["Roots"][0]["Id"]}
    for path in OU_PATHS:
        parent, _, name = path.rpartition("/")
        ids[path] = orgs.create_organizational_unit(ParentId=ids[parent], Name=name,
                                                    Tags=[{"Key": "app", "Value": "3d-shop"}])["OrganizationalUnit"]["Id"]
    return ids


# ----- the variants -----------------------------------------------------------------------------
def _network(env: Any) -> None:
    """One VPC with a private subnet per zone, in the primary region only (network.py does both)."""
    ec2 = env.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=compute.VPC_CIDR,
                         TagSpecifications=[{"ResourceType": "vpc", "Tags": env.tags("network", "shop-vpc")}])["Vpc"]["VpcId"]
    azs = [f"{env.region}{suffix}" for suffix in "abc"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{10 + i}.0/24", AvailabilityZone=az, TagSpecifications=[
        {"ResourceType": "subnet", "Tags": env.tags("network", f"private-{az}")}])["Subnet"]["SubnetId"]
        for i, az in enumerate(azs)]
    env.outputs[f"vpc:{env.region}"] = vpc
    env.outputs[f"private_subnets:{env.region}"] = subnets
    env.outputs[f"azs:{env.region}"] = azs


def seed_data_only(env: Any) -> None:
    """Data without compute: a hardened bucket and table next to a public bucket and a table without PITR."""
    lake = f"3d-shop-datalake-{env.account}"
    s3 = edge._create_bucket(env, lake, env.region, "assets")
    edge._harden(s3, lake, edge.SSE_S3)
    s3.put_bucket_versioning(Bucket=lake, VersioningConfiguration={"Status": "Enabled"})

    share = f"3d-shop-partner-share-{env.account}"  # defect: public, unencrypted, no Block Public Access
    s3 = edge._create_bucket(env, share, env.region, "assets")
    s3.put_bucket_acl(Bucket=share, ACL="public-read")
    s3.put_bucket_policy(Bucket=share, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PartnerDownloads", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{share}/*"}]}))

    ddb = env.client("dynamodb")
    protected = {"SSESpecification": {"Enabled": True, "SSEType": "KMS"}, "DeletionProtectionEnabled": True}
    ddb.create_table(TableName="orders-archive", BillingMode="PAY_PER_REQUEST", Tags=env.tags("nosql_db", "orders-archive"),
                     **protected, **data.HASH_KEY)
    ddb.update_continuous_backups(TableName="orders-archive",
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    # Defect: no point-in-time recovery (otherwise protected like the archive).
    ddb.create_table(TableName="events-raw", BillingMode="PAY_PER_REQUEST", Tags=env.tags("nosql_db", "events-raw"),
                     **protected, **data.HASH_KEY)
    env.outputs[f"bucket_names:{env.region}"] = [lake, share]
    env.outputs[f"table_names:{env.region}"] = ["orders-archive", "events-raw"]


def seed_compute_only(env: Any) -> None:
    """A batch fleet: an Auto Scaling group in one zone only, its instance with an unencrypted volume."""
    _network(env)
    ec2 = env.client("ec2")
    vpc, subnets = env.outputs[f"vpc:{env.region}"], env.outputs[f"private_subnets:{env.region}"]
    group = compute._security_group(env, ec2, vpc, "batch-sg", "Batch workers: no inbound traffic", "compute", [])
    template = ec2.create_launch_template(
        LaunchTemplateName="batch-lt", LaunchTemplateData={
            "ImageId": compute.AMI, "InstanceType": "t3.small", "SecurityGroupIds": [group],
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2}},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": env.tags("compute", "batch-lt")}],
    )["LaunchTemplate"]["LaunchTemplateId"]
    asg = env.client("autoscaling")
    # Defect: one zone (subnets[0]) although the VPC has three.
    asg.create_auto_scaling_group(
        AutoScalingGroupName="batch-asg", LaunchTemplate={"LaunchTemplateId": template, "Version": "$Default"},
        MinSize=1, MaxSize=2, DesiredCapacity=1, VPCZoneIdentifier=subnets[0], HealthCheckType="EC2",
        Tags=compute._asg_tags(env, "batch-asg"))
    instances = compute._group_instances(env, ["batch-asg"])["batch-asg"]
    compute._enforce_template_imds(ec2, instances)
    # Defect: an unencrypted volume (EBS encryption by default is off in this account).
    volume = ec2.create_volume(AvailabilityZone=env.outputs[f"azs:{env.region}"][0], Size=50, VolumeType="gp3",
                               TagSpecifications=[{"ResourceType": "volume", "Tags": env.tags("compute", "batch-scratch")}])["VolumeId"]
    if instances:
        ec2.attach_volume(VolumeId=volume, InstanceId=instances[0], Device="/dev/sdf")
    env.outputs[f"asg_names:{env.region}"] = ["batch-asg"]
    env.outputs[f"instance_ids:{env.region}"] = instances


def seed_idle(env: Any) -> None:
    """Forgotten resources: an unattached volume and an unassociated Elastic IP."""
    ec2 = env.client("ec2")
    ec2.create_volume(AvailabilityZone=f"{env.region}a", Size=20, VolumeType="gp3", Encrypted=True,
                      TagSpecifications=[{"ResourceType": "volume", "Tags": env.tags("compute", "dev-scratch")}])
    ec2.allocate_address(Domain="vpc", TagSpecifications=[
        {"ResourceType": "elastic-ip", "Tags": env.tags("compute", "dev-spare-eip")}])


def seed_reference(env: Any) -> None:
    from opsctl import sandbox

    sandbox.seed(env.endpoint, env=env)


#: kind → what its account is seeded with.
SEEDERS = {
    REFERENCE: seed_reference,
    DATA_ONLY: seed_data_only,
    COMPUTE_ONLY: seed_compute_only,
    IDLE: seed_idle,
    MISSING_ROLE: seed_data_only,
    SUSPENDED: seed_idle,
}
