"""The transform job: the manifest's files → staged Parquet of the run, rejects → quarantine.

1. Read the manifest (``--manifest`` or the workflow run property ``manifest``); every object it
   names must exist, else the job fails naming them.
2. Pre-flight each file with one ranged GET (empty, compression, header against the contract);
   a file that fails is copied to quarantine with a reason file.
3. Read the rest with Spark, all columns as text, cast to the contract; rows that do not fit go
   to the row rejects with their reason. Keep the latest row per primary key, derive partitions,
   write ``staged/<run_id>/data/``. The input is read once: the checked rows are persisted,
   counts come from one aggregate over them (never from an Observation that an empty plan may
   never fill), the staged data and the rejects are written from them.
4. A file Spark cannot read (truncated gzip, corrupt Parquet) fails that action: each file is then
   probed alone, the unreadable ones quarantined, and the rest processed again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from botocore.exceptions import ClientError
from pyspark import StorageLevel
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.arguments import JobOptions
from gluekit_glue.aws import Aws, get_run_properties, put_metrics, put_run_properties
from gluekit_glue.config import JobConfig
from gluekit_glue.contract import dataset_schema, parquet_read_schema
from gluekit_glue.datasets import rebalanced, write_dataset
from gluekit_glue.drift import SourceFile, columns_of, describe, find_unknown_columns
from gluekit_glue.jobs.common import (
    RUN_ID_PROPERTY,
    Clock,
    JobContext,
    JobFailed,
    describe_error,
    log,
    run_step,
)
from gluekit_glue.manifest import Manifest, ManifestError, parse_manifest
from gluekit_glue.preflight import PROBE_BYTES, FileCheck, check_parquet_file, check_text_file
from gluekit_glue.sources import escape_glob, read_parquet_source, read_text_source
from gluekit_glue.steps import apply_steps, run_parameters
from gluekit_glue.storage import ObjectInfo, delete_path, given_path, is_not_found, reported_path
from gluekit_glue.summary import RejectedFile, StepSummary, utc_now_iso
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

PARALLEL_REQUESTS = 16


@dataclass(frozen=True)
class InputFile:
    info: ObjectInfo
    spark_path: str
    header: tuple[str, ...] | None  # CSV: source columns in the file's order


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


def run(
    spark: SparkSession, options: JobOptions, *, aws: Aws | None = None, clock: Clock | None = None
) -> StepSummary:
    context = JobContext.create(spark, options, "transform", aws, clock)
    return run_step(context, "transform", lambda summary: _transform(context, summary))


def _transform(context: JobContext, summary: StepSummary) -> None:
    config = context.config
    # validate and publish of this run (or of a resumed one) work on this run id's data.
    put_run_properties(context.aws, context.options, {RUN_ID_PROPERTY: context.run_id})
    manifest = _load_manifest(context)
    summary.details.update(
        manifest=manifest.uri,
        batch_id=manifest.batch_id,
        files=len(manifest.files),
        staged=config.staged_uri(context.run_id),
        parameters=run_parameters(context),
    )
    infos = _existing_objects(context, manifest)
    checks = _parallel(lambda info: _preflight(context, info), infos)
    inputs: list[InputFile] = []
    for info, check in zip(infos, checks, strict=True):
        if check.ok:
            path = context.storage.readable(info, config.pinned_inputs_uri(context.run_id))
            inputs.append(InputFile(info, path, check.header))
        else:
            _quarantine_file(context, summary, info, check.reason or "rejected")
    inputs = _apply_drift_policy(context, summary, inputs)
    counts = _process(context, summary, inputs)
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


# --------------------------------------------------------------------------------- manifest
def _load_manifest(context: JobContext) -> Manifest:
    uri = context.options.manifest
    if uri is None:
        uri = get_run_properties(context.aws, context.options).get("manifest")
    if not uri:
        raise JobFailed(
            "no manifest: the workflow run has no 'manifest' run property; for a manual run "
            "pass --manifest s3://<bucket>/<key>"
        )
    try:
        data = context.storage.get_json(uri)
    except ClientError as exc:
        if is_not_found(exc):
            raise JobFailed(f"manifest {uri} does not exist") from exc
        raise
    except json.JSONDecodeError as exc:
        raise JobFailed(f"manifest {uri} is not valid JSON: {exc}") from exc
    try:
        manifest = parse_manifest(data, uri)
    except ManifestError as exc:
        raise JobFailed(str(exc)) from exc
    if manifest.pipeline and manifest.pipeline != context.config.pipeline:
        raise JobFailed(
            f"manifest {uri} belongs to pipeline '{manifest.pipeline}', "
            f"this job to '{context.config.pipeline}'"
        )
    return manifest


def _existing_objects(context: JobContext, manifest: Manifest) -> list[ObjectInfo]:
    heads = _parallel(
        lambda f: context.storage.head(f.bucket, f.key, f.version_id), list(manifest.files)
    )
    missing = [
        f.uri + (f" (version {f.version_id})" if f.version_id else "")
        for f, head in zip(manifest.files, heads, strict=True)
        if head is None
    ]
    if missing:
        raise JobFailed(
            f"manifest {manifest.uri} names {len(missing)} object(s) that do not exist: "
            + ", ".join(missing[:10])
        )
    infos = [h for h in heads if h is not None]
    for entry, info in zip(manifest.files, infos, strict=True):
        if entry.etag and not entry.version_id and entry.etag != info.etag:
            log.warning("%s changed since the manifest was written (ETag differs)", info.uri)
    return infos


def _preflight(context: JobContext, info: ObjectInfo) -> FileCheck:
    source = context.config.source
    if source.format == "parquet":
        head = context.storage.read_range(info, 0, 3)
        tail = context.storage.read_range(info, max(0, info.size - 4), info.size - 1)
        return check_parquet_file(head, tail, info.size)
    head = context.storage.read_range(info, 0, PROBE_BYTES - 1)
    expected = [c.source for c in context.config.source_columns]
    return check_text_file(head, info.size, source, expected)


def _quarantine_file(
    context: JobContext, summary: StepSummary, info: ObjectInfo, reason: str
) -> None:
    """Copy the raw object (never moved: raw stays as it arrived) and write why, beside it."""
    target = context.config.file_reject_uri(context.run_id, info.key)
    context.storage.copy(info, target)
    context.storage.put_json(
        target + ".reason.json",
        {
            "pipeline": context.config.pipeline,
            "source_uri": info.uri,
            "version_id": info.version_id,
            "reason": reason,
            "detected_by": "transform",
            "run_id": context.run_id,
            "at": utc_now_iso(context.clock()),
        },
    )
    summary.files_rejected.append(RejectedFile(info.uri, reason))
    log.warning("quarantined %s: %s", info.uri, reason)


# ------------------------------------------------------------------------------------ drift
def _apply_drift_policy(
    context: JobContext, summary: StepSummary, inputs: list[InputFile]
) -> list[InputFile]:
    """Columns the contract does not know are always reported; source.on_unknown_columns says
    whether the files still load (warn), go to quarantine, or fail the run. Returns the inputs
    that stay in the run."""
    files = [SourceFile(i.info.uri, i.spark_path, i.header) for i in inputs]
    unknown = find_unknown_columns(context.spark, context.config, files)
    if not unknown:
        return inputs
    policy = context.config.source.on_unknown_columns
    summary.details["unknown_columns"] = [u.to_json() for u in unknown]
    summary.details["on_unknown_columns"] = policy
    put_metrics(
        context.aws,
        context.config.metrics_namespace,
        context.config.pipeline,
        {"UnknownColumns": len(unknown)},
        context.clock(),
    )
    text = describe(unknown)
    if policy == "fail":
        raise JobFailed(
            f"source drift: {text}; source.on_unknown_columns is 'fail': nothing loaded"
        )
    if policy == "warn":
        log.warning("source drift, loading the contract's columns only: %s", text)
        return inputs
    kept = []
    for item in inputs:
        columns = columns_of(item.info.uri, unknown)
        if columns:
            reason = (
                f"columns not in the contract: {columns} (source.on_unknown_columns: quarantine)"
            )
            _quarantine_file(context, summary, item.info, reason)
        else:
            kept.append(item)
    return kept


# ------------------------------------------------------------------------------------ spark
def _process(context: JobContext, summary: StepSummary, inputs: list[InputFile]) -> Counts:
    try:
        return _write_staged(context, inputs)
    except Exception as first_error:
        unreadable = _probe(context.spark, context.options, inputs)
        if not unreadable:
            raise
        log.warning("Spark could not read %d file(s): %s", len(unreadable), first_error)
        for item, reason in unreadable:
            _quarantine_file(context, summary, item.info, reason)
        bad = {id(item) for item, _ in unreadable}
        return _write_staged(context, [i for i in inputs if id(i) not in bad])


def _write_staged(context: JobContext, inputs: Sequence[InputFile]) -> Counts:
    spark, config = context.spark, context.config
    staged_path = context.spark_path(config.staged_uri(context.run_id))
    rejects_path = context.spark_path(config.row_rejects_uri(context.run_id))
    if not inputs:
        _write_empty(context, staged_path, rejects_path)
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
        _write_empty(context, staged_path, None)
        return Counts(rows_in, 0, rows_rejected, (), tuple(reasons), NO_DUPLICATES)
    # Some rows are valid, so the plan is not empty and this Observation is filled.
    observed = Observation()
    valid = apply_steps(context, valid_rows(checked, config.source_columns), _lineage(inputs))
    staged = staged_rows(valid, config, observed, _lineage(inputs))
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
        reject_reasons=tuple(reasons),
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


def _write_empty(context: JobContext, staged_path: str, rejects_path: str | None) -> None:
    """An empty staged dataset lets validate's row_count rule report that nothing arrived."""
    empty = context.spark.createDataFrame([], dataset_schema(context.config))
    write_dataset(empty, staged_path, context.config.partition_names, dynamic=False)
    if rejects_path is not None:
        delete_path(context.spark, rejects_path)


def _lineage(inputs: Sequence[InputFile]) -> dict[str, Lineage]:
    return {
        given_path(i.spark_path): Lineage(i.info.uri, i.info.version_id, i.info.last_modified)
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


def _parallel(function: Any, items: list[Any]) -> list[Any]:
    if len(items) <= 1:
        return [function(i) for i in items]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_REQUESTS, len(items))) as pool:
        return list(pool.map(function, items))
