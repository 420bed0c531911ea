"""Pipelines that follow pipelines, locally: orders publishes, daily-revenue (trigger.after:
orders) runs next in the same workdir on what changed, through the real bridge and Glue scripts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gluekit.cli import main
from gluekit.local.chain import run_followers
from gluekit.local.query import query
from gluekit.local.runner import run_pipeline
from gluekit.spec import DEFAULT_PIPELINES_DIR, load_specs

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PREFIX = "gluekit-dev"
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
REVENUE = (
    "SELECT CAST(day AS VARCHAR), currency, orders, CAST(revenue AS VARCHAR) FROM daily_revenue"
)
pytestmark = pytest.mark.spark


def test_a_publish_of_orders_runs_daily_revenue_on_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = load_specs(DEFAULT_PIPELINES_DIR, PREFIX)
    specs = {item.spec.name: item.spec for item in loaded}
    first = SAMPLES / "orders" / "orders-2026-11-20.csv"

    # The CLI runs the followers of the pipeline it ran, after its publish.
    command = ["local", "run", "orders", "--drop", str(first), "--workdir", str(tmp_path)]
    status = main([*command, "--now", "2026-11-22T06:00:00Z"])

    out = capsys.readouterr().out
    assert status == 0, out
    assert "gluekit local run · daily-revenue" in out
    assert "⇢ orders published" in out
    _, rows = query(specs["daily-revenue"], REVENUE, prefix=PREFIX, workdir=tmp_path)
    _, orders = query(
        specs["orders"],
        "SELECT count(*) FROM orders WHERE status <> 'cancelled'",
        prefix=PREFIX,
        workdir=tmp_path,
    )
    assert sum(row[2] for row in rows) == orders[0][0]  # every order of the day counted once

    # The next export: daily-revenue reads only the rows that run changed.
    second = run_pipeline(
        specs["orders"],
        [SAMPLES / "orders" / "orders-2026-11-21.csv"],
        prefix=PREFIX,
        workdir=tmp_path,
        now=NOW,
        progress=lambda _: None,
    )
    assert not second.failed
    [report] = run_followers(
        loaded, "orders", prefix=PREFIX, workdir=tmp_path, now=NOW, progress=lambda _: None
    )

    [run] = report.runs
    assert not report.failed and run.files == []
    _, changed = query(
        specs["orders"],
        f"SELECT count(*) FROM orders WHERE _run_id = '{second.runs[0].run_id}'",
        prefix=PREFIX,
        workdir=tmp_path,
    )
    assert 0 < run.steps[0].rows_in == changed[0][0]  # the rows that run wrote, no more
    _, orders = query(
        specs["orders"],
        "SELECT CAST(CAST(created_at AS DATE) AS VARCHAR), coalesce(currency, 'unknown'), "
        "count_if(status <> 'cancelled') FROM orders GROUP BY 1, 2",
        prefix=PREFIX,
        workdir=tmp_path,
    )
    _, rows = query(specs["daily-revenue"], REVENUE, prefix=PREFIX, workdir=tmp_path)
    assert sorted((r[0], r[1], r[2]) for r in rows) == sorted(tuple(o) for o in orders)


def test_a_derived_pipeline_refuses_files(tmp_path: Path) -> None:
    specs = {item.spec.name: item.spec for item in load_specs(DEFAULT_PIPELINES_DIR, PREFIX)}

    with pytest.raises(ValueError, match="takes no files"):
        run_pipeline(
            specs["daily-revenue"],
            [SAMPLES / "orders" / "orders-2026-11-20.csv"],
            prefix=PREFIX,
            workdir=tmp_path,
            now=NOW,
        )
