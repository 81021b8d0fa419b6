"""The config file: valid keys load; every mistake is one line naming file and line."""

from __future__ import annotations

import textwrap

import pytest

from opsctl.config import load_config, parse_config
from opsctl.errors import UsageError
from opsctl.findings import Severity
from opsctl.registry import CheckSpec

REGISTRY = {
    "autoscaling.group_min_capacity": CheckSpec("autoscaling.group_min_capacity", "t", "availability", Severity.MEDIUM,
                                                "autoscaling.group", lambda r, c: None, {"min_instances": 2}, "d", "r"),
    "autoscaling.group_headroom": CheckSpec("autoscaling.group_headroom", "t", "scalability", Severity.MEDIUM,
                                            "autoscaling.group", lambda r, c: None, {"max_desired_ratio": 0.8}, "d", "r"),
}


def parse(text):
    return parse_config(textwrap.dedent(text), "opsctl.yaml", REGISTRY)


def test_full_config():
    cfg = parse("""
        regions: [us-east-1, eu-west-1]
        select: ["autoscaling.*"]
        ignore: [autoscaling.group_headroom]
        pillars: [availability]
        min_severity: low
        fail_on: critical
        workers: 8
        checks:
          autoscaling.group_min_capacity: {min_instances: 3}
          autoscaling.group_headroom:
            max_desired_ratio: 1      # an int where a float is expected is fine
    """)
    assert cfg.regions == ["us-east-1", "eu-west-1"] and cfg.fail_on == "critical" and cfg.workers == 8
    assert cfg.check_params == {"autoscaling.group_min_capacity": {"min_instances": 3},
                                "autoscaling.group_headroom": {"max_desired_ratio": 1.0}}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("regions: [us-east-1]\nregon: x\n", "opsctl.yaml:2: unknown key 'regon' (did you mean 'regions'?"),
        ("workers: many\n", "opsctl.yaml:1: workers must be an integer"),
        ("fail_on: urgent\n", "opsctl.yaml:1: fail_on: 'urgent' is not one of"),
        ("checks:\n  s3.nope: {a: 1}\n", "opsctl.yaml:2: checks: unknown check id 's3.nope'"),
        ("checks:\n  autoscaling.group_headrom: {}\n", "unknown check id 'autoscaling.group_headrom' (did you mean 'autoscaling.group_headroom'?)"),
        ("checks:\n  autoscaling.group_min_capacity:\n    min_instance: 3\n", "opsctl.yaml:3: checks.autoscaling.group_min_capacity: unknown parameter 'min_instance' (did you mean 'min_instances'?"),
        ("checks:\n  autoscaling.group_min_capacity:\n    min_instances: three\n", "opsctl.yaml:3: checks.autoscaling.group_min_capacity.min_instances must be int"),
        ("checks:\n  autoscaling.group_min_capacity:\n    min_instances: true\n", "must be int"),
        ("regions: [us-east-1\n", "opsctl.yaml:2: not valid YAML"),
        ("- a\n- b\n", "opsctl.yaml:1: the config file must be a mapping"),
        ("select: {a: 1}\n", "opsctl.yaml:1: select must be a list"),
        ("pillars: [speed]\n", "opsctl.yaml:1: pillars: 'speed' is not one of"),
        ("regions: [a]\nregions: [b]\n", "opsctl.yaml:2: key 'regions' appears twice"),
    ],
)
def test_mistakes_name_file_and_line(text, expected):
    with pytest.raises(UsageError) as err:
        parse(text)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_default_file_in_cwd_and_missing_explicit(tmp_path):
    assert load_config(None, REGISTRY, cwd=tmp_path).path is None
    (tmp_path / "opsctl.yaml").write_text("regions: [eu-west-1]\n")
    assert load_config(None, REGISTRY, cwd=tmp_path).regions == ["eu-west-1"]
    with pytest.raises(UsageError, match="cannot read"):
        load_config(str(tmp_path / "nope.yaml"), REGISTRY)


def test_empty_file_is_defaults():
    assert parse("").regions == []


def test_unknown_key_without_a_near_match_lists_the_known_keys_only() -> None:
    from opsctl.errors import unknown_key

    assert unknown_key("zzz", ["regions", "workers"]) == "unknown key 'zzz' (known keys: regions, workers)"
    assert unknown_key("workrs", ["regions", "workers"]) == (
        "unknown key 'workrs' (did you mean 'workers'? known keys: regions, workers)")


@pytest.mark.parametrize(("text", "expected"), [
    ("checks:\n  autoscaling.group_min_capacity:\n    min_instances: 0\n",
     "opsctl.yaml:3: checks.autoscaling.group_min_capacity.min_instances must be at least 1 (default 2), got 0"),
    ("checks:\n  autoscaling.group_headroom:\n    max_desired_ratio: 1.5\n",
     "max_desired_ratio must be a ratio above 0 and at most 1 (default 0.8), got 1.5"),
    ("checks:\n  autoscaling.group_headroom:\n    max_desired_ratio: .nan\n", "must be a finite number"),
])
def test_parameters_out_of_the_range_their_name_means(text, expected):
    with pytest.raises(UsageError) as err:
        parse(text)
    assert expected in str(err.value)


def test_real_check_parameters_have_sensible_ranges():
    from opsctl.config import _param_range_problem
    from opsctl.registry import load_builtin_checks

    for cid, spec in load_builtin_checks().items():
        for name, default in spec.params.items():
            assert _param_range_problem(name, default) is None, (cid, name, default)
    assert _param_range_problem("min_backup_days", -5) == "must be at least 1"
    assert _param_range_problem("idle_days", 0) == "must be at least 1"
    assert _param_range_problem("idle_cpu_percent", 101) == "must be a percentage from 0 to 100"
    assert _param_range_problem("min_days_to_expiry", 0) is None  # 0: only an expired certificate fails
