"""Small helpers shared by the renderers."""

from __future__ import annotations

import re

_ARN = re.compile(r"^arn:[^:]*:([^:]*):([^:]*):([^:]*):(.*)$")


def resource_label(arn: str) -> str:
    """A short, human name for an ARN: the bucket name, `loadbalancer/app/web/…` → `web`, etc."""
    m = _ARN.match(arn or "")
    if not m:
        return arn
    service, _region, _account, rest = m.groups()
    if rest in ("root", "account"):
        return f"account ({service})" if rest == "account" else "account"
    if service == "s3":
        return rest
    if service == "elasticloadbalancing":
        parts = rest.split("/")
        return parts[2] if len(parts) > 2 else rest
    if service == "cloudwatch" and rest.startswith("alarm:"):
        return rest[len("alarm:"):]  # the alarm's own name, colons and all (ops:disk-full)
    if service == "rds" or service == "lambda":
        return rest.split(":", 1)[-1]
    if service == "cloudfront":
        return rest.split("/", 1)[-1]
    tail = rest.rsplit("/", 1)[-1]
    return tail.rsplit(":", 1)[-1] if ":" in tail and service != "logs" else tail
