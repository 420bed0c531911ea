"""Where data lives: S3 objects through boto3, datasets through Spark paths.

Two kinds of storage, in AWS and locally alike:

- **objects** — raw input files, manifests, reports, summaries, reason files, quarantined copies —
  are read and written with boto3. In tests and in the local runner that is moto, in the same
  process as the job.
- **datasets** — staged and curated Parquet, rejected rows — are read and written by Spark. On
  Glue a dataset's Spark path is its ``s3://`` URI. With a local root (``--gluekit_local_root
  DIR``) ``s3://bucket/key`` maps to ``file://DIR/bucket/key``, and Spark's input files, which
  are S3 objects, are first downloaded from (moto) S3 to that path (`Storage.readable`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError
from pyspark.sql import SparkSession

JSON_CONTENT_TYPE = "application/json"
NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NoSuchVersion", "NotFound", "NoSuchBucket"})


def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: '{uri}'")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in '{uri}'")
    return bucket, key


def is_not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return str(error.get("Code")) in NOT_FOUND_CODES or status == "404"


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    version_id: str | None
    size: int
    etag: str
    # The version a plain GET (and so Spark) reads today; None in unversioned buckets.
    latest_version_id: str | None
    # When this version arrived in S3 (LastModified): the row's ingested-at in curated.
    last_modified: datetime | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def is_latest(self) -> bool:
        return self.version_id is None or self.version_id == self.latest_version_id


class Storage:
    def __init__(self, s3: Any, local_root: str | None = None) -> None:
        self.s3 = s3
        self.local_root = Path(local_root).resolve() if local_root else None

    # ---------------------------------------------------------------------------- datasets
    def spark_path(self, uri: str) -> str:
        if self.local_root is None:
            return uri
        bucket, key = split_uri(uri)
        # Not Path.as_uri(): Hadoop takes the path as written and would look for '%20' literally.
        path = str(self.local_root / bucket / key)
        return "file://" + path + ("/" if uri.endswith("/") else "")

    def readable(self, info: ObjectInfo, pinned_prefix_uri: str) -> str:
        """A Spark path holding exactly this object version.

        Spark reads a key's latest version only. When the manifest names an older version (the
        key was overwritten after the bridge accepted it) that version is first copied to
        ``pinned_prefix_uri<version>/<key>`` so the job reads what the bridge checked.
        """
        uri = info.uri
        if not info.is_latest:
            uri = f"{pinned_prefix_uri}{info.version_id}/{info.key}"
            self.copy(info, uri)
        if self.local_root is not None:
            bucket, key = split_uri(uri)
            target = self.local_root / bucket / key
            target.parent.mkdir(parents=True, exist_ok=True)
            extra = {"VersionId": info.version_id} if uri == info.uri and info.version_id else {}
            body = self.s3.get_object(Bucket=bucket, Key=key, **extra)["Body"]
            with open(target, "wb") as out:
                for chunk in iter(lambda: body.read(8 * 1024 * 1024), b""):
                    out.write(chunk)
        return self.spark_path(uri)

    # ----------------------------------------------------------------------------- objects
    def head(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo | None:
        """The object (version), or None when it does not exist."""
        try:
            head = self.s3.head_object(Bucket=bucket, Key=key, **_version(version_id))
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise
        latest = head.get("VersionId")
        if version_id is not None:
            latest = self._latest_version(bucket, key)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            version_id=version_id or head.get("VersionId"),
            size=int(head["ContentLength"]),
            etag=str(head.get("ETag", "")).strip('"'),
            latest_version_id=latest,
            last_modified=head.get("LastModified"),
        )

    def _latest_version(self, bucket: str, key: str) -> str | None:
        """The version a plain GET reads; None when the key was deleted since (a delete
        marker), so the manifest's version is read from a pinned copy, not from the key."""
        try:
            return self.s3.head_object(Bucket=bucket, Key=key).get("VersionId")
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise

    def read_range(self, info: ObjectInfo, first: int, last: int) -> bytes:
        """Bytes first..last (inclusive) of the object version; fewer at the object's end."""
        if info.size == 0:
            return b""
        response = self.s3.get_object(
            Bucket=info.bucket,
            Key=info.key,
            Range=f"bytes={first}-{min(last, info.size - 1)}",
            **_version(info.version_id),
        )
        return bytes(response["Body"].read())

    def copy(self, info: ObjectInfo, target_uri: str) -> None:
        bucket, key = split_uri(target_uri)
        source = {"Bucket": info.bucket, "Key": info.key, **_version(info.version_id)}
        # The managed copy switches to multipart above 8 MB, so objects over 5 GB copy too.
        self.s3.copy(source, bucket, key)

    def get_json(self, uri: str) -> Any:
        bucket, key = split_uri(uri)
        body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return json.loads(body)

    def find_json(self, uri: str) -> Any | None:
        try:
            return self.get_json(uri)
        except ClientError as exc:
            if is_not_found(exc):
                return None
            raise

    def put_json(self, uri: str, value: Any) -> None:
        bucket, key = split_uri(uri)
        body = json.dumps(value, indent=2, sort_keys=False, default=str).encode("utf-8")
        self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=JSON_CONTENT_TYPE)


def _version(version_id: str | None) -> dict[str, str]:
    return {"VersionId": version_id} if version_id else {}


def reported_path(path: str) -> str:
    """A path as Spark reports it for a row (input_file_name: URL-encoded), comparable with
    `given_path` of the path we asked Spark to read."""
    return given_path(unquote(path))


def given_path(path: str) -> str:
    if path.startswith("file:"):
        return "/" + path[len("file:") :].lstrip("/")
    return path


# ------------------------------------------------------------------------ Hadoop file system
# Listing, sizing and deleting datasets goes through the JVM's Hadoop FileSystem, which knows
# both s3:// on Glue (EMRFS) and file:// locally.
def _fs_path(spark: SparkSession, path: str) -> tuple[Any, Any]:
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, hadoop_path


def path_exists(spark: SparkSession, path: str) -> bool:
    fs, hadoop_path = _fs_path(spark, path)
    return bool(fs.exists(hadoop_path))


def delete_path(spark: SparkSession, path: str) -> None:
    fs, hadoop_path = _fs_path(spark, path)
    if fs.exists(hadoop_path):
        fs.delete(hadoop_path, True)


def data_files(spark: SparkSession, path: str) -> list[tuple[str, int]]:
    """(path, bytes) of every data file under path, recursively; marker files excluded."""
    fs, hadoop_path = _fs_path(spark, path)
    if not fs.exists(hadoop_path):
        return []
    files = []
    iterator = fs.listFiles(hadoop_path, True)
    while iterator.hasNext():
        status = iterator.next()
        name = status.getPath().getName()
        if not name.startswith(("_", ".")):
            files.append((str(status.getPath().toString()), int(status.getLen())))
    return files
