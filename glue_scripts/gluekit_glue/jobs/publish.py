"""The publish job: the run's staged rows → the curated Iceberg table, in one atomic MERGE.

- The first publish creates the table (`iceberg.ensure_table`).
- ``MERGE INTO`` on the primary key over the whole table: a key whose partition changed is
  moved, not kept twice. A staged row replaces the curated one only when it is newer by
  ``order_by``, then by ingested-at (the object version's arrival): replaying an older batch,
  or the same one, changes nothing. Without a primary key, an object version already published
  (by the lineage columns) is not appended again.
- One MERGE is one Iceberg commit: readers see all of the run or none of it. Iceberg retries a
  commit that lost the race (table properties ``commit.retry.*``); a conflicting one (a
  compaction or another publish rewrote files this MERGE read) fails with a ValidationException
  and the MERGE is run again on the new table, which is safe because it is idempotent.
- The job refuses a run whose validation report is missing or failed.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws, put_metrics, put_run_properties
from gluekit_glue.config import JobConfig
from gluekit_glue.contract import (
    INGESTED_AT,
    LINEAGE_COLUMNS,
    RUN_ID,
    SOURCE_URI,
    SOURCE_VERSION,
    staged_schema,
)
from gluekit_glue.datasets import partition_counts, partition_dir
from gluekit_glue.iceberg import CuratedTable, curated_table, current_snapshot, ensure_table
from gluekit_glue.jobs.common import Clock, JobContext, JobFailed, describe_error, log, run_step
from gluekit_glue.storage import path_exists
from gluekit_glue.summary import StepSummary, utc_now_iso

MERGE_ATTEMPTS = 4
# What a lost optimistic commit looks like from Spark: a conflict Iceberg found when validating
# the commit against the newer table, or its own retries running out.
CONFLICTS = ("ValidationException", "CommitFailedException", "CommitStateUnknownException")


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "publish", aws, clock)
    return run_step(context, "publish", lambda summary: _publish(context, summary))


def _publish(context: JobContext, summary: StepSummary) -> None:
    config, run_id = context.config, context.run_id
    _require_passed_validation(context)
    staged_uri = config.staged_uri(run_id)
    staged_path = context.spark_path(staged_uri)
    if not path_exists(context.spark, staged_path):
        raise JobFailed(f"no staged data at {staged_uri}: did transform succeed for run {run_id}?")
    table = curated_table(context.spark, config, context.options.local_root)
    ensure_table(context.spark, config, table)
    staged = context.spark.read.schema(staged_schema(config)).parquet(staged_path)
    counts = partition_counts(staged, config.partition_names)
    rows = sum(n for _, n in counts) if config.partition_names else staged.count()
    before = current_snapshot(context.spark, table)
    snapshot = None
    if rows:
        source = merge_source(staged, config, run_id)
        attempts = merge_with_retry(context.spark, merge_sql(config, table, "{source}"), source)
        after = current_snapshot(context.spark, table)
        # Nothing newer in the run (a replay): Iceberg writes no snapshot, or an empty one.
        if after and (not before or after["snapshot_id"] != before["snapshot_id"]):
            snapshot = after
        summary.details["merge_attempts"] = attempts
    published_at = utc_now_iso(context.clock())
    put_metrics(
        context.aws,
        config.metrics_namespace,
        config.pipeline,
        # An empty run is not fresh data: the staleness alarm keeps counting.
        {
            "PublishSucceeded": 1 if rows else 0,
            "RowsPublished": rows,
            "PartitionsPublished": len(counts),
        },
        context.clock(),
    )
    put_run_properties(context.aws, context.options, {"published_at": published_at})
    summary.rows_in = summary.rows_out = rows
    summary.partitions = [partition_dir(v) for v, _ in counts]
    summary.details.update(
        table=f"{config.database}.{config.table}",
        location=table.location or "(local hadoop catalog)",
        snapshot=snapshot,
        published_at=published_at,
    )


def merge_source(staged: DataFrame, config: JobConfig, run_id: str) -> DataFrame:
    """The table's columns, in its order: contract columns, then lineage with this run's id."""
    lineage = [F.col(name) for name, _, _ in LINEAGE_COLUMNS if name != RUN_ID]
    return staged.select(
        *[F.col(c.name) for c in config.columns], *lineage, F.lit(run_id).alias(RUN_ID)
    )


def merge_sql(config: JobConfig, table: CuratedTable, source: str) -> str:
    if not config.primary_key:
        # One object version's rows arrive together or not at all (one commit per run), so
        # "this version is already in the table" is "each of its rows is".
        on = " AND ".join(f"t.{c} <=> s.{c}" for c in (SOURCE_URI, SOURCE_VERSION))
        return (
            f"MERGE INTO {table.name} t USING {source} s ON {on} "
            f"AND t.{INGESTED_AT} <=> s.{INGESTED_AT} WHEN NOT MATCHED THEN INSERT *"
        )
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in config.primary_key)
    return (
        f"MERGE INTO {table.name} t USING {source} s ON {on} "
        f"WHEN MATCHED AND ({newer_condition(config.order_by)}) THEN UPDATE SET * "
        f"WHEN NOT MATCHED THEN INSERT *"
    )


def newer_condition(order_by: str | None) -> str:
    """The staged row s is newer than the curated row t: greater ``order_by`` (a null is
    older than any value), then a later ingested-at. A tie keeps the curated row."""
    s_at, t_at = f"s.{INGESTED_AT}", f"t.{INGESTED_AT}"
    ingested = f"{s_at} > {t_at} OR ({s_at} IS NOT NULL AND {t_at} IS NULL)"
    if order_by is None:
        return ingested
    o = f"`{order_by}`"
    return (
        f"(s.{o} > t.{o}) OR (s.{o} IS NOT NULL AND t.{o} IS NULL) "
        f"OR ((s.{o} <=> t.{o}) AND ({ingested}))"
    )


def merge_with_retry(spark: SparkSession, sql: str, source: DataFrame) -> int:
    """Run the MERGE, again on the new table when a concurrent commit conflicted with it.

    ``{source}`` in ``sql`` names ``source`` through a view of its own: concurrent publishes in
    one session never read each other's rows.
    """
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        try:
            spark.sql(sql, source=source)
            return attempt
        except Exception as exc:
            problem = describe_error(exc)
            if not any(kind in problem or kind in str(exc) for kind in CONFLICTS):
                raise
            if attempt == MERGE_ATTEMPTS:
                raise JobFailed(
                    f"the MERGE lost {attempt} races with concurrent commits ({problem}); "
                    "nothing was published: run publish again"
                ) from exc
            log.warning("MERGE conflicted with a concurrent commit, running it again: %s", problem)
    raise AssertionError("unreachable")


def _require_passed_validation(context: JobContext) -> None:
    uri = context.config.report_uri(context.run_id)
    report = context.storage.find_json(uri)
    if report is None:
        raise JobFailed(
            f"no validation report at {uri}: run validate for run {context.run_id} before publish"
        )
    if report.get("status") != "passed":
        raise JobFailed(
            f"validation of run {context.run_id} failed ({report.get('summary', 'see report')}); "
            f"not publishing. Report: {uri}"
        )
