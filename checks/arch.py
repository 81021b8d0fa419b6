"""Architecture conformance checks (CATALOGUE.md, "Architecture conformance"): the account against
its architecture spec (opsctl/architecture.py; default: the 3D e-commerce reference architecture,
checks/data/architecture.yaml).

The spec comes through the check context (``ctx.spec``, loaded by the audit from --spec, the config
file's ``spec`` or the built-in one). Each check judges the resources of its tier kind that the spec
binds; resources outside the spec get no finding. The wiring predicates are shared with the
topology (opsctl/topology.py), so the graph and the findings cannot disagree.
"""

from __future__ import annotations

from typing import Any

from opsctl.architecture import Spec, Tier, bind, default_spec, type_collected
from opsctl.errors import MissingData
from opsctl.registry import FAIL, PASS, CheckContext, check
from opsctl.topology import (
    WORLD,
    cloudfront_only_read,
    cloudfront_restricted,
    ingress_sources,
    judged_records,
    norm_dns,
    record_target,
    regional_waf,
    s3_origin_bucket,
)

DISTRIBUTION = "cloudfront.distribution"
SECURITY_GROUP = "ec2.security_group"


def _spec(ctx: CheckContext) -> Spec:
    return ctx.spec or default_spec()


def _tiers(ctx: CheckContext, kind: str, arn: str) -> list[Tier]:
    """The spec's tiers of `kind` that bind the resource."""
    spec = _spec(ctx)
    binding = bind(spec, ctx.snapshot)
    return [t for t in spec.tiers_of(kind) if arn in binding.members[t.name]]


def _bound(ctx: CheckContext, *kinds: str) -> dict[str, dict[str, Any]]:
    spec = _spec(ctx)
    binding = bind(spec, ctx.snapshot)
    return {arn: r for t in spec.tiers_of(*kinds) for arn, r in binding.members[t.name].items()}


def _edge_distributions(ctx: CheckContext) -> list[dict[str, Any]]:
    """Distributions of the spec's edge tiers (every distribution when the spec declares none)."""
    every = ctx.snapshot.require_global(DISTRIBUTION)
    if not _spec(ctx).tiers_of("edge"):
        return list(every)
    bound = _bound(ctx, "edge")
    return [d for d in every if d.get("arn") in bound]


def _security_groups(ctx: CheckContext, resource: dict[str, Any], ids: list[str]) -> list[dict[str, Any]]:
    listed = {g.get("id"): g for g in ctx.snapshot.require(SECURITY_GROUP, resource.get("region", ""))}
    unknown = [i for i in ids if i not in listed]
    if unknown:
        raise MissingData(f"security group(s) {', '.join(unknown)} of {resource.get('arn')} are not in the snapshot")
    return [listed[i] for i in sorted(ids)]


def _names(items: list[str]) -> str:
    return ", ".join(items)


# ----- tiers ------------------------------------------------------------------------------------
@check(id="arch.tier_present", title="Every tier of the architecture spec matches deployed resources",
       pillar="availability", severity="high", resource_type="iam.account")
def tier_present(account: dict[str, Any], ctx: CheckContext):
    """A tier the architecture counts on that is not deployed is an outage or a drift waiting to be found.

    Account-wide: one verdict over every tier of the spec. A tier whose resource types could not be
    listed (or whose candidates' tags were not read) is not declared missing: it is ERROR unless
    another tier is missing for sure.
    """
    spec = _spec(ctx)
    binding = bind(spec, ctx.snapshot)
    present: dict[str, int] = {}
    missing: list[str] = []
    unseen: list[tuple[str, str]] = []
    for tier in spec.tiers.values():
        state = binding.present(tier.name)
        if state:
            present[tier.name] = len(binding.members[tier.name])
        elif state is None:
            unseen.append((tier.name, binding.not_seen[tier.name]))
        else:
            missing.append(tier.name)
    if missing:
        kinds = [f"{t} ({spec.tiers[t].kind})" for t in missing]
        return FAIL(f"Architecture spec {spec.name!r} declares {len(missing)} tier(s) that match no deployed resource: "
                    f"{_names(kinds)}.", missing_tiers=missing, present_tiers=present, spec=spec.source,
                    not_seen={t: r for t, r in unseen})
    if unseen:
        tier, reason = unseen[0]
        raise MissingData(f"tier {tier} could not be looked for: {reason}")
    counts = ", ".join(f"{t} {n}" for t, n in present.items())
    return PASS(f"Every tier of architecture spec {spec.name!r} matches deployed resources ({counts}).",
                present_tiers=present, spec=spec.source)


