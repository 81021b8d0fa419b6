"""`opsctl org accounts` and `opsctl org plan`: what an organisation audit covers, and its shards."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from opsctl.cli import aws_options, config_option, is_terminal, org_options
from opsctl.commands.options import format_option, option_help
from opsctl.errors import UsageError

ORG_EXIT_CODES = """\b
Exit codes:
  0  listed
  2  usage or configuration error (bad flag, no Organizations access, a filter that matches nothing)
  4  internal error (a bug: please report it)"""


@click.group()
def org() -> None:
    """List an organisation's accounts; split them into shards.

    The accounts an organisation audit covers, and shards of them for many machines.

    \b
    One machine (tens of accounts):
      opsctl audit --org --region us-east-1 --format json -o org.json
    \b
    Many machines (a GitHub Actions matrix, AWS Batch array, Kubernetes Indexed Job):
      opsctl org plan --shards 8 --format github-matrix
      opsctl audit --org --shard 3/8 --format json -o shard-3.json   # on each machine
      opsctl report merge shard-*.json -o org.json --report-dir org-report
    """


def _scope(org_opts: Any, aws_opts: Any, config_path: str | None) -> tuple[Any, Any]:
    from opsctl.audit import resolve_regions
    from opsctl.aws import Aws
    from opsctl.config import load_config
    from opsctl.org_audit import resolve_scope
    from opsctl.registry import load_builtin_checks

    cfg = load_config(config_path, load_builtin_checks())
    cfg_org = cfg.sections.get("org") or {}
    if not (org_opts.active or cfg_org.get("accounts")):
        raise UsageError("name the organisation: --org (list it through Organizations) or --accounts ID...")
    aws = Aws(profile=aws_opts.profile, role_arn=aws_opts.role_arn,
              external_id=aws_opts.external_id if aws_opts.role_arn else None)
    aws.identity()
    home = (resolve_regions(aws, aws_opts, cfg) if not aws_opts.all_regions else [aws.default_region()])[0]
    return resolve_scope(aws, org_opts, cfg_org, home), cfg


def _org_flags(fn: Any) -> Any:
    """The audit's organisation flags; of the account flags only those that reach the organisation
    (one region is enough: Organizations is global)."""
    return option_help(org_flag="Every ACTIVE account of the AWS Organization, as `audit --org` covers them "
                                "(management or delegated-administrator credentials; config `org:`).",
                       regions="Region for the Organizations calls (the first counts). Default: config "
                               "`regions`, else your default region.",
                       all_regions=None, workers=None)(org_options(aws_options(config_option(fn))))


@org.command("accounts", epilog=ORG_EXIT_CODES)
@_org_flags
@format_option()
def accounts_command(org_opts, aws_opts, config_path, fmt) -> None:
    """List the accounts an organisation audit would cover, with each one's OU path and shard.

    Takes the audit's own selection flags (--accounts, --ou, --exclude-accounts, --shard), so what
    it prints is what `opsctl audit --org` with the same flags audits. Accounts that are not ACTIVE
    (suspended, closing) or excluded are listed as skipped, with why.

    \b
    Examples:
      opsctl org accounts --org
      opsctl org accounts --org --ou ou-ab12-workload1 --format json | jq -r '.accounts[].id'
      opsctl org accounts --org --shard 2/3
    """
    where, _ = _scope(org_opts, aws_opts, config_path)
    from opsctl.org import shard_of

    count = org_opts.shard.count if org_opts.shard else None
    rows = [{**a.to_dict(), **({"shard": f"{shard_of(a.id, count)}/{count}"} if count else {})} for a in where.accounts]
    if fmt == "json":
        click.echo(json.dumps({"organization": {k: v for k, v in where.organization.items() if k != "skipped"},
                               "accounts": rows, "skipped": where.organization["skipped"]}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    from opsctl.escape import inert

    org_id = where.organization.get("id") or "accounts given with --accounts"
    table = Table(title=f"{len(rows)} account(s) of {org_id}", title_justify="left")
    for col in ("Account", "Name", "OU path", "State") + (("Shard",) if count else ()):
        table.add_column(col, overflow="fold", no_wrap=col == "Account")
    for r in rows:
        table.add_row(r["id"], inert(r["name"]), inert(r["ou_path"]), r["state"], *((r["shard"],) if count else ()))
    console = Console(width=None if is_terminal(sys.stdout) else 120, highlight=False)
    console.print(table)
    for s in where.organization["skipped"]:
        console.print(f"skipped {s['id']} {inert(s['name'])}: {s['why']}", markup=False)


@org.command("plan", epilog=ORG_EXIT_CODES)
@_org_flags
@click.option("--shards", type=click.IntRange(1, 100_000), required=True, metavar="N", help="How many shards.")
@format_option(("table", "json", "github-matrix"),
               help="table for people, json for tools; github-matrix: one line of JSON for "
                    "`strategy.matrix: ${{ fromJSON(...) }}`.")
def plan_command(org_opts, aws_opts, config_path, shards, fmt) -> None:
    """Split the organisation's accounts into N shards, one per machine.

    Each account goes to the shard a hash of its id picks, so an account joining or leaving moves
    no other. Every shard then runs `opsctl audit --org --shard I/N`; `opsctl report merge` joins
    their results. GitHub caps a matrix at 256 jobs: more shards are refused for github-matrix.

    \b
    Examples:
      opsctl org plan --org --shards 4
      echo "matrix=$(opsctl org plan --org --shards 8 --format github-matrix)" >> "$GITHUB_OUTPUT"
    """
    from opsctl.org import github_matrix, plan_shards

    if fmt == "github-matrix":
        github_matrix(shards)  # refuse > 256 before any AWS call
    if org_opts.shard:
        raise UsageError("--shard picks one shard to audit; `org plan` lists them all (leave it out)")
    where, _ = _scope(org_opts, aws_opts, config_path)
    plan = plan_shards(where.accounts, shards)
    empty = [i for i, accts in plan.items() if not accts]
    if empty and fmt != "json":
        click.echo(f"opsctl: {len(empty)} of {shards} shard(s) hold no account ({len(where.accounts)} accounts in "
                   "scope): they audit nothing", err=True)
    if fmt == "github-matrix":
        click.echo(json.dumps(github_matrix(shards), separators=(",", ":")))
        return
    if fmt == "json":
        click.echo(json.dumps({"shards": [{"shard": f"{i}/{shards}", "accounts": [a.id for a in accts]}
                                          for i, accts in plan.items()]}, indent=2))
        return
    sizes = [len(v) for v in plan.values()]
    click.echo(f"{len(where.accounts)} account(s) in {shards} shard(s): {min(sizes)}-{max(sizes)} per shard")
    for i, accts in plan.items():
        names = ", ".join(a.name or a.id for a in accts[:6]) + (" …" if len(accts) > 6 else "")
        click.echo(f"  shard {i}/{shards}: {len(accts):>4} account(s)  {names}")


def register(cli: click.Group) -> None:
    cli.add_command(org)
