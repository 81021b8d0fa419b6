"""AWS Organizations: which accounts an organisation audit covers, and which shard audits each.

* :func:`discover` lists the organisation through Organizations (every call paginated):
  DescribeOrganization, ListAccounts, and a walk of the OU tree (ListRoots,
  ListOrganizationalUnitsForParent, ListAccountsForParent) that gives each account its OU path.
  It needs the management account's or a delegated administrator's credentials.
* :func:`select_accounts` applies ``--accounts`` (ids or name globs), ``--ou`` (OU ids: the whole
  subtree) and ``--exclude-accounts``, and keeps only accounts whose ``State`` is ``ACTIVE``
  (``Status`` is deprecated; it is read only when an endpoint sends no ``State``).
* :func:`shard_of` puts an account in shard 1..N by a hash of its id — never by list position, so
  an account joining or leaving the organisation moves no other account to another shard.

Pure apart from :func:`discover`, which takes the Organizations client it calls.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from opsctl.errors import UsageError

DEFAULT_ROLE = "OrganizationAccountAccessRole"
ROLE_SESSION_NAME = "opsctl-audit"
#: GitHub Actions refuses a matrix of more jobs than this
GITHUB_MATRIX_LIMIT = 256
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Account:
    id: str
    name: str = ""
    email: str = ""
    state: str = "ACTIVE"
    #: "Root/Workloads/Production"
    ou_path: str = ""
    #: ids of the root and every OU above the account, top down (r-…, ou-…)
    parents: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["parents"] = list(self.parents)
        return d


@dataclass
class Organization:
    id: str | None
    management_account: str | None
    #: every account listed, whatever its state
    accounts: list[Account] = field(default_factory=list)


@dataclass(frozen=True)
class Shard:
    index: int  # 1..count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, account_id: str) -> bool:
        return shard_of(account_id, self.count) == self.index


# ----- discovery ---------------------------------------------------------------------------------
class OrgAccessError(UsageError):
    """Organizations could not be read: what to run the audit with instead."""


_NEEDS = ("run it with the management account's or a delegated administrator's credentials "
          "(organizations:DescribeOrganization, ListAccounts, ListRoots, ListOrganizationalUnitsForParent, "
          "ListAccountsForParent), or name the accounts with --accounts ID... and leave out --org")


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []))
    return items


def discover(client: Any, flag: str = "--org") -> Organization:
    """The organisation as its Organizations API lists it. An error is one line naming what to do."""
    import botocore.exceptions

    try:
        org = client.describe_organization()["Organization"]
        listed = _pages(client, "list_accounts", "Accounts")
        paths = _ou_paths(client)
    except botocore.exceptions.ClientError as exc:
        err = exc.response.get("Error", {})
        code = err.get("Code", "")
        if code == "AWSOrganizationsNotInUseException":
            raise OrgAccessError(f"{flag}: the caller's account is not in an AWS Organization; audit it without "
                                 "--org, or name accounts with --accounts ID...") from None
        raise OrgAccessError(f"{flag}: cannot read the organisation ({code}: {err.get('Message', '')}); {_NEEDS}") from None
    except (botocore.exceptions.BotoCoreError, KeyError) as exc:
        raise OrgAccessError(f"{flag}: cannot read the organisation ({type(exc).__name__}: {exc}); {_NEEDS}") from None
    accounts = []
    for a in listed:
        path, parents = paths.get(a["Id"], ("", ()))
        accounts.append(Account(id=a["Id"], name=a.get("Name", ""), email=a.get("Email", ""),
                                state=str(a.get("State") or a.get("Status") or "ACTIVE").upper(),
                                ou_path=path, parents=parents))
    accounts.sort(key=lambda a: a.id)
    return Organization(org.get("Id"), org.get("MasterAccountId"), accounts)


def _ou_paths(client: Any) -> dict[str, tuple[str, tuple[str, ...]]]:
    """account id -> (OU path, parent ids) from a walk of the OU tree, one listing per OU."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    stack: list[tuple[str, str, tuple[str, ...]]] = [
        (root["Id"], root.get("Name") or "Root", (root["Id"],)) for root in _pages(client, "list_roots", "Roots")]
    while stack:
        parent, path, ids = stack.pop()
        for acct in _pages(client, "list_accounts_for_parent", "Accounts", ParentId=parent):
            out[acct["Id"]] = (path, ids)
        for ou in _pages(client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent):
            stack.append((ou["Id"], f"{path}/{ou.get('Name') or ou['Id']}", (*ids, ou["Id"])))
    return out


def given_accounts(ids: Sequence[str], flag: str = "--accounts") -> list[Account]:
    """``--accounts`` without ``--org``: the ids as given (names need Organizations, so no globs)."""
    out = []
    for value in _split(ids):
        if not _ACCOUNT_ID.match(value):
            raise UsageError(f"{flag}: {value!r} is not a 12-digit account id; name globs need --org "
                             "(the names come from Organizations)")
        out.append(Account(id=value))
    return sorted({a.id: a for a in out}.values(), key=lambda a: a.id)


def _split(values: Iterable[str]) -> list[str]:
    """Repeated flags and comma lists alike: ``--accounts a,b --accounts c``."""
    return [v.strip() for value in values for v in str(value).split(",") if v.strip()]


# ----- selection ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """What an organisation audit covers: the accounts in scope, and the ones left out and why."""

    accounts: list[Account]
    skipped: list[dict[str, str]]


