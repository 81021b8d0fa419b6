"""The Lambda collector against moto in-process (functions are created, never invoked)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

REGION = "us-east-1"
ACCESS_KEY_VALUE = "AKIAIOSFODNN7EXAMPLE"  # the documentation example key id
PASSWORD_VALUE = "correct-horse-battery-staple"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def _role() -> str:
    iam = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                      "Principal": {"Service": "lambda.amazonaws.com"}}]}
    return iam.create_role(RoleName="fn-exec", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def deny(aws: Any, service: str, operation: str, code: str = "AccessDeniedException") -> None:
    """Make every `operation` call of opsctl's client fail with `code` (before it reaches moto)."""
    client = aws.client(service, REGION)

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return (AWSResponse("https://denied.invalid", 403, {}, None),
                {"Error": {"Code": code, "Message": "denied by test"}, "ResponseMetadata": {"HTTPStatusCode": 403}})

    client.meta.events.register(f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", refuse)


@pytest.fixture
def functions(moto_aws):
    """A good function, a defective one and a container-image one."""
    lam = boto3.client("lambda", region_name=REGION)
    role = _role()
    good = lam.create_function(
        FunctionName="orders-api", Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": _zip()},
        MemorySize=512, Timeout=15, Environment={"Variables": {"LOG_LEVEL": "INFO", "TABLE": "orders"}},
        Tags={"tier": "functions", "app": "3d-shop"},
    )
    lam.put_function_concurrency(FunctionName="orders-api", ReservedConcurrentExecutions=25)
    lam.put_function_event_invoke_config(
        FunctionName="orders-api",
        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:sqs:{REGION}:123456789012:orders-api-failures"}},
    )
    lam.create_function_url_config(FunctionName="orders-api", AuthType="AWS_IAM")
    lam.add_permission(FunctionName="orders-api", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::assets", SourceAccount="123456789012")
    lam.create_function(
        FunctionName="legacy-export", Runtime="python3.8", Role=role, Handler="app.handler", Code={"ZipFile": _zip()},
        Environment={"Variables": {"DB_PASSWORD": PASSWORD_VALUE, "EXPORT_KEY_ID": ACCESS_KEY_VALUE, "REGION_NAME": "eu"}},
    )
    lam.create_function_url_config(FunctionName="legacy-export", AuthType="NONE")
    lam.add_permission(FunctionName="legacy-export", StatementId="open", Action="lambda:InvokeFunction", Principal="*")
    lam.create_function(FunctionName="converter", Role=role, PackageType="Image",
                        Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/converter:1"})
    return good["FunctionArn"]


def _by_name(snap) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in snap.of_type("lambda.function")}


def test_functions_are_normalised(functions, collect_services):
    snap = collect_services(["lambda"])
    assert snap.collected["lambda.function"] == [REGION]
    assert snap.coverage == []
    fns = _by_name(snap)
    assert sorted(fns) == ["converter", "legacy-export", "orders-api"]

    good = fns["orders-api"]
    assert good["arn"] == functions
    assert {k: good[k] for k in ("region", "runtime", "package_type", "handler", "memory_size", "timeout")} == {
        "region": REGION, "runtime": "python3.12", "package_type": "Zip", "handler": "app.handler",
        "memory_size": 512, "timeout": 15,
    }
    assert good["role"].endswith(":role/fn-exec")
    assert good["last_modified"]
    assert good["tags"] == {"app": "3d-shop", "tier": "functions"}
    assert good["reserved_concurrency"] == 25
    assert good["on_failure_destination"] == f"arn:aws:sqs:{REGION}:123456789012:orders-api-failures"
    assert good["dead_letter_target_arn"] is None
    assert good["url_config"] == {"auth_type": "AWS_IAM"}
    [statement] = good["policy_statements"]
    assert statement["Sid"] == "s3-invoke"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert set(statement) <= {"Sid", "Effect", "Principal", "Action", "Condition"}
    assert "Condition" in statement
    assert good["environment_variables"] == [{"name": "LOG_LEVEL", "looks_secret": False},
                                             {"name": "TABLE", "looks_secret": False}]
    assert "type" not in good

    bad = fns["legacy-export"]
    assert bad["reserved_concurrency"] is None
    assert bad["on_failure_destination"] is None
    assert bad["url_config"] == {"auth_type": "NONE"}
    assert [s["Principal"] for s in bad["policy_statements"]] == ["*"]
    assert bad["environment_variables"] == [
        {"name": "DB_PASSWORD", "looks_secret": True},
        {"name": "EXPORT_KEY_ID", "looks_secret": True},  # flagged by its value, an access key id
        {"name": "REGION_NAME", "looks_secret": False},
    ]

    image = fns["converter"]
    assert (image["package_type"], image["runtime"], image["handler"]) == ("Image", None, None)
    assert image["url_config"] is None and image["policy_statements"] == [] and image["environment_variables"] == []


def test_no_environment_value_reaches_the_snapshot(functions, collect_services):
    text = collect_services(["lambda"]).to_json()
    assert "DB_PASSWORD" in text  # names are kept …
    for value in (PASSWORD_VALUE, ACCESS_KEY_VALUE, '"INFO"'):
        assert value not in text  # … values never


def test_a_failed_detail_call_marks_only_that_field(functions, moto_aws, collect_services):
    deny(moto_aws, "lambda", "GetPolicy")
    snap = collect_services(["lambda"])
    assert snap.collected["lambda.function"] == [REGION]  # the listing itself worked
    for fn in snap.of_type("lambda.function"):
        assert "AccessDeniedException" in fn["errors"]["policy_statements"]
        assert "policy_statements" not in fn
        assert "url_config" in fn
    gaps = {(g.operation, g.error_code, g.resource_id) for g in snap.coverage}
    assert ("GetPolicy", "AccessDeniedException", functions) in gaps


def test_a_failed_listing_is_a_coverage_gap(functions, moto_aws, collect_services):
    deny(moto_aws, "lambda", "ListFunctions")
    snap = collect_services(["lambda"])
    assert snap.of_type("lambda.function") == []
    assert snap.collected["lambda.function"] == []
    [gap] = snap.listing_gaps("lambda.function")
    assert (gap.region, gap.operation, gap.error_code) == (REGION, "ListFunctions", "AccessDeniedException")


def test_dead_letter_config_and_an_undecryptable_environment_are_normalised():
    """moto drops DeadLetterConfig and always decrypts, so these shapes are fed to the normaliser directly."""
    from opsctl.collect.lambda_ import normalise_function

    config = {
        "FunctionName": "f", "FunctionArn": f"arn:aws:lambda:{REGION}:123456789012:function:f", "Runtime": "nodejs14.x",
        "DeadLetterConfig": {"TargetArn": f"arn:aws:sqs:{REGION}:123456789012:dlq"},
        "Environment": {"Error": {"ErrorCode": "KMSAccessDeniedException", "Message": "no kms:Decrypt"}},
    }
    fn = normalise_function(config, REGION)
    assert fn["dead_letter_target_arn"] == f"arn:aws:sqs:{REGION}:123456789012:dlq"
    assert "environment_variables" not in fn
    assert "KMSAccessDeniedException" in fn["errors"]["environment_variables"]
