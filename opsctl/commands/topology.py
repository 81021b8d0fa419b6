"""`opsctl topology`: the architecture as deployed, drawn by tier (Mermaid, SVG or JSON).

The graph is opsctl.topology (pure), the pictures opsctl.topology_render (pure); this module only
parses flags, gets a snapshot (or a saved result) and prints.
"""

from __future__ import annotations

import json

import click

from opsctl.cli import aws_options, config_option
from opsctl.commands.options import ROLE_HELP, format_option, option_help, output_file_option, snapshot_option
from opsctl.output import write_or_echo

TOPOLOGY_FORMATS = ("mermaid", "json", "svg")


@click.command("topology")
@option_help(regions="Region to collect and draw; repeat for several. Default: config `regions`, else your "
                     "default region.",
             all_regions="Collect and draw every region enabled in the account.", **ROLE_HELP)
@aws_options
@config_option
@click.option("--spec", "spec_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Architecture spec (default: config `spec`, else the built-in reference architecture).")
@format_option(TOPOLOGY_FORMATS, default="mermaid",
               help="mermaid: a flowchart for Markdown; svg: a standalone picture; json: the graph itself.")
@snapshot_option("Draw a saved snapshot instead of collecting from AWS (offline).")
@click.option("--result", "result_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Draw the topology of a saved JSON result (`opsctl audit --format json`) with its findings.")
@output_file_option()
def topology_command(aws_opts, config_path, spec_path, fmt, snapshot_path, result_path, output) -> None:
    """Draw the deployed architecture by tier (Mermaid, SVG or JSON).

    What is wired to what, by tier of the spec: Route 53 records → CloudFront distributions →
    origins (S3 buckets, load balancers) → target groups → Auto Scaling groups, instances and
    Lambda functions; databases and the security groups between tiers. Every check runs first,
    so each resource is coloured by its worst finding (FAIL red, ERROR amber, PASS green).
    Broken edges (a record pointing nowhere, a load balancer open to the internet around the
    edge, a public database) are dashed red; tiers the spec declares but nothing matches are
    dashed red boxes.

    \b
    Examples:
      opsctl topology --snapshot snap.json                       # Mermaid, for a README or a PR
      opsctl topology --snapshot snap.json --format svg -o arch.svg
      opsctl topology --region us-east-1 --spec my-architecture.yaml --format json
      opsctl topology --result result.json                       # no re-evaluation
    """
    from opsctl.cli import OpsctlError
    from opsctl.engine import Result
    from opsctl.topology_render import render_mermaid, render_svg

    if result_path:
        if snapshot_path or spec_path:
            raise OpsctlError("--result draws a saved result; drop --snapshot/--spec")
        result = Result.from_dict(_read_result(result_path))
        if result.topology is None:
            raise OpsctlError(f"{result_path}: this result has no topology (written before opsctl drew one); audit again")
    else:
        result = _audit(snapshot_path, aws_opts, config_path, spec_path)
    if fmt == "json":
        text = json.dumps(result.topology, indent=1) + "\n"
    elif fmt == "svg":
        text = render_svg(result.topology, result.findings)
    else:
        text = render_mermaid(result.topology, result.findings)
    write_or_echo(text, output)


def _read_result(path: str) -> dict:
    from opsctl.errors import UsageError, not_utf8, read_text_file

    try:
        data = json.loads(read_text_file(path))
    except OSError as exc:
        raise UsageError(f"--result: cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc, "--result") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    from opsctl.report.load import shape_problem

    problem = shape_problem(data)
    if problem:
        raise UsageError(f"{path}: not an opsctl JSON result ({problem}; write one with `opsctl audit --format json`)")
    return data


def _audit(snapshot_path, aws_opts, config_path, spec_path):
    from opsctl import audit as core
    from opsctl.architecture import resolve_spec
    from opsctl.cli import OpsctlError, _progress
    from opsctl.config import load_config
    from opsctl.registry import load_builtin_checks

    registry = load_builtin_checks()
    cfg = load_config(config_path, registry)
    spec = resolve_spec(spec_path, cfg)
    if snapshot_path and (aws_opts.regions or aws_opts.all_regions or aws_opts.role_arn):
        raise OpsctlError("--snapshot draws a saved snapshot; drop --region/--all-regions/--role-arn")
    with _progress() as progress:
        outcome = core.load_or_collect(snapshot_path, aws_opts, cfg, progress)
    checks = core.choose_checks(registry, cfg, core.Selection())
    return core.audit(outcome.snapshot, checks, cfg, {}, None, spec=spec)


def register(cli: click.Group) -> None:
    cli.add_command(topology_command)
