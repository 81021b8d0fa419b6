"""Cases for the ACM checks (checks/acm.py). Expiry dates are relative to now, when the Case
snapshots are taken."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from tests.helpers import ACCOUNT, REGION, Case

CERT = "acm.certificate"
LB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/shop-alb/50dc6c495c0c9188"


def cert(domain: str = "shop.example.com", days_left: float | None = 200, status: str = "ISSUED",
         in_use: bool = True, errors: dict[str, str] | None = None) -> dict[str, Any]:
    not_after = (datetime.now(timezone.utc) + timedelta(days=days_left)).isoformat() if days_left is not None else None
    record = {"arn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{domain}", "id": domain, "region": REGION,
              "name": domain, "domain_name": domain, "status": status, "certificate_type": "IMPORTED",
              "not_after": not_after, "in_use_by": [LB] if in_use else [], "renewal_eligibility": "INELIGIBLE",
              "key_algorithm": "EC_prime256v1", "tags": {}}
    if errors:
        record["errors"] = errors
        for field in errors:
            record.pop(field, None)
    return record


CASES = [
    Case("acm.certificate_expiry", "200 days left", {CERT: [cert()]}, ["PASS"],
         message_contains="ACM certificate shop.example.com expires in"),
    Case("acm.certificate_expiry", "10 days left", {CERT: [cert("admin.shop.example.com", 10)]}, ["FAIL"],
         message_contains="within 30 days"),
    Case("acm.certificate_expiry", "just over 30 days passes", {CERT: [cert(days_left=30.5)]}, ["PASS"]),
    Case("acm.certificate_expiry", "just under 30 days fails", {CERT: [cert(days_left=29.9)]}, ["FAIL"]),
    Case("acm.certificate_expiry", "expired but still issued and in use", {CERT: [cert(days_left=-2)]}, ["FAIL"],
         message_contains="expired on"),
    Case("acm.certificate_expiry", "custom threshold", {CERT: [cert(days_left=45)]}, ["FAIL"],
         params={"min_days_to_expiry": 60}),
    Case("acm.certificate_expiry", "not in use: no finding", {CERT: [cert(days_left=3, in_use=False)]}, []),
    Case("acm.certificate_expiry", "pending validation: no finding",
         {CERT: [cert(days_left=None, status="PENDING_VALIDATION")]}, []),
    Case("acm.certificate_expiry", "expired status: no finding", {CERT: [cert(days_left=-40, status="EXPIRED")]}, []),
    Case("acm.certificate_expiry", "details unread", {CERT: [cert(errors={"status": "acm:DescribeCertificate failed"})]},
         ["ERROR"]),
]
