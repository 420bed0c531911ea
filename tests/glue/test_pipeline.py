"""The example pipelines end to end on local Spark: transform → validate → publish.

The tests share one AWS and local root per module: each publishes data that leaves the others'
expectations true (the same batch again, or a batch that fails validation), which is itself what
they check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from gluekit_glue.jobs.common import JobFailed, ValidationFailed
from gluekit_glue.summary import StepSummary
from tests.glue.pipeline_env import SAMPLES, PipelineEnv, pipeline_env

ORDERS: dict[str, bytes | Path] = {
    "orders-2026-11-20.csv": SAMPLES / "orders" / "orders-2026-11-20.csv",
    "orders-2026-11-21.csv": SAMPLES / "orders" / "orders-2026-11-21.csv",
}
EVENTS: dict[str, bytes | Path] = {
    "app-events-2026-11-21.jsonl.gz": SAMPLES / "events" / "app-events-2026-11-21.jsonl.gz"
}
EXPECTED_ORDERS = {
    "2026-11-20": [f"O-100{i}" for i in range(1, 9)],
    "2026-11-21": ["O-1009", "O-1010", "O-1011", "O-1012"],
}


@pytest.fixture(scope="module")
def env(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineEnv]:
    with pipeline_env(spark, tmp_path_factory.mktemp("root")) as environment:
        yield environment


METRICS = (
    "RowsIn",
    "RowsOut",
    "ValidationFailed",
    "ValidationRulesFailed",
    "PublishSucceeded",
    "RowsPublished",
    "PartitionsPublished",
)


@dataclass(frozen=True)
class OrdersRun:
    run_id: str
    steps: list[StepSummary]
    metrics: dict[str, float | None]  # right after the run, before other tests add theirs


@pytest.fixture(scope="module")
def orders_run(env: PipelineEnv) -> OrdersRun:
    """The two sample order exports as one batch, through the workflow's three jobs."""
    run_id = env.batch("orders", ORDERS, "batch-1")
    steps = env.run_pipeline("orders", run_id)
    return OrdersRun(run_id, steps, {name: env.metric("orders", name) for name in METRICS})


def by_partition(rows: list[tuple]) -> dict[str, list[str]]:
    """Curated rows grouped by their last column (dt) → sorted first column (the key)."""
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row[-1], []).append(row[0])
    return {dt: sorted(keys) for dt, keys in sorted(grouped.items())}


def test_orders_sample_lands_in_curated_day_partitions(
    env: PipelineEnv, orders_run: OrdersRun
) -> None:
    # GIVEN the two sample order exports, published by the workflow's three jobs
    run_id, (transform, validate, publish) = orders_run.run_id, orders_run.steps

    # THEN each order is published once, in the day partition of its created_at
    curated = env.curated("orders")
    assert by_partition(curated) == EXPECTED_ORDERS
    # ... the later export's version of O-1001 and O-1008 wins (greatest updated_at)
    latest = {row[0]: row for row in curated}
    assert latest["O-1001"][2] == "paid"
    assert latest["O-1001"][3] == Decimal("19.99")
    assert latest["O-1001"][6] == datetime(2026, 11, 21, 7, 0)
    assert latest["O-1008"][2] == "shipped"
    assert (transform.rows_in, transform.rows_out, transform.rows_rejected) == (14, 12, 0)
    assert transform.partitions == ["dt=2026-11-20", "dt=2026-11-21"]
    assert validate.details["validation_status"] == "passed"
    assert publish.rows_out == 12
    # ... as one Iceberg snapshot, partitioned by the hidden day of created_at, named dt
    snapshot = publish.details["snapshot"]
    assert (snapshot["rows_added"], snapshot["rows_updated"], snapshot["rows_removed"]) == (
        12,
        0,
        0,
    )
    assert env.snapshots("orders")[-1]["snapshot_id"] == int(snapshot["snapshot_id"])
    table = env.curated_table("orders").name
    partitions = env.spark.sql(f"SELECT partition.dt, record_count FROM {table}.partitions")
    assert sorted(tuple(r) for r in partitions.collect()) == [
        (date(2026, 11, 20), 8),
        (date(2026, 11, 21), 4),
    ]
    # ... and every row says where it came from
    frame = env.curated_frame("orders")
    assert frame is not None
    lineage = frame.select("_source_uri", "_run_id", "_ingested_at").distinct().collect()
    assert sorted(r["_source_uri"].rsplit("/", 1)[-1] for r in lineage) == sorted(ORDERS)
    assert {r["_run_id"] for r in lineage} == {run_id}
    assert all(r["_ingested_at"] is not None for r in lineage)
    # ... and the run carries what the notifier and the staleness alarm need
    properties = env.run_properties("orders", run_id)
    assert properties["validation_status"] == "passed"
    assert properties["validation_summary"] == "7 of 8 rules passed; 1 warning: null_rate(currency)"
    assert properties["published_at"].startswith("2026-11-22T06:00:00")
    assert orders_run.metrics == {
        "RowsIn": 14,
        "RowsOut": 12,
        "ValidationFailed": 0,
        "ValidationRulesFailed": 1,
        "PublishSucceeded": 1,
        "RowsPublished": 12,
        "PartitionsPublished": 2,
    }


