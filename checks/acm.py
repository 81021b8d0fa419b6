"""ACM checks (CATALOGUE.md, "Identity and keys")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opsctl.checks._time import parse_time, taken_at

from opsctl.registry import FAIL, PASS, CheckContext, check


@check(id="acm.certificate_expiry", title="Certificate in use is far from expiry", pillar="availability",
       severity="high", resource_type="acm.certificate", params={"min_days_to_expiry": 30})
def certificate_expiry(cert: dict[str, Any], ctx: CheckContext):
    """An expired certificate takes the shop offline for every browser at once."""
    if ctx.need(cert, "status") != "ISSUED" or not ctx.need(cert, "in_use_by"):
        return None  # not issued, or not serving anything: its expiry breaks nothing
    not_after = ctx.need(cert, "not_after")
    minimum = int(ctx.params["min_days_to_expiry"])
    left = parse_time(not_after) - taken_at(ctx)
    days = left.days  # whole days: 29.9 days left is 29
    name = cert.get("domain_name") or cert["arn"]
    evidence = {"not_after": not_after, "days_to_expiry": days, "in_use_by": cert["in_use_by"],
                "certificate_type": cert.get("certificate_type"), "renewal_eligibility": cert.get("renewal_eligibility")}
    if left.total_seconds() <= 0:
        return FAIL(f"ACM certificate {name} expired on {not_after[:10]} and is still in use.", **evidence)
    if left <= timedelta(days=minimum):
        return FAIL(f"ACM certificate {name} expires in {days} days ({not_after[:10]}), within {minimum} days.", **evidence)
    return PASS(f"ACM certificate {name} expires in {days} days ({not_after[:10]}).", **evidence)
