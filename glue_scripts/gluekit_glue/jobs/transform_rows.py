"""Transform's rows: the checked files → staged Parquet of the run, rejected rows → quarantine.

Read with Spark, all columns as text, cast to the contract; rows that do not fit go to the row
rejects with their reason. Keep the latest row per primary key, derive partitions, write
``staged/<run_id>/data/`` (what the run's branch MERGE then reads). The input is read once: the
checked rows are persisted, counts come from one aggregate over them (never from an Observation
that an empty plan may never fill), the staged data and the rejects are written from them.

A file Spark cannot read (truncated gzip, corrupt Parquet) fails that action: each file is then
probed alone, the unreadable ones quarantined, and the rest processed again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.arguments import JobOptions
from gluekit_glue.config import JobConfig
from gluekit_glue.contract import dataset_schema, parquet_read_schema
from gluekit_glue.datasets import rebalanced, write_dataset
from gluekit_glue.jobs.common import JobContext, JobFailed, describe_error, log
from gluekit_glue.jobs.transform_inputs import InputFile, quarantine_file
from gluekit_glue.sources import escape_glob, read_parquet_source, read_text_source
from gluekit_glue.steps import apply_steps
from gluekit_glue.storage import delete_path, given_path, reported_path
from gluekit_glue.summary import StepSummary
from gluekit_glue.transform import (
    REASON,
    REASON_KINDS,
    SOURCE_FILE,
    Lineage,
    check_rows,
    rejected_rows,
    staged_rows,
    valid_rows,
)

NO_DUPLICATES = {"rows_sharing_key": 0, "keys": 0, "conflicting_keys": 0}
TOP_REASONS = 10


@dataclass(frozen=True)
class Counts:
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    partitions: tuple[str, ...] = ()
    reject_reasons: tuple[dict[str, Any], ...] = ()
    # rows_sharing_key: rows whose key occurs more than once in the batch; keys: such keys;
    # conflicting_keys: those whose rows differ in some non-key column.
    duplicate_keys: dict[str, int] = field(default_factory=lambda: dict(NO_DUPLICATES))


def stage_rows(context: JobContext, summary: StepSummary, inputs: list[InputFile]) -> Counts:
    try:
        return _write_staged(context, inputs)
    except Exception as first_error:
        unreadable = _probe(context.spark, context.options, inputs)
        if not unreadable:
            raise
        log.warning("Spark could not read %d file(s): %s", len(unreadable), first_error)
        for item, reason in unreadable:
            quarantine_file(context, summary, item.info, reason)
        bad = {id(item) for item, _ in unreadable}
        return _write_staged(context, [i for i in inputs if id(i) not in bad])


def _write_staged(context: JobContext, inputs: Sequence[InputFile]) -> Counts:
    spark, config = context.spark, context.config
    staged_path = context.spark_path(config.staged_uri(context.run_id))
    rejects_path = context.spark_path(config.row_rejects_uri(context.run_id))
    if not inputs:
        write_empty(context, staged_path, rejects_path)
        return Counts()
    # The checked rows are kept (memory, spilling to disk) so that the input is read once while
    # three things are computed from them: the counts, the staged data and the rejects. The
    # counts come from a plain aggregate, never an Observation: with adaptive execution an
    # Observation below a stage that turns out empty (every row rejected) is never filled and
    # Observation.get waits forever.
    checked = _checked_rows(spark, config, inputs).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return _stage_checked(context, checked, inputs, staged_path, rejects_path)
    finally:
        checked.unpersist()


def _stage_checked(
    context: JobContext,
    checked: DataFrame,
    inputs: Sequence[InputFile],
    staged_path: str,
    rejects_path: str,
) -> Counts:
    config = context.config
    rejected = F.col(REASON).isNotNull()
    totals = checked.agg(
        F.count(F.lit(1)).alias("rows_in"),
        F.sum(F.when(rejected, 1).otherwise(0)).alias("rows_rejected"),
        F.to_json(F.collect_set(F.when(rejected, F.col(SOURCE_FILE)))).alias("reject_files"),
    ).first()
    assert totals is not None  # a global aggregate has one row
    rows_in, rows_rejected = int(totals["rows_in"]), int(totals["rows_rejected"] or 0)
    reasons: list[dict[str, Any]] = []
    if rows_rejected:
        reported = json.loads(totals["reject_files"] or "[]")
        rejected_rows(checked, _manifest_uris(reported, inputs)).write.mode("overwrite").json(
            rejects_path
        )
        reasons = _top_reasons(checked)
    else:
        delete_path(context.spark, rejects_path)  # a rerun of the run must not leave stale rejects
    if rows_in == rows_rejected:
        write_empty(context, staged_path, None)
        return Counts(rows_in, 0, rows_rejected, (), tuple(reasons), NO_DUPLICATES)
    valid = valid_rows(checked, config.source_columns)  # cast to the contract, rejects left out
    # The spec's own steps, after the casts and before the dedupe (`gluekit_glue.steps`).
    valid = apply_steps(context, valid, _lineage(inputs))
    return write_rows(
        context, valid, _lineage(inputs), staged_path, rows_in, rows_rejected, tuple(reasons)
    )


def write_rows(
    context: JobContext,
    valid: DataFrame,
    lineage: Mapping[str, Lineage],
    staged_path: str,
    rows_in: int,
    rows_rejected: int = 0,
    reasons: tuple[dict[str, Any], ...] = (),
) -> Counts:
    """Dedupe ``valid`` (some rows), derive its partitions, write it as the run's staged data."""
    config = context.config
    # Some rows are valid, so the plan is not empty and this Observation is filled.
    observed = Observation()
    staged = staged_rows(valid, config, observed, lineage)
    write_dataset(
        rebalanced(staged, config.partition_names),
        staged_path,
        config.partition_names,
        dynamic=False,
    )
    metrics = observed.get
    partitions = [p for p in json.loads(metrics.get("partitions") or "[]") if p]
    duplicates = {name: int(metrics.get(name) or 0) for name in NO_DUPLICATES}
    return Counts(
        rows_in=rows_in,
        rows_out=int(metrics.get("rows_out") or 0),
        rows_rejected=rows_rejected,
        partitions=tuple(partitions),
        reject_reasons=reasons,
        duplicate_keys=duplicates,
    )


