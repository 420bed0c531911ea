"""Spec ``trigger.after``: derived pipelines, what the loader accepts between them and their
upstreams, and what it refuses (unknown upstream, a cycle, a column the upstream lacks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gluekit.naming import FoundationNames
from gluekit.render import bridge_config, glue_job_config
from gluekit.spec import DEFAULT_PIPELINES_DIR, SpecErrors, load_specs
from gluekit.spec.upstreams import followers

FOUNDATION = FoundationNames("gluekit-dev", "123456789012", "us-east-1")
FILES = """\
name: {name}
source: {{format: csv, prefix: {name}/}}
contract:
  columns:
    - {{name: id, type: string, nullable: false}}
    - {{name: amount, type: "decimal(12,2)"}}
  primary_key: [id]
"""
DERIVED = """\
name: {name}
trigger: {{after: [{after}]}}
contract:
  columns:
    - {{name: id, type: string, nullable: false}}
    - {{name: amount, type: "{amount_type}"}}
  primary_key: [id]
"""


def write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.yaml").write_text(text)


def messages(folder: Path) -> list[str]:
    with pytest.raises(SpecErrors) as caught:
        load_specs(folder, "gluekit-dev")
    return [f"{e.path}: {e.message}" for e in caught.value.errors]


def derived(name: str, after: str, amount_type: str = "decimal(12,2)", extra: str = "") -> str:
    return DERIVED.format(name=name, after=after, amount_type=amount_type) + extra


def test_a_derived_pipeline_loads_and_renders_its_upstreams(tmp_path: Path) -> None:
    write(tmp_path, "orders", FILES.format(name="orders"))
    write(tmp_path, "totals", derived("totals", "orders"))

    specs = {item.spec.name: item.spec for item in load_specs(tmp_path, "gluekit-dev")}

    totals = specs["totals"]
    assert totals.is_derived and totals.upstreams == ("orders",)
    job = glue_job_config(totals, FOUNDATION)
    assert job["upstreams"] == [
        {"pipeline": "orders", "database": "gluekit_dev", "table": "orders"}
    ]
    bridge = bridge_config(totals, FOUNDATION)
    assert bridge["trigger_mode"] == "after"
    assert bridge["upstreams"] == [
        {
            "pipeline": "orders",
            "publish_job": "gluekit-dev-orders-publish",
            "state_machine": "gluekit-dev-orders",
        }
    ]
    assert glue_job_config(specs["orders"], FOUNDATION)["upstreams"] == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("source: {format: csv}\n", "reads its upstreams' curated tables, not files"),
        ("job: {max_concurrent_runs: 2}\n", "one run at a time"),
    ],
)
def test_a_derived_pipeline_refuses_what_belongs_to_files_or_parallel_runs(
    tmp_path: Path, extra: str, expected: str
) -> None:
    write(tmp_path, "orders", FILES.format(name="orders"))
    write(tmp_path, "totals", derived("totals", "orders", extra=extra))

    assert any(expected in m for m in messages(tmp_path))


def test_a_derived_pipeline_needs_a_key_and_a_file_pipeline_a_source(tmp_path: Path) -> None:
    write(tmp_path, "orders", FILES.format(name="orders").replace("  primary_key: [id]\n", ""))
    write(tmp_path, "totals", derived("totals", "orders").replace("  primary_key: [id]\n", ""))
    text = FILES.format(name="nosource").replace("source: {format: csv, prefix: nosource/}\n", "")
    write(tmp_path, "nosource", text)

    found = messages(tmp_path)

    assert any("contract.primary_key" in m and "replaces them by key" in m for m in found)
    assert any("source: required (or trigger.after" in m for m in found)


def test_an_unknown_upstream_itself_and_a_wrong_type_are_errors(tmp_path: Path) -> None:
    write(tmp_path, "orders", FILES.format(name="orders"))
    write(tmp_path, "aa", derived("aa", "nope"))
    write(tmp_path, "bb", derived("bb", "orders", amount_type="double"))
    write(tmp_path, "cc", derived("cc", "cc"))
    write(tmp_path, "dd", derived("dd", "orders").replace("name: amount", "name: missing"))

    found = messages(tmp_path)

    assert any(m.startswith("trigger.after[0]: no pipeline named 'nope'") for m in found)
    assert any("'amount' is double, orders's table holds decimal(12,2)" in m for m in found), found
    assert any("'cc' is this pipeline" in m for m in found)
    assert any("'missing' is not a column of orders's table" in m for m in found)


def test_pipelines_that_follow_each_other_in_a_cycle_are_one_error(tmp_path: Path) -> None:
    write(tmp_path, "aa", derived("aa", "cc"))
    write(tmp_path, "bb", derived("bb", "aa"))
    write(tmp_path, "cc", derived("cc", "bb"))

    cycles = [m for m in messages(tmp_path) if "cycle" in m]

    assert len(cycles) == 1
    assert "bb → cc → aa → bb" in cycles[0]  # the way data flows: cc follows bb


def test_followers_come_after_everything_they_follow(tmp_path: Path) -> None:
    write(tmp_path, "orders", FILES.format(name="orders"))
    write(tmp_path, "refunds", FILES.format(name="refunds"))
    write(tmp_path, "daily", derived("daily", "orders"))
    write(tmp_path, "weekly", derived("weekly", "daily"))
    write(tmp_path, "net", derived("net", "weekly, refunds"))
    specs = [item.spec for item in load_specs(tmp_path, "gluekit-dev")]

    assert [s.name for s in followers(specs, "orders")] == ["daily", "weekly", "net"]
    assert [s.name for s in followers(specs, "refunds")] == ["net"]
    assert followers(specs, "net") == []


def test_the_example_daily_revenue_follows_orders() -> None:
    specs = {i.spec.name: i.spec for i in load_specs(DEFAULT_PIPELINES_DIR, "gluekit-dev")}

    assert specs["daily-revenue"].upstreams == ("orders",)
    assert [s.name for s in followers(list(specs.values()), "orders")] == ["daily-revenue"]
