"""AWS access: one session, one client per (service, region), retries and endpoint handling.

* Credentials: boto3's default chain, or `--profile`, optionally assuming `--role-arn` with
  `--external-id`.
* Endpoint: boto3 itself honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>. For a local
  endpoint (the sandbox, moto), S3 Control's account-id host prefix (`<account>.127.0.0.1`) does
  not resolve, so a before-send hook strips it (MOTO-NOTES.md).
* Retries: botocore's adaptive mode (client-side rate limiting on throttles).
* Timeouts: every call connects and reads within `--timeout` seconds (default 30), so a call
  takes at most about timeout x attempts. The first call (sts:GetCallerIdentity) is made once,
  without retries: an endpoint that never answers, or answers something that is not AWS, is a
  one-line usage error within the timeout, before any collection starts.
* Connection pool: sized to the worker pool so concurrent calls do not queue for sockets.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.exceptions
import botocore.parsers
from botocore.config import Config

from opsctl.errors import UsageError

DEFAULT_WORKERS = 16
#: Seconds to connect, and to wait for an answer, per call (--timeout).
DEFAULT_TIMEOUT = 30.0
_timeout = DEFAULT_TIMEOUT
ROLE_SESSION_NAME = "opsctl-audit"
_LOCAL_HOSTS = ("127.", "localhost", "[::1]", "0.0.0.0")


def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL") or None


def is_local_endpoint(url: str | None) -> bool:
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    return host.startswith(_LOCAL_HOSTS) or host in {"localhost", "::1"}


def _strip_account_prefix(request: Any, **_: Any) -> None:
    """botocore prefixes s3control hosts with `<account-id>.`; a loopback endpoint has no such name."""
    parts = urlsplit(request.url)
    host = parts.netloc
    match = re.match(r"^\d{12}\.(.+)$", host)
    if match and is_local_endpoint(f"http://{match.group(1)}"):
        request.url = urlunsplit(parts._replace(netloc=match.group(1)))


def retry_policy(url: str | None) -> dict[str, Any]:
    """Adaptive retries (client-side rate limiting on throttles) against AWS.

    A local endpoint (the sandbox, moto) never throttles, and answers an API it lacks with HTTP
    500, which botocore would retry with backoff for ~10 s per call: there, one attempt.
    """
    if is_local_endpoint(url):
        return {"mode": "standard", "total_max_attempts": 1}
    return {"mode": "adaptive", "max_attempts": 8}


def set_timeout(seconds: float | None) -> None:
    """The connect and read timeout of every Aws made from now on (the CLI's --timeout); None: the default."""
    global _timeout
    _timeout = DEFAULT_TIMEOUT if seconds is None else float(seconds)


def get_timeout() -> float:
    return _timeout


def _where() -> str:
    """The endpoint the calls go to, as an error message names it."""
    url = endpoint_url()
    return f"AWS_ENDPOINT_URL {url}" if url else "AWS STS"


def _config_unreadable(exc: Exception) -> str:
    return f"your AWS config cannot be read ({exc}); fix that file, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere"


class Aws:
    """A boto3 session plus a thread-safe cache of clients, one per (service, region)."""

    def __init__(
        self,
        profile: str | None = None,
        role_arn: str | None = None,
        external_id: str | None = None,
        workers: int = DEFAULT_WORKERS,
        session: boto3.session.Session | None = None,
        timeout: float | None = None,
    ):
        self.workers = workers
        #: seconds to connect and to read, per call attempt
        self.timeout = _timeout if timeout is None else float(timeout)
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self.config = Config(
            retries=retry_policy(endpoint_url()),
            max_pool_connections=max(10, workers),
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            user_agent_extra="opsctl",
        )
        #: the first calls (GetCallerIdentity, AssumeRole of --role-arn): one attempt, so an endpoint
        #: that does not answer is reported within the timeout, not after every retry
        self.first_call_config = self.config.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
        try:
            base = session or boto3.session.Session(profile_name=profile)
        except botocore.exceptions.ProfileNotFound:
            raise UsageError(f"--profile: profile {profile!r} is not in your AWS config; `aws configure list-profiles` lists them") from None
        except botocore.exceptions.ConfigParseError as exc:
            raise UsageError(_config_unreadable(exc)) from None
        if role_arn:
            base = self._assume(base, role_arn, external_id)
        self.session = base
        if is_local_endpoint(endpoint_url()):
            self.session.events.register("before-send.s3-control.*", _strip_account_prefix)

    def _assume(self, base: boto3.session.Session, role_arn: str, external_id: str | None) -> boto3.session.Session:
        if not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+", role_arn):
            raise UsageError(f"--role-arn: {role_arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        kwargs: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": ROLE_SESSION_NAME}
        if external_id:
            kwargs["ExternalId"] = external_id
        try:
            creds = base.client("sts", config=self.first_call_config).assume_role(**kwargs)["Credentials"]
        except botocore.exceptions.NoCredentialsError:
            raise UsageError(_NO_CREDENTIALS) from None
        except botocore.exceptions.ClientError as exc:
            if _http_status_only(exc):
                raise UsageError(f"--role-arn: {self._unanswered('AssumeRole', exc)}") from None
            err = exc.response.get("Error", {})
            raise UsageError(f"--role-arn: cannot assume {role_arn}: {err.get('Code')}: {err.get('Message')}") from None
        except (botocore.exceptions.BotoCoreError, botocore.parsers.ResponseParserError, KeyError, TypeError) as exc:
            raise UsageError(f"--role-arn: {self._unanswered('AssumeRole', exc)}") from None
        return boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=base.region_name,
        )

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            cli = self._clients.get(key)
            if cli is None:
                cli = self.session.client(service, region_name=region, config=self.config)
                self._clients[key] = cli
            return cli

    def default_region(self) -> str:
        return self.session.region_name or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"

    def identity_client(self) -> Any:
        """The STS client of the first call: one attempt, no retries (first_call_config)."""
        return self.session.client("sts", region_name=self.default_region(), config=self.first_call_config)

    def identity(self) -> dict[str, str]:
        """Who we are (sts:GetCallerIdentity), asked once. Missing or bad credentials, and an endpoint
        that cannot be reached, never answers or does not answer like AWS, are a one-line usage error."""
        try:
            ident = self.identity_client().get_caller_identity()
        except botocore.exceptions.NoCredentialsError:
            raise UsageError(_NO_CREDENTIALS) from None
        except botocore.exceptions.ConfigParseError as exc:
            raise UsageError(_config_unreadable(exc)) from None
        except botocore.exceptions.SSLError as exc:
            raise UsageError(f"TLS to AWS failed ({exc}); check AWS_CA_BUNDLE or your proxy") from None
        except (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError) as exc:
            raise UsageError(self._unanswered("GetCallerIdentity", exc)) from None
        except botocore.exceptions.EndpointConnectionError as exc:
            raise UsageError(f"cannot reach AWS ({exc}); check your network or AWS_ENDPOINT_URL") from None
        except botocore.parsers.ResponseParserError as exc:
            raise UsageError(self._unanswered("GetCallerIdentity", exc)) from None
        except ValueError as exc:
            if "endpoint" not in str(exc).lower():
                raise
            raise UsageError(f"AWS_ENDPOINT_URL: {exc}; use a URL such as http://127.0.0.1:5000") from None
        except botocore.exceptions.ClientError as exc:
            if _http_status_only(exc):
                raise UsageError(self._unanswered("GetCallerIdentity", exc)) from None
            err = exc.response.get("Error", {})
            raise UsageError(
                f"credentials rejected by sts:GetCallerIdentity ({err.get('Code')}: {err.get('Message')}); refresh them or pick another --profile"
            ) from None
        except botocore.exceptions.BotoCoreError as exc:  # a connection reset, a proxy error, …
            raise UsageError(self._unanswered("GetCallerIdentity", exc)) from None
        try:
            arn = ident["Arn"]
            return {"account": ident["Account"], "arn": arn, "partition": arn.split(":")[1]}
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise UsageError(self._unanswered("GetCallerIdentity", exc)) from None

    def _unanswered(self, operation: str, exc: BaseException) -> str:
        """One line for a first call the endpoint did not answer like AWS: what came back, where from,
        and what to check."""
        where = _where()
        check = "check AWS_ENDPOINT_URL" if endpoint_url() else "check your network, proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL"
        if isinstance(exc, botocore.exceptions.ReadTimeoutError):
            return f"{where} did not answer sts:{operation} within {self.timeout:g}s (--timeout); {check}"
        if isinstance(exc, botocore.exceptions.ConnectTimeoutError):
            return f"cannot connect to {where} within {self.timeout:g}s (--timeout); {check}"
        if isinstance(exc, botocore.exceptions.ClientError):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or exc.response.get("Error", {}).get("Code")
            text = exc.response.get("Error", {}).get("Message") or ""
            return (f"{where} answered sts:{operation} with HTTP {status}{f' ({text})' if text else ''}, not an AWS "
                    f"answer: it is not AWS STS or it is failing; {check}")
        if isinstance(exc, botocore.exceptions.ConnectionClosedError):
            return f"{where} closed the connection without answering sts:{operation}; {check}"
        if isinstance(exc, botocore.parsers.ResponseParserError):
            return f"{where} did not answer like AWS STS (an unparseable reply to {operation}); {check}"
        if isinstance(exc, (KeyError, IndexError, TypeError, AttributeError)):
            return f"{where} did not answer like AWS STS (a reply to {operation} without the caller's account and ARN); {check}"
        return f"{where} did not answer sts:{operation} ({type(exc).__name__}: {_first_line(str(exc))}); {check}"

    def available_regions(self, service: str = "ec2") -> list[str]:
        """Regions botocore knows for a service (offline)."""
        return self.session.get_available_regions(service) or []

    def enabled_regions(self) -> list[str]:
        """The account's enabled regions (ec2:DescribeRegions without AllRegions)."""
        try:
            resp = self.client("ec2", self.default_region()).describe_regions(AllRegions=False)
            return sorted(r["RegionName"] for r in resp["Regions"])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, botocore.parsers.ResponseParserError,
                KeyError, TypeError) as exc:
            raise UsageError(f"--all-regions: cannot list the account's regions ({_first_line(str(exc))}); "
                             "pass --region instead") from None

    def validate_regions(self, regions: list[str], source: str = "--region") -> list[str]:
        known = {r for partition in self.session.get_available_partitions()  # aws, aws-cn, aws-us-gov, …
                 for r in self.session.get_available_regions("ec2", partition_name=partition)}
        for region in regions:
            if known and region not in known:
                close = [r for r in sorted(known) if r.split("-")[0] == region.split("-")[0]][:4]
                hint = f"; known regions include {', '.join(close)}" if close else ""
                raise UsageError(f"{source}: unknown region {region!r}{hint}")
        return regions


def _http_status_only(exc: botocore.exceptions.ClientError) -> bool:
    """An error with no AWS error code, only an HTTP status (an HTML error page, a proxy's 502)."""
    return str(exc.response.get("Error", {}).get("Code") or "").isdigit()


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "")[:200]


_NO_CREDENTIALS = (
    "no AWS credentials found; set AWS_PROFILE or pass --profile, run `aws configure`, "
    "or point at the sandbox with `opsctl sandbox up`"
)
