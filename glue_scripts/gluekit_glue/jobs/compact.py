"""The compact job: the curated table's maintenance, with Iceberg's own procedures.

1. ``rewrite_data_files``: small files (and the position deletes of upserts) into files of about
   ``compaction.target_file_mb``. It commits like any writer, optimistically: a publish that
   commits meanwhile is never overwritten; if the two conflict, the later commit fails and is
   retried (the compaction's files are left for the next run).
2. ``expire_snapshots``: history older than ``compaction.keep_snapshots_days`` goes (the current
   snapshot always stays), and with it the files only that history used.
3. ``remove_orphan_files``: files no snapshot references (a crashed writer's), older than
   ORPHAN_AGE_DAYS so that a writer still running is never robbed of its files.

With ``--rollback_to_snapshot ID`` or ``--rollback_to_time TS`` the job does only that
instead: ``main`` goes back to that snapshot (``rollback_to_snapshot`` /
``rollback_to_timestamp``), a metadata-only commit; the later snapshots stay until they expire.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pyspark.sql import SparkSession

from gluekit_glue import branches
from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws
from gluekit_glue.compact import MIB, parse_partition_specs, partition_where
from gluekit_glue.iceberg import CuratedTable, curated_table, current_snapshot, timestamp_literal
from gluekit_glue.jobs.common import Clock, JobContext, JobFailed, run_step
from gluekit_glue.summary import StepSummary

ORPHAN_AGE_DAYS = 3


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "compact", aws, clock)
    return run_step(context, "compact", lambda summary: _compact(context, summary))


def _compact(context: JobContext, summary: StepSummary) -> None:
    spark, config = context.spark, context.config
    where = None
    if context.options.partitions:
        try:
            specs = parse_partition_specs(context.options.partitions, config.partition_names)
            where = partition_where(specs, config.partition_by)
        except ValueError as exc:
            raise JobFailed(f"--partitions: {exc}") from exc
    table = curated_table(spark, config, context.options.local_root)
    rolling_back = bool(context.options.rollback_to_snapshot or context.options.rollback_to_time)
    if not spark.catalog.tableExists(table.name):
        if rolling_back:  # asked for a state that cannot exist: never report success
            raise JobFailed(f"no curated table {table.ident} to roll back: nothing published yet")
        summary.details["note"] = f"nothing to do: {table.ident} has no data yet (no publish)"
        return
    if rolling_back:
        _rollback(context, table, summary)
        return
    target = config.compaction_target_file_mb * MIB
    arguments = [
        f"table => '{table.ident}'",
        f"options => map('target-file-size-bytes', '{target}', 'min-input-files', '2', "
        # A file with deletes is worth rewriting even alone: reads stop merging them in.
        "'delete-file-threshold', '1', 'remove-dangling-deletes', 'true')",
    ]
    if where:
        arguments.append(f'where => "{where}"')
    rewrite = spark.sql(f"CALL {table.catalog}.system.rewrite_data_files({', '.join(arguments)})")
    rewritten = rewrite.collect()[0].asDict()
    now = context.clock()
    keep_until = now - timedelta(days=config.keep_snapshots_days)
    expired = (
        spark.sql(
            f"CALL {table.catalog}.system.expire_snapshots(table => '{table.ident}', "
            f"older_than => {timestamp_literal(keep_until)}, retain_last => 1)"
        )
        .collect()[0]
        .asDict()
    )
    orphans = spark.sql(
        f"CALL {table.catalog}.system.remove_orphan_files(table => '{table.ident}', "
        f"older_than => {timestamp_literal(now - timedelta(days=ORPHAN_AGE_DAYS))})"
    ).collect()
    summary.details.update(
        rewrite_data_files=rewritten,
        expire_snapshots=expired,
        orphan_files_removed=len(orphans),
        snapshot=current_snapshot(spark, table),
    )
    rows = spark.sql(f"SELECT count(*) FROM {table.name}").collect()[0][0]
    summary.rows_in = summary.rows_out = int(rows)


def _rollback(context: JobContext, table: CuratedTable, summary: StepSummary) -> None:
    spark, options = context.spark, context.options
    procedure = f"CALL {table.catalog}.system"
    if options.rollback_to_snapshot:
        if not options.rollback_to_snapshot.isdigit():
            raise JobFailed(f"--rollback_to_snapshot '{options.rollback_to_snapshot}' is no id")
        call = f"{procedure}.rollback_to_snapshot('{table.ident}', {options.rollback_to_snapshot})"
    else:
        moment = _instant(str(options.rollback_to_time))
        call = f"{procedure}.rollback_to_timestamp('{table.ident}', {timestamp_literal(moment)})"
    positions = [upstream.position_property for upstream in context.config.upstreams]
    if positions:
        # A derived table: its positions say what the rolled-back snapshots had read. Cleared
        # first (a crash before the rollback then only costs a full re-read), the next run reads
        # its upstreams whole and recomputes every key.
        branches.remove_properties(spark, table, positions)
        summary.details["positions_cleared"] = positions
    try:
        result = spark.sql(call).collect()[0].asDict()
    except Exception as exc:
        raise JobFailed(f"rollback of {table.ident} refused: {str(exc).splitlines()[0]}") from exc
    summary.details.update(
        rollback={k: str(v) for k, v in result.items()},
        snapshot=current_snapshot(spark, table),
    )


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise JobFailed(f"--rollback_to_time '{text}' is not an ISO 8601 instant") from None
