"""Waivers: accepted risks, written down with a reason, an owner and an expiry date.

A waivers file (``--waivers FILE``, or the config's ``waivers:`` key with a path or an inline
list) is YAML: a list of waivers, or a mapping with one key ``waivers`` holding that list.

    waivers:
      - check: s3.bucket_versioning          # check id or glob (required)
        resource: "arn:aws:s3:::shop-tmp-*"  # glob over the finding's resource_id, the ARN (required)
        reason: scratch bucket, rebuilt every night
        owner: platform@example.com
        expires: 2026-12-31                  # YYYY-MM-DD; applies through that day (UTC)
        ticket: OPS-1234                     # optional
        account: "1111*"                     # optional: account id or glob (organisation runs)

A matching, unexpired waiver turns a FAIL into WAIVED (the finding keeps its message, plus who
waived it and until when, and ``evidence.waiver``). An expired waiver no longer applies: the
finding FAILs again and the waiver is reported ``expired``. A waiver that matches no FAIL (the
defect was fixed, or the globs are wrong) is reported ``stale``. A malformed waiver is a one-line
error naming file and line (exit 2).

Parsing reads text only; :func:`apply_waivers` is a pure function of a Result, the waivers and
"today" (injected, so tests and reruns are reproducible).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from opsctl.errors import UsageError, check_id_hint, not_utf8, read_text_file, unknown_key
from opsctl.findings import Finding, Status

REQUIRED = ("check", "resource", "reason", "owner", "expires")
OPTIONAL = ("ticket", "account")
#: status of one waiver in a run
ACTIVE, EXPIRED, STALE, NOT_EVALUATED = "active", "expired", "stale", "not_evaluated"


@dataclass(frozen=True)
class Waiver:
    check: str
    resource: str
    reason: str
    owner: str
    expires: date
    ticket: str | None = None
    #: where it was written, "file:line"
    source: str = ""
    #: account id or glob: the waiver applies only to findings of matching accounts (None: any)
    account: str | None = None

    def matches(self, f: Finding, account: str = "") -> bool:
        """``account``: the result's, for a finding that names none (a one-account result)."""
        if self.account is not None and not fnmatchcase(f.account or account, self.account):
            return False
        return fnmatchcase(f.check_id, self.check) and fnmatchcase(f.resource_id, self.resource)

    def expired(self, today: date) -> bool:
        """A waiver applies through its expiry date and stops the day after."""
        return today > self.expires

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "resource": self.resource, "reason": self.reason, "owner": self.owner,
                "expires": self.expires.isoformat(), "ticket": self.ticket, "source": self.source,
                **({"account": self.account} if self.account is not None else {})}


# ----- parsing ----------------------------------------------------------------------------------
def _err(path: str, node: yaml.Node, what: str) -> UsageError:
    return UsageError(f"{path}:{node.start_mark.line + 1}: {what}")


def _compose(text: str, path: str) -> yaml.Node | None:
    from opsctl.config import compose_yaml

    return compose_yaml(text, path)


def parse_waivers(text: str, path: str) -> list[Waiver]:
    """Parse a waivers file's text. Every mistake is a UsageError naming ``path:line``."""
    root = _compose(text, path)
    if root is None:
        return []
    if isinstance(root, yaml.MappingNode):
        keys = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        if set(keys) != {"waivers"} or len(root.value) != 1:
            raise _err(path, root, "a waivers file is a list of waivers, or a mapping with the single key 'waivers'")
        root = keys["waivers"]
        if isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null"):
            return []
    return parse_list(path, root)


def parse_list(path: str, node: yaml.Node) -> list[Waiver]:
    """Parse a YAML sequence of waiver mappings (a file's list, or the config's inline one)."""
    if not isinstance(node, yaml.SequenceNode):
        raise _err(path, node, "waivers must be a list of waivers (each with check, resource, reason, owner, expires)")
    return [_parse_one(path, item, i) for i, item in enumerate(node.value, start=1)]


def _parse_one(path: str, node: yaml.Node, index: int) -> Waiver:
    where = f"waiver #{index}"
    if not isinstance(node, yaml.MappingNode):
        raise _err(path, node, f"{where} must be a mapping with keys {', '.join(REQUIRED)} (and optionally ticket, account)")
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in REQUIRED + OPTIONAL:
            raise _err(path, key_node, f"{where}: {unknown_key(key, list(REQUIRED + OPTIONAL), 'keys')}")
        if key in values:
            raise _err(path, key_node, f"{where}: key {key!r} appears twice")
        values[key] = _expires(path, value_node, where) if key == "expires" else _text(path, value_node, where, key)
    missing = [k for k in REQUIRED if k not in values]
    if missing:
        raise _err(path, node, f"{where}: missing required {', '.join(missing)} "
                               f"(every waiver needs {', '.join(REQUIRED)})")
    return Waiver(**values, source=f"{path}:{node.start_mark.line + 1}")


