"""AWS access: endpoint fix for local s3control, role assumption, regions, client reuse."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from opsctl.aws import Aws, _strip_account_prefix, is_local_endpoint
from opsctl.errors import UsageError


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://123456789012.127.0.0.1:5000/v20180820/configuration/publicAccessBlock",
         "http://127.0.0.1:5000/v20180820/configuration/publicAccessBlock"),
        ("http://123456789012.localhost:5000/x", "http://localhost:5000/x"),
        ("https://123456789012.s3-control.us-east-1.amazonaws.com/x", "https://123456789012.s3-control.us-east-1.amazonaws.com/x"),
    ],
)
def test_s3control_account_prefix_stripped_only_for_local_endpoints(url, expected):
    request = SimpleNamespace(url=url)
    _strip_account_prefix(request)
    assert request.url == expected


def test_local_endpoint_detection():
    assert is_local_endpoint("http://127.0.0.1:5000") and is_local_endpoint("http://localhost:4566")
    assert not is_local_endpoint("https://s3.amazonaws.com") and not is_local_endpoint(None)


def test_s3control_works_through_a_local_server(monkeypatch):
    """The fix end to end: account-level Block Public Access read from moto's server."""
    from opsctl import sandbox

    with sandbox.running_server() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        s3control = Aws().client("s3control", "us-east-1")
        cfg = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
        s3control.put_public_access_block(AccountId="123456789012", PublicAccessBlockConfiguration=cfg)
        got = s3control.get_public_access_block(AccountId="123456789012")
    assert got["PublicAccessBlockConfiguration"] == cfg


def test_clients_are_cached_per_service_and_region(moto_aws):
    assert moto_aws.client("s3", "us-east-1") is moto_aws.client("s3", "us-east-1")
    assert moto_aws.client("s3", "us-east-1") is not moto_aws.client("s3", "eu-west-1")
    assert moto_aws.config.max_pool_connections >= moto_aws.workers
    assert moto_aws.config.retries["mode"] == "adaptive"


def test_identity_and_regions(moto_aws):
    assert moto_aws.identity()["account"] == "123456789012"
    assert "eu-west-1" in moto_aws.enabled_regions()
    assert moto_aws.validate_regions(["eu-west-1", "cn-north-1", "us-gov-west-1"]) == ["eu-west-1", "cn-north-1", "us-gov-west-1"]
    with pytest.raises(UsageError, match="unknown region 'eu-west-9'"):
        moto_aws.validate_regions(["eu-west-9"])


def test_assume_role_with_external_id():
    from moto import mock_aws

    with mock_aws():
        aws = Aws(role_arn="arn:aws:iam::210987654321:role/Auditor", external_id="7f3a")
        assert aws.identity()["arn"].startswith("arn:aws:sts::210987654321:assumed-role/Auditor/opsctl-audit")


def test_bad_role_arn_is_usage_error():
    with pytest.raises(UsageError, match="not an IAM role ARN"):
        Aws(role_arn="arn:aws:iam::123:user/bob")


def test_retries_adaptive_on_aws_single_attempt_on_local_endpoints():
    from opsctl.aws import retry_policy

    assert retry_policy(None) == {"mode": "adaptive", "max_attempts": 8}
    assert retry_policy("https://ec2.us-east-1.amazonaws.com")["mode"] == "adaptive"
    assert retry_policy("http://127.0.0.1:5000") == {"mode": "standard", "total_max_attempts": 1}


def test_a_broken_aws_config_file_is_a_usage_error(tmp_path, monkeypatch):
    broken = tmp_path / "config"
    broken.write_text("[default\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(broken))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with pytest.raises(UsageError, match=r"your AWS config cannot be read \(Unable to parse config file: .*config\)"):
        Aws().identity()


def test_an_endpoint_that_is_not_a_url_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "not-a-url")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    with pytest.raises(UsageError, match="AWS_ENDPOINT_URL: Invalid endpoint: not-a-url; use a URL such as"):
        Aws().identity()


def test_an_endpoint_that_does_not_speak_aws_is_a_usage_error(monkeypatch):
    import botocore.parsers

    aws = Aws(session=__import__("boto3").session.Session(aws_access_key_id="x", aws_secret_access_key="y",
                                                           region_name="us-east-1"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    class NotAws:
        def get_caller_identity(self):
            raise botocore.parsers.ResponseParserError("Unable to parse response, invalid XML received")

    monkeypatch.setattr(aws, "identity_client", lambda: NotAws())
    with pytest.raises(UsageError, match=r"http://127.0.0.1:9 did not answer like AWS STS"):
        aws.identity()


def test_an_unknown_region_names_where_it_came_from(tmp_path, monkeypatch):
    import boto3

    from opsctl.audit import AwsOptions, resolve_regions
    from opsctl.config import load_config

    aws = Aws(session=boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="nowhere-1"))
    cfg_file = tmp_path / "opsctl.yaml"
    cfg_file.write_text("workers: 4\nregions: [us-east-1, mars-9]\n")
    cfg = load_config(str(cfg_file), {})
    with pytest.raises(UsageError, match=rf"^{cfg_file}:2: regions: unknown region 'mars-9'"):
        resolve_regions(aws, AwsOptions(), cfg)
    with pytest.raises(UsageError, match=r"^--region: unknown region 'eu-west-9'"):
        resolve_regions(aws, AwsOptions(regions=("eu-west-9",)), cfg)
    with pytest.raises(UsageError, match=r"^your default region \(AWS_DEFAULT_REGION.*: unknown region 'nowhere-1'"):
        resolve_regions(aws, AwsOptions(), load_config(None, {}, cwd=tmp_path / "none"))
