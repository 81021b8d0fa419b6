"""Lambda checks on small snapshots (CASES run by test_cases.py), plus date-dependent runtime tests."""

from __future__ import annotations

from typing import Any

import pytest
from opsctl.checks.lambda_ import deprecation_dates, public_statements

from tests.helpers import Case, run, snapshot, statuses

T = "lambda.function"
DENIED = "lambda:GetFunctionUrlConfig in us-east-1 failed with AccessDeniedException: denied"


def fn(name: str = "api", **fields: Any) -> dict[str, Any]:
    """A well-configured function; keyword arguments override its fields."""
    base = {
        "name": name,
        "arn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        "region": "us-east-1",
        "runtime": "python3.14",
        "package_type": "Zip",
        "handler": "app.handler",
        "reserved_concurrency": 10,
        "dead_letter_target_arn": None,
        "on_failure_destination": "arn:aws:sqs:us-east-1:123456789012:api-failures",
        "url_config": None,
        "policy_statements": [],
        "environment_variables": [{"name": "LOG_LEVEL", "looks_secret": False}],
        "tags": {},
    }
    base.update(fields)
    return base


def stmt(principal: Any = "*", condition: dict | None = None, sid: str = "s1", effect: str = "Allow") -> dict[str, Any]:
    s = {"Sid": sid, "Effect": effect, "Principal": principal, "Action": "lambda:InvokeFunction"}
    if condition is not None:
        s["Condition"] = condition
    return s


def case(check: str, name: str, *functions: dict[str, Any], expect: list[str], **kw: Any) -> Case:
    return Case(check, name, resources={T: list(functions)}, expect=expect, **kw)


RUNTIME, URL, PUBLIC = "lambda.function_supported_runtime", "lambda.function_url_auth", "lambda.function_not_public"
SECRETS, CONCURRENCY, DLQ = "lambda.function_no_secrets_in_env", "lambda.function_concurrency_limit", "lambda.function_dead_letter"