def _text(path: str, node: yaml.Node, where: str, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
        raise _err(path, node, f"{where}: {key} must be a non-empty string")
    value = str(node.value).strip()
    if not value:
        raise _err(path, node, f"{where}: {key} must be a non-empty string")
    return value


def _expires(path: str, node: yaml.Node, where: str) -> date:
    raw = node.value if isinstance(node, yaml.ScalarNode) else None
    try:
        if isinstance(raw, str) and len(raw.strip()) == 10:
            return date.fromisoformat(raw.strip())
    except ValueError:
        pass
    shown = raw if raw is not None else "a list or mapping"
    raise _err(path, node, f"{where}: expires must be a date YYYY-MM-DD, got {shown!r}")


def load_waivers(path: str | Path, flag: str = "--waivers") -> list[Waiver]:
    try:
        text = read_text_file(path)
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc, flag) from None
    return parse_waivers(text, str(path))


def parse_section(path: str, node: yaml.Node) -> list[Waiver]:
    """The config's ``waivers:`` key: a path to a waivers file (relative to the config file's
    directory) or an inline list."""
    if isinstance(node, yaml.ScalarNode) and not node.tag.endswith(":null"):
        target = Path(node.value)
        if not target.is_absolute():
            target = Path(path).parent / target
        if not target.is_file():
            raise _err(path, node, f"waivers: no such file {str(target)!r} (a path is relative to the config file)")
        return load_waivers(target, f"{path}:{node.start_mark.line + 1}: waivers")
    return parse_list(path, node)


def check_known(waivers: Iterable[Waiver], check_ids: Iterable[str]) -> None:
    """A waiver whose check glob names no known check is a typo, not a stale waiver: exit 2."""
    ids = list(check_ids)
    for w in waivers:
        if not any(fnmatchcase(cid, w.check) for cid in ids):
            raise UsageError(f"{w.source}: check {w.check!r} matches no check id{check_id_hint(w.check, ids)}")


# ----- applying ---------------------------------------------------------------------------------
def waived_message(f: Finding, w: Waiver) -> str:
    ticket = f", {w.ticket}" if w.ticket else ""
    reason = w.reason.rstrip(".")
    return f"{f.message} Waived by {w.owner} until {w.expires.isoformat()}{ticket}: {reason}."


def apply_waivers(result: Any, waivers: Sequence[Waiver], today: date) -> Any:
    """A copy of `result` (an opsctl.engine.Result) with matching FAILs turned WAIVED and
    ``result.waivers`` listing every waiver with its status and the FAILs it matched.

    The first unexpired waiver (in file order) that matches a FAIL applies; every waiver that
    matches counts it. Statuses: ``active`` (unexpired, matched a FAIL) · ``expired`` (past its
    date: no longer applies; ``matched`` counts the FAILs it would have waived) · ``stale``
    (unexpired, its checks ran, and nothing it names FAILs or is ERROR: remove it) ·
    ``not_evaluated`` (none of its checks ran, or what it names could not be evaluated: ERROR)."""
    matched = [0] * len(waivers)
    errored = [0] * len(waivers)
    findings: list[Finding] = []
    for f in result.findings:
        if f.status not in (Status.FAIL, Status.ERROR):
            findings.append(f)
            continue
        applied: Waiver | None = None
        for i, w in enumerate(waivers):
            if not w.matches(f, result.account):
                continue
            if f.status is Status.ERROR:
                errored[i] += 1
                continue
            matched[i] += 1
            if applied is None and not w.expired(today):
                applied = w
        if applied is None:
            findings.append(f)
        else:
            evidence = {**f.evidence, "waiver": applied.to_dict()}
            findings.append(dataclasses.replace(f, status=Status.WAIVED, evidence=evidence,
                                                message=waived_message(f, applied)))
    findings.sort(key=Finding.sort_key)
    records = []
    for i, w in enumerate(waivers):
        ran = any(fnmatchcase(cid, w.check) for cid in result.checks_run)
        if w.expired(today):
            status = EXPIRED
        elif matched[i]:
            status = ACTIVE
        elif not ran or errored[i]:
            status = NOT_EVALUATED
        else:
            status = STALE
        records.append({**w.to_dict(), "status": status, "matched": matched[i]})
    return dataclasses.replace(result, findings=findings, waivers=records)


def describe(records: Sequence[dict[str, Any]]) -> list[str]:
    """Lines for the terminal (stderr): how the waivers applied, and what to do about the others."""
    if not records:
        return []
    counts = {s: sum(1 for r in records if r["status"] == s) for s in (ACTIVE, EXPIRED, STALE, NOT_EVALUATED)}
    waived = sum(r["matched"] for r in records if r["status"] == ACTIVE)
    head = f"waivers: {counts[ACTIVE]} active ({waived} FAIL finding(s) waived)"
    head += "".join(f", {counts[s]} {s.replace('_', ' ')}" for s in (EXPIRED, STALE, NOT_EVALUATED) if counts[s])
    lines = [head]
    for r in records:
        where = f" in account {r['account']}" if r.get("account") else ""
        label = f"{r['source']}: {r['check']} on {r['resource']}{where} (owner {r['owner']})"
        if r["status"] == EXPIRED:
            lines.append(f"  expired {r['expires']}: {label} no longer applies"
                         + (f"; {r['matched']} finding(s) FAIL again" if r["matched"] else "")
                         + ": fix them, or renew the waiver")
        elif r["status"] == STALE:
            lines.append(f"  stale: {label} matches no FAIL (fixed, or the globs are wrong): remove it")
    return lines
