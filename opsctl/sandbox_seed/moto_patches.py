"""Small patches of moto so the sandbox serves what moto does not (MOTO-NOTES.md).

Applied by opsctl.sandbox.running_server while the server runs (`patched()`, a context manager:
nested uses share one application, and the last to leave restores moto's own classes). They change
this process's moto only, so for that time in-process `mock_aws` code sees them too; after it,
moto is as it was.

1. Trusted Advisor through the Support API. moto lists the checks (DescribeTrustedAdvisorChecks)
   but has no results. The patch adds DescribeTrustedAdvisorCheckSummaries and
   DescribeTrustedAdvisorCheckResult: a handful of real checks with realistic results for the
   seeded shop (`SANDBOX_RESULTS`: warning and error cost, security and fault-tolerance checks,
   ok ones); every other check answers `not_available`, as checks do for which an account has
   nothing to evaluate. EC2 resources in the rows are named by their Name tag and resolved to
   the seeded resource's id when the result is served. The results describe the shop: a member
   of a sandbox organisation (opsctl/sandbox_seed/org.py) gets them only if the shop is seeded in
   it (its `legacy-reporting` instance exists), else every check is `not_available` there and the
   TrustedAdvisor API lists no recommendation — no findings about resources it does not have.
2. The TrustedAdvisor API (boto3 "trustedadvisor"), which moto lacks entirely: its requests
   (recognised by their SigV4 signing name) are answered from the same results — ListChecks,
   ListRecommendations and ListRecommendationResources — instead of moto's "no backend" 500.
3. Service Quotas. moto knows only ServiceCode vpc. The patch answers GetServiceQuota and adds
   GetAWSDefaultServiceQuota for the four quotas the scaling-limit checks read. AWS defaults
   (`DEFAULT_QUOTAS`) hold everywhere; the account's applied values (`APPLIED_QUOTAS`) exist in
   the primary region only and are deliberately tight — like the held-back quotas of a young
   account — so the seeded shop sits near its limits there (FAIL) and well inside them in
   eu-west-1, where GetServiceQuota answers NoSuchResource and the default applies (PASS).
4. WAFv2 ListResourcesForWebACL, which moto lacks. moto keeps each web ACL's associations (it
   answers GetWebACLForResource from them), so the patch serves the list from the same data,
   filtered by ResourceType (default APPLICATION_LOAD_BALANCER, as in AWS).
5. ACM validation. moto keeps a DNS-validated certificate PENDING_VALIDATION for its first 60 s
   (MOTO_ACM_VALIDATION_WAIT), then reports it ISSUED: an audit right after seeding saw the load
   balancers' certificates as pending (no expiry finding) and one a minute later as issued, so
   two runs of the same sandbox disagreed. In AWS a listener cannot use a pending certificate;
   the sandbox issues them at once (wait 0), so every run sees the same account.
6. STS AssumeRole into a role that does not exist. moto hands out credentials for any role ARN
   (MOTO-NOTES.md); AWS refuses with AccessDenied ("User: <caller> is not authorized to perform:
   sts:AssumeRole on resource: <role>"), HTTP 403, STS's XML error. The patch answers that way when
   the role's account belongs to this moto process (an account of one of its organizations, or one
   whose IAM holds a user or role) and has no role of that name; a role in an account moto has
   never seen is still assumed, as before. This is how the sandbox organisation's member without
   OrganizationAccountAccessRole looks like the real thing to `opsctl audit --org`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

_LOCK = threading.RLock()
_ABSENT = object()
#: (class, attribute, original value or _ABSENT), in the order they were set.
_ORIGINALS: list[tuple[type, str, Any]] = []
_DEPTH = 0


@contextmanager
def patched() -> Iterator[None]:
    """Moto with the sandbox's patches for the duration; restored when the last user leaves."""
    apply()
    try:
        yield
    finally:
        revert()


def apply() -> None:
    """Patch moto's Support, Service Quotas, WAFv2, ACM and STS and serve the TrustedAdvisor API.

    Counted: each apply() needs one revert(); only the first patches."""
    global _DEPTH
    with _LOCK:
        _DEPTH += 1
        if _DEPTH == 1:
            _patch_support()
            _patch_trustedadvisor_endpoint()
            _patch_service_quotas()
            _patch_wafv2()
            _patch_acm()
            _patch_sts()


