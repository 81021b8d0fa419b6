"""One "did you mean" for every unknown name (issue 13, item 6): ranked by similarity over the whole
name, so the obvious fix comes first, in the CLI, the config file, waivers and --select."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from opsctl.cli import cli
from opsctl.config import load_config
from opsctl.errors import UsageError, check_id_hint, closest, did_you_mean
from opsctl.registry import load_builtin_checks, select_checks

REGISTRY = load_builtin_checks()


@pytest.mark.parametrize(("typo", "meant"), [
    ("rds.instance_multiaz", "rds.instance_multi_az"),
    ("s3.bucket_versionin", "s3.bucket_versioning"),
    ("autoscaling.group_headrom", "autoscaling.group_headroom"),
    ("ec2.volume_unatached", "ec2.volume_unattached"),
])
def test_the_closest_id_comes_first(typo, meant):
    assert closest(typo, REGISTRY)[0] == meant
    assert check_id_hint(typo, REGISTRY).startswith(f" (did you mean {meant!r}")


def test_nothing_close_points_at_the_list():
    assert closest("zzz.qqq", REGISTRY) == []
    assert check_id_hint("zzz.qqq", REGISTRY) == "; `opsctl checks list` shows the ids"
    assert did_you_mean("workrs", ["regions", "workers"]) == "did you mean 'workers'? "
    assert closest("b", ["ab", "ba", "b"], n=2) == ["b", "ab"]  # best first, ties by name


@pytest.mark.parametrize("args", [["explain", "rds.instance_multiaz"], ["checks", "list", "--select", "rds.instance_multiaz"]])
def test_the_cli_suggests_the_obvious_fix(args):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and "did you mean 'rds.instance_multi_az'" in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1


def test_select_config_and_waivers_share_the_ranking(tmp_path):
    with pytest.raises(UsageError, match="did you mean 's3.bucket_versioning'"):
        select_checks(REGISTRY, ["s3.bucket_versionin"])
    cfg = tmp_path / "opsctl.yaml"
    cfg.write_text("checks:\n  rds.instance_multiaz: {}\n")
    with pytest.raises(UsageError, match=r"opsctl.yaml:2: checks: unknown check id 'rds.instance_multiaz' \(did you mean "
                                         r"'rds.instance_multi_az'"):
        load_config(str(cfg), REGISTRY)
