"""The compact job: rewrite the files of chosen curated partitions into fewer, larger files
(about ``compaction_target_file_mb`` each) without changing a row.

Spark cannot read and overwrite the same path in one action, so the partitions are first written
to a staging location, checked, and then dynamic-overwritten back into the curated table.
Do not schedule it to overlap a publish of the same partitions.
"""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws
from gluekit_glue.compact import parse_partition_specs, partition_filter, records_per_file
from gluekit_glue.datasets import partition_counts, partition_dir, read_dataset, write_dataset
from gluekit_glue.jobs.common import Clock, JobContext, JobFailed, run_step
from gluekit_glue.storage import data_files, delete_path, path_exists
from gluekit_glue.summary import StepSummary


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "compact", aws, clock)
    return run_step(context, "compact", lambda summary: _compact(context, summary))


def _compact(context: JobContext, summary: StepSummary) -> None:
    spark, config = context.spark, context.config
    names = config.partition_names
    curated_path = context.spark_path(config.curated_uri)
    specs = None
    if context.options.partitions:
        try:
            specs = parse_partition_specs(context.options.partitions, names)
        except ValueError as exc:
            raise JobFailed(f"--partitions: {exc}") from exc
    if not path_exists(spark, curated_path):
        summary.details["note"] = f"nothing to compact: {config.curated_uri} does not exist"
        return
    frame = read_dataset(spark, curated_path, config)
    if specs is not None:
        frame = frame.filter(partition_filter(specs))
    counts = partition_counts(frame, names)
    dirs = [partition_dir(values) for values, _ in counts] if names else [""]
    if specs is not None:
        summary.details["not_found"] = [
            "/".join(f"{k}={v}" for k, v in s.items())
            for s in specs
            if not any(all(values.get(k) == v for k, v in s.items()) for values, _ in counts)
        ]
    before = {d: data_files(spark, _join(curated_path, d)) for d in dirs}
    total_bytes = sum(size for files in before.values() for _, size in files)
    rows = sum(n for _, n in counts) if names else frame.count()
    summary.rows_in = rows
    summary.partitions = [d for d in dirs if d]
    if rows == 0:
        summary.details["note"] = "no rows in the chosen partitions"
        return
    per_file = records_per_file(total_bytes, rows, config.compaction_target_file_mb)
    staging_uri = config.compaction_uri(context.run_id)
    staging_path = context.spark_path(staging_uri)
    # One task per partition; maxRecordsPerFile cuts its output into files of about the target.
    grouped = frame.repartition(*[F.col(n) for n in names]) if names else frame.coalesce(1)
    write_dataset(grouped, staging_path, names, dynamic=False, max_records_per_file=per_file)
    rewritten = read_dataset(spark, staging_path, config)
    staged_rows = rewritten.count()
    if staged_rows != rows:
        raise JobFailed(
            f"compaction wrote {staged_rows} rows for {rows} read; curated data left unchanged "
            f"(staging: {staging_uri})"
        )
    write_dataset(rewritten, curated_path, names, dynamic=True)
    delete_path(spark, staging_path)
    after = {d: data_files(spark, _join(curated_path, d)) for d in dirs}
    summary.rows_out = rows
    summary.details.update(
        records_per_file=per_file,
        files_before=sum(len(f) for f in before.values()),
        files_after=sum(len(f) for f in after.values()),
        bytes_before=total_bytes,
    )


def _join(path: str, directory: str) -> str:
    return path.rstrip("/") + "/" + directory if directory else path
