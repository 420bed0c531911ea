"""The validate job: the pipeline's rules on the run's staged data → report, run properties,
metrics; the job fails when an error-severity rule failed, so the workflow never publishes."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws, put_metrics, put_run_properties
from gluekit_glue.datasets import read_dataset
from gluekit_glue.iceberg import curated_table
from gluekit_glue.jobs.common import Clock, JobContext, JobFailed, ValidationFailed, run_step
from gluekit_glue.rules import evaluate_rules, report_status, summary_text
from gluekit_glue.storage import path_exists
from gluekit_glue.summary import StepSummary, utc_now_iso


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "validate", aws, clock)
    return run_step(context, "validate", lambda summary: _validate(context, summary))


def _validate(context: JobContext, summary: StepSummary) -> None:
    config, run_id = context.config, context.run_id
    staged_uri = config.staged_uri(run_id)
    staged_path = context.spark_path(staged_uri)
    if not path_exists(context.spark, staged_path):
        raise JobFailed(f"no staged data at {staged_uri}: did transform succeed for run {run_id}?")
    frame = read_dataset(context.spark, staged_path, config)
    rows, results = evaluate_rules(
        frame,
        config,
        context.clock(),
        transform=context.storage.find_json(config.summary_uri(run_id, "transform")),
        curated=_curated(context),
    )
    status = report_status(results)
    text = summary_text(results)
    report_uri = config.report_uri(run_id)
    context.storage.put_json(
        report_uri,
        {
            "pipeline": config.pipeline,
            "run_id": run_id,
            "status": status,
            "summary": text,
            "rows": rows,
            "rules": [r.to_json() for r in results],
            "created_at": utc_now_iso(context.clock()),
        },
    )
    put_run_properties(
        context.aws,
        context.options,
        {"validation_summary": text, "validation_status": status},
    )
    put_metrics(
        context.aws,
        config.metrics_namespace,
        config.pipeline,
        {
            "ValidationRulesFailed": sum(1 for r in results if r.failed),
            "ValidationFailed": 1 if status == "failed" else 0,
        },
        context.clock(),
    )
    summary.rows_in = summary.rows_out = rows
    summary.details.update(report=report_uri, validation_status=status, validation_summary=text)
    if status == "failed":
        raise ValidationFailed(
            f"validation failed for pipeline {config.pipeline}, run {run_id}: {text}. "
            f"Nothing was published. Report: {report_uri}"
        )


def _curated(context: JobContext) -> DataFrame | None:
    """The curated Iceberg table's current snapshot, as publish will merge into it (lazy: read
    only by a rule that needs it); None before the first publish created it."""
    table = curated_table(context.spark, context.config, context.options.local_root)
    if not context.spark.catalog.tableExists(table.name):
        return None
    return context.spark.table(table.name)
