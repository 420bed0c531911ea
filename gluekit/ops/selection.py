"""Which raw objects a manual start or a replay is about.

- `--files KEY ...`: each key's current version (HeadObject);
- `--prefix P [--since T] [--until T]`: every current version under P whose LastModified is in
  [since, until) (ListObjectVersions: it names the version ids, which ListObjectsV2 does not);
- `--run RUN_ID` (replay): exactly the object versions of that run's manifest.

An object is identified as the bridge identifies it (bucket, decoded key, version id), so a file
the bridge has seen is recognised by its claim. The raw bucket is versioned by the foundation
stack; an object without a version id (put before versioning was on) cannot be matched to a
claim reliably and is refused with what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.ops.errors import OpsError, error_code, explain
from gluekit.ops.execution_runs import runs_of
from gluekit.ops.session import Pipeline

if TYPE_CHECKING:
    from bridge.events import ObjectRef

Progress = Callable[[str], None]
PROGRESS_EVERY_PAGES = 10


@dataclass(frozen=True)
class Selection:
    files: Sequence[str] = ()
    prefix: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    run_id: str | None = None

    def describe(self) -> str:
        if self.run_id:
            return f"the files of run {self.run_id}"
        if self.files:
            return "the file named" if len(self.files) == 1 else f"{len(self.files)} files named"
        window = ""
        if self.since:
            window += f" since {self.since.isoformat()}"
        if self.until:
            window += f" until {self.until.isoformat()}"
        return f"files under {self.prefix}{window}"


def resolve(pipeline: Pipeline, selection: Selection, progress: Progress) -> list[ObjectRef]:
    spec = pipeline.spec
    if spec.is_derived:
        raise OpsError(
            f"{spec.name} follows {', '.join(spec.upstreams)} (trigger.after) and takes no files: "
            "its runs start when an upstream publishes; resume a failed one with "
            f"gluekit resume {spec.name} RUN_ID"
        )
    if selection.run_id:
        return _from_manifest(pipeline, selection.run_id)
    if selection.files:
        return [_current_version(pipeline, key) for key in selection.files]
    return _under_prefix(pipeline, selection, progress)


def _raw_bucket(pipeline: Pipeline) -> str:
    return pipeline.target.foundation.raw_bucket


def _check_under_prefix(pipeline: Pipeline, key: str) -> None:
    raw_prefix = pipeline.spec.raw_prefix
    if not key.startswith(raw_prefix):
        raise OpsError(
            f"'{key}' is outside the raw prefix of pipeline {pipeline.name} ('{raw_prefix}'): "
            "only objects under it are the pipeline's"
        )


def _current_version(pipeline: Pipeline, key: str) -> ObjectRef:
    from bridge.events import ObjectRef

    _check_under_prefix(pipeline, key)
    bucket = _raw_bucket(pipeline)
    try:
        head = pipeline.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            raise OpsError(f"no object s3://{bucket}/{key} in the raw bucket") from None
        raise OpsError(explain(exc, f"reading s3://{bucket}/{key}")) from None
    except BotoCoreError as exc:
        raise OpsError(explain(exc, f"reading s3://{bucket}/{key}")) from None
    return ObjectRef(
        bucket=bucket,
        key=key,
        version_id=_version(bucket, key, head.get("VersionId")),
        sequencer=None,
        size=int(head.get("ContentLength") or 0),
        etag=str(head.get("ETag") or "").strip('"'),
    )


def _under_prefix(pipeline: Pipeline, selection: Selection, progress: Progress) -> list[ObjectRef]:
    from bridge.events import ObjectRef

    prefix = selection.prefix or pipeline.spec.raw_prefix
    _check_under_prefix(pipeline, prefix)
    bucket = _raw_bucket(pipeline)
    found: list[ObjectRef] = []
    try:
        paginator = pipeline.client("s3").get_paginator("list_object_versions")
        for number, page in enumerate(paginator.paginate(Bucket=bucket, Prefix=prefix), 1):
            if number % PROGRESS_EVERY_PAGES == 0:
                progress(f"listing s3://{bucket}/{prefix}: {number} pages, {len(found):,} files")
            for version in page.get("Versions", []):
                if _selected(version, selection):
                    found.append(
                        ObjectRef(
                            bucket=bucket,
                            key=str(version["Key"]),
                            version_id=_version(bucket, version["Key"], version.get("VersionId")),
                            sequencer=None,
                            size=int(version.get("Size") or 0),
                            etag=str(version.get("ETag") or "").strip('"'),
                        )
                    )
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(explain(exc, f"listing s3://{bucket}/{prefix}")) from None
    return sorted(found, key=lambda o: o.key)


def _selected(version: dict[str, Any], selection: Selection) -> bool:
    if not version.get("IsLatest"):
        return False  # an older version, or a key whose latest version is a delete marker
    key, size = str(version["Key"]), int(version.get("Size") or 0)
    if key.endswith("/") and size == 0:
        return False  # a folder placeholder, as the bridge skips it
    modified = version.get("LastModified")
    if selection.since and (modified is None or modified < selection.since):
        return False
    return not (selection.until and modified is not None and modified >= selection.until)


def _version(bucket: str, key: str, version_id: Any) -> str:
    if not version_id or version_id == "null":
        raise OpsError(
            f"s3://{bucket}/{key} has no version id (it was put before versioning was on): copy "
            "it onto itself (aws s3 cp with the same source and target) to give it one"
        )
    return str(version_id)


def _from_manifest(pipeline: Pipeline, run_id: str) -> list[ObjectRef]:
    from bridge.events import ObjectRef

    run = runs_of(pipeline).run(run_id)
    uri = run.properties.get("manifest")
    if not uri:
        raise OpsError(f"run {run_id} has no manifest run property: it was not started by gluekit")
    manifest = runs_of(pipeline).document(uri)
    if manifest is None:
        raise OpsError(f"the manifest of run {run_id} is gone: {uri}")
    return [
        ObjectRef(
            bucket=str(entry["bucket"]),
            key=str(entry["key"]),
            version_id=entry.get("version_id"),
            sequencer=entry.get("sequencer"),
            size=int(entry.get("size") or 0),
            etag=str(entry.get("etag") or ""),
        )
        for entry in manifest.get("files", [])
    ]
