"""The architecture spec: the tiers an account should have, how to find them, and how they connect.

A spec is a YAML file (docs/architecture-spec.md; the built-in one is
checks/data/architecture.yaml, the 3D e-commerce reference architecture)::

    version: 1
    name: 3D e-commerce reference architecture
    tiers:
      edge:
        kind: edge                       # dns, edge, waf, assets, load_balancer, compute,
        select:                          # functions, relational_db, nosql_db
          tags: {tier: edge}             # every tag must match (values may be globs)
      api:
        kind: load_balancer
        select:
          - names: ["shop-alb*"]         # a list of selectors: a resource matching any is bound
          - arns: ["arn:aws:elasticloadbalancing:*:*:loadbalancer/app/api/*"]
    flows:                               # the wiring the architecture intends
      - {from: edge, to: api}

Parsing is strict (an unknown key, kind, tier or parameter is a one-line error naming the file and
line: opsctl.errors.UsageError). ``bind(spec, snapshot)`` finds each tier's resources in a snapshot;
it is pure and cached per (spec, snapshot), so the arch.* checks, the topology and ``--scope spec``
share one binding.
"""

from __future__ import annotations

import contextlib
import re
import weakref
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from opsctl.errors import UsageError, not_utf8, read_text_file, unknown_key

SPEC_VERSION = 1
DEFAULT_SPEC_FILE = "architecture.yaml"  # in opsctl.checks.data

#: Tier kinds and the resource types that are the tier (nodes of the topology; a tier is present
#: when it binds at least one of them).
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "dns": ("route53.hosted_zone",),
    "edge": ("cloudfront.distribution",),
    "waf": ("wafv2.web_acl",),
    "assets": ("s3.bucket",),
    "load_balancer": ("elbv2.load_balancer",),
    "compute": ("autoscaling.group", "ec2.instance"),
    "functions": ("lambda.function",),
    "relational_db": ("rds.db_instance", "rds.db_cluster"),
    "nosql_db": ("dynamodb.table",),
}
KINDS = tuple(KIND_TYPES)

#: What is attached to a tier of each kind (its scores, ``--scope spec``, ``topology.tiers[].members``).
#: A selector binds only resources of the tier's kind (KIND_TYPES); what else belongs to a tier comes
#: through them, and for ``compute`` also from the security groups its selectors bind, in the regions
#: where it binds resources. A tier that binds nothing has nothing attached. (_attach does it.)
KIND_ATTACHED: dict[str, str] = {
    "dns": "the health checks its zones' records use",
    "edge": "nothing",
    "waf": "nothing",
    "assets": "nothing",
    "load_balancer": "their target groups, their security groups",
    "compute": "the groups' instances and launch templates, attached volumes, the security groups of these, "
               "and the security groups its selectors bind in the regions of its resources",
    "functions": "nothing",
    "relational_db": "their manual DB snapshots, their security groups",
    "nosql_db": "nothing",
}

#: Parameters a tier of each kind may carry: name -> (type, meaning).
KIND_PARAMS: dict[str, dict[str, tuple[type, str]]] = {
    "dns": {
        "domain": (str, "the domain whose records must point at the edge (e.g. shop.example.com)"),
        "records": (list, "record names that must exist, and the only ones judged (default: every A/AAAA/CNAME record "
                          "of the domain that exists, none required)"),
    },
}

#: Flows between kinds that the topology can observe in a snapshot, and how (edge kind).
OBSERVABLE_FLOWS: dict[tuple[str, str], str] = {
    ("dns", "edge"): "dns_alias",
    ("dns", "load_balancer"): "dns_alias",
    ("edge", "assets"): "origin",
    ("edge", "load_balancer"): "origin",
    ("waf", "edge"): "protects",
    ("waf", "load_balancer"): "protects",
    ("load_balancer", "compute"): "forwards",
    ("load_balancer", "functions"): "forwards",
    ("compute", "relational_db"): "network",
    ("functions", "relational_db"): "network",
}
#: Flows the architecture may declare that a snapshot cannot confirm (IAM-mediated calls).
UNOBSERVABLE_FLOWS = {("compute", "nosql_db"), ("functions", "nosql_db"), ("compute", "functions"),
                      ("functions", "assets"), ("compute", "assets")}

