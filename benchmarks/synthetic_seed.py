"""Synthetic accounts for benchmarks: N resources spread over the services opsctl collects, in two regions.

Seeding goes through boto3 against a running sandbox moto server (its own process), from a
thread pool: moto's server answers concurrently, and the seeding process's GIL is not the
server's. The mix follows the account of issue 15 (~2,000 resources: 1,200 S3 buckets, 300
security groups, 200 instances, 150 Lambda functions, 150 DynamoDB tables), with some unattached
EBS volumes, CloudWatch alarms and SNS topics added; every type is split evenly between the two
regions (S3 buckets by their LocationConstraint).

`seed_synthetic(url, n)` returns a `Seeded`: what was created per snapshot resource type
(`explicit`), and what the endpoint creates by itself alongside (`implicit`: each region's
default VPC has its default security group; moto gives every instance a root EBS volume), so
the counts of a snapshot of that account can be compared with `expected`.

    python benchmarks/synthetic_seed.py URL 1000    # seed a running server by hand
"""

from __future__ import annotations

import io
import itertools
import json
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

REGIONS = ("us-east-1", "eu-west-1")
ACCOUNT = "123456789012"
CREDENTIALS = {"aws_access_key_id": "sandbox", "aws_secret_access_key": "sandbox"}
#: One of moto's built-in AMIs (present in every region of moto's AMI list), as the sandbox uses.
AMI = "ami-04681a1dbd79675a5"
INSTANCE_BATCH = 50  # run_instances MinCount = MaxCount

#: Share of each resource type in an account of N resources (S3 takes the remainder).
MIX: dict[str, float] = {
    "ec2.security_group": 0.14,
    "ec2.instance": 0.10,
    "lambda.function": 0.07,
    "dynamodb.table": 0.07,
    "ec2.volume": 0.03,       # unattached volumes, on top of the instances' root volumes
    "cloudwatch.alarm": 0.02,
    "sns.topic": 0.02,
}
BUCKET = "s3.bucket"

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
HASH_KEY = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
}


def plan(n: int) -> dict[str, int]:
    """How many resources of each type an account of `n` resources gets (they add up to n)."""
    counts = {kind: int(n * share) for kind, share in MIX.items()}
    counts[BUCKET] = n - sum(counts.values())
    return {BUCKET: counts[BUCKET], **{k: v for k, v in counts.items() if k != BUCKET}}


def split(count: int) -> dict[str, int]:
    """`count` spread over the regions: the first gets the odd one."""
    per, extra = divmod(count, len(REGIONS))
    return {region: per + (1 if i < extra else 0) for i, region in enumerate(REGIONS)}


@dataclass
class Seeded:
    size: int
    explicit: dict[str, int] = field(default_factory=dict)   # created by the seeder, by snapshot type
    implicit: dict[str, int] = field(default_factory=dict)   # created by the endpoint alongside
    calls: int = 0
    seconds: float = 0.0
    seconds_by_type: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def expected(self) -> dict[str, int]:
        """What a snapshot of the account must count, by type."""
        total = Counter(self.explicit)
        total.update(self.implicit)
        return dict(total)


class _Clients:
    """boto3 clients per (service, region) on the endpoint, shared by the threads (clients are thread-safe)."""

    def __init__(self, url: str, pool: int) -> None:
        import boto3
        from botocore.config import Config

        self._session = boto3.session.Session(**CREDENTIALS)
        self._config = Config(max_pool_connections=pool, retries={"mode": "standard", "max_attempts": 3})
        self._url = url
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self.calls = 0

    def __call__(self, service: str, region: str) -> Any:
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self._session.client(service, region_name=region, endpoint_url=self._url,
                                                          config=self._config)
            return self._clients[key]

    def count(self, n: int = 1) -> None:
        with self._lock:
            self.calls += n


#: Error codes that, on a retry, mean the first attempt did create the resource.
_EXISTS = {"BucketAlreadyOwnedByYou", "InvalidGroup.Duplicate", "ResourceConflictException", "ResourceInUseException",
           "ResourceExistsException"}