def revert() -> None:
    """Undo one apply(); the last one puts moto's own attributes back."""
    global _DEPTH
    with _LOCK:
        if _DEPTH == 0:
            return
        _DEPTH -= 1
        if _DEPTH == 0:
            while _ORIGINALS:
                cls, name, original = _ORIGINALS.pop()
                if original is _ABSENT:
                    delattr(cls, name)
                else:
                    setattr(cls, name, original)


def is_applied() -> bool:
    return _DEPTH > 0


def _set(cls: Any, name: str, value: Any) -> None:
    _ORIGINALS.append((cls, name, cls.__dict__.get(name, _ABSENT)))
    setattr(cls, name, value)


# ===== the sandbox's Trusted Advisor results =====================================================


@dataclass(frozen=True)
class Ref:
    """A seeded EC2 resource by Name tag, served as its id ("i-…", "vol-…", "sg-…", "vpc-…")."""

    prefix: str
    name: str


@dataclass(frozen=True)
class Row:
    """One flagged resource: its metadata in the check's column order (moto's check list)."""

    status: str
    region: str | None
    values: tuple[Any, ...]
    resource: Any  # what the TrustedAdvisor API reports as awsResourceId (a Ref or a name)


@dataclass(frozen=True)
class Result:
    status: str
    rows: tuple[Row, ...] = ()
    savings: float | None = None  # estimated monthly savings of a cost check
    processed: int = 1


def _days(cpu: str) -> tuple[str, ...]:
    """The 14 daily CPU columns of "Low Utilization Amazon EC2 Instances"."""
    return (cpu,) * 14


_REPORTING_BOX = Ref("i-", "legacy-reporting")
_BASTION = Ref("i-", "shop-bastion")
_SCRATCH = Ref("vol-", "legacy-scratch")
_DB_SG = Ref("sg-", "legacy-reporting-db-sg")
_SSH_SG = Ref("sg-", "shop-bastion-sg")

#: Results by check id (ids, names and columns as moto's describe_trusted_advisor_checks lists them).
SANDBOX_RESULTS: dict[str, Result] = {
    # cost_optimizing · Low Utilization Amazon EC2 Instances: Region/AZ, Instance ID, Instance Name,
    # Instance Type, Estimated Monthly Savings, Day 1..14, 14-Day Average CPU Utilization,
    # 14-Day Average Network I/O, Number of Days Low Utilization
    "Qch7DwouX1": Result("warning", (
        Row("warning", "us-east-1", ("us-east-1a", _REPORTING_BOX, "legacy-reporting", "t2.medium", "$33.87",
                                     *_days("1.1%"), "1.1%", "0.4MB", "14 days"), _REPORTING_BOX),
        Row("warning", "us-east-1", ("us-east-1a", _BASTION, "shop-bastion", "t3.micro", "$7.59",
                                     *_days("0.3%"), "0.3%", "0.1MB", "14 days"), _BASTION),
    ), savings=41.46, processed=6),
    # cost_optimizing · Underutilized Amazon EBS Volumes: Region, Volume ID, Volume Name, Volume Type,
    # Volume Size, Monthly Storage Cost, Snapshot ID, Snapshot Name, Snapshot Age (no per-row savings)
    "DAvU99Dc4C": Result("warning", (
        Row("warning", "us-east-1", ("us-east-1", _SCRATCH, "legacy-scratch", "gp2", "100", "$10.00", None, None, None),
            _SCRATCH),
    ), savings=10.0, processed=2),
    # cost_optimizing · Idle Load Balancers: Region, Load Balancer Name, Reason, Estimated Monthly Savings
    "hjLMh88uM8": Result("warning", (
        Row("warning", "us-east-1", ("us-east-1", "shop-legacy-admin", "No active back-end instances", "$18.25"),
            "shop-legacy-admin"),
    ), savings=18.25, processed=3),
    # security · Security Groups - Specific Ports Unrestricted: Region, Security Group Name,
    # Security Group ID, Protocol, Status, Ports (MySQL open to the world is red, SSH yellow)
    "HCP4007jGY": Result("error", (
        Row("error", "us-east-1", ("us-east-1", "legacy-reporting-db-sg", _DB_SG, "tcp", "Red", "3306"), _DB_SG),
        Row("warning", "us-east-1", ("us-east-1", "shop-bastion-sg", _SSH_SG, "tcp", "Yellow", "22"), _SSH_SG),
    ), processed=8),
    # security · IAM Use (the shop has IAM users) and MFA on Root Account (no columns, no rows)
    "zXCkfM1nI3": Result("ok"),
    "7DAFEmoDos": Result("error"),
    # fault_tolerance · Amazon RDS Multi-AZ: Region/AZ, DB Instance, VPC ID, Multi-AZ, Status
    "f2iK5R6Dep": Result("warning", (
        Row("warning", "us-east-1", ("us-east-1a", "reporting", Ref("vpc-", "shop-vpc"), "No", "Yellow"), "reporting"),
    ), processed=3),
    # service_limits · VPC: Region, Service, Limit Name, Limit Amount, Current Usage, Status
    "jL7PP0l7J9": Result("ok", (
        Row("ok", "us-east-1", ("us-east-1", "VPC", "VPCs", "5", "1", "Green"), "us-east-1"),
        Row("ok", "eu-west-1", ("eu-west-1", "VPC", "VPCs", "5", "1", "Green"), "eu-west-1"),
    ), processed=2),
}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ec2_names(account: str, region: str) -> dict[tuple[str, str], str]:
    """(id prefix, Name tag) → id of the EC2 resources seeded in a region."""
    from moto.ec2.models import ec2_backends

    tags = list(ec2_backends[account][region].tags.items())
    return {(rid.split("-", 1)[0] + "-", t["Name"]): rid for rid, t in tags if "Name" in t}


