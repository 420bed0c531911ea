"""Write-audit-publish: a run's rows are written to a branch of the curated table of their own,
audited there, and published by moving ``main`` to it.

- Write (transform): `write_branch` cuts ``run_<run id>`` from main's current snapshot (a retry
  re-cuts it, so nothing half-written survives) and MERGEs the run's staged rows into it with
  the upsert of `merge`. The branch's head is then the table as it will be.
- Audit (validate): the rules read that snapshot (`audit`).
- Publish: a fast-forward of ``main`` to the branch. When ``main`` moved meanwhile (another
  publish, a compaction), `rebase` merges the run's rows from the audited snapshot onto the new
  main, on a branch of its own, for publish to audit again and fast-forward.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue import branches
from gluekit_glue.branches import BranchState
from gluekit_glue.config import JobConfig
from gluekit_glue.contract import RUN_ID
from gluekit_glue.iceberg import CuratedTable, at_snapshot
from gluekit_glue.merge import merge_sql, merge_with_retry

REBASE_SUFFIX = "_rebased"


def write_branch(
    spark: SparkSession,
    config: JobConfig,
    table: CuratedTable,
    run_id: str,
    rows: DataFrame | None,
) -> tuple[BranchState, int]:
    """(The run's branch once ``rows`` are merged into it, MERGE attempts). ``rows`` in the
    table's columns (`merge.merge_source`); None when the run has none."""
    name = branches.run_branch(run_id)
    return _cut_and_merge(spark, config, table, name, rows)


def rebase(
    spark: SparkSession, config: JobConfig, table: CuratedTable, audited: BranchState, run_id: str
) -> tuple[BranchState, int]:
    """The run's rows of the ``audited`` snapshot merged onto main's current snapshot, on the
    branch ``<run branch>_rebased``; (its state, MERGE attempts).

    Only the rows the run wrote there come along (lineage ``_run_id``): the others were not newer
    than the table's then, and a later main holds them or newer ones. The audited snapshot is
    read by id, so the run's branch may move or go while this runs.
    """
    rows = at_snapshot(spark, table.name, audited.snapshot_id)
    rows = rows.filter(F.col(RUN_ID) == F.lit(run_id))
    return _cut_and_merge(spark, config, table, audited.name + REBASE_SUFFIX, rows)


def _cut_and_merge(
    spark: SparkSession,
    config: JobConfig,
    table: CuratedTable,
    name: str,
    rows: DataFrame | None,
) -> tuple[BranchState, int]:
    base = branches.cut(spark, table, name, config.keep_snapshots_days)
    attempts = 0
    if rows is not None:
        sql = merge_sql(config, branches.branch_table(table, name), "{source}")
        attempts = merge_with_retry(spark, sql, rows)
    snapshot = branches.head(spark, table, name)
    assert snapshot is not None  # cut above; only this run writes its branch
    return BranchState(name, base, snapshot), attempts
