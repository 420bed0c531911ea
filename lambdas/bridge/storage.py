"""S3 access: read the start of a raw object, copy it to quarantine, write JSON documents.

The raw object is only ever read (GetObject, and as the source of a copy): the kit never
deletes or modifies raw data.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from bridge.events import ObjectRef
from bridge.preflight import Head
from shared.aws import client

# CopyObject copies at most 5 GiB in one request; the bridge copies nothing larger (intake).
SINGLE_COPY_LIMIT = 5 * 1024**3
GONE_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})


class ObjectGone(Exception):
    """The object (version) the event describes no longer exists."""


class ObjectStore:
    def read_head(self, obj: ObjectRef, length: int, tail_length: int = 0) -> Head:
        data = self._read(obj, f"bytes=0-{length - 1}")
        tail = self._read(obj, f"bytes=-{tail_length}") if tail_length else b""
        return Head(data=data, complete=len(data) >= obj.size, tail=tail)

    def copy(self, obj: ObjectRef, bucket: str, key: str) -> None:
        source: dict[str, str] = {"Bucket": obj.bucket, "Key": obj.key}
        if obj.version_id:
            source["VersionId"] = obj.version_id
        if obj.size > SINGLE_COPY_LIMIT:
            raise ValueError(f"{obj.uri}: {obj.size} bytes is more than one CopyObject copies")
        try:
            client("s3").copy_object(CopySource=source, Bucket=bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in GONE_CODES:
                raise ObjectGone(obj.uri) from exc
            raise

    def put_json(self, bucket: str, key: str, document: dict[str, Any]) -> str:
        client("s3").put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
            ContentType="application/json",
        )
        return f"s3://{bucket}/{key}"

    def get_json(self, bucket: str, key: str) -> dict[str, Any]:
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        document: dict[str, Any] = json.loads(body)
        return document

    def _read(self, obj: ObjectRef, byte_range: str) -> bytes:
        request: dict[str, str] = {"Bucket": obj.bucket, "Key": obj.key, "Range": byte_range}
        if obj.version_id:
            request["VersionId"] = obj.version_id
        try:
            response = client("s3").get_object(**request)
        except ClientError as exc:
            if _code(exc) in GONE_CODES:
                raise ObjectGone(obj.uri) from exc
            raise
        body: bytes = response["Body"].read()
        return body


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