# ----- assets -----------------------------------------------------------------------------------
@check(id="arch.assets_via_cdn", title="Assets bucket is served through the distribution and readable by CloudFront only",
       pillar="performance", severity="high", resource_type="s3.bucket")
def assets_via_cdn(bucket: dict[str, Any], ctx: CheckContext):
    """3D models served straight from S3 are slow far from the bucket's region, and cost more."""
    tiers = _tiers(ctx, "assets", bucket["arn"])
    if not tiers:
        return None
    name = bucket["name"]
    distributions = ctx.snapshot.require_global(DISTRIBUTION)
    in_scope = {d.get("arn") for d in _edge_distributions(ctx)}
    serving = [d for d in distributions if any(s3_origin_bucket(o.get("domain_name", "")) == name for o in d.get("origins") or [])]
    fronting = sorted(d.get("id") for d in serving if d.get("arn") in in_scope)
    acl = None if "acl_grants" in (bucket.get("errors") or {}) else bucket.get("acl_grants")
    _, problems = cloudfront_only_read(ctx.need(bucket, "policy"), acl)
    if not fronting:
        outside = sorted(d.get("id") for d in serving)
        problems.insert(0, "it is not an origin of any distribution of the edge tier"
                        + (f" (only of {_names(outside)}, outside the spec)" if outside else ""))
    if problems:
        return FAIL(f"Assets bucket {name} is not served through the CDN only: {'; '.join(problems)}.",
                    tier=tiers[0].name, distributions=fronting, problems=problems)
    return PASS(f"Assets bucket {name} is an origin of distribution(s) {_names(fronting)} and grants read to CloudFront only.",
                tier=tiers[0].name, distributions=fronting)


# ----- the API behind the edge --------------------------------------------------------------------
@check(id="arch.edge_in_front_of_api", title="The API load balancer is reachable only through the edge or WAF",
       pillar="security", severity="high", resource_type="elbv2.load_balancer", params={"cloudfront_prefix_list_ids": []})
def edge_in_front_of_api(lb: dict[str, Any], ctx: CheckContext):
    """An API reachable around CloudFront skips the WAF, the shield against floods and the TLS policy of the edge.

    PASS when the load balancer is an origin of a distribution of the edge tier and its security
    groups admit only a managed prefix list (CloudFront's origin-facing list; narrow it with
    ``cloudfront_prefix_list_ids``), or when a regional WAF web ACL is associated with it. FAIL
    otherwise; ERROR when that could be decided only by regional web ACLs whose associations were
    not read (ListResourcesForWebACL failed, or the region's web ACLs were not listed).
    Internal load balancers are not reachable from the internet: no finding.
    """
    tiers = _tiers(ctx, "load_balancer", lb["arn"])
    if not tiers or lb.get("scheme") == "internal":
        return None
    name = lb["name"]
    dns = norm_dns(lb.get("dns_name"))
    origin_of = sorted(d.get("id") for d in _edge_distributions(ctx)
                       if any(norm_dns(o.get("domain_name")) == dns for o in d.get("origins") or []))
    groups = _security_groups(ctx, lb, ctx.need(lb, "security_groups") or [])
    restricted, problems = cloudfront_restricted(groups, ctx.params.get("cloudfront_prefix_list_ids") or [])
    if origin_of and restricted:
        return PASS(f"Load balancer {name} is an origin of distribution(s) {_names(origin_of)} and admits only the CloudFront "
                    "prefix list.", tier=tiers[0].name, distributions=origin_of)
    protecting, waf_unknown = regional_waf(ctx.snapshot, lb)
    if protecting:
        return PASS(f"Load balancer {name} is protected by regional WAF web ACL(s) {_names(protecting)}.",
                    tier=tiers[0].name, web_acls=protecting)
    if waf_unknown:
        raise MissingData(f"{waf_unknown}, so a regional WAF on {name} cannot be ruled out")
    reasons = ([] if origin_of else ["it is not an origin of any distribution of the edge tier"]) + ([] if restricted else problems)
    return FAIL(f"Internet-facing load balancer {name} can be reached around the edge and has no regional WAF web ACL: "
                f"{'; '.join(reasons)}.", tier=tiers[0].name, distributions=origin_of, problems=reasons)