def _retry(fn: Callable[[], Any], exists: Callable[[], Any] | None = None, attempts: int = 4) -> Any:
    """Call `fn`, again after a transient failure of the endpoint (moto's server now and then answers a
    concurrent request with an HTML 500); on a retry, "already exists" is success (`exists()` gives the result)."""
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    for attempt in range(attempts):
        try:
            return fn()
        except (ClientError, ResponseParserError) as exc:
            response = getattr(exc, "response", None) or {}
            code = str((response.get("Error") or {}).get("Code") or "")
            status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
            if attempt and code in _EXISTS:
                return exists() if exists else None
            transient = isinstance(exc, ResponseParserError) or status >= 500 or code in ("InternalError", "InternalFailure", "ServiceUnavailable")
            if not transient or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    return None


def _tiny_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buffer.getvalue()


def _tags(kind: str, name: str) -> list[dict[str, str]]:
    return [{"Key": "app", "Value": "bench"}, {"Key": "tier", "Value": kind}, {"Key": "Name", "Value": name}]


def seed_synthetic(url: str, n: int, workers: int = 16, log: Callable[[str], None] | None = None) -> Seeded:
    """Create an account of `n` resources on the moto server at `url` (see the module docstring)."""
    counts = plan(n)
    clients = _Clients(url, workers)
    seeded = Seeded(size=n)
    started = time.perf_counter()

    # Shared prerequisites, once: the functions' execution role.
    role = clients("iam", REGIONS[0]).create_role(RoleName="bench-functions-exec",
                                                  AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    clients.count()
    code = _tiny_zip()

    def bucket(region: str, i: int) -> int:
        s3 = clients("s3", region)
        name = f"bench-{region}-{i:05d}"
        kwargs: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        _retry(lambda: s3.create_bucket(**kwargs))
        calls = 1
        if i % 4 == 0:  # a quarter carry tags, as real accounts partly do
            _retry(lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags("storage", name)}))
            calls += 1
        return calls

    def security_group(region: str, i: int) -> int:
        ec2 = clients("ec2", region)
        name = f"bench-sg-{i:05d}"
        gid = _retry(lambda: ec2.create_security_group(
            GroupName=name, Description=f"bench group {i}",
            TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags("network", name)}])["GroupId"],
            exists=lambda: ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"][0]["GroupId"])
        _retry(lambda: ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
            {"IpProtocol": "tcp", "FromPort": 8000 + i % 1000, "ToPort": 8000 + i % 1000,
             "IpRanges": [{"CidrIp": f"10.{i % 256}.0.0/16"}]},
        ]))
        return 2

    # Instances and volumes are not retried: a 500 after moto had made them would make them twice
    # (a failure is reported, and the counts say what exists).
    def instances(region: str, i: int, count: int) -> int:
        clients("ec2", region).run_instances(
            ImageId=AMI, MinCount=count, MaxCount=count, InstanceType=("t3.micro", "m5.large", "c5.xlarge")[i % 3],
            MetadataOptions={"HttpTokens": "required" if i % 2 else "optional", "HttpEndpoint": "enabled"},
            TagSpecifications=[{"ResourceType": "instance", "Tags": _tags("compute", f"bench-batch-{i:04d}")}])
        return 1

    def function(region: str, i: int) -> int:
        name = f"bench-fn-{i:05d}"
        _retry(lambda: clients("lambda", region).create_function(
            FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": code},
            MemorySize=128 + 64 * (i % 4), Timeout=30, Tags={"app": "bench", "Name": name},
            Environment={"Variables": {"STAGE": "bench", "TABLE": f"bench-table-{i:05d}"}}))
        return 1

    def table(region: str, i: int) -> int:
        name = f"bench-table-{i:05d}"
        billing: dict[str, Any] = ({"BillingMode": "PAY_PER_REQUEST"} if i % 2 else
                                   {"BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}})
        _retry(lambda: clients("dynamodb", region).create_table(TableName=name, Tags=[{"Key": "app", "Value": "bench"}], **billing, **HASH_KEY))
        return 1

    def volume(region: str, i: int) -> int:
        clients("ec2", region).create_volume(
            AvailabilityZone=f"{region}a", Size=8 + i % 100, VolumeType=("gp3", "gp2")[i % 2], Encrypted=bool(i % 3),
            TagSpecifications=[{"ResourceType": "volume", "Tags": _tags("storage", f"bench-vol-{i:05d}")}])
        return 1

    def alarm(region: str, i: int) -> int:
        _retry(lambda: clients("cloudwatch", region).put_metric_alarm(  # idempotent: same name, same alarm
            AlarmName=f"bench-alarm-{i:05d}", Namespace="AWS/EC2", MetricName="CPUUtilization", Statistic="Average",
            Period=300, EvaluationPeriods=2, Threshold=80.0, ComparisonOperator="GreaterThanThreshold",
            Dimensions=[{"Name": "InstanceId", "Value": f"i-{i:017x}"}]))
        return 1

    def topic(region: str, i: int) -> int:
        _retry(lambda: clients("sns", region).create_topic(Name=f"bench-topic-{i:05d}", Tags=[{"Key": "app", "Value": "bench"}]))  # idempotent
        return 1

    makers: dict[str, Callable[[str, int], int]] = {
        BUCKET: bucket, "ec2.security_group": security_group, "lambda.function": function, "dynamodb.table": table,
        "ec2.volume": volume, "cloudwatch.alarm": alarm, "sns.topic": topic,
    }
    lock = threading.Lock()

    def run(kind: str, made: int, task: Callable[[], int]) -> None:
        t0 = time.perf_counter()
        try:
            calls = task()
        except Exception as exc:  # noqa: BLE001 - reported, and the counts then show the mismatch
            with lock:
                seeded.failures.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
            calls = 1
        else:
            with lock:
                seeded.explicit[kind] = seeded.explicit.get(kind, 0) + made
        clients.count(calls)
        with lock:
            seeded.seconds_by_type[kind] = seeded.seconds_by_type.get(kind, 0.0) + time.perf_counter() - t0

    tasks: list[tuple[str, int, Callable[[], int]]] = []  # (type, resources it makes, the calls)
    for kind, total in counts.items():
        index = 0
        for region, count in split(total).items():
            if kind == "ec2.instance":
                for start in range(0, count, INSTANCE_BATCH):
                    size = min(INSTANCE_BATCH, count - start)
                    tasks.append((kind, size, lambda r=region, i=index, c=size: instances(r, i, c)))
                    index += 1
                continue
            for _ in range(count):
                tasks.append((kind, 1, lambda k=kind, r=region, i=index: makers[k](r, i)))
                index += 1
    # Instances first (the slowest calls), then the rest interleaved so every service is busy at once.
    by_kind: dict[str, list[tuple[str, int, Callable[[], int]]]] = {}
    for t in tasks:
        by_kind.setdefault(t[0], []).append(t)
    instance_tasks = by_kind.pop("ec2.instance", [])
    tasks = instance_tasks + [t for row in itertools.zip_longest(*by_kind.values()) for t in row if t is not None]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seed") as pool:
        list(pool.map(lambda t: run(*t), tasks))
    for kind in counts:
        seeded.explicit.setdefault(kind, 0)

    # What the endpoint made by itself, counted on the endpoint (not from opsctl's snapshot):
    # each region's default VPC comes with its default security group, each instance with its root volume.
    for region in REGIONS:
        ec2 = clients("ec2", region)
        defaults = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
        roots = [v for v in ec2.describe_volumes()["Volumes"] if v.get("Attachments")]
        clients.count(2)
        seeded.implicit["ec2.security_group"] = seeded.implicit.get("ec2.security_group", 0) + len(defaults)
        seeded.implicit["ec2.volume"] = seeded.implicit.get("ec2.volume", 0) + len(roots)
    seeded.calls = clients.calls
    seeded.seconds = time.perf_counter() - started
    if log:
        log(f"seeded {sum(seeded.explicit.values())} resources ({seeded.calls} calls, {seeded.seconds:.1f}s"
            + (f", {len(seeded.failures)} failures" if seeded.failures else "") + ")")
    return seeded


if __name__ == "__main__":
    result = seed_synthetic(sys.argv[1], int(sys.argv[2]), log=print)
    print(json.dumps({"explicit": result.explicit, "implicit": result.implicit, "failures": result.failures[:5]}, indent=1))