CASES = [
    # --- supported runtime (clock-independent cases; dated ones are tests below)
    case(RUNTIME, "deprecated python3.8", fn(runtime="python3.8"), expect=["FAIL"], message_contains="2024-10-14"),
    case(RUNTIME, "deprecated nodejs14.x", fn(runtime="nodejs14.x"), expect=["FAIL"], message_contains="2023-12-04"),
    case(RUNTIME, "deprecated go1.x", fn(runtime="go1.x"), expect=["FAIL"]),
    case(RUNTIME, "runtime without a deprecation date", fn(runtime="python3.14"), expect=["PASS"]),
    case(RUNTIME, "container image: no finding", fn(runtime=None, package_type="Image", handler=None), expect=[]),
    case(RUNTIME, "runtime not collected", fn(errors={"runtime": DENIED}), expect=["ERROR"]),
    # --- function URL auth
    case(URL, "no function URL", fn(), expect=["PASS"]),
    case(URL, "URL with AWS_IAM", fn(url_config={"auth_type": "AWS_IAM"}), expect=["PASS"]),
    case(URL, "URL with NONE", fn(url_config={"auth_type": "NONE"}), expect=["FAIL"], message_contains="NONE"),
    case(URL, "URL config not collected", fn(errors={"url_config": DENIED}), expect=["ERROR"], message_contains="AccessDenied"),
    # --- not public
    case(PUBLIC, "no policy", fn(), expect=["PASS"]),
    case(PUBLIC, "service principal with source conditions",
         fn(policy_statements=[stmt({"Service": "s3.amazonaws.com"},
                                    {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::assets"}})]), expect=["PASS"]),
    case(PUBLIC, "star with SourceArn", fn(policy_statements=[stmt("*", {"ArnLike": {"AWS:SourceArn": "arn:aws:sns:us-east-1:1:t"}})]),
         expect=["PASS"]),
    case(PUBLIC, "star with SourceAccount", fn(policy_statements=[stmt("*", {"StringEquals": {"aws:SourceAccount": "123456789012"}})]),
         expect=["PASS"]),
    case(PUBLIC, "star with PrincipalOrgID", fn(policy_statements=[stmt("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})]),
         expect=["PASS"]),
    case(PUBLIC, "star without condition", fn(policy_statements=[stmt("*", sid="open")]), expect=["FAIL"], message_contains="open"),
    case(PUBLIC, "AWS star without condition", fn(policy_statements=[stmt({"AWS": "*"})]), expect=["FAIL"]),
    case(PUBLIC, "star in a principal list", fn(policy_statements=[stmt({"AWS": ["arn:aws:iam::1:root", "*"]})]), expect=["FAIL"]),
    case(PUBLIC, "star with only a FunctionUrlAuthType condition",
         fn(policy_statements=[stmt("*", {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})]), expect=["FAIL"]),
    case(PUBLIC, "star with a wildcard SourceArn", fn(policy_statements=[stmt("*", {"ArnLike": {"AWS:SourceArn": "*"}})]),
         expect=["FAIL"]),
    case(PUBLIC, "Deny star is not a grant", fn(policy_statements=[stmt("*", effect="Deny")]), expect=["PASS"]),
    case(PUBLIC, "policy not collected", fn(errors={"policy_statements": DENIED}), expect=["ERROR"]),
    # --- secrets in environment
    case(SECRETS, "plain variables", fn(), expect=["PASS"]),
    case(SECRETS, "no variables", fn(environment_variables=[]), expect=["PASS"]),
    case(SECRETS, "secret-looking names",
         fn(environment_variables=[{"name": "DB_PASSWORD", "looks_secret": True}, {"name": "LOG_LEVEL", "looks_secret": False},
                                   {"name": "EXPORT_KEY_ID", "looks_secret": True}]),
         expect=["FAIL"], message_contains="DB_PASSWORD, EXPORT_KEY_ID"),
    case(SECRETS, "environment not readable", fn(errors={"environment_variables": "KMS decrypt failed"}), expect=["ERROR"]),
    # --- reserved concurrency
    case(CONCURRENCY, "reserved concurrency set", fn(), expect=["PASS"]),
    case(CONCURRENCY, "reserved concurrency zero (throttled) counts as set", fn(reserved_concurrency=0), expect=["PASS"],
         message_contains="throttled"),
    case(CONCURRENCY, "no reserved concurrency", fn(reserved_concurrency=None), expect=["FAIL"]),
    case(CONCURRENCY, "concurrency not collected", fn(errors={"reserved_concurrency": DENIED}), expect=["ERROR"]),
    # --- dead letter
    case(DLQ, "on-failure destination", fn(), expect=["PASS"]),
    case(DLQ, "dead-letter queue", fn(dead_letter_target_arn="arn:aws:sqs:us-east-1:123456789012:dlq", on_failure_destination=None),
         expect=["PASS"]),
    case(DLQ, "DLQ suffices even when the event-invoke config was not readable",
         fn(dead_letter_target_arn="arn:aws:sns:us-east-1:123456789012:dlq", errors={"on_failure_destination": DENIED}),
         expect=["PASS"]),
    case(DLQ, "neither", fn(on_failure_destination=None), expect=["FAIL"]),
    case(DLQ, "no DLQ and event-invoke config not collected", fn(errors={"on_failure_destination": DENIED}), expect=["ERROR"]),
]


def _runtime_statuses(runtime: str, taken_at: str) -> list[str]:
    snap = snapshot({T: [fn(runtime=runtime)]})
    snap.taken_at = taken_at
    return statuses(run(RUNTIME, snap))


@pytest.mark.parametrize(
    ("runtime", "taken_at", "expected"),
    [
        ("python3.8", "2024-10-13T23:59:59+00:00", "PASS"),  # the day before its deprecation
        ("python3.8", "2024-10-14T00:00:00+00:00", "FAIL"),  # deprecated on its date
        ("python3.9", "2025-06-01T12:00:00+00:00", "PASS"),
        ("python3.9", "2026-01-01T12:00:00+00:00", "FAIL"),
        ("nodejs16.x", "2024-01-01T00:00:00Z", "PASS"),
        ("nodejs16.x", "2024-06-12T00:00:00Z", "FAIL"),
        ("python3.12", "2027-01-01T00:00:00+00:00", "PASS"),
    ],
)
def test_runtime_deprecation_is_judged_at_the_snapshot_date(runtime: str, taken_at: str, expected: str) -> None:
    assert _runtime_statuses(runtime, taken_at) == [expected]


def test_runtime_table_names_the_required_deprecations_with_dates() -> None:
    table = deprecation_dates()
    required = ["python2.7", "python3.6", "python3.7", "python3.8", "nodejs10.x", "nodejs12.x", "nodejs14.x",
                "nodejs16.x", "java8", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "go1.x", "ruby2.5", "ruby2.7",
                "provided"]
    assert [r for r in required if r not in table] == []
    assert table["python3.8"][1].isoformat() == "2024-10-14"
    assert deprecation_dates() is table  # loaded once


def test_public_statements_ignores_statements_with_a_restricting_condition() -> None:
    open_stmt = stmt("*", sid="open")
    pinned = stmt("*", {"StringEquals": {"AWS:SourceAccount": "123456789012"}}, sid="pinned")
    assert public_statements([open_stmt, pinned]) == [open_stmt]


def test_collected_function_keeps_no_environment_value() -> None:
    """The collector reduces variables to names and flags: no value can reach the snapshot JSON."""
    from opsctl.collect.lambda_ import normalise_function

    values = {"DB_PASSWORD": "s3cr3t-value-1", "STRIPE_API_KEY": "sk_live_value_2", "UPLOAD_ID": "AKIAIOSFODNN7EXAMPLE",
              "CONN": "postgres://u:ASIAABCDEFGHIJKLMNOP@db", "LOG_LEVEL": "debug-value-3"}
    config = {"FunctionName": "f", "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
              "Runtime": "python3.12", "Environment": {"Variables": values}}
    function = normalise_function(config, "us-east-1")
    function.pop("type")
    text = snapshot({T: [function]}).to_json()
    for value in values.values():
        assert value not in text
    assert function["environment_variables"] == [
        {"name": "CONN", "looks_secret": True},  # an embedded temporary access key id
        {"name": "DB_PASSWORD", "looks_secret": True},
        {"name": "LOG_LEVEL", "looks_secret": False},
        {"name": "STRIPE_API_KEY", "looks_secret": True},
        {"name": "UPLOAD_ID", "looks_secret": True},
    ]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("db_password", "x", True),  # case-insensitive name match
        ("GITHUB_TOKEN", "x", True),
        ("APP_SECRET", "x", True),
        ("SSH_PRIVATE_KEY", "x", True),
        ("MAPS_API_KEY", "x", True),
        ("KEY_ID", "AKIAIOSFODNN7EXAMPLE", True),
        ("KEY_ID", "akiaiosfodnn7example", False),  # key ids are upper case
        ("KEY_ID", "AKIAIOSFODNN7EXAMPLEX", False),  # 17 characters after the prefix: not a key id
        ("TABLE_NAME", "orders", False),
        ("CACHE_KEY_PREFIX", "v1", False),
    ],
)
def test_looks_secret(name: str, value: str, expected: bool) -> None:
    from opsctl.collect.lambda_ import looks_secret

    assert looks_secret(name, value) is expected