# ----- DNS ----------------------------------------------------------------------------------------
def _dns_targets(ctx: CheckContext) -> tuple[dict[str, str], list[MissingData]]:
    """DNS name -> what it is, for the spec's distributions and load balancers; unread listings."""
    targets: dict[str, str] = {}
    unread: list[MissingData] = []
    try:
        for d in _edge_distributions(ctx):
            targets[norm_dns(d.get("domain_name"))] = f"distribution {d.get('id')}"
    except MissingData as missing:
        unread.append(missing)
    bound = _bound(ctx, "load_balancer")
    for region in sorted(ctx.snapshot.regions):
        try:
            for lb in ctx.snapshot.require("elbv2.load_balancer", region):
                if lb.get("arn") in bound:
                    targets[norm_dns(lb.get("dns_name"))] = f"load balancer {lb.get('name')}"
        except MissingData as missing:
            unread.append(missing)
    return targets, unread


def _owner(record: str, zones: list[str]) -> str | None:
    """The zone a record name lives in: the longest zone name it equals or ends in."""
    owners = [z for z in zones if record == z or record.endswith("." + z)]
    return max(owners, key=len) if owners else None


def _records_elsewhere(ctx: CheckContext, tier: Tier, zone: dict[str, Any], domain: str) -> bool:
    """Whether another public zone of the tier has records of the domain (a sub-zone or a parent
    zone); MissingData when that cannot be told (such a zone's records were not read)."""
    unread = None
    for other in bind(_spec(ctx), ctx.snapshot).members[tier.name].values():
        oname = norm_dns(other.get("name"))
        if other.get("arn") == zone.get("arn") or other.get("private") or not (
                domain == oname or domain.endswith("." + oname) or oname.endswith("." + domain)):
            continue
        if other.get("records") is None or "records" in (other.get("errors") or {}):
            unread = unread or MissingData(f"the records of hosted zone {norm_dns(other.get('name'))} were not collected")
        elif judged_records(other, tier):
            return True
    if unread:
        raise unread
    return False


@check(id="arch.dns_to_edge", title="The domain's records point at the spec's distribution or load balancer",
       pillar="availability", severity="medium", resource_type="route53.hosted_zone")
