"""The curated table's SQL and the facts read from snapshots (no Spark session needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gluekit.render import GLUE_CATALOG, glue_catalog_conf
from gluekit_glue import iceberg
from gluekit_glue.config import parse_config
from gluekit_glue.merge import merge_sql, newer_condition
from tests.glue.pipeline_env import rendered_configs


def orders() -> tuple[object, iceberg.CuratedTable]:
    config = parse_config(rendered_configs()["orders"])
    return config, iceberg.CuratedTable("glue_catalog", "gluekit_dev", "orders", "s3://c/orders/")


def test_the_table_is_created_with_contract_comments_lineage_and_retry_properties() -> None:
    config, table = orders()

    sql = iceberg.create_table_sql(config, table)  # type: ignore[arg-type]

    assert sql.startswith("CREATE TABLE IF NOT EXISTS glue_catalog.gluekit_dev.orders (")
    assert "`order_id` string NOT NULL COMMENT 'Shop order number'" in sql
    assert "`amount` decimal(12,2) NOT NULL" in sql and "`currency` string," in sql
    assert "`_ingested_at` timestamp COMMENT" in sql
    assert "LOCATION 's3://c/orders/'" in sql
    assert "'commit.retry.num-retries' = '10'" in sql and "'format-version' = '2'" in sql
    assert iceberg.partition_field_sql(config) == ["days(`created_at`) AS `dt`"]  # type: ignore[arg-type]


def test_newest_wins_by_order_by_then_arrival_and_a_tie_keeps_the_table_row() -> None:
    condition = newer_condition("updated_at")
    assert condition.startswith("(s.`updated_at` > t.`updated_at`)")
    assert "(s.`updated_at` <=> t.`updated_at`) AND (s._ingested_at > t._ingested_at" in condition
    assert newer_condition(None).startswith("s._ingested_at > t._ingested_at")
    config, table = orders()
    merge = merge_sql(config, table.name, "{source}")  # type: ignore[attr-defined]
    assert "ON t.`order_id` = s.`order_id` WHEN MATCHED AND" in merge


def test_row_changes_come_from_the_merge_on_read_snapshot_summary() -> None:
    summary = {"added-records": "6", "added-position-deletes": "2", "deleted-records": "0"}
    assert iceberg.row_changes(summary) == {"rows_added": 4, "rows_updated": 2, "rows_removed": 0}
    assert iceberg.row_changes({}) == {"rows_added": 0, "rows_updated": 0, "rows_removed": 0}


def test_glue_and_local_catalogs_differ_only_in_their_settings() -> None:
    conf = glue_catalog_conf("s3://curated/")
    assert GLUE_CATALOG == iceberg.GLUE_CATALOG
    assert (
        "spark.sql.catalog.glue_catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog"
        in conf
    )
    assert conf.count(" --conf ") == 5
    local = iceberg.local_catalog_settings("gluekit_x", "file:///tmp/w/")
    assert local["spark.sql.catalog.gluekit_x.type"] == "hadoop"
    for key, value in iceberg.CATALOG_SETTINGS.items():
        assert f"{GLUE_CATALOG}.{key}={value}" in conf
        assert local[f"spark.sql.catalog.gluekit_x.{key}"] == value


def test_timestamps_reach_sql_in_utc() -> None:
    moment = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
    assert iceberg.timestamp_literal(moment) == "TIMESTAMP '2026-11-22 07:30:00'"


def test_a_relative_local_root_gives_an_absolute_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the local runner's default workdir, '.local', relative to where the user stands
    monkeypatch.chdir(tmp_path)
    config = parse_config(rendered_configs()["orders"])

    warehouse = iceberg.local_warehouse(config, ".local/s3")

    # THEN a file:// URI of a folder ('file://.local/...' would name a host called '.local')
    assert warehouse == f"file://{tmp_path}/.local/s3/{config.buckets.curated}/"