class _Resolver:
    """Turns Refs into the seeded resources' ids, reading each region's tags once per request."""

    def __init__(self, account: str):
        self.account = account
        self._names: dict[str, dict[tuple[str, str], str]] = {}

    def __call__(self, value: Any, region: str | None) -> Any:
        if not isinstance(value, Ref):
            return value
        if region not in self._names:
            self._names[region] = _ec2_names(self.account, region or "us-east-1")
        return self._names[region].get((value.prefix, value.name), value.name)


def _hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def _has_shop_results(account: str) -> bool:
    """False for an organisation member without the shop (a sandbox org variant); True otherwise."""
    members = _accounts_of_organizations(members_only=True)
    return account not in members or ("i-", _REPORTING_BOX.name) in _ec2_names(account, "us-east-1")


def _results(account: str) -> dict[str, Result]:
    """The Trusted Advisor results of an account: SANDBOX_RESULTS where the shop is."""
    return SANDBOX_RESULTS if _has_shop_results(account) else {}


def _summary(account: str, check_id: str, category: str) -> dict[str, Any]:
    """A check's summary as DescribeTrustedAdvisorCheckSummaries answers it."""
    result = _results(account).get(check_id)
    if result is None:
        return {"checkId": check_id, "timestamp": _now(), "status": "not_available", "hasFlaggedResources": False,
                "resourcesSummary": _counts(0, 0), "categorySpecificSummary": {}}
    specific = {}
    if category == "cost_optimizing":
        specific = {"costOptimizing": {"estimatedMonthlySavings": result.savings or 0.0,
                                       "estimatedPercentMonthlySavings": 12.5 if result.savings else 0.0}}
    flagged = sum(r.status != "ok" for r in result.rows)
    return {"checkId": check_id, "timestamp": _now(), "status": result.status, "hasFlaggedResources": bool(result.rows),
            "resourcesSummary": _counts(max(result.processed, len(result.rows)), flagged),
            "categorySpecificSummary": specific}


def _counts(processed: int, flagged: int) -> dict[str, int]:
    return {"resourcesProcessed": processed, "resourcesFlagged": flagged, "resourcesIgnored": 0, "resourcesSuppressed": 0}


def _support_rows(account: str, check_id: str) -> list[dict[str, Any]]:
    resolve = _Resolver(account)
    rows = []
    results = _results(account)
    for row in results[check_id].rows if check_id in results else ():
        rows.append({"status": row.status, "region": row.region, "isSuppressed": False,
                     "resourceId": _hash(check_id, str(resolve(row.resource, row.region))),
                     "metadata": [resolve(v, row.region) for v in row.values]})
    return rows


# ----- 1. Support API -----------------------------------------------------------------------


def _checks_by_id(backend: Any) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in backend.describe_trusted_advisor_checks()}


