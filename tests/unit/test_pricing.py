"""The price table: built-in coverage, lookups, overrides and malformed files (opsctl/pricing.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opsctl.errors import UsageError
from opsctl.pricing import HOURS_PER_MONTH, KINDS, load_price_table, parse_price_table

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")
VOLUME_TYPES = ("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard")


@pytest.fixture(scope="module")
def table():
    return load_price_table()


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    return str(path)


def test_builtin_table_is_dated_and_sourced(table):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table.as_of)
    assert "https://aws.amazon.com/ec2/pricing/on-demand/" in table.source
    assert HOURS_PER_MONTH == 730


@pytest.mark.parametrize("region", REGIONS)
def test_builtin_table_covers_the_issue_scope(table, region):
    for vtype in VOLUME_TYPES:
        assert table.get("ebs_gb_month", region, vtype) is not None, vtype
    assert table.get("ebs_snapshot_gb_month", region, "standard") is not None
    assert table.get("eip_idle_hour", region) == 0.005  # public IPv4 charge since February 2024
    assert table.get("alb_hour", region) is not None
    assert table.get("dynamodb_rcu_hour", region) is not None and table.get("dynamodb_wcu_hour", region) is not None
    families = {"t2": "micro 2xlarge", "t3": "micro 2xlarge", "t3a": "micro 2xlarge", "t4g": "micro 2xlarge",
                "m4": "large 4xlarge", "m5": "large 4xlarge", "m6i": "large 4xlarge", "m7i": "large 4xlarge",
                "m6g": "large 4xlarge", "m7g": "large 4xlarge", "c4": "large 4xlarge", "c5": "large 4xlarge",
                "c6i": "large 4xlarge", "c7i": "large 4xlarge", "r4": "large 2xlarge", "r5": "large 2xlarge",
                "r6i": "large 2xlarge", "m3": "large", "c3": "large", "r3": "large"}
    for family, sizes in families.items():
        for size in sizes.split():
            assert table.get("ec2_linux_hour", region, f"{family}.{size}") is not None, f"{family}.{size}"
    for cls in ("db.t3.micro", "db.t4g.large", "db.m5.2xlarge", "db.m6i.large", "db.m6g.xlarge", "db.r5.large",
                "db.r6g.2xlarge", "db.m4.large"):
        assert table.get("rds_hour", region, cls) is not None, cls
        assert table.get("rds_hour", region, f"postgres:{cls}") is not None, cls


def test_builtin_prices_are_plausible(table):
    """Cheap sanity: gp3 is cheaper than gp2, Graviton than Intel, previous generation no cheaper than current."""
    for region in REGIONS:
        assert table.get("ebs_gb_month", region, "gp3") < table.get("ebs_gb_month", region, "gp2")
        assert table.get("ec2_linux_hour", region, "m6g.large") < table.get("ec2_linux_hour", region, "m5.large")
        assert table.get("ec2_linux_hour", region, "m4.large") >= table.get("ec2_linux_hour", region, "m5.large")
        assert table.get("ec2_linux_hour", region, "t2.medium") >= table.get("ec2_linux_hour", region, "t3.medium")
        assert table.get("dynamodb_wcu_hour", region) == pytest.approx(5 * table.get("dynamodb_rcu_hour", region), rel=0.01)
    assert table.get("route53_health_check_month", "global", "aws_endpoint") == 0.5
    assert table.get("route53_health_check_month", "global", "non_aws_endpoint") == 0.75


def test_lookup_and_missing_entries(table):
    assert table.get("ebs_gb_month", "us-east-1", "gp2") == 0.10
    assert table.get("ec2_linux_hour", "us-east-1", "t3.micro") == 0.0104
    assert table.get("ec2_linux_hour", "us-east-1", "u-24tb1.metal") is None
    assert table.get("ebs_gb_month", "sa-east-1", "gp2") is None
    assert table.get("no_such_kind", "us-east-1") is None
    assert table.missing_note("alb_hour", "sa-east-1") == f"no price for alb_hour default in sa-east-1 in the price table ({table.as_of})"


def test_override_file_merges_per_entry(tmp_path, table):
    path = write(tmp_path, """\