def _top_reasons(checked: DataFrame) -> list[dict[str, Any]]:
    """The most frequent reasons, without the offending values so that they group; a row with
    two reasons counts under both."""
    rows = (
        checked.filter(F.col(REASON).isNotNull())
        .select(F.explode(F.col(REASON_KINDS)).alias("reason"))
        .groupBy("reason")
        .agg(F.count(F.lit(1)).alias("rows"))
        .orderBy(F.col("rows").desc(), F.col("reason"))
        .limit(TOP_REASONS)
        .collect()
    )
    return [{"reason": r["reason"], "rows": int(r["rows"])} for r in rows]


def write_empty(context: JobContext, staged_path: str, rejects_path: str | None) -> None:
    """An empty staged dataset lets validate's row_count rule report that nothing arrived."""
    empty = context.spark.createDataFrame([], dataset_schema(context.config))
    write_dataset(empty, staged_path, context.config.partition_names, dynamic=False)
    if rejects_path is not None:
        delete_path(context.spark, rejects_path)


def _lineage(inputs: Sequence[InputFile]) -> dict[str, Lineage]:
    return {
        given_path(i.spark_path): Lineage(i.info.uri, i.info.version_id, i.arrived_at)
        for i in inputs
    }


def _checked_rows(spark: SparkSession, config: JobConfig, inputs: Sequence[InputFile]) -> DataFrame:
    source = config.source
    if source.format == "parquet":
        raw = read_parquet_source(spark, [i.spark_path for i in inputs], config)
        return check_rows(raw, config.source_columns, text=False, partitions=config.partition_by)
    # CSV files may order their columns differently: one read per header order.
    groups: dict[tuple[str, ...], list[str]] = {}
    for item in inputs:
        order = item.header or tuple(c.source for c in config.source_columns)
        groups.setdefault(order, []).append(item.spark_path)
    exact = [c.source for c in config.source_columns if c.decimal or c.type in ("int", "bigint")]
    frames = [
        check_rows(
            read_text_source(spark, paths, source, order, exact),
            config.source_columns,
            text=True,
            check_utf8=source.csv.encoding == "utf-8",
            partitions=config.partition_by,
            null_values=source.csv.null_values if source.format == "csv" else (),
            timezone=source.timezone,
        )
        for order, paths in groups.items()
    ]
    return reduce(DataFrame.unionByName, frames)


def _manifest_uris(reported: Sequence[str], inputs: Sequence[InputFile]) -> dict[str, str]:
    """Spark's URL-encoded path of each rejecting file → the object's s3:// URI."""
    by_path = {given_path(i.spark_path): i.info.uri for i in inputs}
    return {p: by_path[reported_path(p)] for p in reported if reported_path(p) in by_path}


def _probe(
    spark: SparkSession, options: JobOptions, inputs: Sequence[InputFile]
) -> list[tuple[InputFile, str]]:
    """Read each file alone, completely; those that fail cannot be read by Spark at all."""
    unreadable = []
    for item in inputs:
        path = escape_glob(item.spark_path)
        try:
            if options.config.source.format == "parquet":
                frame = spark.read.schema(parquet_read_schema(options.config)).parquet(path)
            else:
                frame = spark.read.option("ignoreCorruptFiles", "false").text(path)
            frame.write.format("noop").mode("overwrite").save()
        except Exception as exc:
            problem = describe_error(exc)
            if "PATH_NOT_FOUND" in problem or "does not exist" in problem:
                # The object was there a moment ago: a fault of the job, not of the file.
                raise JobFailed(f"Spark cannot find {item.spark_path} ({item.info.uri})") from exc
            unreadable.append((item, f"unreadable file: {problem}"))
    return unreadable
