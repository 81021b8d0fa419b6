"""Cases for the CloudTrail checks (checks/cloudtrail.py)."""

from __future__ import annotations

from typing import Any

from opsctl.snapshot import CoverageGap
from tests.helpers import ACCOUNT, REGION, Case

TRAIL = "cloudtrail.trail"
EU = "eu-west-1"
ACCOUNT_REC = {"id": ACCOUNT, "name": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "region": "global", "tags": {}}
EU_GAP = CoverageGap("cloudtrail", EU, "DescribeTrails", "AccessDeniedException", "denied", TRAIL, "")


def trail(name: str, region: str = REGION, *, multi: bool = True, logging: bool = True, validation: bool = True,
          errors: dict[str, str] | None = None) -> dict[str, Any]:
    record = {"name": name, "arn": f"arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/{name}", "region": region,
              "home_region": region, "is_multi_region": multi, "is_logging": logging, "log_file_validation": validation,
              "s3_bucket": "trail-logs", "kms_key_id": None, "include_global_events": True,
              "is_organization_trail": False, "tags": {}}
    for field in errors or {}:
        record.pop(field)
    if errors:
        record["errors"] = errors
    return record


def account_with(*trails: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"iam.account": [ACCOUNT_REC], TRAIL: list(trails)}


BOTH = (REGION, EU)

CASES = [
    Case("cloudtrail.multi_region_trail", "multi-region, logging, validated", account_with(trail("org")), ["PASS"],
         message_contains="has multi-region trail org (home us-east-1) logging with log file validation on."),
    Case("cloudtrail.multi_region_trail", "homed in the second audited region", account_with(trail("org", EU)), ["PASS"],
         regions=BOTH),
    Case("cloudtrail.multi_region_trail", "no trail at all", account_with(), ["FAIL"], regions=BOTH,
         message_contains="has no multi-region trail seen in the audited regions (eu-west-1, us-east-1)."),
    Case("cloudtrail.multi_region_trail", "single-region trails only",
         account_with(trail("a", multi=False), trail("b", EU, multi=False)), ["FAIL"], regions=BOTH,
         message_contains="no multi-region trail seen in the audited regions"),
    Case("cloudtrail.multi_region_trail", "multi-region but stopped", account_with(trail("org", logging=False)), ["FAIL"],
         message_contains="has no multi-region trail that is logging with log file validation on: org is not logging."),
    Case("cloudtrail.multi_region_trail", "multi-region without validation",
         account_with(trail("org", validation=False)), ["FAIL"], message_contains="org has log file validation off"),
    Case("cloudtrail.multi_region_trail", "one good trail is enough",
         account_with(trail("old", validation=False, logging=False), trail("org")), ["PASS"]),
    Case("cloudtrail.multi_region_trail", "a region not listed: the missing trail may be there, ERROR",
         account_with(), ["ERROR"], regions=BOTH, coverage=[EU_GAP]),
    Case("cloudtrail.multi_region_trail", "a good trail seen despite a region not listed: PASS",
         account_with(trail("org")), ["PASS"], regions=BOTH, coverage=[EU_GAP]),
    Case("cloudtrail.multi_region_trail", "status unread: ERROR",
         account_with(trail("org", errors={"is_logging": "cloudtrail:GetTrailStatus failed"})), ["ERROR"],
         message_contains="cloudtrail:GetTrailStatus failed"),
]
