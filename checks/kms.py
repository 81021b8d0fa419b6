"""KMS checks (CATALOGUE.md, "Identity and keys")."""

from __future__ import annotations

from typing import Any

from opsctl.registry import FAIL, PASS, CheckContext, check

#: Aliases AWS gives the keys it manages for a service (alias/aws/rds …). moto creates those
#: keys as CUSTOMER-managed, so the alias is what tells them apart (MOTO-NOTES.md).
AWS_ALIAS_PREFIX = "alias/aws/"


def aws_managed(key: dict[str, Any], ctx: CheckContext) -> bool:
    if ctx.need(key, "key_manager") != "CUSTOMER":
        return True
    # On AWS the key manager alone decides; the alias rule only corrects emulators, so an alias
    # listing that failed must not turn every customer key into ERROR.
    return any(a.startswith(AWS_ALIAS_PREFIX) for a in key.get("aliases") or [])


@check(id="kms.key_rotation", title="Customer-managed KMS key rotates automatically",
       pillar="security", severity="medium", resource_type="kms.key")
def key_rotation(key: dict[str, Any], ctx: CheckContext):
    """Yearly rotation limits how much data one compromised key version protects, at no extra effort."""
    if aws_managed(key, ctx) or ctx.need(key, "key_spec") != "SYMMETRIC_DEFAULT":
        return None  # AWS rotates its own keys; asymmetric and HMAC keys cannot rotate automatically
    rotation = ctx.need(key, "rotation_enabled")
    if rotation is None:
        return None  # disabled, pending deletion or imported material: automatic rotation does not apply
    name = key.get("name") or key.get("id")
    if rotation:
        return PASS(f"KMS key {name} has automatic rotation on.")
    return FAIL(f"KMS key {name} is a customer-managed symmetric key without automatic rotation.",
                key_state=key.get("key_state"))
