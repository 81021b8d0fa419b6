"""Collect Lambda functions (resource type ``lambda.function``).

The module is named ``lambda_`` because ``lambda`` is a Python keyword; the boto3 service is
"lambda".

Environment variable VALUES never leave this module: each variable is reduced to its name and a
``looks_secret`` flag while the ListFunctions response is normalised, so neither the snapshot nor
any report can carry a credential (DESIGN.md, "Secrets never enter it").

Fields of ``lambda.function``:

- name — function name.
- arn — unqualified function ARN.
- region — AWS region.
- runtime — runtime identifier (``python3.12``); None for container images.
- package_type — ``Zip`` or ``Image``.
- handler — handler entry point; None for container images.
- memory_size — MB of memory.
- timeout — seconds.
- role — execution role ARN.
- last_modified — ISO timestamp of the last configuration or code change, as Lambda reports it.
- tags — {key: value} (ListTags).
- reserved_concurrency — reserved concurrent executions; None when unset
  (GetFunctionConcurrency).
- dead_letter_target_arn — SQS queue / SNS topic ARN of the dead-letter config, or None.
- on_failure_destination — ARN of the asynchronous-invocation on-failure destination of the
  unqualified function, or None (GetFunctionEventInvokeConfig).
- url_config — ``{"auth_type": "NONE" | "AWS_IAM"}`` for the unqualified function's URL, or None
  when it has none (GetFunctionUrlConfig; ListFunctionUrlConfigs is not implemented by moto).
- policy_statements — statements of the resource-based policy, each reduced to Sid, Effect,
  Principal, Action and Condition; [] without a policy (GetPolicy).
- environment_variables — [{"name": NAME, "looks_secret": bool}] sorted by name. A variable
  looks secret when its name contains SECRET, PASSWORD, TOKEN, API_KEY or PRIVATE_KEY
  (case-insensitive) or its value contains an AWS access key id. Values are never stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

from opsctl.collect.runner import CollectContext, collector

TYPE = "lambda.function"
SERVICE = "lambda"

#: Name fragments that mark a variable as a credential (CATALOGUE.md, lambda.function_no_secrets_in_env).
SECRET_NAME_MARKERS = ("SECRET", "PASSWORD", "TOKEN", "API_KEY", "PRIVATE_KEY")

#: An AWS access key id (long-term AKIA…, temporary ASIA…), also when embedded in a longer value
#: such as a connection string: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")

#: The statement keys a check may need; the rest (Resource, moto's extras) is dropped.
POLICY_STATEMENT_KEYS = ("Sid", "Effect", "Principal", "Action", "Condition")

NOT_FOUND = "ResourceNotFoundException"


def looks_secret(name: str, value: Any) -> bool:
    """True when a variable's name or value suggests it holds a credential."""
    upper = name.upper()
    if any(marker in upper for marker in SECRET_NAME_MARKERS):
        return True
    return isinstance(value, str) and ACCESS_KEY_ID.search(value) is not None


def reduce_environment(variables: dict[str, Any]) -> list[dict[str, Any]]:
    """Names and secret flags of the variables, sorted by name; the values are dropped here."""
    return [{"name": name, "looks_secret": looks_secret(name, variables[name])} for name in sorted(variables)]


def parse_policy(policy_json: str) -> list[dict[str, Any]]:
    """The statements of a resource policy document, reduced to the keys checks read."""
    document = json.loads(policy_json)
    statements = document.get("Statement", [])
    if isinstance(statements, dict):  # a single statement may be given without a list
        statements = [statements]
    return [{k: s[k] for k in POLICY_STATEMENT_KEYS if k in s} for s in statements]


def normalise_function(config: dict[str, Any], region: str) -> dict[str, Any]:
    """One ListFunctions entry → a lambda.function resource (without its detail-call fields)."""
    package_type = config.get("PackageType", "Zip")
    is_image = package_type == "Image"
    function: dict[str, Any] = {
        "type": TYPE,
        "name": config["FunctionName"],
        "arn": config["FunctionArn"],
        "region": region,
        "runtime": None if is_image else config.get("Runtime"),
        "package_type": package_type,
        "handler": None if is_image else config.get("Handler"),
        "memory_size": config.get("MemorySize"),
        "timeout": config.get("Timeout"),
        "role": config.get("Role"),
        "last_modified": config.get("LastModified"),
        "dead_letter_target_arn": (config.get("DeadLetterConfig") or {}).get("TargetArn") or None,
    }
    environment = config.get("Environment") or {}
    if "Variables" in environment or "Error" not in environment:
        function["environment_variables"] = reduce_environment(environment.get("Variables") or {})
    else:
        # Lambda could not decrypt the variables for us (KMS): names unknown, so the check says ERROR.
        error = environment["Error"]
        function["errors"] = {
            "environment_variables": (
                f"lambda:ListFunctions in {region} for {function['arn']} returned no environment variables: "
                f"{error.get('ErrorCode', 'Error')}: {error.get('Message', '')}"
            ).rstrip(": ")
        }
    return function


def _fill_details(ctx: CollectContext, region: str, function: dict[str, Any]) -> None:
    """The per-function detail calls; each failure is noted on its own field only."""
    name = {"FunctionName": function["name"]}
    ctx.fill(function, "tags", SERVICE, region, "list_tags", {"Resource": function["arn"]},
             extract=lambda r: dict(sorted((r.get("Tags") or {}).items())))
    ctx.fill(function, "reserved_concurrency", SERVICE, region, "get_function_concurrency", name,
             extract=lambda r: r.get("ReservedConcurrentExecutions"))
    ctx.fill(function, "on_failure_destination", SERVICE, region, "get_function_event_invoke_config", name,
             extract=lambda r: ((r.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or None,
             missing={NOT_FOUND: None})
    ctx.fill(function, "url_config", SERVICE, region, "get_function_url_config", name,
             extract=lambda r: {"auth_type": r["AuthType"]}, missing={NOT_FOUND: None})
    ctx.fill(function, "policy_statements", SERVICE, region, "get_policy", name,
             extract=lambda r: parse_policy(r["Policy"]), missing={NOT_FOUND: []})


@collector(SERVICE, types=(TYPE,))
def collect_functions(ctx: CollectContext, region: str) -> dict[str, list[dict[str, Any]]]:
    """List the functions of a region, then fetch their details concurrently."""
    listed = ctx.paginate(SERVICE, region, "list_functions", "Functions", resource_type=TYPE)
    if listed is None:
        return {}
    functions = [normalise_function(config, region) for config in listed]
    ctx.map(lambda f: _fill_details(ctx, region, f), functions)
    return {TYPE: functions}