def test_validation_report_records_every_rule(env: PipelineEnv, orders_run: OrdersRun) -> None:
    run_id = orders_run.run_id

    report = env.get_json(env.config("orders").report_uri(run_id))

    assert report["status"] == "passed"
    assert report["rows"] == 12
    statuses = {(r["rule"], r["column"]): (r["severity"], r["status"]) for r in report["rules"]}
    assert statuses == {
        ("row_count", None): ("error", "passed"),
        ("unique_key", "order_id"): ("error", "passed"),
        ("null_rate", "currency"): ("warn", "failed"),  # O-1005 has no currency: 1 of 12
        ("accepted_values", "status"): ("error", "passed"),
        ("range", "amount"): ("error", "passed"),
        ("freshness", "created_at"): ("warn", "passed"),  # newest 2026-11-21T08:10: 21.8 h old
        ("partition_completeness", "dt"): ("error", "passed"),
        ("reject_rate", None): ("error", "passed"),  # added by default: no row rejected
    }
    null_rate = next(r for r in report["rules"] if r["rule"] == "null_rate")
    assert [row["order_id"] for row in null_rate["offending_rows"]] == ["O-1005"]
    assert report["created_at"].startswith("2026-11-22T06:00")


def test_events_sample_lands_in_curated_day_partitions(env: PipelineEnv) -> None:
    # GIVEN the gzip'd JSON-lines sample, whose e-0004 is delivered twice
    run_id = env.batch("events", EVENTS, "nightly-2026-11-21")

    transform, _, publish = env.run_pipeline("events", run_id)

    curated = env.curated("events")
    assert by_partition(curated) == {
        "2026-11-20": [f"e-{i:04d}" for i in range(2, 25, 2)],
        "2026-11-21": [f"e-{i:04d}" for i in range(1, 24, 2)],
    }
    first = next(row for row in curated if row[0] == "e-0001")
    assert first[:5] == ("e-0001", 1001, "click", 120, datetime(2026, 11, 21, 1, 7))
    assert (transform.rows_in, transform.rows_out, transform.rows_rejected) == (25, 24, 0)
    assert publish.partitions == ["dt=2026-11-20", "dt=2026-11-21"]


def test_rerun_gives_identical_curated_output(env: PipelineEnv, orders_run: OrdersRun) -> None:
    # GIVEN a published batch
    run_id = orders_run.run_id
    first = env.curated("orders")

    # WHEN the same run is published again, and the same files arrive again as a new run
    env.run("publish", "orders", run_id)
    second_run = env.batch("orders", ORDERS, "batch-2")
    env.run_pipeline("orders", second_run)

    # THEN the curated table holds exactly the same rows, once each
    assert env.curated("orders") == first
    assert by_partition(first) == EXPECTED_ORDERS


def test_breach_fails_validation_and_leaves_curated_untouched(
    env: PipelineEnv, orders_run: OrdersRun
) -> None:
    # GIVEN a published batch
    before = env.curated("orders")
    assert by_partition(before) == EXPECTED_ORDERS
    failed_before = env.metric("orders", "ValidationFailed") or 0

    # WHEN a batch with a refunded status and a negative amount arrives
    run_id = env.batch(
        "orders", {"orders-breach.csv": SAMPLES / "orders" / "bad" / "orders-breach.csv"}, "b-2"
    )
    env.run("transform", "orders", run_id)
    with pytest.raises(ValidationFailed, match="accepted_values\\(status\\), range\\(amount\\)"):
        env.run("validate", "orders", run_id)

    # THEN the report says why, the workflow run says failed, and publish refuses the run
    report = env.get_json(env.config("orders").report_uri(run_id))
    assert report["status"] == "failed"
    failed = {r["rule"]: r for r in report["rules"] if r["status"] == "failed"}
    assert [row["order_id"] for row in failed["accepted_values"]["offending_rows"]] == ["O-3001"]
    assert [row["order_id"] for row in failed["range"]["offending_rows"]] == ["O-3002"]
    assert env.run_properties("orders", run_id)["validation_status"] == "failed"
    assert env.metric("orders", "ValidationFailed") == failed_before + 1
    with pytest.raises(JobFailed, match="not publishing"):
        env.run("publish", "orders", run_id)
    assert env.curated("orders") == before
    summary = env.get_json(env.config("orders").summary_uri(run_id, "publish"))
    assert summary["status"] == "failed"
    assert "not publishing" in summary["error"]


def test_notifier_replay_drops_exactly_the_properties_the_jobs_write(
    env: PipelineEnv, orders_run: OrdersRun
) -> None:
    # The notifier's replay command carries the bridge's run properties and leaves out those
    # the jobs write during a run; the two runtimes share no code, so this keeps them in step.
    from notifier.runbook import RUN_WRITTEN_PROPERTIES

    bridge_properties = {"manifest", "batch_id", "pipeline", "file_count"}
    written = set(env.run_properties("orders", orders_run.run_id)) - bridge_properties

    assert written == RUN_WRITTEN_PROPERTIES


def test_later_runs_merge_into_partitions_instead_of_replacing_them(
    env: PipelineEnv, orders_run: OrdersRun
) -> None:
    # GIVEN the curated table after both exports arrived in one batch
    together = sorted(env.curated("orders"))

    # WHEN the same exports arrive again, one per run: the older one first, then the newer
    for index, name in enumerate(ORDERS, start=1):
        run_id = env.batch("orders", {name: ORDERS[name]}, f"one-file-{index}")
        assert [s.status for s in env.run_pipeline("orders", run_id)] == ["succeeded"] * 3

    # THEN no row of an earlier run is lost (O-1002..O-1007 live only in the first export),
    # and each key keeps its latest version by updated_at: the result equals the single batch
    apart = sorted(env.curated("orders"))
    assert apart == together
    statuses = {row[0]: row[2] for row in apart}
    assert (statuses["O-1001"], statuses["O-1004"]) == ("paid", "shipped")
