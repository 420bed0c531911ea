"""Transform of a derived pipeline (spec ``trigger.after``): the upstreams' changed rows → the
steps → the run's staged Parquet, as `transform_rows` does for files.

What "changed" means and how the position is kept: `gluekit_glue.upstream`. The reads (each
upstream's snapshot and the position it starts from) go into the step summary, where publish
finds the positions to record with its commit.
"""

from __future__ import annotations

from pyspark import StorageLevel

from gluekit_glue.iceberg import curated_table, ensure_table
from gluekit_glue.jobs.common import JobContext
from gluekit_glue.jobs.transform_rows import Counts, write_empty, write_rows
from gluekit_glue.steps import apply_steps
from gluekit_glue.summary import StepSummary
from gluekit_glue.upstream import changed_rows, plan_reads, with_derived_lineage

UPSTREAMS_DETAIL = "upstreams"
# The earlier versions of the changed rows: an order that moved from one day to another is in
# `input` with its new day and in `input_before` with its old one, so both days are recomputed.
BEFORE_VIEW = "input_before"


def stage_changes(context: JobContext, summary: StepSummary) -> Counts:
    spark, config = context.spark, context.config
    table = curated_table(spark, config, context.options.local_root)
    ensure_table(spark, config, table)  # its properties hold the positions
    reads = plan_reads(spark, table, config.upstreams)
    summary.details[UPSTREAMS_DETAIL] = [read.to_json() for read in reads]
    staged_path = context.spark_path(config.staged_uri(context.run_id))
    rejects_path = context.spark_path(config.row_rejects_uri(context.run_id))
    changes = changed_rows(spark, reads, [c.name for c in config.source_columns])
    if changes is None:
        write_empty(context, staged_path, rejects_path)
        return Counts()
    # Counted, then used by the steps: read once.
    changed = changes.rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        rows_in = changed.count()
        if not rows_in:
            write_empty(context, staged_path, rejects_path)
            return Counts()
        pinned = {r.table_name: r.snapshot_id for r in reads if r.snapshot_id is not None}
        views = {BEFORE_VIEW: changes.before}
        result = apply_steps(context, changed, {}, pinned, views)
        result = with_derived_lineage(result, reads, context.clock())
        return write_rows(context, result, {}, staged_path, rows_in)
    finally:
        changed.unpersist()
