"""The transform job: the manifest's files → the run's rows on a branch of the curated table.

1. The manifest's object versions, pre-flighted; bad files to quarantine (`transform_inputs`).
   A derived pipeline (spec trigger.after) reads its upstreams' changed rows instead
   (`transform_upstream`).
2. Read, cast to the contract, reject what does not fit, keep the latest row per primary key,
   write the run's staged Parquet (`transform_rows`).
3. Write: cut the run's branch ``run_<run id>`` from main (creating the table first when this is
   the pipeline's first run) and MERGE the staged rows into it (`wap.write_branch`). The branch's
   head is the curated table as it will be after publish; validate audits it, publish
   fast-forwards main to it. A retry re-cuts the branch, so it never continues from a half
   written one.
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws, put_metrics, put_run_properties
from gluekit_glue.contract import staged_schema
from gluekit_glue.iceberg import curated_table, ensure_table, snapshot_facts
from gluekit_glue.jobs.common import RUN_ID_PROPERTY, Clock, JobContext, JobFailed, run_step
from gluekit_glue.jobs.transform_inputs import load_manifest, readable_inputs
from gluekit_glue.jobs.transform_rows import Counts, stage_rows
from gluekit_glue.jobs.transform_upstream import stage_changes
from gluekit_glue.merge import MergeLostRaces, merge_source
from gluekit_glue.steps import run_parameters
from gluekit_glue.summary import StepSummary
from gluekit_glue.wap import write_branch


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "transform", aws, clock)
    return run_step(context, "transform", lambda summary: _transform(context, summary))


def _transform(context: JobContext, summary: StepSummary) -> None:
    config = context.config
    # validate and publish of this run (or of a resumed one) work on this run id's data.
    put_run_properties(context.aws, context.options, {RUN_ID_PROPERTY: context.run_id})
    manifest = load_manifest(context)
    summary.details.update(
        manifest=manifest.uri,
        batch_id=manifest.batch_id,
        files=len(manifest.files),
        staged=config.staged_uri(context.run_id),
        parameters=run_parameters(context),
    )
    if config.upstreams:  # a derived pipeline: its upstreams' changed rows, no files
        counts = stage_changes(context, summary)
    else:
        counts = stage_rows(context, summary, readable_inputs(context, summary, manifest))
    summary.rows_in, summary.rows_out = counts.rows_in, counts.rows_out
    summary.rows_rejected, summary.partitions = counts.rows_rejected, list(counts.partitions)
    # Rows dropped by dedupe: steps may drop or add rows too, so not rows_in - rejected - out.
    deduplicated = counts.duplicate_keys["rows_sharing_key"] - counts.duplicate_keys["keys"]
    summary.details["rows_deduplicated"] = deduplicated
    if config.steps and counts.rows_in > counts.rows_rejected:
        summary.details["rows_after_steps"] = counts.rows_out + deduplicated
    summary.details["reject_reasons"] = list(counts.reject_reasons)
    summary.details["duplicate_keys"] = dict(counts.duplicate_keys)
    if counts.rows_rejected:
        summary.details["row_rejects"] = config.row_rejects_uri(context.run_id)
    _write_run_branch(context, summary, counts)
    put_metrics(
        context.aws,
        config.metrics_namespace,
        config.pipeline,
        {
            "RowsIn": counts.rows_in,
            "RowsOut": counts.rows_out,
            "RowsRejected": counts.rows_rejected,
            "FilesRejected": len(summary.files_rejected),
        },
        context.clock(),
    )


def _write_run_branch(context: JobContext, summary: StepSummary, counts: Counts) -> None:
    spark, config, run_id = context.spark, context.config, context.run_id
    table = curated_table(spark, config, context.options.local_root)
    ensure_table(spark, config, table)
    rows = None
    if counts.rows_out:
        staged_path = context.spark_path(config.staged_uri(run_id))
        staged = spark.read.schema(staged_schema(config)).parquet(staged_path)
        rows = merge_source(staged, config, run_id)
    try:
        branch, attempts = write_branch(spark, config, table, run_id, rows)
    except MergeLostRaces as exc:
        raise JobFailed(f"{exc}; the run's branch is incomplete: run transform again") from exc
    summary.details.update(
        table=f"{config.database}.{config.table}",
        branch=branch.to_json(),
        # What the run changes, as the branch's snapshot counts it (None: nothing written).
        branch_snapshot=snapshot_facts(spark, table, branch.snapshot_id) if branch.wrote else None,
        merge_attempts=attempts,
    )