def dns_to_edge(zone: dict[str, Any], ctx: CheckContext):
    """A record pointing anywhere else sends shoppers to a dead or unprotected endpoint.

    Judges the public zones of the spec's dns tiers: the records of the tier's ``domain`` in the
    zone (or the names in ``records``; by default every A, AAAA and CNAME record of the zone) must
    be aliases (or CNAMEs) to a distribution of the edge tier or a load balancer of the load
    balancer tier. The records that exist are judged; no name is required to exist, the domain's
    apex included, except the names listed in ``records`` (each judged by the zone it lives in). A
    domain with no record at all in the tier's zones fails; a zone of the domain with no record of
    its own gets no finding when the domain's other zones (parent or sub-zones) have records.
    """
    tiers = _tiers(ctx, "dns", zone["arn"])
    if not tiers or zone.get("private"):
        return None
    tier = tiers[0]
    ctx.need(zone, "records")
    judged = judged_records(zone, tier)
    if judged is None:
        return None
    name = norm_dns(zone.get("name"))
    domain = tier.params.get("domain")
    required = tier.params.get("records") or []
    zones = [norm_dns(z.get("name")) for z in bind(_spec(ctx), ctx.snapshot).members[tier.name].values() if not z.get("private")]
    existing = {norm_dns(r.get("name")) for r in judged}
    # a listed name is judged by the zone it lives in (by every zone, when no zone of the tier holds it)
    missing = [r for r in required if _owner(r, zones) in (name, None) and r not in existing]
    bad = [f"{r} has no A, AAAA or CNAME record (it is listed in records)" for r in missing]
    if not judged and not bad:
        if required:
            return None  # no listed name lives in this zone: nothing here is asked about
        if domain and _records_elsewhere(ctx, tier, zone, domain):
            return None  # the domain's records live in its other zones, judged there
        where = f"{domain} has no A, AAAA or CNAME record in the dns tier's zones" if domain else "it has no A, AAAA or CNAME record"
        return FAIL(f"Hosted zone {name} has no record pointing at a distribution or load balancer of the spec: {where}.",
                    tier=tier.name)
    targets, unread = _dns_targets(ctx)
    good = []
    for rec in judged:
        target, how = record_target(rec)
        rname = norm_dns(rec.get("name")) + (f" ({rec['set_identifier']})" if rec.get("set_identifier") else "")
        if how == "alias" and (target == name or target.endswith("." + name)):
            continue  # an alias to another record of the zone, judged itself
        if target in targets:
            good.append(f"{rname} → {targets[target]}")
        elif how == "address":
            bad.append(f"{rname} is an address record ({target or 'no value'}), not an alias")
        else:
            bad.append(f"{rname} points to {target}, which is no distribution or load balancer of the spec")
    if bad:
        if unread and len(bad) > len(missing):
            if not missing:
                raise unread[0]  # the target may be a load balancer in a listing that failed
            bad, good = bad[:len(missing)], []  # only what is certain: the required names that do not exist
        if not missing:
            what = "has records that do not point at the edge"
        elif len(bad) == len(missing):
            what = "lacks records the spec lists"
        else:
            what = "lacks records the spec lists, and has records that do not point at the edge"
        return FAIL(f"Hosted zone {name} {what}: {'; '.join(bad)}.", tier=tier.name, bad_records=bad, good_records=good,
                    **({"missing_records": missing} if missing else {}))
    if not good:
        return FAIL(f"Hosted zone {name} has no record pointing at a distribution or load balancer of the spec.", tier=tier.name)
    return PASS(f"Hosted zone {name} points {len(good)} record(s) at the spec's edge: {'; '.join(good)}.",
                tier=tier.name, good_records=good)


# ----- compute ------------------------------------------------------------------------------------
@check(id="arch.compute_behind_lb", title="Auto Scaling groups of the compute tier sit behind the load balancer tier",
       pillar="availability", severity="high", resource_type="autoscaling.group")
