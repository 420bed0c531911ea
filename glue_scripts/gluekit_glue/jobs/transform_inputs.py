"""Transform's inputs: the manifest's object versions, checked before Spark reads them.

1. Read the manifest (``--manifest`` or the workflow run property ``manifest``); every object it
   names must exist, else the job fails naming them.
2. Pre-flight each file with one ranged GET (empty, compression, header against the contract);
   a file that fails is copied to quarantine with a reason file.
3. Columns the contract does not know are reported; ``source.on_unknown_columns`` says whether
   their files still load, are quarantined, or fail the run.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from gluekit_glue.aws import get_run_properties, put_metrics
from gluekit_glue.drift import SourceFile, columns_of, describe, find_unknown_columns
from gluekit_glue.jobs.common import JobContext, JobFailed, log
from gluekit_glue.manifest import Manifest, ManifestError, ManifestFile, parse_manifest
from gluekit_glue.preflight import PROBE_BYTES, FileCheck, check_parquet_file, check_text_file
from gluekit_glue.storage import ObjectInfo, is_not_found
from gluekit_glue.summary import RejectedFile, StepSummary, utc_now_iso

PARALLEL_REQUESTS = 16


@dataclass(frozen=True)
class InputFile:
    info: ObjectInfo
    spark_path: str
    header: tuple[str, ...] | None  # CSV: source columns in the file's order
    # The version's arrival as the manifest records it (the bridge: its Object Created event's
    # time); S3's LastModified for a manifest from an older bridge.
    arrived_at: datetime | None


def readable_inputs(
    context: JobContext, summary: StepSummary, manifest: Manifest
) -> list[InputFile]:
    """The manifest's files that passed pre-flight and the drift policy; the others are
    quarantined (and listed in ``summary``)."""
    entries = list(manifest.files)
    infos = _existing_objects(context, manifest)
    checks = _parallel(lambda info: _preflight(context, info), infos)
    inputs: list[InputFile] = []
    for entry, info, check in zip(entries, infos, checks, strict=True):
        if check.ok:
            pinned = context.config.pinned_inputs_uri(context.run_id)
            path = context.storage.readable(info, pinned)
            inputs.append(InputFile(info, path, check.header, _arrival(entry, info)))
        else:
            quarantine_file(context, summary, info, check.reason or "rejected")
    return _apply_drift_policy(context, summary, inputs)


def _arrival(entry: ManifestFile, info: ObjectInfo) -> datetime | None:
    return entry.arrived_at or info.last_modified


# --------------------------------------------------------------------------------- manifest
def load_manifest(context: JobContext) -> Manifest:
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


def quarantine_file(
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
            quarantine_file(context, summary, item.info, reason)
        else:
            kept.append(item)
    return kept


def _parallel(function: Any, items: list[Any]) -> list[Any]:
    if len(items) <= 1:
        return [function(i) for i in items]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_REQUESTS, len(items))) as pool:
        return list(pool.map(function, items))
