"""docs/iam-policy.json grants every action the collectors' source can call, not only those one
sandbox run happens to make: a group with a launch configuration, a user the credential report
lacks, a customer-managed policy or `--all-regions` take paths the seeded account does not.

The collectors name their calls with literals — `ctx.call("iam", region, "get_login_profile", …)`,
`ctx.paginate(...)`, `aws.client("ec2", …).describe_regions(...)` — so the source is read for every
(service, operation) pair a call spells out. Calls whose service is a variable are covered by the
sandbox run (tests/integration/test_iam_policy.py); together they cover both.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import botocore.session
from botocore import xform_name

from tests.integration.test_iam_policy import POLICY, READ_VERBS, iam_action

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "opsctl" / "collect").glob("*.py")) + [ROOT / "opsctl" / "aws.py", ROOT / "opsctl" / "org_access.py"]
#: Granted on the caller's side, not by the audited account's policy (README, IAM permissions).
CALLER_SIDE = {"sts:AssumeRole"}

_SESSION = botocore.session.get_session()
_SERVICES = set(_SESSION.get_available_services())
_OPS: dict[str, dict[str, str]] = {}


def _operations(service: str) -> dict[str, str]:
    if service not in _OPS:
        names = _SESSION.get_service_model(service).operation_names
        _OPS[service] = {xform_name(n): n for n in names}
    return _OPS[service]


def calls_in_source(paths: list[Path] = SOURCES) -> dict[tuple[str, str], str]:
    """(service, API operation) → the first `file:line` whose call names it with literals."""
    found: dict[tuple[str, str], str] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            for i, service in enumerate(literals):
                if service in _SERVICES:
                    for op in literals[i + 1:]:
                        if op in _operations(service):
                            found.setdefault((service, _operations(service)[op]), where)
            func = node.func  # client("ec2", …).describe_regions(…)
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
                inner = func.value
                if (isinstance(inner.func, ast.Attribute) and inner.func.attr == "client" and inner.args
                        and isinstance(inner.args[0], ast.Constant) and inner.args[0].value in _SERVICES
                        and func.attr in _operations(inner.args[0].value)):
                    service = inner.args[0].value
                    found.setdefault((service, _operations(service)[func.attr]), where)
    return found


def actions_in_source() -> dict[str, str]:
    """IAM action → where the source calls it (caller-side actions left out)."""
    out: dict[str, str] = {}
    for (service, op), where in sorted(calls_in_source().items()):
        action = iam_action(_SESSION.get_service_model(service).operation_model(op))
        if action and action not in CALLER_SIDE:
            out.setdefault(action, where)
    return out


def test_the_scan_sees_the_conditional_paths():
    actions = actions_in_source()
    # literal forms of each kind: ctx.call, ctx.paginate, ctx.fill_many and a client method
    for action in ("iam:GetLoginProfile", "autoscaling:DescribeLaunchConfigurations", "iam:GetAccessKeyLastUsed",
                   "ec2:DescribeRegions", "s3:GetEncryptionConfiguration"):
        assert action in actions, action
    assert len(actions) > 60


def test_policy_grants_every_action_the_source_calls():
    granted = set(json.loads(POLICY.read_text())["Statement"][0]["Action"])
    missing = {a: where for a, where in actions_in_source().items() if a not in granted}
    assert not missing, f"docs/iam-policy.json lacks {missing}: run python -m tests.integration.test_iam_policy"


def test_the_source_calls_only_reads():
    writes = {a: w for a, w in actions_in_source().items() if not a.split(":", 1)[1].startswith(READ_VERBS)}
    assert not writes, f"a collector calls a write API: {writes}"


def test_the_org_policy_grants_every_organizations_call_of_discovery():
    """docs/iam-policy-org.json (the caller's side of `audit --org`) grants what opsctl/org.py calls."""
    import re

    source = (ROOT / "opsctl" / "org.py").read_text()
    ops = set(re.findall(r'_pages\(client, "([a-z_]+)"', source)) | set(re.findall(r"client\.([a-z_]+)\(", source))
    ops.discard("get_paginator")
    policy = json.loads((ROOT / "docs" / "iam-policy-org.json").read_text())
    granted = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    needed = {f"organizations:{_operations('organizations')[op]}" for op in ops}
    assert len(needed) >= 5 and needed <= granted, sorted(needed - granted)
    assert "sts:AssumeRole" in granted
    assert calls_in_source([ROOT / "opsctl" / "org_access.py"]).get(("iam", "GetRole")), "the role check reads iam:GetRole"
