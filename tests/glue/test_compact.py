"""The compact job: fewer, larger files in the chosen partitions, the same rows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from gluekit_glue.compact import parse_partition_specs, records_per_file
from gluekit_glue.contract import dataset_schema
from gluekit_glue.jobs.common import JobFailed
from tests.glue.pipeline_env import PipelineEnv


def fragment_curated(env: PipelineEnv) -> None:
    """Curated orders as many small publishes leave them: several files per partition."""
    config = env.config("orders")
    days = [datetime(2026, 11, 20, 8), datetime(2026, 11, 21, 9)]
    rows = [
        (f"O-{i}", "C-1", "paid", Decimal("1.00"), "EUR", at, at, at.strftime("%Y-%m-%d"))
        for i in range(6)
        for at in days
    ]
    frame = env.spark.createDataFrame(rows, dataset_schema(config)).repartition(3)
    frame.write.partitionBy("dt").parquet(f"file://{env.local(config.curated_uri)}")


def parquet_files(env: PipelineEnv, partition: str) -> list[str]:
    folder = env.local(env.config("orders").curated_uri) / partition
    return sorted(p.name for p in folder.glob("*.parquet"))


def test_compact_rewrites_only_the_chosen_partition_into_one_file(env: PipelineEnv) -> None:
    fragment_curated(env)
    before = env.curated("orders")
    untouched = parquet_files(env, "dt=2026-11-21")
    assert len(parquet_files(env, "dt=2026-11-20")) > 1

    summary = env.run(
        "compact", "orders", "compact-1", "--partitions", "dt=2026-11-20", workflow=False
    )

    assert len(parquet_files(env, "dt=2026-11-20")) == 1
    assert parquet_files(env, "dt=2026-11-21") == untouched
    assert env.curated("orders") == before
    assert summary.details["files_after"] == 1
    assert summary.details["not_found"] == []
    assert not env.local(env.config("orders").compaction_uri("jr_compact-1")).exists()


def test_compact_without_partitions_rewrites_every_partition(env: PipelineEnv) -> None:
    fragment_curated(env)
    before = env.curated("orders")

    summary = env.run("compact", "orders", "compact-2", workflow=False)

    assert summary.partitions == ["dt=2026-11-20", "dt=2026-11-21"]
    assert [len(parquet_files(env, p)) for p in summary.partitions] == [1, 1]
    assert env.curated("orders") == before


def test_partition_specs_are_checked_against_the_table() -> None:
    assert parse_partition_specs("dt=2026-11-20, dt=2026-11-21", ["dt"]) == [
        {"dt": "2026-11-20"},
        {"dt": "2026-11-21"},
    ]
    assert parse_partition_specs("m=2026-11/dt=2026-11-20", ["m", "dt"]) == [
        {"m": "2026-11", "dt": "2026-11-20"}
    ]
    with pytest.raises(ValueError, match="'day' is not a partition column"):
        parse_partition_specs("day=2026-11-20", ["dt"])
    with pytest.raises(ValueError, match="not name=value"):
        parse_partition_specs("2026-11-20", ["dt"])


def test_a_bad_partitions_argument_fails_the_job(env: PipelineEnv) -> None:
    with pytest.raises(JobFailed, match="--partitions"):
        env.run("compact", "orders", "compact-3", "--partitions", "day=1", workflow=False)


def test_rows_per_file_aim_at_the_target_size() -> None:
    # 1,000,000 rows in 256 MiB: 268 bytes a row; 128 MiB files hold half of them.
    assert records_per_file(256 * 1024 * 1024, 1_000_000, 128) == 500_000
    assert records_per_file(0, 0, 128) == 1