as_of: 2026-03-01
source: our negotiated rates (https://example.com/rates)
prices:
  ec2_linux_hour:
    us-east-1: {t3.micro: 0.009}
    sa-east-1: {t3.micro: 0.0168}
""")
    merged = load_price_table(path)
    assert merged.get("ec2_linux_hour", "us-east-1", "t3.micro") == 0.009  # overridden
    assert merged.get("ec2_linux_hour", "sa-east-1", "t3.micro") == 0.0168  # added
    assert merged.get("ec2_linux_hour", "us-east-1", "t3.small") == table.get("ec2_linux_hour", "us-east-1", "t3.small")
    assert merged.as_of == "2026-03-01"
    assert path in merged.source and "negotiated" in merged.source and table.source in merged.source
    assert merged.as_of_for("ec2_linux_hour", "us-east-1", "t3.micro") == "2026-03-01"
    assert merged.as_of_for("ec2_linux_hour", "us-east-1", "t3.small") == table.as_of
    assert load_price_table() is table  # the built-in table is not changed by an override


MALFORMED = [
    ("as_of: 2025-01-01\nsource: x\nprices:\n  ebs_gb_month:\n    us-east-1: {gp2: [0.1}\n", 5, "not valid YAML"),
    ("as_of: 2025-01-01\nsource: x\nprices:\n  ebs_gb_month:\n    us-east-1:\n      gp2: cheap\n", 6, "must be a finite number"),
    ("as_of: 2025-01-01\nsource: x\nprices:\n  ebs_gb_month:\n    us-east-1:\n      gp2: -1\n", 6, "must be a finite number >= 0"),
    ("as_of: 2025-01-01\nsource: x\nprices:\n  ebs_gb_month:\n    us-east-1:\n      gp2: .nan\n", 6, "must be a finite number >= 0, got nan"),
    ("as_of: 2026-02-30\nsource: x\nprices: {}\n", 1, "as_of must be an ISO date (YYYY-MM-DD), got '2026-02-30'"),
    ("as_of: 2025-01-01\nsource: x\nprices:\n  ebs_gb_months:\n    us-east-1: {gp2: 0.1}\n", 4, "unknown price kind 'ebs_gb_months'"),
    ("as_of: 2025-01-01\nsource: x\nprices:\n  alb_hour:\n    us-east1: {default: 0.1}\n", 5, "not an AWS region"),
    ("as_of: soon\nsource: x\nprices: {}\n", 1, "ISO date"),
    ("as_of: 2025-01-01\nprices: {}\n", 1, "needs 'source'"),
    ("as_of: 2025-01-01\nsource: x\ncurrency: EUR\nprices: {}\n", 3, "currency must be USD"),
    ("as_of: 2025-01-01\nsource: x\nprice: {}\n", 3, "unknown key 'price' (did you mean 'prices'?"),
    ("as_of: 2025-01-01\nsource: x\nprices:\n  alb_hour:\n    us-east-1: {default: 0.1}\n    us-east-1: {default: 0.2}\n", 6,
     "appears twice"),
    ("as_of: 2025-01-01\nsource: x\nprices:\n  alb_hour: 0.02\n", 4, "must be a mapping"),
    ("- just\n- a list\n", 1, "must be a mapping"),
]


@pytest.mark.parametrize(("text", "line", "message"), MALFORMED, ids=[m[2] for m in MALFORMED])
def test_malformed_file_is_a_usage_error_naming_file_and_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as raised:
        load_price_table(path)
    assert str(raised.value).startswith(f"{path}:{line}: "), str(raised.value)
    assert message in str(raised.value)


def test_unreadable_or_empty_file(tmp_path):
    with pytest.raises(UsageError, match="cannot read price table"):
        load_price_table(str(tmp_path / "missing.yaml"))
    with pytest.raises(UsageError, match="empty"):
        load_price_table(write(tmp_path, "# nothing\n"))


def test_every_kind_has_a_unit_and_builtin_entries(table):
    kinds_in_table = {kind for kind, _, _ in table.prices}
    assert kinds_in_table == set(KINDS)


def test_parse_accepts_a_quoted_iso_date():
    parsed = parse_price_table('as_of: "2025-02-03"\nsource: s\nprices:\n  alb_hour:\n    eu-west-1: {default: 0.0252}\n', "f")
    assert parsed.as_of == "2025-02-03" and parsed.get("alb_hour", "eu-west-1") == 0.0252