_REGION = re.compile(r"^(global|[a-z]{2,4}(-[a-z]+)+-\d+)$")
_TIER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SELECTOR_KEYS = ("tags", "names", "arns", "regions")


@dataclass(frozen=True)
class Selector:
    """Binds resources: all given criteria must hold (tags AND names AND arns AND regions)."""

    tags: tuple[tuple[str, str], ...] = ()
    names: tuple[str, ...] = ()
    arns: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def uses_tags(self) -> bool:
        return bool(self.tags)

    def matches(self, resource: dict[str, Any]) -> bool | None:
        """True/False, or None when it depends on tags that were not collected."""
        if self.regions and resource.get("region") not in self.regions:
            return False
        if self.arns and not any(fnmatchcase(str(resource.get("arn", "")), p) for p in self.arns):
            return False
        if self.names:
            names = [str(v) for v in (resource.get("name"), resource.get("id")) if v]
            if not any(fnmatchcase(n, p) for n in names for p in self.names):
                return False
        if self.tags:
            if "tags" in (resource.get("errors") or {}) or resource.get("tags") is None:
                return None
            tags = resource.get("tags") or {}
            if not all(k in tags and fnmatchcase(str(tags[k]), v) for k, v in self.tags):
                return False
        return True


@dataclass(frozen=True)
class Tier:
    name: str
    kind: str
    selectors: tuple[Selector, ...]
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    description: str = ""
    line: int = 0

    @property
    def types(self) -> tuple[str, ...]:
        return KIND_TYPES[self.kind]


@dataclass(frozen=True)
class Flow:
    source: str  # tier name
    target: str
    kind: str  # edge kind (OBSERVABLE_FLOWS) or "unobservable"


@dataclass(eq=False)
class Spec:
    """A parsed, validated architecture spec."""

    name: str
    tiers: dict[str, Tier]
    flows: list[Flow]
    source: str  # file the spec came from ("built-in" for the default)
    description: str = ""
    _bindings: dict[int, tuple[Any, Binding]] = field(default_factory=dict, repr=False)

    def tiers_of(self, *kinds: str) -> list[Tier]:
        return [t for t in self.tiers.values() if t.kind in kinds]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source,
                "tiers": [{"name": t.name, "kind": t.kind} for t in self.tiers.values()]}


# ----- parsing ----------------------------------------------------------------------------------
def _err(path: str, node: yaml.Node | None, what: str) -> UsageError:
    line = f":{node.start_mark.line + 1}" if node is not None else ""
    return UsageError(f"{path}{line}: {what}")


