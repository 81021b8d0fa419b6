"""Lambda function checks (CATALOGUE.md, "Lambda (function)").

The module is named ``lambda_`` because ``lambda`` is a Python keyword (it is imported as
``opsctl.checks.lambda_``).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from opsctl.registry import FAIL, PASS, CheckContext, check

RESOURCE = "lambda.function"
RUNTIME_TABLE = "lambda_runtimes.yaml"

#: Condition keys that pin a `Principal: "*"` statement to one source (case-insensitive):
#: https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html and
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
RESTRICTING_CONDITION_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount", "aws:principalorgid"})


@lru_cache(maxsize=1)
def deprecation_dates() -> dict[str, tuple[str, date]]:
    """runtime id → (human name, deprecation date), read once from checks/data/lambda_runtimes.yaml."""
    text = resources.files("opsctl.checks.data").joinpath(RUNTIME_TABLE).read_text(encoding="utf-8")
    table: dict[str, tuple[str, date]] = {}
    for entry in yaml.safe_load(text)["runtimes"]:
        deprecated = entry["deprecated"]
        if not isinstance(deprecated, date):
            raise ValueError(f"{RUNTIME_TABLE}: {entry['runtime']} needs an ISO date, got {deprecated!r}")
        table[str(entry["runtime"])] = (str(entry["name"]), deprecated)
    return table


def snapshot_date(ctx: CheckContext) -> date:
    """The day the snapshot was taken (its ISO timestamp's date part)."""
    return date.fromisoformat(str(ctx.snapshot.taken_at)[:10])


@check(id="lambda.function_supported_runtime", title="Lambda function runtime is supported by AWS",
       pillar="security", severity="high", resource_type=RESOURCE)
def function_supported_runtime(function: dict[str, Any], ctx: CheckContext):
    """A deprecated runtime gets no security patches, and AWS then blocks creating and updating functions on it."""
    if ctx.need(function, "package_type") == "Image":
        return None  # the image brings its own runtime: Lambda does not manage or deprecate it
    runtime = ctx.need(function, "runtime")
    if not runtime:
        return None
    name = function["name"]
    known = deprecation_dates().get(runtime)
    if known is None:
        return PASS(f"Lambda function {name} uses runtime {runtime}, which has no deprecation date in opsctl's table.",
                    runtime=runtime)
    label, deprecated_on = known
    if deprecated_on <= snapshot_date(ctx):
        return FAIL(f"Lambda function {name} uses runtime {runtime} ({label}), deprecated by AWS on {deprecated_on.isoformat()}.",
                    runtime=runtime, deprecated_on=deprecated_on.isoformat())
    return PASS(f"Lambda function {name} uses runtime {runtime}, supported until its deprecation on {deprecated_on.isoformat()}.",
                runtime=runtime, deprecation_scheduled=deprecated_on.isoformat())


@check(id="lambda.function_url_auth", title="Lambda function URL requires IAM authentication",
       pillar="security", severity="high", resource_type=RESOURCE)
def function_url_auth(function: dict[str, Any], ctx: CheckContext):
    """A function URL with AuthType NONE lets anyone on the internet invoke the function."""
    url = ctx.need(function, "url_config")
    name = function["name"]
    if url is None:
        return PASS(f"Lambda function {name} has no function URL.")
    auth_type = url.get("auth_type")
    if auth_type == "AWS_IAM":
        return PASS(f"Lambda function {name} has a function URL that requires AWS_IAM authentication.", auth_type=auth_type)
    return FAIL(f"Lambda function {name} has a function URL with AuthType {auth_type}, so anyone can invoke it.",
                auth_type=auth_type)


def _principals(statement: dict[str, Any]) -> list[str]:
    """Every principal value of a statement, flattened (`"*"`, `{"AWS": "*"}`, `{"Service": [...]}`)."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [principal]
    values: list[str] = []
    for value in (principal or {}).values():
        values.extend([value] if isinstance(value, str) else list(value))
    return values


def _has_restricting_condition(statement: dict[str, Any]) -> bool:
    """True when a SourceArn, SourceAccount or PrincipalOrgID condition with a concrete value applies."""
    for operator_block in (statement.get("Condition") or {}).values():
        for key, value in (operator_block or {}).items():
            values = value if isinstance(value, list) else [value]
            if key.lower() in RESTRICTING_CONDITION_KEYS and any(v not in ("*", "") for v in values):
                return True
    return False


def public_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Allow statements granting any principal (`*`) without a source or organization condition."""
    return [
        s for s in statements
        if s.get("Effect", "Allow") == "Allow" and "*" in _principals(s) and not _has_restricting_condition(s)
    ]


@check(id="lambda.function_not_public", title="Lambda function policy does not allow public invocation",
       pillar="security", severity="critical", resource_type=RESOURCE)
def function_not_public(function: dict[str, Any], ctx: CheckContext):
    """A resource policy granting Principal "*" without a source condition lets any AWS account invoke the function."""
    statements = ctx.need(function, "policy_statements")
    name = function["name"]
    public = public_statements(statements)
    if public:
        sids = [s.get("Sid", "(no Sid)") for s in public]
        return FAIL(f"Lambda function {name} has a resource policy granting Principal \"*\" without a "
                    f"SourceArn, SourceAccount or PrincipalOrgID condition (statements {', '.join(sids)}).",
                    statement_ids=sids)
    return PASS(f"Lambda function {name} has no resource policy statement open to every principal.",
                statements=len(statements))


@check(id="lambda.function_no_secrets_in_env", title="Lambda function environment holds no secrets",
       pillar="security", severity="high", resource_type=RESOURCE)
def function_no_secrets_in_env(function: dict[str, Any], ctx: CheckContext):
    """Environment variables are readable by anyone with lambda:GetFunctionConfiguration; secrets belong in Secrets Manager."""
    variables = ctx.need(function, "environment_variables")
    name = function["name"]
    flagged = [v["name"] for v in variables if v.get("looks_secret")]
    if flagged:
        return FAIL(f"Lambda function {name} has environment variables that look like secrets: {', '.join(flagged)}.",
                    variables=flagged)
    return PASS(f"Lambda function {name} has no environment variable that looks like a secret.",
                variable_count=len(variables))


@check(id="lambda.function_concurrency_limit", title="Lambda function has reserved concurrency",
       pillar="scalability", severity="low", resource_type=RESOURCE)
def function_concurrency_limit(function: dict[str, Any], ctx: CheckContext):
    """Reserved concurrency guarantees the function capacity and stops it from starving others of the account's pool."""
    reserved = ctx.need(function, "reserved_concurrency")
    name = function["name"]
    if reserved is None:
        return FAIL(f"Lambda function {name} has no reserved concurrency and draws from the account's unreserved pool.")
    if reserved == 0:
        return PASS(f"Lambda function {name} has reserved concurrency 0, so it is throttled entirely.",
                    reserved_concurrency=reserved)
    return PASS(f"Lambda function {name} has reserved concurrency {reserved}.", reserved_concurrency=reserved)


@check(id="lambda.function_dead_letter", title="Lambda function has a dead-letter queue or on-failure destination",
       pillar="availability", severity="low", resource_type=RESOURCE)
def function_dead_letter(function: dict[str, Any], ctx: CheckContext):
    """Without a DLQ or on-failure destination, asynchronous events that exhaust their retries are silently lost."""
    name = function["name"]
    dead_letter = ctx.need(function, "dead_letter_target_arn")
    if dead_letter:  # enough on its own: no need for the event-invoke-config call to have succeeded
        return PASS(f"Lambda function {name} sends failed asynchronous events to dead-letter target {dead_letter}.",
                    dead_letter_target_arn=dead_letter)
    on_failure = ctx.need(function, "on_failure_destination")
    if on_failure:
        return PASS(f"Lambda function {name} sends failed asynchronous events to on-failure destination {on_failure}.",
                    on_failure_destination=on_failure)
    return FAIL(f"Lambda function {name} has neither a dead-letter queue nor an on-failure destination.")
