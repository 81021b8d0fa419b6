"""The architecture as deployed: a graph of what the snapshot shows is wired to what, by tier.

Route 53 records → CloudFront distributions → origins (S3 buckets, load balancers) → listeners →
target groups → Auto Scaling groups, instances and Lambda functions; the internet → load
balancers and databases where security groups let it in; compute → databases where security
groups allow it. Nodes are resources (``id`` = ARN) of the spec's tiers (``tier``), plus what they
point at outside the spec (``tier`` null; ``kind`` "external" for names no resource of the snapshot
carries). An edge is ``ok`` true (as the architecture wants), false (broken: dangling, bypassing
the edge, open to the world) or null (not judged).

Also here, pure functions over results for reports: ``tier_scores`` (0–100 per tier, weighted like
opsctl.scores) and ``alarm_coverage_by_tier`` (cloudwatch.alarm_coverage findings per tier).
Everything is pure: dicts in, dicts out; the arch.* checks share the predicates below.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opsctl.architecture import Binding, Spec, Tier, bind
from opsctl.errors import MissingData
from opsctl.findings import Finding, Status
from opsctl.scores import grouped_scores

INTERNET = "internet"
WORLD = ("0.0.0.0/0", "::/0")
#: Field of a REGIONAL wafv2.web_acl: ARNs of the load balancers it protects (ListResourcesForWebACL).
WAF_LOAD_BALANCERS = "associated_load_balancer_arns"
_S3_REST = re.compile(r"^(?P<bucket>.+?)\.s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$")
_S3_WEBSITE = re.compile(r"^(?P<bucket>.+?)\.s3-website[.-][a-z0-9-]+\.amazonaws\.com(?:\.cn)?$")
_READ_ACTIONS = ("s3:getobject", "s3:get*", "s3:*", "*")
_CLOUDFRONT_SERVICE = "cloudfront.amazonaws.com"
_OAI_USER = "arn:aws:iam::cloudfront:user/cloudfront origin access identity"
_ALIASABLE = ("A", "AAAA", "CNAME")


# ----- shared predicates (also used by checks/arch.py) -------------------------------------------
def norm_dns(name: str | None) -> str:
    """Lower case, no final dot, no ``dualstack.`` prefix (Route 53 aliases to ELB carry it)."""
    value = str(name or "").strip().lower().rstrip(".")
    return value[len("dualstack."):] if value.startswith("dualstack.") else value


def s3_origin_bucket(domain: str) -> str | None:
    """The bucket an origin domain names (REST or website endpoint), or None."""
    d = norm_dns(domain)
    m = _S3_REST.match(d) or _S3_WEBSITE.match(d)
    return m.group("bucket") if m else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _grants_read(statement: dict[str, Any]) -> bool:
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    return statement.get("Effect") == "Allow" and any(a in _READ_ACTIONS for a in actions)


def _principal_is_cloudfront(principal: Any) -> bool:
    if not isinstance(principal, dict):
        return False
    services = [str(s).lower() for s in _as_list(principal.get("Service"))]
    users = [str(u).lower() for u in _as_list(principal.get("AWS"))]
    others = set(principal) - {"Service", "AWS"}
    return (not others and (services or users) and all(s == _CLOUDFRONT_SERVICE for s in services)
            and all(u.startswith(_OAI_USER) for u in users))


def cloudfront_only_read(policy: dict[str, Any] | None, acl_grants: list[dict[str, Any]] | None = None) -> tuple[bool, list[str]]:
    """Whether a bucket's policy grants object reads to CloudFront (OAC or OAI) and to nobody else.
    Returns (ok, problems); public ACL grants count as reads by someone else."""
    problems: list[str] = []
    statements = _as_list((policy or {}).get("Statement"))
    readers = [s for s in statements if isinstance(s, dict) and _grants_read(s)]
    cloudfront = [s for s in readers if _principal_is_cloudfront(s.get("Principal"))]
    others = [s for s in readers if s not in cloudfront]
    if not cloudfront:
        problems.append("its policy grants CloudFront no read access")
    for s in others:
        problems.append(f"its policy grants read to {_principal_text(s.get('Principal'))}"
                        + (f" (statement {s['Sid']})" if s.get("Sid") else ""))
    for g in acl_grants or []:
        uri = str(g.get("grantee_uri") or "")
        if uri.endswith(("/AllUsers", "/AuthenticatedUsers")) and g.get("permission") in ("READ", "FULL_CONTROL"):
            problems.append(f"its ACL grants {g.get('permission')} to {uri.rsplit('/', 1)[-1]}")
    return not problems, problems


def _principal_text(principal: Any) -> str:
    if principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))):
        return "everyone (Principal *)"
    if isinstance(principal, dict):
        return ", ".join(str(v) for vs in principal.values() for v in _as_list(vs))
    return str(principal)


def ingress_sources(group: dict[str, Any]) -> list[dict[str, Any]]:
    """Each source of each ingress rule: {kind: cidr|prefix_list|group, value, ports}."""
    out = []
    for rule in group.get("ingress") or []:
        if rule.get("protocol") == "-1" or rule.get("from_port") is None:
            ports = "all ports"
        elif rule.get("from_port") == rule.get("to_port"):
            ports = f"port {rule.get('from_port')}"
        else:
            ports = f"ports {rule.get('from_port')}-{rule.get('to_port')}"
        for cidr in list(rule.get("cidr_ipv4") or []) + list(rule.get("cidr_ipv6") or []):
            out.append({"kind": "cidr", "value": cidr, "ports": ports})
        for pl in rule.get("prefix_list_ids") or []:
            out.append({"kind": "prefix_list", "value": pl, "ports": ports})
        for sg in rule.get("source_group_ids") or []:
            out.append({"kind": "group", "value": sg, "ports": ports})
    return out


def cloudfront_restricted(groups: list[dict[str, Any]], prefix_list_ids: Iterable[str] = ()) -> tuple[bool, list[str]]:
    """Whether security groups admit only a (CloudFront origin-facing) managed prefix list.
    ``prefix_list_ids`` narrows which prefix lists count; empty: any prefix list."""
    allowed = set(prefix_list_ids)
    problems, lists = [], 0
    for group in groups:
        for src in ingress_sources(group):
            if src["kind"] == "prefix_list" and (not allowed or src["value"] in allowed):
                lists += 1
                continue
            what = "the whole internet" if src["value"] in WORLD else src["value"]
            problems.append(f"{group.get('id')} admits {what} on {src['ports']}")
    if not lists and not problems:
        problems.append("its security groups admit nothing (not even CloudFront)")
    problems = list(dict.fromkeys(problems))  # a rule with IPv4 and IPv6 ranges reads once
    return not problems, problems


def regional_waf(snapshot: Any, lb: dict[str, Any]) -> tuple[list[str], str | None]:
    """Regional WAF web ACLs associated with a load balancer: (their names, why it is unknown).

    The reason is None when every REGIONAL web ACL of the load balancer's region was listed and
    its associations read (the ACL field WAF_LOAD_BALANCERS, opsctl/collect/wafv2.py). A load
    balancer has at most one web ACL, so a match is enough even when other ACLs were not read.
    """
    try:
        acls = [a for a in snapshot.require("wafv2.web_acl", lb.get("region", "")) if a.get("scope") == "REGIONAL"]
    except MissingData as missing:
        return [], missing.reason
    protecting = sorted(a.get("name", "") for a in acls
                        if WAF_LOAD_BALANCERS not in (a.get("errors") or {}) and lb.get("arn") in (a.get(WAF_LOAD_BALANCERS) or []))
    if protecting:
        return protecting, None
    for acl in sorted(acls, key=lambda a: str(a.get("name"))):
        why = (acl.get("errors") or {}).get(WAF_LOAD_BALANCERS)
        if why or WAF_LOAD_BALANCERS not in acl:
            return [], (f"which load balancers regional web ACL {acl.get('name')} protects was not collected "
                        f"({why or 'no ' + WAF_LOAD_BALANCERS + ' field'})")
    return [], None


def open_to_world(groups: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(f"{g.get('id')} admits the internet on {s['ports']}" for g in groups for s in ingress_sources(g)
                              if s["kind"] == "cidr" and s["value"] in WORLD))


def judged_records(zone: dict[str, Any], tier: Tier) -> list[dict[str, Any]] | None:
    """The records of a zone that the dns tier's parameters ask about (A/AAAA/CNAME), or None when
    the zone is not about the tier's domain."""
    zone_name = norm_dns(zone.get("name"))
    domain = tier.params.get("domain")
    names = set(tier.params.get("records") or [])
    if domain and not (domain == zone_name or domain.endswith("." + zone_name) or zone_name.endswith("." + domain)):
        return None
    out = []
    for rec in zone.get("records") or []:
        if rec.get("type") not in _ALIASABLE:
            continue
        name = norm_dns(rec.get("name"))
        if names and name not in names:
            continue
        if not names and domain and not (name == domain or name.endswith("." + domain)):
            continue
        out.append(rec)
    return out


