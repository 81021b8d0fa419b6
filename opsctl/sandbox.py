"""The sandbox: a real local AWS endpoint (moto's server, in-process, on a free loopback port)
seeded with the reference 3D e-commerce architecture — and deliberate defects.

boto3 talks HTTP to it exactly as to AWS, so `opsctl audit` runs unchanged with
AWS_ENDPOINT_URL pointing at it. moto is an optional extra: `pip install 'opsctl[sandbox]'`.

Seeding is split by tier (opsctl/sandbox_seed/): network → compute → edge → data → ops, each a
`seed(env)` that creates resources through boto3 against the endpoint and records what later
tiers need in `env.outputs`. Every resource carries the tags `app=3d-shop` and `tier=<kind>`.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from opsctl.errors import OpsctlError

ACCOUNT = "123456789012"
PRIMARY_REGION = "us-east-1"
SECONDARY_REGION = "eu-west-1"
REGIONS = (PRIMARY_REGION, SECONDARY_REGION)
APP_TAG = {"Key": "app", "Value": "3d-shop"}
SEED_ORDER = ("network", "compute", "edge", "data", "ops", "cost")

#: What `sandbox up` tells a shell to export (the endpoint is filled in at start).
CREDENTIAL_ENV = {
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
    "AWS_DEFAULT_REGION": PRIMARY_REGION,
}


class SandboxUnavailable(OpsctlError):
    exit_code = 2


def _check_port_free(port: int) -> None:
    """moto's server would print werkzeug's complaint and then wait forever: say it and stop."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise SandboxUnavailable(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror or exc}); "
                                     "pick another port, or leave --port out for a free one") from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(port: int | None = None) -> Iterator[str]:
    """Start moto's server in this process on a loopback port; yield its URL; stop it after."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise SandboxUnavailable("the sandbox needs moto's server: pip install 'opsctl[sandbox]'") from None
    # Managed policies make IAM checks realistic; seeding ids repeatable makes demos comparable.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    # werkzeug logs every request, and a traceback for every API moto lacks (which the audit
    # records as a coverage gap anyway): the sandbox is a backend, not a log stream.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    # Let the sandbox serve what moto lacks (Trusted Advisor results, EC2/Lambda quotas): the
    # patches (opsctl/sandbox_seed/moto_patches.py) hold while the server runs, then moto is restored.
    from opsctl.sandbox_seed import moto_patches

    if port:
        _check_port_free(port)
    port = port or free_port()
    with moto_patches.patched():
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        url = f"http://127.0.0.1:{port}"
        # moto's backends live in this process: start from, and leave behind, an empty account.
        moto_api(url, "reset")
        try:
            yield url
        finally:
            moto_api(url, "reset-auth", b"inf")
            moto_api(url, "reset")
            server.stop()


def moto_api(url: str, action: str, body: bytes = b"") -> None:
    """POST to moto's control API on the loopback server (reset, reset-auth, seed)."""
    request = urllib.request.Request(f"{url}/moto-api/{action}", data=body, method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback URL built above
        response.read()


@dataclass
class SeedEnv:
    """What a seeder gets: clients on the sandbox endpoint and the outputs of earlier seeders.

    By default the clients act as the sandbox account (ACCOUNT, CREDENTIAL_ENV). An organisation's
    member is seeded with `account` set to its id and `credentials` to what sts.assume_role returned
    for it (AccessKeyId, SecretAccessKey, SessionToken): moto routes those to the member's backend.
    """

    endpoint: str
    account: str = ACCOUNT
    region: str = PRIMARY_REGION
    second_region: str = SECONDARY_REGION
    credentials: dict[str, Any] | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None) -> Any:
        import boto3

        key = (service, region or self.region)
        if key not in self._clients:
            creds = self.credentials or {"AccessKeyId": CREDENTIAL_ENV["AWS_ACCESS_KEY_ID"],
                                         "SecretAccessKey": CREDENTIAL_ENV["AWS_SECRET_ACCESS_KEY"]}
            self._clients[key] = boto3.client(
                service,
                region_name=key[1],
                endpoint_url=self.endpoint,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds.get("SessionToken"),
            )
        return self._clients[key]

    @staticmethod
    def tags(tier: str, name: str | None = None, **extra: str) -> list[dict[str, str]]:
        """EC2-style tag list: app=3d-shop, tier=<kind>, Name=<name>."""
        out = [dict(APP_TAG), {"Key": "tier", "Value": tier}]
        if name:
            out.append({"Key": "Name", "Value": name})
        out.extend({"Key": k, "Value": v} for k, v in extra.items())
        return out

    @staticmethod
    def tag_map(tier: str, name: str | None = None) -> dict[str, str]:
        """Dict form of `tags()` for APIs that take a map (Lambda)."""
        return {t["Key"]: t["Value"] for t in SeedEnv.tags(tier, name)}


def seed(endpoint: str, only: tuple[str, ...] | None = None, env: SeedEnv | None = None) -> SeedEnv:
    """Create the reference architecture, defects included, on a running sandbox.

    `only` limits seeding to some tiers (network is always seeded), for tests of one tier. `env`
    seeds another account (see SeedEnv); by default, the sandbox account.
    """
    env = env or SeedEnv(endpoint=endpoint)
    for name in SEED_ORDER:
        if only is not None and name != "network" and name not in only:
            continue
        module = importlib.import_module(f"opsctl.sandbox_seed.{name}")
        module.seed(env)
    return env


#: The shop's own standards, as a team would write them in opsctl.yaml. The demo audits with it,
#: which also shows per-check parameters at work: AWS will not create an ALB in fewer than two
#: zones, but this platform promises three, so the two-zone internal ALB fails.
#: Its `spec` extends the reference architecture with the shop's domain and the eu-west-1
#: failover API the Route 53 SECONDARY records point at — never deployed, so arch.tier_present
#: and arch.dns_to_edge fail, as they would for a real shop whose failover region was forgotten.
DEMO_CONFIG = """\
# opsctl.yaml of the 3D shop (the sandbox demo uses it)
checks:
  elb.alb_multi_az:
    min_azs: 3          # every tier runs across three availability zones
spec:                   # the shop's architecture: the reference one, with its domain and eu-west-1 failover API
  extends: default
  name: 3D shop
  tiers:
    dns:
      kind: dns
      select: {tags: {tier: dns}}
      params: {domain: shop.example.com}
    api-failover:
      kind: load_balancer
      description: the eu-west-1 API that Route 53 fails over to
      select: {names: ["shop-api*"], regions: [eu-west-1]}
  flows:
    - {from: dns, to: api-failover}
"""


def demo_config(registry: dict[str, Any]) -> Any:
    """The parsed DEMO_CONFIG (an opsctl.config.Config)."""
    from opsctl.config import parse_config

    return parse_config(DEMO_CONFIG, "<sandbox opsctl.yaml>", registry)


def environment(endpoint: str) -> dict[str, str]:
    """The variables that point opsctl, boto3 or the AWS CLI at the sandbox."""
    return {"AWS_ENDPOINT_URL": endpoint, **CREDENTIAL_ENV}
