"""The compact job: Iceberg maintenance (rewrite_data_files, expire_snapshots,
remove_orphan_files) that never changes a row, and rollback."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from gluekit_glue.compact import parse_partition_specs, partition_where
from gluekit_glue.config import PartitionConfig
from gluekit_glue.jobs import compact
from gluekit_glue.jobs.common import JobFailed
from tests.glue.pipeline_env import SAMPLES, PipelineEnv

EXPORTS = ("orders-2026-11-20.csv", "orders-2026-11-21.csv")


def publish_one_run_per_export(env: PipelineEnv) -> list[str]:
    """Two runs, two snapshots, several small files; returns the run ids."""
    run_ids = []
    for index, name in enumerate(EXPORTS, start=1):
        run_id = env.batch("orders", {name: SAMPLES / "orders" / name}, f"b{index}")
        env.run_pipeline("orders", run_id)
        run_ids.append(run_id)
    return run_ids


def data_files(env: PipelineEnv) -> int:
    table = env.curated_table("orders").name
    return int(env.spark.sql(f"SELECT count(*) FROM {table}.data_files").collect()[0][0])


def test_compaction_rewrites_files_and_expiry_keeps_the_current_snapshot(
    env: PipelineEnv,
) -> None:
    # GIVEN a table that two upserting runs left in several files and delete files
    publish_one_run_per_export(env)
    before, files_before = env.curated("orders"), data_files(env)
    assert files_before > 2

    # WHEN the compact job runs
    summary = env.run("compact", "orders", "compact-1", workflow=False)

    # THEN one file per day partition holds exactly the same rows, in a new snapshot
    assert env.curated("orders") == before
    assert data_files(env) == 2
    assert summary.details["rewrite_data_files"]["rewritten_data_files_count"] >= 2
    assert summary.details["snapshot"]["operation"] == "replace"
    assert summary.rows_out == 12
    # ... and history within keep_snapshots_days (7) stays: nothing was expired yet
    assert summary.details["expire_snapshots"]["deleted_data_files_count"] == 0
    assert len(env.snapshots("orders")) == 3

    # WHEN it runs again a day and more after the last commit, keeping 1 day of history
    env.configs["orders"]["keep_snapshots_days"] = 1
    table = env.curated_table("orders").name
    last = max(
        r["committed_at"]
        for r in env.spark.sql(f"SELECT committed_at FROM {table}.snapshots").collect()
    )
    later = last.replace(tzinfo=UTC) + timedelta(days=1, minutes=1)
    options = env.options("orders", "compact", "compact-2", workflow=False)
    expired = compact.run(env.spark, options, clock=lambda: later)

    # THEN only the current snapshot is left, with the same rows
    assert env.curated("orders") == before
    assert len(env.snapshots("orders")) == 1
    assert expired.details["expire_snapshots"]["deleted_manifest_lists_count"] >= 2


def test_compaction_of_chosen_partitions_leaves_the_others_alone(env: PipelineEnv) -> None:
    publish_one_run_per_export(env)
    table = env.curated_table("orders").name
    query = f"SELECT partition.dt, file_count FROM {table}.partitions ORDER BY 1"
    day_two = env.spark.sql(query).collect()[1]

    env.run("compact", "orders", "compact-2", "--partitions", "dt=2026-11-20", workflow=False)

    counts = env.spark.sql(query).collect()
    assert counts[0]["file_count"] == 1
    assert counts[1] == day_two


def test_rollback_restores_an_earlier_snapshot(env: PipelineEnv) -> None:
    # GIVEN the first export published, then the second (which updates O-1001 and O-1008)
    first_run = env.batch("orders", {EXPORTS[0]: SAMPLES / "orders" / EXPORTS[0]}, "b1")
    env.run_pipeline("orders", first_run)
    after_first = env.curated("orders")
    first_snapshot = str(env.snapshots("orders")[-1]["snapshot_id"])
    second_run = env.batch("orders", {EXPORTS[1]: SAMPLES / "orders" / EXPORTS[1]}, "b2")
    env.run_pipeline("orders", second_run)
    assert env.curated("orders") != after_first

    # WHEN the table is rolled back to the first publish's snapshot
    summary = env.run(
        "compact", "orders", "rb-1", "--rollback_to_snapshot", first_snapshot, workflow=False
    )

    # THEN it reads as right after the first publish, and says so
    assert env.curated("orders") == after_first
    assert summary.details["snapshot"]["snapshot_id"] == first_snapshot
    assert summary.details["rollback"]["current_snapshot_id"] == first_snapshot


def test_rollback_to_an_unknown_snapshot_fails_clearly(env: PipelineEnv) -> None:
    run_id = env.batch("orders", {EXPORTS[0]: SAMPLES / "orders" / EXPORTS[0]}, "b1")
    env.run_pipeline("orders", run_id)
    with pytest.raises(JobFailed, match=r"rollback of gluekit_dev\.orders refused"):
        env.run("compact", "orders", "rb-2", "--rollback_to_snapshot", "42", workflow=False)


def test_rollback_before_any_publish_fails_clearly(env: PipelineEnv) -> None:
    with pytest.raises(JobFailed, match=r"no curated table gluekit_dev\.orders to roll back"):
        env.run("compact", "orders", "rb-3", "--rollback_to_time", "garbage", workflow=False)


def test_partition_specs_become_filters_on_the_hidden_partition_source() -> None:
    assert parse_partition_specs("dt=2026-11-20, dt=2026-11-21", ["dt"]) == [
        {"dt": "2026-11-20"},
        {"dt": "2026-11-21"},
    ]
    with pytest.raises(ValueError, match="'day' is not a partition column"):
        parse_partition_specs("day=2026-11-20", ["dt"])
    with pytest.raises(ValueError, match="not name=value"):
        parse_partition_specs("2026-11-20", ["dt"])
    day = PartitionConfig("dt", "created_at", "day")
    month = PartitionConfig("m", "created_at", "month")
    assert partition_where([{"dt": "2026-11-20"}], [day]) == (
        "(`created_at` >= TIMESTAMP '2026-11-20 00:00:00' "
        "AND `created_at` < TIMESTAMP '2026-11-21 00:00:00')"
    )
    assert "TIMESTAMP '2027-01-01 00:00:00'" in partition_where([{"m": "2026-12"}], [month])
    with pytest.raises(ValueError, match="is not a day partition"):
        partition_where([{"dt": "20/11/2026"}], [day])


def test_a_bad_partitions_argument_fails_the_job(env: PipelineEnv) -> None:
    with pytest.raises(JobFailed, match="--partitions"):
        env.run("compact", "orders", "compact-4", "--partitions", "day=1", workflow=False)
