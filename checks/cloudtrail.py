"""CloudTrail checks (CATALOGUE.md, "Monitoring, logging, audit trail")."""

from __future__ import annotations

from typing import Any

from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, check

TRAIL = "cloudtrail.trail"


def trail_problems(trail: dict[str, Any], ctx: CheckContext) -> list[str]:
    """What keeps a multi-region trail from counting ([] when it counts)."""
    problems = []
    if not ctx.need(trail, "is_logging"):
        problems.append("is not logging")
    if not ctx.need(trail, "log_file_validation"):
        problems.append("has log file validation off")
    return problems


@check(id="cloudtrail.multi_region_trail", title="A multi-region CloudTrail trail is logging with log file validation",
       pillar="security", severity="high", resource_type="iam.account")
def multi_region_trail(account: dict[str, Any], ctx: CheckContext):
    """Without a trail in every region, who changed what (and when) in the shop's account is unknowable.

    Account-wide: reads cloudtrail.trail in every audited region. A trail is recorded only in its
    home region, so a multi-region trail homed in a region not audited is not seen; the FAIL
    message names the regions that were.
    """
    regions = sorted(ctx.snapshot.regions)
    subject = f"AWS account {account['id']}"
    candidates: list[dict[str, Any]] = []
    unread: list[MissingData] = []
    for region in regions:
        try:
            candidates += [t for t in ctx.snapshot.require(TRAIL, region) if t.get("is_multi_region")]
        except MissingData as missing:
            unread.append(missing)
    flawed = []
    for trail in sorted(candidates, key=lambda t: str(t.get("arn"))):
        try:
            problems = trail_problems(trail, ctx)
        except MissingData as missing:
            unread.append(missing)
            continue
        if not problems:
            return PASS(f"{subject} has multi-region trail {trail['name']} (home {trail['region']}) logging with "
                        "log file validation on.", trail=trail["arn"])
        flawed.append(f"{trail['name']} {' and '.join(problems)}")
    if unread:
        raise unread[0]  # the trail that would pass may be the one not seen
    if flawed:
        return FAIL(f"{subject} has no multi-region trail that is logging with log file validation on: "
                    f"{'; '.join(flawed)}.", trails=flawed, audited_regions=regions)
    return FAIL(f"{subject} has no multi-region trail seen in the audited regions ({', '.join(regions)}).",
                audited_regions=regions,
                note="a multi-region trail is recorded in its home region only; audit that region to see it")