def compute_behind_lb(group: dict[str, Any], ctx: CheckContext):
    """A group no load balancer sends traffic to either serves nothing or is reached around the health checks."""
    tiers = _tiers(ctx, "compute", group["arn"])
    if not tiers:
        return None
    name = group["name"]
    attached = list(ctx.need(group, "target_group_arns") or [])
    if not attached:
        return FAIL(f"Auto Scaling group {name} is attached to no target group, so no load balancer of the spec sends it traffic.",
                    tier=tiers[0].name)
    lbs = _bound(ctx, "load_balancer")
    tgs = {t.get("arn"): t for t in ctx.snapshot.require("elbv2.target_group", group.get("region", ""))}
    behind, elsewhere = [], []
    for arn in sorted(attached):
        tg = tgs.get(arn)
        routing = sorted(lbs[a].get("name") for a in (tg or {}).get("load_balancer_arns") or [] if a in lbs)
        tg_name = (tg or {}).get("name") or arn.rsplit("/", 2)[-2] if "/" in arn else arn
        (behind if routing else elsewhere).append(f"{tg_name} ({_names(routing)})" if routing else tg_name)
    if behind:
        return PASS(f"Auto Scaling group {name} is behind the load balancer tier through target group(s) {_names(behind)}.",
                    tier=tiers[0].name, target_groups=behind)
    return FAIL(f"Auto Scaling group {name} is attached only to target group(s) {_names(elsewhere)}, which no load balancer "
                "of the spec forwards to.", tier=tiers[0].name, target_groups=elsewhere)


# ----- data ---------------------------------------------------------------------------------------
@check(id="arch.data_tier_private", title="Databases of the data tier admit traffic only from the compute tier",
       pillar="security", severity="high", resource_type="rds.db_instance")
def data_tier_private(db: dict[str, Any], ctx: CheckContext):
    """Orders and customer records reachable from anywhere but the API are one leaked password from a breach.

    PASS when the instance is not publicly accessible and every ingress rule of its security groups
    names a security group of the compute tier (those of its instances, launch templates, and any
    the tier's selectors bind where it binds resources: opsctl.architecture.KIND_ATTACHED). CIDR
    ranges and prefix lists fail, private ones included.
    """
    tiers = _tiers(ctx, "relational_db", db["arn"])
    if not tiers:
        return None
    ident = db.get("id")
    public = ctx.need(db, "publicly_accessible")
    try:
        groups = _security_groups(ctx, db, ctx.need(db, "vpc_security_group_ids") or [])
    except MissingData:
        if public:  # public is enough to fail, whatever its security groups say
            return FAIL(f"RDS DB instance {ident} is not private to the compute tier: it is publicly accessible.",
                        tier=tiers[0].name, problems=["it is publicly accessible"])
        raise
    spec = _spec(ctx)
    binding = bind(spec, ctx.snapshot)
    compute = set().union(*(binding.security_groups[t.name] for t in spec.tiers_of("compute"))) if spec.tiers_of("compute") else set()
    problems: list[str] = ["it is publicly accessible"] if public else []
    foreign_groups = 0  # rules naming a security group not (known to be) of the compute tier
    for group in groups:
        for src in ingress_sources(group):
            if src["kind"] == "group" and src["value"] in compute:
                continue
            if src["kind"] == "group":
                foreign_groups += 1
                problems.append(f"{group.get('id')} admits security group {src['value']}, not of the compute tier, on {src['ports']}")
            elif src["kind"] == "prefix_list":
                problems.append(f"{group.get('id')} admits prefix list {src['value']} on {src['ports']}")
            else:
                what = "the whole internet" if src["value"] in WORLD else src["value"]
                problems.append(f"{group.get('id')} admits {what} on {src['ports']}")
    problems = list(dict.fromkeys(problems))
    if problems:
        if foreign_groups and not public and all("not of the compute tier" in p for p in problems):
            gaps = [r for r in (type_collected(ctx.snapshot, t) for t in ("ec2.instance", "ec2.launch_template")) if r]
            if gaps:
                raise MissingData(f"the compute tier's security groups are not all known: {gaps[0]}")
        return FAIL(f"RDS DB instance {ident} is not private to the compute tier: {'; '.join(problems)}.",
                    tier=tiers[0].name, problems=problems)
    return PASS(f"RDS DB instance {ident} is not public and admits traffic only from the compute tier's security groups"
                f" ({_names(sorted(g.get('id') for g in groups)) or 'none'}).", tier=tiers[0].name)
