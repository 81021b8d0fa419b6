"""Shared fixtures. Nothing here may reach the internet: moto stands in for AWS."""

from __future__ import annotations

import os

import pytest

# Set before boto3 is imported anywhere: fake credentials, a default region, and no endpoint
# override (with AWS_ENDPOINT_URL set, mock_aws would not intercept — MOTO-NOTES.md).
for _var in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL") or v in {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}]:
    del os.environ[_var]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "NO_COLOR": "1",
    }
)


@pytest.fixture(autouse=True)
def _clean_aws_env(monkeypatch):
    """Each test starts without endpoint overrides, even if an earlier test set one."""
    for var in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def _sigint_handler_restored():
    """A test that leaves a SIGINT handler behind (opsctl.cli.main installs one) must not turn a
    later test's simulated Ctrl-C into an exit of pytest itself: the handler is put back after
    each test, and a leak is a failure of the test that leaked."""
    import signal

    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    if after is not before:
        signal.signal(signal.SIGINT, before)
        pytest.fail(f"the test left SIGINT handled by {after!r}")


@pytest.fixture
def moto_aws():
    """An opsctl Aws object whose clients are intercepted by moto in-process."""
    from moto import mock_aws

    from opsctl.aws import Aws

    with mock_aws():
        yield Aws(workers=8)


@pytest.fixture
def collect_services(moto_aws):
    """Run the real collectors for some services against moto: collect_services(["s3"], regions)."""
    from opsctl.collect.runner import collect

    def run(services, regions=("us-east-1",)):
        return collect(moto_aws, list(regions), account="123456789012", services=services, workers=8)

    return run
