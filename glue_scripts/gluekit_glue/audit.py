"""What the rules audit: one snapshot of the run's branch, i.e. the curated table as it will be
once the run is published.

- ``table``: every row of that snapshot. Table-level rules (``unique_key``,
  ``partition_completeness``) judge it.
- ``run_rows``: its rows that this run wrote (lineage ``_run_id``): rows it inserted, or updated
  because they were newer. Row-level rules judge them: they are what the run publishes. A row the
  MERGE kept out (not newer than the table's) is not published, so it is not judged either.
- ``replaced``: the rows of the snapshot the branch was cut from whose keys the run rewrote, so
  that a partition a key moved out of counts as touched.

Partitions are hidden in the table; they are derived here as the rules name them (``dt`` as
``yyyy-MM-dd``), the same derivation transform uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.config import JobConfig
from gluekit_glue.contract import RUN_ID
from gluekit_glue.iceberg import CuratedTable, at_snapshot
from gluekit_glue.transform import derive_partitions


@dataclass(frozen=True)
class AuditView:
    table: DataFrame
    run_rows: DataFrame
    replaced: DataFrame | None


def audit_view(
    spark: SparkSession,
    table: CuratedTable,
    config: JobConfig,
    run_id: str,
    snapshot_id: int,
    base_snapshot_id: int | None,
) -> AuditView:
    """The view of ``snapshot_id``; ``base_snapshot_id`` is the snapshot it was cut from (None
    or equal: the run wrote nothing there)."""
    after = _at(spark, table, snapshot_id, config)
    run_rows = after.filter(F.col(RUN_ID) == F.lit(run_id))
    replaced = None
    if config.primary_key and base_snapshot_id is not None and base_snapshot_id != snapshot_id:
        keys = run_rows.select(*config.primary_key)
        before = _at(spark, table, base_snapshot_id, config)
        replaced = before.join(keys, list(config.primary_key), "left_semi")
    return AuditView(after, run_rows, replaced)


def _at(spark: SparkSession, table: CuratedTable, snapshot_id: int, config: JobConfig) -> DataFrame:
    frame = at_snapshot(spark, table.name, snapshot_id)
    return derive_partitions(frame, config.partition_by)