def _matches(account: Account, pattern: str) -> bool:
    return pattern == account.id or fnmatchcase(account.id, pattern) or (
        bool(account.name) and fnmatchcase(account.name, pattern))


def select_accounts(listed: Sequence[Account], accounts: Sequence[str] = (), ous: Sequence[str] = (),
                    exclude: Sequence[str] = (), where: str = "--accounts") -> Scope:
    """The ACTIVE accounts that ``accounts`` (ids or name globs; none: all), ``ous`` (OU or root ids:
    the whole subtree) and not ``exclude`` select. A pattern or OU that selects nothing is a typo:
    UsageError naming it."""
    wanted, in_ous, excluded = _split(accounts), _split(ous), _split(exclude)
    for pattern in wanted:
        if not any(_matches(a, pattern) for a in listed):
            raise UsageError(f"{where}: {pattern!r} matches no account of the organisation; "
                             "`opsctl org accounts` lists them")
    known_parents = {p for a in listed for p in a.parents}
    for ou in in_ous:
        if ou not in known_parents:
            raise UsageError(f"--ou: {ou!r} is not an OU (or root) id of the organisation with accounts under it; "
                             "`opsctl org accounts` shows each account's OU path")
    chosen, skipped = [], []
    for a in listed:
        if wanted and not any(_matches(a, p) for p in wanted):
            continue
        if in_ous and not set(in_ous) & set(a.parents):
            continue
        if any(_matches(a, p) for p in excluded):
            skipped.append({"id": a.id, "name": a.name, "why": "excluded (--exclude-accounts)"})
            continue
        if a.state != "ACTIVE":
            skipped.append({"id": a.id, "name": a.name, "why": f"state {a.state}: only ACTIVE accounts are audited"})
            continue
        chosen.append(a)
    return Scope(chosen, skipped)


# ----- shards ------------------------------------------------------------------------------------
def shard_of(account_id: str, count: int) -> int:
    """The shard (1..count) that audits an account: a hash of its id, stable as accounts come and go."""
    digest = hashlib.sha256(account_id.encode("ascii", "replace")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str, flag: str = "--shard") -> Shard:
    """``I/N`` with 1 <= I <= N; ``0/N`` means ``N/N``, so a 0-based array index (AWS Batch's
    AWS_BATCH_JOB_ARRAY_INDEX, Kubernetes' JOB_COMPLETION_INDEX) works unchanged."""
    m = _SHARD.match(str(text))
    if not m:
        raise UsageError(f"{flag}: {text!r} is not I/N (e.g. 1/3, or \"$AWS_BATCH_JOB_ARRAY_INDEX/3\")")
    index, count = int(m.group(1)), int(m.group(2))
    if count < 1:
        raise UsageError(f"{flag}: {text!r}: N must be at least 1")
    if index > count:
        raise UsageError(f"{flag}: {text!r}: I must be between 1 and N ({count}), or 0 for a 0-based index")
    return Shard(index or count, count)


def plan_shards(accounts: Sequence[Account], count: int) -> dict[int, list[Account]]:
    """shard index -> its accounts."""
    out: dict[int, list[Account]] = {i: [] for i in range(1, count + 1)}
    for a in accounts:
        out[shard_of(a.id, count)].append(a)
    return out


def github_matrix(count: int) -> dict[str, Any]:
    if count > GITHUB_MATRIX_LIMIT:
        raise UsageError(f"--shards {count}: GitHub Actions runs at most {GITHUB_MATRIX_LIMIT} jobs per matrix; "
                         "use fewer shards (each shard audits its accounts concurrently: raise --account-workers)")
    return {"include": [{"shard": f"{i}/{count}"} for i in range(1, count + 1)]}


# ----- the config file's `org:` section ------------------------------------------------------------
SECTION_KEYS = ("accounts", "ous", "exclude_accounts", "role", "external_id", "role_session_name",
                "account_workers", "rate_limit")


def parse_section(path: str, node: Any) -> dict[str, Any]:
    """``org:`` in opsctl.yaml: the same keys as the flags (``--accounts`` → ``accounts`` …); flags win.

        org:
          accounts: ["shop-*", "111111111111"]
          ous: [ou-ab12-prod0001]
          exclude_accounts: [222222222222]
          role: OpsctlAuditRole
          external_id: opsctl
          account_workers: 8
          rate_limit: 25        # calls per second per (account, region, service); 0: no limit
    """
    from opsctl.config import err, mapping_entries, scalar, str_list

    out: dict[str, Any] = {}
    for key, _key_node, value in mapping_entries(path, node, "org", SECTION_KEYS):
        if key in ("accounts", "ous", "exclude_accounts"):
            out[key] = tuple(str_list(path, value, f"org.{key}"))
        elif key == "account_workers":
            n = scalar(path, value, "org.account_workers")
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 64:
                raise err(path, value, f"org.account_workers must be a whole number 1-64, got {n!r}")
            out[key] = n
        elif key == "rate_limit":
            n = scalar(path, value, "org.rate_limit")
            if not isinstance(n, (int, float)) or isinstance(n, bool) or not 0 <= n <= 10_000 or n != n:
                raise err(path, value, f"org.rate_limit must be calls per second, 0-10000 (0: no limit), got {n!r}")
            out[key] = float(n)
        else:
            text = scalar(path, value, f"org.{key}")
            if not isinstance(text, str) or not text.strip():
                raise err(path, value, f"org.{key} must be a non-empty string")
            out[key] = text.strip()
    return out
