"""The data tier of the sandbox, in the primary region: Lambda functions (tier ``functions``),
RDS (``relational_db``) and DynamoDB (``nosql_db``).

Each part pairs a well-configured resource of the reference architecture with a deliberately
broken one, so every lambda.*, rds.* and dynamodb.* check has a FAIL (and a PASS) to show:

* functions — ``shop-order-events`` (python3.12, reserved concurrency, on-failure destination
  to an SQS queue, an IAM-authenticated function URL), ``shop-thumbnailer`` (the same, invoked by
  the assets bucket through a permission pinned to its ARN and account),
  ``shop-3d-converter`` (a container image: no runtime finding), and the defects
  ``legacy-report-export`` (python3.8, public URL with AuthType NONE, a ``Principal: "*"``
  statement without condition, a DB_PASSWORD variable and an access key id in another) and
  ``legacy-webhook`` (nodejs14.x, no reserved concurrency, no DLQ).
* relational_db — ``orders`` (Postgres, Multi-AZ, encrypted, private, 7-day backups, deletion
  protection, storage autoscaling), the Aurora cluster ``users`` (two members in two AZs) and the
  defect ``reporting`` (MySQL, single-AZ, unencrypted, public, 1-day backups, no protection, no
  minor upgrades, no storage autoscaling); a public and a private manual snapshot.
* nosql_db — ``catalogue`` and ``inventory`` (on-demand, PITR, deletion protection, KMS),
  ``carts`` (provisioned with Application Auto Scaling on reads and writes) and the defect
  ``sessions-legacy`` (provisioned without auto scaling, no PITR, AWS owned key, unprotected).

Outputs: ``lambda_arns:<region>``, ``db_instance_ids:<region>``, ``table_names:<region>``.

moto notes (MOTO-NOTES.md): Lambda drops DeadLetterConfig, so the good functions use an
on-failure destination; functions are created from a tiny in-memory zip and never invoked.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

#: A sandbox-only credential: moto requires a master password, nothing reads it.
SANDBOX_DB_PASSWORD = "sandbox-only-not-secret"
#: The AWS documentation's example access key id (never a real key), planted as a defect.
EXAMPLE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
HASH_KEY = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
}
READ, WRITE = "dynamodb:table:ReadCapacityUnits", "dynamodb:table:WriteCapacityUnits"


def seed(env: Any) -> None:
    """Seed functions, relational databases and tables in the primary region."""
    region = env.region
    env.outputs[f"lambda_arns:{region}"] = _seed_functions(env, region)
    env.outputs[f"db_instance_ids:{region}"] = _seed_relational(env, region)
    env.outputs[f"table_names:{region}"] = _seed_nosql(env, region)


# ----- functions ------------------------------------------------------------------------------
def _code() -> bytes:
    """A minimal deployment package (created in memory; the sandbox never invokes it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


def _seed_functions(env: Any, region: str) -> list[str]:
    lam = env.client("lambda", region)
    role = env.client("iam", region).create_role(
        RoleName="shop-functions-exec", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST),
        Tags=env.tags("functions", "shop-functions-exec"),
    )["Role"]["Arn"]
    code = _code()

    def create(name: str, **kwargs: Any) -> str:
        if kwargs.get("PackageType") != "Image":
            kwargs.update(Handler="app.handler", Code={"ZipFile": code})
        return lam.create_function(FunctionName=name, Role=role, Tags=env.tag_map("functions", name), **kwargs)["FunctionArn"]

    return _seed_shop_functions(env, region, lam, create) + _seed_legacy_functions(lam, create)


