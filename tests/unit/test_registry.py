"""@check validates metadata at import; selection by id, glob, pillar and severity."""

from __future__ import annotations

import pytest

from opsctl import registry as reg
from opsctl.errors import UsageError
from opsctl.registry import RegistryError, check, select_checks


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(reg, "_REGISTRY", {})
    return reg._REGISTRY


def _define(**overrides):
    meta = {"id": "sns.topic_ok", "title": "Topic is ok", "pillar": "operations", "severity": "low", "resource_type": "sns.topic"}
    meta.update(overrides)

    def fn(resource, ctx):
        """Why it matters."""

    return check(**meta)(fn)


@pytest.mark.parametrize(
    "overrides, complaint",
    [
        ({"id": "Bad Id"}, "service.resource_expected_state"),
        ({"pillar": "speed"}, "pillar 'speed'"),
        ({"severity": "urgent"}, "severity 'urgent'"),
        ({"resource_type": "s3.nothing"}, "resource_type 's3.nothing'"),
        ({"title": "Ends with a period."}, "title"),
        ({"params": {"BadName": 1}}, "parameter 'BadName'"),
        ({"params": {"limit": None}}, "parameter 'limit'"),
    ],
)
def test_invalid_metadata_is_refused_at_import(scratch_registry, overrides, complaint):
    with pytest.raises(RegistryError, match=complaint.replace("(", r"\(")):
        _define(**overrides)
    assert scratch_registry == {}


def test_docstring_required(scratch_registry):
    with pytest.raises(RegistryError, match="docstring"):
        check(id="sns.topic_x", title="x", pillar="operations", severity="low", resource_type="sns.topic")(lambda r, c: None)


def test_valid_check_registers_with_runbook_path(scratch_registry):
    _define(params={"limit": 3})
    spec = scratch_registry["sns.topic_ok"]
    assert spec.runbook == "runbooks/sns.topic_ok.md" and spec.params == {"limit": 3} and spec.description == "Why it matters."


def test_selection_by_glob_pillar_severity(scratch_registry):
    _define(id="s3.a_b", pillar="security", severity="high")
    _define(id="s3.c_d", pillar="cost", severity="low")
    _define(id="ec2.e_f", pillar="security", severity="critical")
    ids = lambda specs: [s.id for s in specs]  # noqa: E731
    registry = dict(sorted(scratch_registry.items()))
    assert ids(select_checks(registry, select=["s3.*"])) == ["s3.a_b", "s3.c_d"]
    assert ids(select_checks(registry, ignore=["s3.*"])) == ["ec2.e_f"]
    assert ids(select_checks(registry, pillars=["security"])) == ["ec2.e_f", "s3.a_b"]
    assert ids(select_checks(registry, min_severity="high")) == ["ec2.e_f", "s3.a_b"]
    with pytest.raises(UsageError, match="no check matches 'rds.x'"):
        select_checks(registry, select=["rds.x"])
    with pytest.raises(UsageError, match=r"no check is left to run \(ignore \* exclude every check\); an audit of nothing"):
        select_checks(registry, ignore=["*"])
    with pytest.raises(UsageError, match=r"\(select s3\.\*; pillar operations exclude every check\)"):
        select_checks(registry, select=["s3.*"], pillars=["operations"])
