"""Access to the accounts of an organisation audit: one role assumed per account, credentials that
refresh themselves, and one set of botocore service models for every account.

* The caller's own account (usually the management account) is audited with the caller's
  credentials; every other account through ``sts:AssumeRole`` into ``--org-role`` on the regional
  STS endpoint of the first audited region, paced by the shared rate limiter.
* The credentials are botocore ``RefreshableCredentials``: botocore renews them through the same
  AssumeRole call shortly before they expire, so a run longer than the role's session lasts on.
  One AssumeRole per account per credential lifetime, and no more.
* Every account's boto3 session wraps its own botocore session that shares the caller's
  ``data_loader``: the service models (the bulk of botocore's memory) are parsed once per process,
  and an account costs its clients and data, not another copy of the models.
* moto (and so a test organisation) does not check that the assumed role exists; AWS does. After
  assuming, ``iam:GetRole`` on the role name says whether it is there: NoSuchEntity makes the
  account "not reached", like AWS's AccessDenied; any other answer is no evidence either way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

from opsctl.aws import Aws
from opsctl.org import Account

#: the role session lasts this long before botocore refreshes it (AssumeRole's default)
SESSION_SECONDS = 3600


@dataclass
class AccessFailure(Exception):
    """An account that cannot be reached: the call that failed, its error code and message."""

    account: str
    operation: str
    code: str
    message: str
    region: str = "global"
    resource: str = ""

    def __str__(self) -> str:
        return f"{self.operation} failed with {self.code}: {self.message}"


class _Provider(CredentialProvider):
    METHOD = "opsctl-assume-role"
    CANONICAL_NAME = "opsctl-assume-role"

    def __init__(self, credentials: Any):
        super().__init__()
        self._credentials = credentials

    def load(self) -> Any:
        return self._credentials


class AccountAccess:
    """Hands out one opsctl.aws.Aws per account of the run."""

    def __init__(self, base: Aws, caller_account: str, partition: str, role_name: str,
                 external_id: str | None = None, session_name: str = "opsctl-audit", home_region: str = "us-east-1",
                 limiter: Any = None, verify_role: bool = True):
        self.base = base
        self.caller_account = caller_account
        self.partition = partition
        self.role_name = role_name
        self.external_id = external_id
        self.session_name = session_name
        self.home_region = home_region
        self.limiter = limiter
        self.verify_role = verify_role
        self.sts_calls = 0
        self._lock = threading.Lock()
        core = base.session._session  # boto3 keeps its botocore session here (documented attribute)
        core.set_config_variable("sts_regional_endpoints", "regional")
        self._loader = core.get_component("data_loader")
        self._sts = base.client("sts", home_region)

    def role_arn(self, account_id: str) -> str:
        return f"arn:{self.partition}:iam::{account_id}:role/{self.role_name}"

    def aws_for(self, account: Account) -> Aws:
        """The caller's own Aws for its own account; else a fresh Aws on the assumed role (AccessFailure if not)."""
        if account.id == self.caller_account:
            return self.base
        first = self._assume(account.id)  # a failure here is the account's gap, before any client exists
        credentials = RefreshableCredentials.create_from_metadata(
            metadata=first, refresh_using=lambda: self._assume(account.id), method="assume-role")
        core = botocore.session.Session()
        core.register_component("data_loader", self._loader)
        core.register_component("credential_provider", CredentialResolver([_Provider(credentials)]))
        core.set_config_variable("region", self.home_region)
        session = boto3.session.Session(botocore_session=core, region_name=self.home_region)
        aws = Aws(workers=self.base.workers, session=session)
        if self.verify_role:
            self._check_role(aws, account.id)
        return aws

    def _assume(self, account_id: str) -> dict[str, str]:
        role = self.role_arn(account_id)
        params: dict[str, Any] = {"RoleArn": role, "RoleSessionName": self.session_name,
                                  "DurationSeconds": SESSION_SECONDS}
        if self.external_id:
            params["ExternalId"] = self.external_id
        if self.limiter is not None:
            self.limiter.acquire(self.caller_account, self.home_region, "sts")
        with self._lock:
            self.sts_calls += 1
        try:
            creds = self._sts.assume_role(**params)["Credentials"]
        except botocore.exceptions.ClientError as exc:
            err = exc.response.get("Error", {})
            raise AccessFailure(account_id, "sts:AssumeRole", str(err.get("Code") or "ClientError"),
                                _one_line(err.get("Message") or str(exc)), self.home_region, role) from None
        except (botocore.exceptions.BotoCoreError, KeyError) as exc:
            raise AccessFailure(account_id, "sts:AssumeRole", type(exc).__name__, _one_line(str(exc)),
                                self.home_region, role) from None
        expiry = creds["Expiration"]
        return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": expiry.isoformat() if hasattr(expiry, "isoformat") else str(expiry)}

    def _check_role(self, aws: Aws, account_id: str) -> None:
        try:
            aws.client("iam", self.home_region).get_role(RoleName=self.role_name)
        except botocore.exceptions.ClientError as exc:
            err = exc.response.get("Error", {})
            if err.get("Code") == "NoSuchEntity":
                raise AccessFailure(account_id, "iam:GetRole", "NoSuchEntity",
                                    f"the role {self.role_name} does not exist in account {account_id} "
                                    "(AWS would refuse AssumeRole)", "global", self.role_arn(account_id)) from None
        except botocore.exceptions.BotoCoreError:
            pass  # no evidence either way: the collection's own calls will say


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return (lines[0] if lines else "")[:300]
