"""AccessDenied on one service: the audit completes, that service's checks say ERROR, the gaps are listed.

moto's server enforces IAM policies after `/moto-api/reset-auth`; the sandbox's server undoes it
when it stops. Its own module, so no other sandbox server runs in this process meanwhile.
"""

from __future__ import annotations

import json

import boto3
import pytest

from opsctl import sandbox
from tests.integration.test_sandbox_e2e import run_opsctl

pytestmark = pytest.mark.slow


def test_access_denied_on_one_service_gives_error_and_gaps(tmp_path):
    """Under an IAM policy that denies S3, the audit completes: S3 checks ERROR, the rest still evaluate."""
    with sandbox.running_server() as url:
        sandbox.seed(url, only=("edge", "data"))
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        iam.create_user(UserName="auditor")
        iam.put_user_policy(UserName="auditor", PolicyName="read-but-no-s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                          {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        sandbox.moto_api(url, "reset-auth", b"0")  # from now on, every call is checked against IAM
        env = {**sandbox.environment(url), "AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
               "AWS_SESSION_TOKEN": None, "AWS_SECURITY_TOKEN": None}
        out = tmp_path / "r.json"
        # moto enforces IAM faithfully for JSON-protocol services (DynamoDB here); its CloudFront and
        # Route 53 answer 403 to every signed call once enforcement is on, so they are not used.
        proc = run_opsctl(["audit", "--region", "us-east-1", "--select", "s3.*", "--select", "dynamodb.*",
                           "--format", "json", "-o", str(out)], env, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(out.read_text())
    s3 = [f for f in data["findings"] if f["check_id"].startswith("s3.")]
    assert s3 and all(f["status"] == "ERROR" for f in s3), sorted({f["status"] for f in s3})
    assert any("AccessDenied" in f["message"] for f in s3)
    assert any(g["service"] == "s3" and g["error_code"] == "AccessDenied" for g in data["coverage"])
    assert {f["status"] for f in data["findings"] if f["check_id"].startswith("dynamodb.")} & {"PASS", "FAIL"}
    table = run_opsctl(["audit", "--snapshot", str(out)], cwd=tmp_path)  # a result is not a snapshot
    assert table.returncode == 2 and "is an audit result, not a snapshot" in table.stderr