def _value(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def _mapping(path: str, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise _err(path, node, f"{what} must be a mapping")
    out, seen = [], set()
    for k, v in node.value:
        key = _value(k)
        if not isinstance(key, str):
            raise _err(path, k, f"{what}: keys must be strings, got {key!r}")
        if key in seen:
            raise _err(path, k, f"{what}: key {key!r} appears twice")
        seen.add(key)
        out.append((key, k, v))
    return out


def _str(path: str, node: yaml.Node, what: str) -> str:
    value = _value(node) if isinstance(node, yaml.ScalarNode) else None
    if not isinstance(value, str) or not value:
        raise _err(path, node, f"{what} must be a non-empty string")
    return value


def _str_list(path: str, node: yaml.Node, what: str) -> tuple[str, ...]:
    items = [node] if isinstance(node, yaml.ScalarNode) else node.value if isinstance(node, yaml.SequenceNode) else None
    if items is None:
        raise _err(path, node, f"{what} must be a list of strings")
    return tuple(_str(path, item, f"{what} entries") for item in items)


def _selector(path: str, node: yaml.Node, tier: str) -> Selector:
    fields: dict[str, Any] = {}
    for key, knode, vnode in _mapping(path, node, f"tiers.{tier}.select"):
        if key not in _SELECTOR_KEYS:
            raise _err(path, knode, f"tiers.{tier}.select: {unknown_key(key, list(_SELECTOR_KEYS), 'known')}")
        if key == "tags":
            pairs = []
            for tag, _, tnode in _mapping(path, vnode, f"tiers.{tier}.select.tags"):
                value = _value(tnode) if isinstance(tnode, yaml.ScalarNode) else None
                if value is None or isinstance(value, (list, dict)):
                    raise _err(path, tnode, f"tiers.{tier}.select.tags.{tag} must be a string (a glob: '*' for any value)")
                pairs.append((tag, str(value)))
            fields["tags"] = tuple(pairs)
        else:
            fields[key] = _str_list(path, vnode, f"tiers.{tier}.select.{key}")
            if key == "regions":
                for region in fields[key]:
                    if not _REGION.match(region):
                        raise _err(path, vnode, f"tiers.{tier}.select.regions: {region!r} is not an AWS region name "
                                                "(e.g. us-east-1, or global for S3, CloudFront and Route 53)")
    if not any(fields.get(k) for k in ("tags", "names", "arns")):
        raise _err(path, node, f"tiers.{tier}.select needs tags, names or arns (regions only narrows them)")
    return Selector(**fields)


def _params(path: str, node: yaml.Node, tier: str, kind: str) -> dict[str, Any]:
    known = KIND_PARAMS.get(kind, {})
    out: dict[str, Any] = {}
    for key, knode, vnode in _mapping(path, node, f"tiers.{tier}.params"):
        if key not in known:
            names = ", ".join(known) or "none"
            raise _err(path, knode, f"tiers.{tier}.params: unknown parameter {key!r} for kind {kind} (parameters: {names})")
        typ = known[key][0]
        if typ is list:
            value: Any = [v.lower().rstrip(".") for v in _str_list(path, vnode, f"tiers.{tier}.params.{key}")]
        else:
            value = _str(path, vnode, f"tiers.{tier}.params.{key}")
            value = value.lower().rstrip(".") if key == "domain" else value
        out[key] = value
    return out


def _tier(path: str, name: str, knode: yaml.Node, node: yaml.Node) -> Tier:
    if not _TIER_NAME.match(name):
        raise _err(path, knode, f"tier name {name!r}: use letters, digits, '-', '_' or '.', starting with a letter or digit")
    fields = dict((k, (kn, v)) for k, kn, v in _mapping(path, node, f"tiers.{name}"))
    for key, (kn, _) in fields.items():
        if key not in ("kind", "select", "params", "description"):
            raise _err(path, kn, f"tiers.{name}: {unknown_key(key, ['kind', 'select', 'params', 'description'], 'known')}")
    if "kind" not in fields:
        raise _err(path, knode, f"tiers.{name} needs a kind ({', '.join(KINDS)})")
    kind = _str(path, fields["kind"][1], f"tiers.{name}.kind")
    if kind not in KIND_TYPES:
        raise _err(path, fields["kind"][1], f"tiers.{name}.kind: {kind!r} is not one of {', '.join(KINDS)}")
    if "select" not in fields:
        raise _err(path, knode, f"tiers.{name} needs select (tags, names or arns that bind it to resources)")
    snode = fields["select"][1]
    if isinstance(snode, yaml.SequenceNode):
        if not snode.value:
            raise _err(path, snode, f"tiers.{name}.select is an empty list")
        selectors = tuple(_selector(path, s, name) for s in snode.value)
    else:
        selectors = (_selector(path, snode, name),)
    params = _params(path, fields["params"][1], name, kind) if "params" in fields else {}
    description = _str(path, fields["description"][1], f"tiers.{name}.description") if "description" in fields else ""
    return Tier(name, kind, selectors, params, description, knode.start_mark.line + 1)


def _flows(path: str, node: yaml.Node, tiers: dict[str, Tier]) -> list[Flow]:
    if not isinstance(node, yaml.SequenceNode):
        raise _err(path, node, "flows must be a list of {from: TIER, to: TIER}")
    flows: list[Flow] = []
    for item in node.value:
        ends: dict[str, str] = {}
        for key, knode, vnode in _mapping(path, item, "flows entry"):
            if key not in ("from", "to"):
                raise _err(path, knode, f"flows entry: {unknown_key(key, ['from', 'to'], 'known')}")
            ends[key] = _str(path, vnode, f"flows.{key}")
            if ends[key] not in tiers:
                raise _err(path, vnode, f"flows.{key}: no tier named {ends[key]!r} (tiers: {', '.join(tiers)})")
        if set(ends) != {"from", "to"}:
            raise _err(path, item, "flows entry needs both from and to")
        pair = (tiers[ends["from"]].kind, tiers[ends["to"]].kind)
        if pair in OBSERVABLE_FLOWS:
            kind = OBSERVABLE_FLOWS[pair]
        elif pair in UNOBSERVABLE_FLOWS:
            kind = "unobservable"
        else:
            raise _err(path, item, f"flows: a flow from a {pair[0]} tier to a {pair[1]} tier is not part of this kind of "
                                   "architecture (known flows: "
                                   + ", ".join(f"{a}->{b}" for a, b in sorted(set(OBSERVABLE_FLOWS) | UNOBSERVABLE_FLOWS)) + ")")
        flow = Flow(ends["from"], ends["to"], kind)
        if flow in flows:
            raise _err(path, item, f"flows: {flow.source} -> {flow.target} is listed twice")
        flows.append(flow)
    return flows


def parse_spec_node(node: yaml.Node | None, path: str) -> Spec:
    """Validate a composed YAML node (the file's root, or the config file's `spec:` mapping)."""
    if node is None:
        raise UsageError(f"{path}: the architecture spec is empty; it needs `tiers` (see docs/architecture-spec.md)")
    entries = {k: (kn, v) for k, kn, v in _mapping(path, node, "the architecture spec")}
    known = ("version", "name", "description", "extends", "tiers", "flows")
    for key, (kn, _) in entries.items():
        if key not in known:
            raise _err(path, kn, unknown_key(key, list(known)))
    if "version" in entries:
        version = _value(entries["version"][1])
        if version != SPEC_VERSION:
            raise _err(path, entries["version"][1], f"version {version!r} is not supported (this opsctl reads version {SPEC_VERSION})")
    base: Spec | None = None
    if "extends" in entries:
        target = _str(path, entries["extends"][1], "extends")
        if target != "default":
            raise _err(path, entries["extends"][1], f"extends: only 'default' (the built-in reference architecture) can be extended, not {target!r}")
        base = default_spec()
    tiers: dict[str, Tier] = dict(base.tiers) if base else {}
    if "tiers" in entries:
        for name, knode, vnode in _mapping(path, entries["tiers"][1], "tiers"):
            tiers[name] = _tier(path, name, knode, vnode)
    elif base is None:
        raise _err(path, node, "the architecture spec needs `tiers` (see docs/architecture-spec.md)")
    if not tiers:
        raise _err(path, entries["tiers"][1], "tiers is empty: declare at least one tier")
    flows = list(base.flows) if base else []
    if "flows" in entries:
        flows += [f for f in _flows(path, entries["flows"][1], tiers) if f not in flows]
    flows = [f for f in flows if f.source in tiers and f.target in tiers]
    name = _str(path, entries["name"][1], "name") if "name" in entries else (base.name if base else Path(path).stem)
    description = _str(path, entries["description"][1], "description") if "description" in entries else ""
    return Spec(name=name, tiers=tiers, flows=flows, source=path, description=description)


def parse_spec(text: str, path: str) -> Spec:
    from opsctl.config import compose_yaml

    return parse_spec_node(compose_yaml(text, path), path)


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; UsageError (exit 2) naming the file and line when wrong."""
    try:
        text = read_text_file(path)
    except OSError as exc:
        raise UsageError(f"--spec: cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc, "--spec") from None
    return parse_spec(text, str(path))


_DEFAULT: list[Spec] = []


def default_spec() -> Spec:
    """The built-in reference architecture (checks/data/architecture.yaml), parsed once."""
    if not _DEFAULT:
        text = resources.files("opsctl.checks.data").joinpath(DEFAULT_SPEC_FILE).read_text(encoding="utf-8")
        spec = parse_spec(text, "built-in")
        _DEFAULT.append(spec)
    return _DEFAULT[0]


def parse_section(path: str, node: yaml.Node) -> Spec:
    """The config file's `spec:` key (opsctl.config.SECTIONS): a path to a spec file (relative to the
    config file), or the spec itself inline as a mapping."""
    if isinstance(node, yaml.MappingNode):
        return parse_spec_node(node, path)
    file = _str(path, node, "spec (a path to an architecture spec file, or the spec inline)")
    target = Path(file)
    if not target.is_absolute() and Path(path).parent.is_dir():
        target = Path(path).parent / target
    if not target.is_file():
        raise _err(path, node, f"spec: no such file {file!r}")
    return load_spec(target)


def resolve_spec(spec_path: str | None, cfg: Any = None) -> Spec:
    """--spec FILE wins, then the config file's `spec`, then the built-in default."""
    if spec_path:
        return load_spec(spec_path)
    configured = getattr(cfg, "sections", {}).get("spec") if cfg is not None else None
    return configured or default_spec()


# ----- binding ----------------------------------------------------------------------------------
@dataclass
class Binding:
    """Which resources of a snapshot each tier binds.

    ``members[tier]`` are the tier's own resources (its kind's types) by ARN; ``attached[tier]``
    the ARNs that belong to it through them (KIND_ATTACHED). ``unsure[tier]`` counts resources
    whose tags were not collected, so binding could not decide; ``not_seen[tier]`` says why a tier
    that binds nothing could not be looked for (a listing failed, tags unread)."""

    members: dict[str, dict[str, dict[str, Any]]]
    attached: dict[str, set[str]]
    unsure: dict[str, int]
    security_groups: dict[str, set[str]]  # tier -> security group ids of its resources
    not_seen: dict[str, str] = field(default_factory=dict)  # tier that binds nothing -> why it could not be looked for

    def present(self, tier: str) -> bool | None:
        """True: the tier binds a resource; False: it binds none, and could have; None: not seen."""
        if self.members[tier]:
            return True
        return None if tier in self.not_seen else False

    def tiers_of(self, arn: str) -> list[str]:
        return [t for t, m in self.members.items() if arn in m] + [t for t, a in self.attached.items() if arn in a and arn not in self.members[t]]

    def all_arns(self) -> set[str]:
        out: set[str] = set()
        for tier, members in self.members.items():
            out |= set(members) | self.attached[tier]
        return out


def _bind_tier(tier: Tier, snapshot: Any) -> tuple[dict[str, dict[str, Any]], int]:
    members: dict[str, dict[str, Any]] = {}
    unsure = 0
    for rtype in tier.types:
        for resource in snapshot.of_type(rtype):
            verdicts = [s.matches(resource) for s in tier.selectors]
            if any(v is True for v in verdicts):
                members[resource["arn"]] = resource
            elif any(v is None for v in verdicts):
                unsure += 1
    return members, unsure


def _attach(tier: Tier, members: dict[str, dict[str, Any]], snapshot: Any) -> tuple[dict[str, dict[str, Any]], set[str], set[str]]:
    """What belongs to a tier through the resources it binds (KIND_ATTACHED); adds the DB instances
    of bound clusters to relational_db members.

    The one rule, for every kind: a selector binds only resources of the tier's kind
    (KIND_TYPES, done by _bind_tier); everything else of a tier is attached through those
    resources, plus, for ``compute`` only, the security groups its selectors bind in the regions
    where it binds resources. A tier that binds nothing has nothing attached (no members, score 0)."""
    attached: set[str] = set()
    groups: set[str] = set()
    if not members:
        return {}, attached, groups
    members = dict(members)
    if tier.kind == "compute":
        names = {(r.get("region"), r.get("name")) for r in members.values() if "min_size" in r}  # the groups
        templates = {(r.get("region"), (r.get("launch_template") or {}).get("id")) for r in members.values() if r.get("launch_template")}
        for inst in snapshot.of_type("ec2.instance"):
            if (inst.get("region"), inst.get("asg_name")) in names:
                attached.add(inst["arn"])
                groups |= set(inst.get("security_groups") or [])
        for inst in members.values():
            groups |= set(inst.get("security_groups") or [])
        for lt in snapshot.of_type("ec2.launch_template"):
            if (lt.get("region"), lt.get("id")) in templates:
                attached.add(lt["arn"])
                groups |= set((lt.get("default_version_data") or {}).get("security_group_ids") or [])
        ids = {i for r in members.values() for i in (r.get("instance_ids") or [])}
        ids |= {r.get("id") for r in members.values() if "min_size" not in r and r.get("id")}
        for vol in snapshot.of_type("ec2.volume"):
            if any(a.get("instance_id") in ids for a in vol.get("attachments") or []):
                attached.add(vol["arn"])
    elif tier.kind == "load_balancer":
        for tg in snapshot.of_type("elbv2.target_group"):
            if set(tg.get("load_balancer_arns") or []) & set(members):
                attached.add(tg["arn"])
        for lb in members.values():
            groups |= set(lb.get("security_groups") or [])
    elif tier.kind == "relational_db":
        clusters = {r.get("id") for r in members.values() if "members" in r}
        for db in snapshot.of_type("rds.db_instance"):
            if db.get("db_cluster_identifier") and db.get("db_cluster_identifier") in clusters:
                members.setdefault(db["arn"], db)
        ids = {(r.get("region"), r.get("id")) for r in members.values()}
        for snap in snapshot.of_type("rds.db_snapshot"):
            if (snap.get("region"), snap.get("db_instance_id")) in ids:
                attached.add(snap["arn"])
        for db in members.values():
            groups |= set(db.get("vpc_security_group_ids") or [])
    elif tier.kind == "dns":
        checks = {rec.get("health_check_id") for z in members.values() for rec in z.get("records") or []} - {None}
        for hc in snapshot.of_type("route53.health_check"):
            if hc.get("id") in checks:
                attached.add(hc["arn"])
    regions = {r.get("region") for r in members.values()}
    for group in snapshot.of_type("ec2.security_group"):
        if group.get("region") not in regions:
            continue
        if group.get("id") in groups:
            attached.add(group["arn"])
        elif tier.kind == "compute" and any(s.matches(group) is True for s in tier.selectors):
            attached.add(group["arn"])  # e.g. tagged tier=compute: a group of the tier's tasks
            groups.add(group.get("id"))
    return members, attached, groups


def _not_seen(tier: Tier, snapshot: Any, unsure: int) -> str | None:
    """Why a tier that binds nothing could not be looked for (None: it is missing for sure)."""
    reasons = [r for r in (type_collected(snapshot, t) for t in tier.types) if r]
    if reasons:
        return reasons[0]
    if unsure:
        return f"the tags of {unsure} candidate resource(s) were not collected"
    return None


def bind(spec: Spec, snapshot: Any) -> Binding:
    """The spec's tiers bound to the snapshot's resources (cached per snapshot object)."""
    cached = spec._bindings.get(id(snapshot))
    if cached and cached[0]() is snapshot:
        return cached[1]
    members: dict[str, dict[str, dict[str, Any]]] = {}
    attached: dict[str, set[str]] = {}
    unsure: dict[str, int] = {}
    groups: dict[str, set[str]] = {}
    not_seen: dict[str, str] = {}
    for tier in spec.tiers.values():
        own, unsure[tier.name] = _bind_tier(tier, snapshot)
        members[tier.name], attached[tier.name], groups[tier.name] = _attach(tier, own, snapshot)
        reason = None if own else _not_seen(tier, snapshot, unsure[tier.name])
        if reason:
            not_seen[tier.name] = reason
    binding = Binding(members, attached, unsure, groups, not_seen)
    with contextlib.suppress(TypeError):  # not weak-referenceable: do not cache
        spec._bindings[id(snapshot)] = (weakref.ref(snapshot), binding)
    return binding


def type_collected(snapshot: Any, rtype: str) -> str | None:
    """None when the type's listing succeeded everywhere it was attempted, else the reason it did not."""
    gaps = snapshot.listing_gaps(rtype)
    if gaps:
        return f"{rtype} not collected: {gaps[0].reason}"
    if not snapshot.collected.get(rtype):
        return f"{rtype} was not collected for this snapshot"
    return None