def _failure_queue(env: Any, region: str) -> str:
    """The SQS queue that receives the asynchronous events the functions failed to process."""
    sqs = env.client("sqs", region)
    url = sqs.create_queue(QueueName="shop-functions-failures",
                           tags=env.tag_map("functions", "shop-functions-failures"))["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _seed_shop_functions(env: Any, region: str, lam: Any, create: Any) -> list[str]:
    """The well-configured functions of the shop."""
    arns = [
        create("shop-order-events", Runtime="python3.12", MemorySize=256, Timeout=30,
               Environment={"Variables": {"ORDERS_QUEUE": "orders", "LOG_LEVEL": "INFO"}}),
        create("shop-thumbnailer", Runtime="python3.12", MemorySize=1024, Timeout=60,
               Environment={"Variables": {"ASSETS_PREFIX": "models/", "LOG_LEVEL": "INFO"}}),
        create("shop-3d-converter", PackageType="Image", MemorySize=3008, Timeout=300,
               Code={"ImageUri": f"{env.account}.dkr.ecr.{region}.amazonaws.com/shop-3d-converter:1.4.0"}),
    ]
    failures = _failure_queue(env, region)
    for name, concurrency in (("shop-order-events", 50), ("shop-thumbnailer", 20), ("shop-3d-converter", 5)):
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=concurrency)
        lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnFailure": {"Destination": failures}})
    lam.create_function_url_config(FunctionName="shop-order-events", AuthType="AWS_IAM")
    assets_bucket = env.outputs.get("assets_bucket", f"3d-shop-assets-{env.account}")
    lam.add_permission(FunctionName="shop-thumbnailer", StatementId="assets-bucket-uploads",
                       Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                       SourceArn=f"arn:aws:s3:::{assets_bucket}", SourceAccount=env.account)
    return arns


def _seed_legacy_functions(lam: Any, create: Any) -> list[str]:
    """Defects: deprecated runtimes, an anonymous URL, a public policy, secrets in the environment,
    no reserved concurrency and no dead-letter target."""
    arns = [create("legacy-report-export", Runtime="python3.8", MemorySize=512, Timeout=120,
                   Environment={"Variables": {"DB_HOST": "reporting.internal", "DB_PASSWORD": SANDBOX_DB_PASSWORD,
                                              "EXPORT_ACCESS_KEY_ID": EXAMPLE_ACCESS_KEY_ID}})]
    lam.create_function_url_config(FunctionName="legacy-report-export", AuthType="NONE")
    lam.add_permission(FunctionName="legacy-report-export", StatementId="public-invoke",
                       Action="lambda:InvokeFunction", Principal="*")
    arns.append(create("legacy-webhook", Runtime="nodejs14.x", MemorySize=128, Timeout=10,
                       Environment={"Variables": {"WEBHOOK_PATH": "/hooks/payments"}}))
    return arns


# ----- relational databases -------------------------------------------------------------------
def _seed_relational(env: Any, region: str) -> list[str]:
    rds = env.client("rds", region)
    for name, subnets, description in (("shop-db-private", "private_subnets", "Private subnets of the data tier"),
                                       ("shop-db-public", "public_subnets", "Public subnets (legacy reporting)")):
        rds.create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription=description,
                                   SubnetIds=env.outputs[f"{subnets}:{region}"], Tags=env.tags("relational_db", name))
    db_sg = env.outputs.get(f"db_sg:{region}")  # the compute tier's database security group, when seeded
    private = {"DBSubnetGroupName": "shop-db-private", **({"VpcSecurityGroupIds": [db_sg]} if db_sg else {})}
    _seed_orders(env, rds, private)
    members = _seed_users_cluster(env, region, rds, private)
    _seed_reporting(env, rds)
    return ["orders", *members, "reporting"]


def _seed_orders(env: Any, rds: Any, private: dict[str, Any]) -> None:
    """The orders database as the architecture wants it, plus a private manual snapshot."""
    rds.create_db_instance(
        DBInstanceIdentifier="orders", Engine="postgres", EngineVersion="16.3", DBInstanceClass="db.m6g.large",
        AllocatedStorage=100, MaxAllocatedStorage=500, StorageType="gp3", MultiAZ=True, StorageEncrypted=True,
        PubliclyAccessible=False, BackupRetentionPeriod=7, DeletionProtection=True, AutoMinorVersionUpgrade=True,
        CopyTagsToSnapshot=True, MasterUsername="shop", MasterUserPassword=SANDBOX_DB_PASSWORD,
        Tags=env.tags("relational_db", "orders"), **private,
    )
    rds.create_db_snapshot(DBSnapshotIdentifier="orders-pre-migration", DBInstanceIdentifier="orders",
                           Tags=env.tags("relational_db", "orders-pre-migration"))