def record_target(rec: dict[str, Any]) -> tuple[str, str]:
    """(target DNS name or IPs, how: "alias" | "cname" | "address")."""
    if rec.get("alias_target_dns"):
        return norm_dns(rec["alias_target_dns"]), "alias"
    values = [str(v) for v in rec.get("values") or []]
    if rec.get("type") == "CNAME" and values:
        return norm_dns(values[0]), "cname"
    return ", ".join(values), "address"


def member_type(tier: Tier, resource: dict[str, Any]) -> str:
    """The resource type of a tier member (compute and relational_db tiers bind two types)."""
    if tier.kind == "compute":
        return "autoscaling.group" if "min_size" in resource else "ec2.instance"
    if tier.kind == "relational_db":
        return "rds.db_cluster" if "members" in resource else "rds.db_instance"
    return tier.types[0]


def resource_label(resource: dict[str, Any], rtype: str) -> str:
    if rtype == "cloudfront.distribution":
        aliases = resource.get("aliases") or []
        return f"{resource.get('id')}" + (f" ({aliases[0]})" if aliases else "")
    return str(resource.get("name") or resource.get("id") or resource.get("arn"))


# ----- the graph ----------------------------------------------------------------------------------
@dataclass
class Topology:
    spec: Spec
    binding: Binding
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def node(self, resource: dict[str, Any] | None, rtype: str, node_id: str | None = None, label: str | None = None) -> str:
        nid = node_id or (resource or {}).get("arn") or label or "?"
        if nid not in self.nodes:
            tiers = self.binding.tiers_of(nid) if resource else []
            self.nodes[nid] = {"id": nid, "kind": rtype if resource else "external",
                               "tier": tiers[0] if tiers else None,
                               "label": label or (resource_label(resource, rtype) if resource else nid),
                               "region": (resource or {}).get("region", "")}
        return nid

    def edge(self, source: str, target: str, kind: str, ok: bool | None, label: str = "", reason: str = "") -> None:
        key = (source, target, kind)
        kept = self.edges.get(key)
        if kept:
            if label and label not in kept["label"].split(", "):
                kept["label"] = ", ".join(filter(None, [kept["label"], label]))
            if ok is False or (kept["ok"] is None and ok is not None):
                kept["ok"], kept["reason"] = ok, reason or kept["reason"]
            return
        self.edges[key] = {"from": source, "to": target, "kind": kind, "ok": ok, "label": label, "reason": reason}

    def to_dict(self) -> dict[str, Any]:
        tiers = []
        for tier in self.spec.tiers.values():
            members = self.binding.members[tier.name]
            tiers.append({"name": tier.name, "kind": tier.kind, "description": tier.description,
                          "present": self.binding.present(tier.name), "count": len(members),
                          "members": sorted(set(members) | self.binding.attached[tier.name])})
        nodes = sorted(self.nodes.values(), key=lambda n: (n["tier"] or "~", n["kind"], n["label"], n["id"]))
        edges = sorted(self.edges.values(), key=lambda e: (e["from"], e["to"], e["kind"]))
        return {"spec": {"name": self.spec.name, "source": self.spec.source}, "tiers": tiers, "nodes": nodes,
                "edges": edges, "flows": self._flows(edges)}

    def _flows(self, edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Each flow the spec declares, judged by the edges between the two tiers' nodes:
        ok (wired, nothing broken), broken (some edge is not ok), missing (no edge, or a tier absent),
        unobservable (the snapshot cannot show it)."""
        out = []
        tier_of = {n["id"]: n["tier"] for n in self.nodes.values()}
        for flow in self.spec.flows:
            if flow.kind == "unobservable":
                status = "unobservable"
            else:
                between = [e for e in edges if tier_of.get(e["from"]) == flow.source and self._reaches(e, flow.target, tier_of)]
                if not self.binding.members[flow.source] or not self.binding.members[flow.target] or not between:
                    status = "missing"
                elif any(e["ok"] is False for e in between):
                    status = "broken"
                else:
                    status = "ok"
            out.append({"from": flow.source, "to": flow.target, "kind": flow.kind, "status": status})
        return out

    def _reaches(self, edge: dict[str, Any], tier: str, tier_of: dict[str, str | None]) -> bool:
        """The edge lands in the tier, directly or through a target group of a load balancer."""
        if tier_of.get(edge["to"]) == tier:
            return True
        if self.nodes.get(edge["to"], {}).get("kind") == "elbv2.target_group":
            return any(e["from"] == edge["to"] and tier_of.get(e["to"]) == tier for e in self.edges.values())
        return False


def _index(resources: Iterable[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {norm_dns(r.get(key)) if key.endswith("name") else str(r.get(key)): r for r in resources if r.get(key)}


def _groups(snapshot: Any, region: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    index = {(g.get("region"), g.get("id")): g for g in snapshot.of_type("ec2.security_group")}
    return [index[(region, i)] for i in sorted(ids) if (region, i) in index]


def build_topology(snapshot: Any, spec: Spec, prefix_list_ids: Iterable[str] = ()) -> Topology:
    """The graph of the snapshot, read through the spec's binding."""
    binding = bind(spec, snapshot)
    topo = Topology(spec, binding)
    for tier in spec.tiers.values():
        for resource in binding.members[tier.name].values():
            rtype = member_type(tier, resource)
            if rtype == "ec2.instance" and resource.get("asg_name"):
                continue  # drawn as its Auto Scaling group
            topo.node(resource, rtype)
    _dns_edges(topo, snapshot, spec, binding)
    _edge_edges(topo, snapshot, spec, binding, prefix_list_ids)
    _lb_edges(topo, snapshot, spec, binding, prefix_list_ids)
    _data_edges(topo, snapshot, spec, binding)
    return topo


def _targets(snapshot: Any, spec: Spec, binding: Binding) -> dict[str, tuple[dict[str, Any], str, bool]]:
    """DNS name -> (resource, type, in an edge/load_balancer tier) for distributions and load balancers."""
    out: dict[str, tuple[dict[str, Any], str, bool]] = {}
    bound = {arn for t in spec.tiers_of("edge", "load_balancer") for arn in binding.members[t.name]}
    for d in snapshot.of_type("cloudfront.distribution"):
        out[norm_dns(d.get("domain_name"))] = (d, "cloudfront.distribution", d.get("arn") in bound)
    for lb in snapshot.of_type("elbv2.load_balancer"):
        out[norm_dns(lb.get("dns_name"))] = (lb, "elbv2.load_balancer", lb.get("arn") in bound)
    return out


def _dns_edges(topo: Topology, snapshot: Any, spec: Spec, binding: Binding) -> None:
    targets = _targets(snapshot, spec, binding)
    for tier in spec.tiers_of("dns"):
        for zone in binding.members[tier.name].values():
            if zone.get("private"):
                continue
            zid = topo.node(zone, "route53.hosted_zone")
            zone_name = norm_dns(zone.get("name"))
            for rec in judged_records(zone, tier) or []:
                target, how = record_target(rec)
                name = norm_dns(rec.get("name"))
                if how == "alias" and (target == zone_name or target.endswith("." + zone_name)):
                    continue  # an alias to another record of the zone
                hit = targets.get(target)
                if hit:
                    tid = topo.node(hit[0], hit[1])
                    ok, reason = hit[2], "" if hit[2] else f"{target} is not in an edge or load balancer tier of the spec"
                else:
                    tid = topo.node(None, "external", node_id=target or name, label=target or name)
                    ok, reason = False, f"{target or 'nothing'} is not a distribution or load balancer of the snapshot"
                topo.edge(zid, tid, "dns_alias", ok, name, reason)


def _edge_edges(topo: Topology, snapshot: Any, spec: Spec, binding: Binding, prefix_list_ids: Iterable[str]) -> None:
    buckets = {b.get("name"): b for b in snapshot.of_type("s3.bucket")}
    lbs = _index(snapshot.of_type("elbv2.load_balancer"), "dns_name")
    for tier in spec.tiers_of("edge"):
        for dist in binding.members[tier.name].values():
            did = topo.node(dist, "cloudfront.distribution")
            for origin in dist.get("origins") or []:
                domain = norm_dns(origin.get("domain_name"))
                bucket_name = s3_origin_bucket(domain)
                if bucket_name is not None:
                    bucket = buckets.get(bucket_name)
                    if bucket is None:
                        tid = topo.node(None, "external", node_id=f"arn:aws:s3:::{bucket_name}", label=bucket_name)
                        topo.edge(did, tid, "origin", False, origin.get("id", ""), f"bucket {bucket_name} is not in the snapshot")
                        continue
                    ok, problems = cloudfront_only_read(bucket.get("policy"), bucket.get("acl_grants"))
                    known = "policy" in bucket and "policy" not in (bucket.get("errors") or {})
                    topo.edge(did, topo.node(bucket, "s3.bucket"), "origin", ok if known else None, origin.get("id", ""),
                              "; ".join(problems) if known else "")
                elif domain in lbs:
                    lb = lbs[domain]
                    groups = _groups(snapshot, lb.get("region"), lb.get("security_groups") or [])
                    ok, problems = cloudfront_restricted(groups, prefix_list_ids)
                    topo.edge(did, topo.node(lb, "elbv2.load_balancer"), "origin", True, origin.get("id", ""),
                              "" if ok else "the load balancer is also reachable around the edge: " + "; ".join(problems))
                else:
                    tid = topo.node(None, "external", node_id=domain, label=domain)
                    topo.edge(did, tid, "origin", None, origin.get("id", ""), "an origin outside the snapshot")
    for tier in spec.tiers_of("waf"):
        for acl in binding.members[tier.name].values():
            aid = topo.node(acl, "wafv2.web_acl")
            for dist in snapshot.of_type("cloudfront.distribution"):
                if dist.get("web_acl_id") and dist.get("web_acl_id") in (acl.get("arn"), acl.get("id")):
                    topo.edge(aid, topo.node(dist, "cloudfront.distribution"), "protects", True)
            for lb_arn in acl.get(WAF_LOAD_BALANCERS) or []:
                lb = next((x for x in snapshot.of_type("elbv2.load_balancer") if x.get("arn") == lb_arn), None)
                if lb:
                    topo.edge(aid, topo.node(lb, "elbv2.load_balancer"), "protects", True)


def _lb_edges(topo: Topology, snapshot: Any, spec: Spec, binding: Binding, prefix_list_ids: Iterable[str]) -> None:
    groups_by_tg: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for asg in snapshot.of_type("autoscaling.group"):
        for tg in asg.get("target_group_arns") or []:
            groups_by_tg[tg].append(asg)
    functions = {f.get("arn"): f for f in snapshot.of_type("lambda.function")}
    instances = {(i.get("region"), i.get("id")): i for i in snapshot.of_type("ec2.instance")}
    tgs = snapshot.of_type("elbv2.target_group")
    fronted = any(f.source in spec.tiers and spec.tiers[f.source].kind == "edge" and spec.tiers[f.target].kind == "load_balancer"
                  for f in spec.flows)
    for tier in spec.tiers_of("load_balancer"):
        for lb in binding.members[tier.name].values():
            lid = topo.node(lb, "elbv2.load_balancer")
            if lb.get("scheme") == "internet-facing":
                groups = _groups(snapshot, lb.get("region"), lb.get("security_groups") or [])
                world = open_to_world(groups)
                if world:
                    ok, reason = (False, "open to the internet around the edge: " + "; ".join(world)) if fronted else (None, "")
                    if fronted:  # judged as arch.edge_in_front_of_api: a regional WAF makes the path fine
                        protecting, unknown = regional_waf(snapshot, lb)
                        if protecting:
                            ok, reason = True, "filtered by regional WAF web ACL(s) " + ", ".join(protecting)
                        elif unknown:
                            ok, reason = None, f"{reason}; {unknown}"
                    topo.edge(topo.node(None, "external", node_id=INTERNET, label="Internet"), lid, "ingress",
                              ok, "0.0.0.0/0", reason)
            for tg in tgs:
                if lb.get("arn") not in (tg.get("load_balancer_arns") or []):
                    continue
                tid = topo.node(tg, "elbv2.target_group")
                topo.nodes[tid]["tier"] = topo.nodes[tid]["tier"] or tier.name
                topo.edge(lid, tid, "forwards", True)
                for asg in groups_by_tg.get(tg.get("arn"), []):
                    topo.edge(tid, topo.node(asg, "autoscaling.group"), "forwards", True)
                for target in tg.get("targets") or []:
                    fn = functions.get(target.get("id"))
                    inst = instances.get((tg.get("region"), target.get("id")))
                    if fn:
                        topo.edge(tid, topo.node(fn, "lambda.function"), "forwards", True)
                    elif inst and not inst.get("asg_name"):
                        topo.edge(tid, topo.node(inst, "ec2.instance"), "forwards", True)


def _data_edges(topo: Topology, snapshot: Any, spec: Spec, binding: Binding) -> None:
    compute_nodes: dict[str, set[str]] = defaultdict(set)  # security group id -> compute node ids
    templates = {(lt.get("region"), lt.get("id")): lt for lt in snapshot.of_type("ec2.launch_template")}
    for tier in spec.tiers_of("compute"):
        for arn, res in binding.members[tier.name].items():
            if "min_size" in res:  # an Auto Scaling group: its template's and instances' groups
                lt = templates.get((res.get("region"), (res.get("launch_template") or {}).get("id")))
                ids = set(((lt or {}).get("default_version_data") or {}).get("security_group_ids") or [])
                for inst in snapshot.of_type("ec2.instance"):
                    if inst.get("asg_name") == res.get("name") and inst.get("region") == res.get("region"):
                        ids |= set(inst.get("security_groups") or [])
            elif res.get("asg_name"):
                continue
            else:
                ids = set(res.get("security_groups") or [])
            for gid in ids:
                compute_nodes[gid].add(arn)
    for tier in spec.tiers_of("relational_db"):
        for db in binding.members[tier.name].values():
            if "members" in db:
                continue  # clusters: their instances carry the network settings
            did = topo.node(db, "rds.db_instance")
            groups = _groups(snapshot, db.get("region"), db.get("vpc_security_group_ids") or [])
            world = open_to_world(groups)
            if db.get("publicly_accessible") or world:
                why = "; ".join((["publicly accessible"] if db.get("publicly_accessible") else []) + world)
                topo.edge(topo.node(None, "external", node_id=INTERNET, label="Internet"), did, "ingress", False, "", why)
            for group in groups:
                for src in ingress_sources(group):
                    for cid in sorted(compute_nodes.get(src["value"], ())) if src["kind"] == "group" else ():
                        if cid in topo.nodes:
                            topo.edge(cid, did, "network", True, src["ports"])


# ----- over results -------------------------------------------------------------------------------
def _finding_tiers(f: Finding, arn_tiers: dict[str, set[str]], names: set[str]) -> set[str]:
    tiers = set(arn_tiers.get(f.resource_id, ()))
    evidence = f.evidence if isinstance(f.evidence, dict) else {}
    for key in ("tier", "tiers", "missing_tiers"):
        value = evidence.get(key)
        tiers |= {t for t in _as_list(value) if isinstance(t, str) and t in names}
    return tiers


def _arn_tiers(topology: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for tier in topology.get("tiers") or []:
        for arn in tier.get("members") or []:
            out[arn].add(tier["name"])
    return out


def tier_scores(findings: Iterable[Finding], topology: dict[str, Any]) -> dict[str, float | None]:
    """0–100 per tier of the spec: 100 × (1 − Σ weight(FAIL) / Σ weight(PASS + FAIL)) over the findings
    on the tier's resources (and arch.* findings naming the tier), weights as opsctl.scores; None when
    nothing of the tier was weighed. A resource in two tiers counts in both. A missing tier
    (``present`` false: it binds no resource, so it has no members) scores 0, whatever was weighed;
    a tier that could not be looked for (``present`` null) is scored like any other."""
    tiers = [t["name"] for t in topology.get("tiers") or []]
    missing = {t["name"] for t in topology.get("tiers") or [] if t.get("present") is False}
    names, arn_tiers = set(tiers), _arn_tiers(topology)
    scores = grouped_scores(findings, lambda f: _finding_tiers(f, arn_tiers, names), tiers)
    return {t: 0.0 if t in missing else s for t, s in scores.items()}


def alarm_coverage_by_tier(findings: Iterable[Finding], topology: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """cloudwatch.alarm_coverage per tier: {tier: {covered, uncovered, error, missing: [{resource_id,
    message}]}} — which of a tier's resources lack the alarms they need."""
    arn_tiers = _arn_tiers(topology)
    out = {t["name"]: {"covered": 0, "uncovered": 0, "error": 0, "missing": []} for t in topology.get("tiers") or []}
    for f in findings:
        if f.check_id != "cloudwatch.alarm_coverage":
            continue
        for tier in arn_tiers.get(f.resource_id, ()):
            entry = out[tier]
            if f.status is Status.PASS:
                entry["covered"] += 1
            elif f.status in (Status.FAIL, Status.WAIVED):
                entry["uncovered"] += 1
                entry["missing"].append({"resource_id": f.resource_id, "message": f.message})
            elif f.status is Status.ERROR:
                entry["error"] += 1
    return out


def in_scope(findings: Iterable[Finding], topology: dict[str, Any]) -> list[Finding]:
    """``--scope spec``: the findings about resources the spec binds, and the arch.* findings."""
    arns = set(_arn_tiers(topology))
    return [f for f in findings if f.check_id.startswith("arch.") or f.resource_id in arns]