def _unknown_check(check_id: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("InvalidParameterValueException", f"Check id {check_id} is not a Trusted Advisor check.")


def _backend_check_summaries(self: Any, check_ids: list[str]) -> list[dict[str, Any]]:
    checks = _checks_by_id(self)
    for check_id in check_ids:
        if check_id not in checks:
            raise _unknown_check(check_id)
    return [_summary(self.account_id, i, checks[i]["category"]) for i in check_ids]


def _backend_check_result(self: Any, check_id: str) -> dict[str, Any]:
    checks = _checks_by_id(self)
    if check_id not in checks:
        raise _unknown_check(check_id)
    result = _summary(self.account_id, check_id, checks[check_id]["category"])
    result.pop("hasFlaggedResources")
    result["flaggedResources"] = _support_rows(self.account_id, check_id)
    return result


def _respond_check_summaries(self: Any) -> str:
    summaries = self.support_backend.describe_trusted_advisor_check_summaries(self._get_param("checkIds") or [])
    return json.dumps({"summaries": summaries})


def _respond_check_result(self: Any) -> str:
    return json.dumps({"result": self.support_backend.describe_trusted_advisor_check_result(self._get_param("checkId"))})


def _patch_support() -> None:
    from moto.support.models import SupportBackend
    from moto.support.responses import SupportResponse

    _set(SupportBackend, "describe_trusted_advisor_check_summaries", _backend_check_summaries)
    _set(SupportBackend, "describe_trusted_advisor_check_result", _backend_check_result)
    # moto dispatches an action to the response method of the same (snake_case) name.
    _set(SupportResponse, "describe_trusted_advisor_check_summaries", _respond_check_summaries)
    _set(SupportResponse, "describe_trusted_advisor_check_result", _respond_check_result)


# ----- 2. TrustedAdvisor API --------------------------------------------------------------------


def _moto_checks() -> dict[str, dict[str, Any]]:
    from moto.support.models import ADVISOR_CHECKS

    return {c["id"]: c for c in ADVISOR_CHECKS["checks"] if c["id"] in SANDBOX_RESULTS}


def _recommendation_arn(account: str, check_id: str) -> str:
    return f"arn:aws:trustedadvisor::{account}:recommendation/{uuid.uuid5(uuid.NAMESPACE_URL, 'opsctl-sandbox/' + check_id)}"


def _ta_checks() -> list[dict[str, Any]]:
    return [{"id": i, "arn": f"arn:aws:trustedadvisor:::check/{i}", "name": c["name"], "description": c["name"],
             "pillars": [c["category"]], "awsServices": [], "source": "ta_check",
             "metadata": {str(n): column for n, column in enumerate(c["metadata"])}}
            for i, c in sorted(_moto_checks().items())]


def _ta_recommendations(account: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not _has_shop_results(account):
        return out
    for check_id, check in sorted(_moto_checks().items()):
        summary = _summary(account, check_id, check["category"])
        rows = SANDBOX_RESULTS[check_id].rows
        arn = _recommendation_arn(account, check_id)
        out.append({
            "id": arn.rsplit("/", 1)[1], "arn": arn, "type": "standard", "name": check["name"],
            "checkArn": f"arn:aws:trustedadvisor:::check/{check_id}", "status": summary["status"],
            "lifecycleStage": "in_progress", "pillars": [check["category"]], "source": "ta_check", "awsServices": [],
            "resourcesAggregates": {s + "Count": sum(r.status == s for r in rows) for s in ("ok", "warning", "error")},
            "pillarSpecificAggregates": {"costOptimizing": summary["categorySpecificSummary"]["costOptimizing"]}
            if "costOptimizing" in summary["categorySpecificSummary"] else {},
            "createdAt": _now(), "lastUpdatedAt": _now(),
        })
    return out


def _ta_resources(account: str, identifier: str, status: str | None) -> list[dict[str, Any]] | None:
    """The resources of one recommendation (by ARN or id), or None when there is no such one."""
    resolve = _Resolver(account)
    for check_id in _moto_checks() if _has_shop_results(account) else ():
        arn = _recommendation_arn(account, check_id)
        if identifier not in (arn, arn.rsplit("/", 1)[1]):
            continue
        out = []
        for row in SANDBOX_RESULTS[check_id].rows:
            if status and row.status != status:
                continue
            resource = str(resolve(row.resource, row.region))
            rid = _hash(check_id, resource)
            out.append({"id": rid, "arn": f"arn:aws:trustedadvisor::{account}:recommendation-resource/{arn.rsplit('/', 1)[1]}/{rid}",
                        "awsResourceId": resource, "regionCode": row.region, "status": row.status,
                        "metadata": {str(n): resolve(v, row.region) for n, v in enumerate(row.values) if v is not None},
                        "lastUpdatedAt": _now(), "exclusionStatus": "included", "recommendationArn": arn})
        return out
    return None


def _signing(environ: dict[str, Any]) -> tuple[str, str]:
    """(signing name, access key id) from a SigV4 Authorization header; ("", "") otherwise."""
    try:
        credential = environ.get("HTTP_AUTHORIZATION", "").split("Credential=", 1)[1].split(",", 1)[0]
        key, _date, _region, service, _ = credential.split("/")
    except (IndexError, ValueError):
        return "", ""
    return service, key


def _trustedadvisor_app(environ: dict[str, Any], start_response: Any, access_key: str) -> list[bytes]:
    """GET /v1/checks, /v1/recommendations, /v1/recommendations/{id}/resources; one page each."""
    from moto.iam.models import get_account_id_from

    account = get_account_id_from(access_key)
    path = environ.get("PATH_INFO", "")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    body: dict[str, Any] | None
    if path == "/v1/checks":
        body = {"checkSummaries": _ta_checks()}
    elif path == "/v1/recommendations":
        body = {"recommendationSummaries": _ta_recommendations(account)}
    elif path.startswith("/v1/recommendations/") and path.endswith("/resources"):
        resources = _ta_resources(account, path[len("/v1/recommendations/"):-len("/resources")], query.get("status"))
        body = None if resources is None else {"recommendationResourceSummaries": resources}
    else:
        body = None
    if body is None:
        start_response("404 Not Found", [("Content-Type", "application/json"),
                                         ("x-amzn-ErrorType", "ResourceNotFoundException")])
        return [json.dumps({"message": f"The sandbox's TrustedAdvisor API has nothing at {path}"}).encode()]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def _patch_trustedadvisor_endpoint() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    dispatch = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:  # noqa: N807 - replaces the WSGI entry
        service, key = _signing(environ)
        if service == "trustedadvisor":
            return _trustedadvisor_app(environ, start_response, key)
        return dispatch(self, environ, start_response)

    _set(DomainDispatcherApplication, "__call__", __call__)


# ===== 3. Service Quotas =======================================================================

#: (service code, quota code) → (quota name, AWS default value).
DEFAULT_QUOTAS: dict[tuple[str, str], tuple[str, float]] = {
    ("ec2", "L-1216C47A"): ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 32.0),
    ("lambda", "L-B99A9384"): ("Concurrent executions", 1000.0),
    ("elasticloadbalancing", "L-53DA6B97"): ("Application Load Balancers per Region", 50.0),
    ("autoscaling", "L-CDE20ADC"): ("Auto Scaling groups per region", 500.0),
}
#: The sandbox account's applied values, by region: tight in us-east-1, where the shop runs 10
#: vCPUs (18 with its web group at MaxSize), reserves 75 concurrent executions, and has two ALBs
#: and two Auto Scaling groups.
APPLIED_QUOTAS: dict[str, dict[tuple[str, str], float]] = {
    "us-east-1": {
        ("ec2", "L-1216C47A"): 16.0,
        ("lambda", "L-B99A9384"): 160.0,
        ("elasticloadbalancing", "L-53DA6B97"): 2.0,
        ("autoscaling", "L-CDE20ADC"): 2.0,
    },
}


def _quota(backend: Any, codes: tuple[str, str], value: float) -> dict[str, Any]:
    service_code, quota_code = codes
    return {
        "ServiceCode": service_code, "ServiceName": service_code, "QuotaCode": quota_code,
        "QuotaArn": f"arn:aws:servicequotas:{backend.region_name}:{backend.account_id}:{service_code}/{quota_code}",
        "QuotaName": DEFAULT_QUOTAS[codes][0], "Value": value, "Unit": "None", "Adjustable": True, "GlobalQuota": False,
    }


def _patch_service_quotas() -> None:
    from moto.servicequotas.exceptions import NoSuchResource
    from moto.servicequotas.models import ServiceQuotasBackend
    from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS
    from moto.servicequotas.responses import ServiceQuotasResponse

    applied_lookup = ServiceQuotasBackend.get_service_quota

    def get_service_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        value = APPLIED_QUOTAS.get(self.region_name, {}).get((service_code, quota_code))
        if value is None:
            return applied_lookup(self, service_code, quota_code)
        return _quota(self, (service_code, quota_code), value)

    def get_aws_default_service_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
        if (service_code, quota_code) in DEFAULT_QUOTAS:
            return _quota(self, (service_code, quota_code), DEFAULT_QUOTAS[(service_code, quota_code)][1])
        for quota in VPC_DEFAULT_QUOTAS if service_code == "vpc" else ():
            if quota["QuotaCode"] == quota_code:
                return quota
        raise NoSuchResource

    def respond_default(self: Any) -> str:
        params = json.loads(self.body)
        quota = self.backend.get_aws_default_service_quota(str(params.get("ServiceCode")), str(params.get("QuotaCode")))
        return json.dumps({"Quota": quota})

    _set(ServiceQuotasBackend, "get_service_quota", get_service_quota)
    _set(ServiceQuotasBackend, "get_aws_default_service_quota", get_aws_default_service_quota)
    _set(ServiceQuotasResponse, "get_aws_default_service_quota", respond_default)


# ===== 4. WAFv2 ListResourcesForWebACL ===========================================================

#: ResourceType → what the ARNs of that type contain.
_WAF_RESOURCE_ARNS = {
    "APPLICATION_LOAD_BALANCER": ":loadbalancer/app/",
    "API_GATEWAY": ":apigateway:",
    "APPSYNC": ":appsync:",
    "COGNITO_USER_POOL": ":cognito-idp:",
    "APP_RUNNER_SERVICE": ":apprunner:",
    "VERIFIED_ACCESS_INSTANCE": ":verified-access-instance/",
    "AMPLIFY": ":amplify:",
}


def _patch_wafv2() -> None:
    from moto.wafv2.exceptions import WAFNonexistentItemException
    from moto.wafv2.responses import WAFV2Response

    def list_resources_for_web_acl(self: Any) -> Any:
        body = json.loads(self.body)
        acl = self.wafv2_backend.wacls.get(body.get("WebACLArn"))
        if acl is None:
            raise WAFNonexistentItemException
        marker = _WAF_RESOURCE_ARNS.get(body.get("ResourceType") or "APPLICATION_LOAD_BALANCER")
        arns = [arn for arn in acl.associated_resources if marker and marker in arn]
        return 200, {"Content-Type": "application/json"}, json.dumps({"ResourceArns": arns})

    _set(WAFV2Response, "list_resources_for_web_acl", list_resources_for_web_acl)


def _patch_acm() -> None:
    from moto import settings

    _set(settings, "ACM_VALIDATION_WAIT", 0)


# ===== 6. STS AssumeRole into a missing role ======================================================

_ROLE_ARN = re.compile(r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")


def _accounts_of_organizations(members_only: bool = False) -> set[str]:
    """Every account of an organization held by this moto process (management accounts too, unless members_only)."""
    from moto.organizations.models import organizations_backends

    out: set[str] = set()
    for per_account in list(organizations_backends.values()):
        for backend in list(per_account.values()):  # only the partitions already created
            if backend.org is not None:
                out.update(account.id for account in backend.accounts)
                if not members_only:
                    out.add(backend.org.master_account_id)
                else:
                    out.discard(backend.org.master_account_id)
    return out


def _missing_role(role_arn: str) -> bool:
    """True when role_arn names a role of an account this moto process knows, and no such role exists."""
    from moto.iam.models import iam_backends

    match = _ROLE_ARN.match(role_arn or "")
    if match is None:
        return False  # not a role ARN: moto's own validation (or lack of it) applies
    # dict.get, not BackendDict's [] which would create the account's backends as a side effect.
    per_account = dict.get(iam_backends, match["account"])
    iam = dict.get(per_account, match["partition"]) if per_account is not None else None
    known = match["account"] in _accounts_of_organizations() or bool(iam is not None and (iam.roles or iam.users))
    if not known:
        return False
    return iam is None or not any(role.name == match["name"] for role in list(iam.roles.values()))


def _assume_role_denied(caller_arn: str, role_arn: str, request_id: str) -> Exception:
    """STS's AccessDenied, as AWS sends it: 403 and the query protocol's XML error document."""
    from xml.sax.saxutils import escape

    from werkzeug.exceptions import HTTPException

    message = f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>")

    class AssumeRoleDenied(HTTPException):
        code = 403

        def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
            return [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]

    return AssumeRoleDenied(description=body)


def _patch_sts() -> None:
    from moto.sts.responses import TokenResponse

    original = TokenResponse.assume_role

    def assume_role(self: Any) -> Any:
        role_arn = self._get_param("RoleArn")
        if _missing_role(role_arn):
            _user_id, caller_arn, _account = self.backend.get_caller_identity(self.get_access_key(), self.region)
            raise _assume_role_denied(caller_arn, role_arn, str(uuid.uuid4()))
        return original(self)

    _set(TokenResponse, "assume_role", assume_role)