def _seed_users_cluster(env: Any, region: str, rds: Any, private: dict[str, Any]) -> list[str]:
    """The users database: an Aurora cluster with one member in each of two AZs."""
    rds.create_db_cluster(
        DBClusterIdentifier="users", Engine="aurora-postgresql", EngineVersion="16.2", StorageEncrypted=True,
        DeletionProtection=True, BackupRetentionPeriod=7, MasterUsername="shop", MasterUserPassword=SANDBOX_DB_PASSWORD,
        Tags=env.tags("relational_db", "users"), **private,
    )
    members = []
    for index, az in enumerate(env.outputs[f"azs:{region}"][:2], start=1):
        members.append(f"users-{index}")
        rds.create_db_instance(DBInstanceIdentifier=f"users-{index}", Engine="aurora-postgresql",
                               DBInstanceClass="db.r6g.large", DBClusterIdentifier="users", AvailabilityZone=az,
                               PubliclyAccessible=False, Tags=env.tags("relational_db", f"users-{index}"))
    return members


def _seed_reporting(env: Any, rds: Any) -> None:
    """Defect: a reporting copy someone opened to a BI tool on the internet, and its public snapshot."""
    rds.create_db_instance(
        DBInstanceIdentifier="reporting", Engine="mysql", EngineVersion="8.0.35", DBInstanceClass="db.t3.medium",
        AllocatedStorage=50, MultiAZ=False, StorageEncrypted=False, PubliclyAccessible=True, BackupRetentionPeriod=1,
        DeletionProtection=False, AutoMinorVersionUpgrade=False, DBSubnetGroupName="shop-db-public",
        MasterUsername="report", MasterUserPassword=SANDBOX_DB_PASSWORD, Tags=env.tags("relational_db", "reporting"),
    )
    rds.create_db_snapshot(DBSnapshotIdentifier="reporting-export-public", DBInstanceIdentifier="reporting",
                           Tags=env.tags("relational_db", "reporting-export-public"))
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="reporting-export-public", AttributeName="restore",
                                     ValuesToAdd=["all"])


# ----- NoSQL tables ---------------------------------------------------------------------------
def _seed_nosql(env: Any, region: str) -> list[str]:
    ddb = env.client("dynamodb", region)
    protected = {"SSESpecification": {"Enabled": True, "SSEType": "KMS"}, "DeletionProtectionEnabled": True}
    for name in ("catalogue", "inventory"):
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", Tags=env.tags("nosql_db", name), **protected, **HASH_KEY)
    ddb.create_table(TableName="carts", BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5},
                     Tags=env.tags("nosql_db", "carts"), **protected, **HASH_KEY)
    for name in ("catalogue", "inventory", "carts"):
        ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    _auto_scale(env, region, "carts", minimum=5, maximum=200)

    # Defect: fixed provisioned capacity, no PITR, AWS owned key, no deletion protection.
    ddb.create_table(TableName="sessions-legacy", BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 25, "WriteCapacityUnits": 25},
                     Tags=env.tags("nosql_db", "sessions-legacy"), **HASH_KEY)
    ddb.update_time_to_live(TableName="sessions-legacy", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    return ["catalogue", "inventory", "carts", "sessions-legacy"]


def _auto_scale(env: Any, region: str, table: str, *, minimum: int, maximum: int) -> None:
    """Target-tracking auto scaling at 70 % utilisation on both capacity dimensions of a table."""
    aas = env.client("application-autoscaling", region)
    for dimension, metric in ((READ, "DynamoDBReadCapacityUtilization"), (WRITE, "DynamoDBWriteCapacityUtilization")):
        aas.register_scalable_target(ServiceNamespace="dynamodb", ResourceId=f"table/{table}", ScalableDimension=dimension,
                                     MinCapacity=minimum, MaxCapacity=maximum)
        aas.put_scaling_policy(
            PolicyName=f"{table}-{metric}", ServiceNamespace="dynamodb", ResourceId=f"table/{table}",
            ScalableDimension=dimension, PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 70.0, "PredefinedMetricSpecification": {"PredefinedMetricType": metric}},
        )
