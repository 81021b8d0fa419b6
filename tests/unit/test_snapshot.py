"""Snapshots round-trip, and a bad one is a one-line usage error naming the file."""

from __future__ import annotations

import json

import pytest

from opsctl.errors import MissingData, UsageError
from opsctl.snapshot import SCHEMA_VERSION, CoverageGap, Snapshot, load_snapshot, save_snapshot
from tests.helpers import snapshot


def test_roundtrip(tmp_path):
    snap = snapshot({"sns.topic": [{"arn": "arn:aws:sns:us-east-1:123456789012:t", "region": "us-east-1"}]},
                    coverage=[CoverageGap("kms", "us-east-1", "ListKeys", "AccessDenied", "no", "kms.key", "")])
    path = tmp_path / "snap.json"
    save_snapshot(snap, path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == SCHEMA_VERSION and data["account"] == "123456789012"
    again = load_snapshot(path)
    assert again.resources == snap.resources and again.coverage == snap.coverage and again.collected == snap.collected


GOOD = {"schema_version": SCHEMA_VERSION, "account": "123456789012", "regions": ["us-east-1"],
        "taken_at": "2026-12-01T00:00:00+00:00", "resources": {}}


@pytest.mark.parametrize(
    "content, complaint",
    [
        ("{not json", "snap.json:1: snapshot is not valid JSON"),
        (json.dumps({"hello": 1}), "not an opsctl snapshot"),
        (json.dumps({"schema_version": 99}), "schema_version 99 is not supported"),
        (json.dumps({"schema_version": SCHEMA_VERSION, "regions": []}), "malformed snapshot"),
        (json.dumps({"schema_version": SCHEMA_VERSION, "account": "1", "regions": [], "taken_at": "2026-12-01T00:00:00Z",
                     "resources": {"s3.nope": []}}), "unknown resource type"),
        (json.dumps({"schema_version": "1"}), "schema_version '1' is not supported"),
        (json.dumps({**GOOD, "taken_at": "2026-02-30T00:00:00+00:00"}), r"taken_at must be an ISO 8601 time, got '2026-02-30"),
        (json.dumps({**GOOD, "resources": []}), r"resources must map resource types to lists"),
        (json.dumps({**GOOD, "resources": {"s3.bucket": {"a": 1}}}), r"resources.s3.bucket must be a list of resources"),
        (json.dumps({**GOOD, "regions": "us-east-1"}), r"regions must be a list of region names"),
        (json.dumps({**GOOD, "coverage": "x"}), r"coverage must be a list of failed calls"),
    ],
)
def test_bad_snapshots_are_usage_errors(tmp_path, content, complaint):
    path = tmp_path / "snap.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=complaint):
        load_snapshot(path)


def test_unreadable_snapshot(tmp_path):
    with pytest.raises(UsageError, match="cannot read snapshot"):
        load_snapshot(tmp_path / "missing.json")


def test_require_distinguishes_empty_from_not_collected():
    snap = Snapshot(account="1", regions=["us-east-1", "eu-west-1"], collected={"sns.topic": ["us-east-1"]})
    assert snap.require("sns.topic", "us-east-1") == []
    with pytest.raises(MissingData, match="not collected in eu-west-1"):
        snap.require("sns.topic", "eu-west-1")
    with pytest.raises(MissingData):
        snap.require_global("iam.account")


def test_account_arns():
    snap = Snapshot(account="123456789012", regions=["us-east-1"])
    assert snap.account_arn() == "arn:aws:iam::123456789012:root"
    assert snap.account_arn("ec2", "eu-west-1") == "arn:aws:ec2:eu-west-1:123456789012:account"
