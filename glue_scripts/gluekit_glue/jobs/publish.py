"""The publish job: the run's staged data → the curated table, then the catalog.

Only the partitions the run touches are rewritten (dynamic partition overwrite), and each is
rewritten with its curated rows merged with the run's (an upsert on the primary key), so rows
that earlier runs published there are kept. Spark cannot read and overwrite one path in a single
action: the merged partitions are written to the run's staging area first, checked, then copied
over. Publishing the same staged data twice leaves identical curated data. The job refuses a run
whose validation report is missing or failed.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pyspark.sql import DataFrame, SparkSession

from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws, put_metrics, put_run_properties
from gluekit_glue.compact import partition_filter
from gluekit_glue.datasets import partition_counts, partition_dir, read_dataset, write_dataset
from gluekit_glue.jobs.common import Clock, JobContext, JobFailed, run_step
from gluekit_glue.publish import merge_into_curated, register_partitions
from gluekit_glue.storage import delete_path, path_exists
from gluekit_glue.summary import StepSummary, utc_now_iso


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "publish", aws, clock)
    return run_step(context, "publish", lambda summary: _publish(context, summary))


def _publish(context: JobContext, summary: StepSummary) -> None:
    config, run_id = context.config, context.run_id
    _require_passed_validation(context)
    table = _catalog_table(context)
    staged_uri = config.staged_uri(run_id)
    staged_path = context.spark_path(staged_uri)
    if not path_exists(context.spark, staged_path):
        raise JobFailed(f"no staged data at {staged_uri}: did transform succeed for run {run_id}?")
    frame = read_dataset(context.spark, staged_path, config)
    names = config.partition_names
    counts = partition_counts(frame, names)
    rows = sum(n for _, n in counts) if names else frame.count()
    created = existing = 0
    if rows:
        _merge_and_write(context, frame, [values for values, _ in counts])
        if names:
            created, existing = register_partitions(
                context.aws.glue, config.database, table, config.curated_uri, [v for v, _ in counts]
            )
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
        curated=config.curated_uri,
        table=f"{config.database}.{config.table}",
        partitions_registered=created,
        partitions_already_registered=existing,
        published_at=published_at,
    )


def _merge_and_write(context: JobContext, staged: DataFrame, touched: list[dict[str, str]]) -> None:
    spark, config = context.spark, context.config
    names = config.partition_names
    curated_path = context.spark_path(config.curated_uri)
    if path_exists(spark, curated_path):
        curated = read_dataset(spark, curated_path, config)
        if names:
            curated = curated.filter(partition_filter(touched))
        result = merge_into_curated(curated, staged, config.primary_key, config.order_by)
    else:
        result = staged
    merged_uri = config.merged_uri(context.run_id)
    merged_path = context.spark_path(merged_uri)
    write_dataset(result, merged_path, names, dynamic=False)
    merged = read_dataset(spark, merged_path, config)
    # Dynamic overwrite replaces only partitions present in `merged`: every touched one is.
    write_dataset(merged, curated_path, names, dynamic=bool(names))
    delete_path(spark, merged_path)


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


def _catalog_table(context: JobContext) -> dict[str, Any]:
    config = context.config
    try:
        return dict(
            context.aws.glue.get_table(DatabaseName=config.database, Name=config.table)["Table"]
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "EntityNotFoundException":
            raise JobFailed(
                f"Data Catalog table {config.database}.{config.table} does not exist: deploy the "
                f"pipeline's stack (it creates the table) before publishing"
            ) from exc
        raise
