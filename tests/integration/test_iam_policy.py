"""docs/iam-policy.json grants exactly the read actions the collectors use.

A full collection against the sandbox records every API call (botocore's before-call event);
each maps to an IAM action, which the policy must grant. `python -m tests.integration.test_iam_policy`
rewrites the policy from such a run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from opsctl import sandbox

POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"
pytestmark = pytest.mark.slow

#: IAM prefixes that differ from botocore's signing name.
PREFIX = {"monitoring": "cloudwatch"}
#: API operations whose IAM action has another name (Service Authorization Reference).
ACTION = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("budgets", "DescribeBudgets"): "budgets:ViewBudget",
    ("budgets", "DescribeNotificationsForBudget"): "budgets:ViewBudget",
    ("budgets", "DescribeSubscribersForNotification"): "budgets:ViewBudget",
    ("sts", "GetCallerIdentity"): None,  # needs no permission
}
READ_VERBS = ("Get", "List", "Describe", "View", "GenerateCredentialReport", "Lookup", "Search")


def iam_action(model) -> str | None:
    service = model.service_model
    key = (service.service_name, model.name)
    if key in ACTION:
        return ACTION[key]
    prefix = PREFIX.get(service.signing_name, service.signing_name)
    return f"{prefix}:{model.name}"


def actions_used() -> set[str]:
    from opsctl.audit import effective_params
    from opsctl.aws import Aws
    from opsctl.collect.runner import collect
    from opsctl.config import Config
    from opsctl.registry import load_builtin_checks

    used: set[str] = set()
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    with sandbox.running_server() as url:
        sandbox.seed(url)
        os.environ.update(sandbox.environment(url))
        try:
            aws = Aws(workers=8)
            aws.session.events.register("before-call.*.*", lambda model, **_: used.add(iam_action(model)))
            collect(aws, list(sandbox.REGIONS), account=sandbox.ACCOUNT, workers=8,
                    check_params=effective_params(load_builtin_checks(), Config()))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return {a for a in used if a}


def policy_document(actions: set[str]) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "OpsctlAuditReadOnly", "Effect": "Allow", "Action": sorted(actions), "Resource": "*"}],
    }


def test_policy_grants_every_action_used_and_only_reads():
    granted = set(json.loads(POLICY.read_text())["Statement"][0]["Action"])
    used = actions_used()
    assert used - granted == set(), f"docs/iam-policy.json lacks {sorted(used - granted)}: run python -m tests.integration.test_iam_policy"
    writes = sorted(a for a in granted if not a.split(":", 1)[1].startswith(READ_VERBS))
    assert not writes, f"the audit policy must only read: {writes}"


if __name__ == "__main__":
    from tests.unit.test_iam_policy_source import actions_in_source

    POLICY.write_text(json.dumps(policy_document(actions_used() | set(actions_in_source())), indent=2) + "\n")
    print(f"wrote {POLICY}", file=sys.stderr)
