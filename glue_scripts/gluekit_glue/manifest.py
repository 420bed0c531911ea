"""The batch manifest the bridge writes: exactly the objects one run processes.

Shape: ``{"pipeline", "batch_id", "created_at", "files": [{"bucket", "key", "version_id",
"size", "etag", "uri", "arrived_at"}]}``. ``arrived_at`` (ISO 8601, UTC) is when the object
version arrived: the time of its Object Created event, which the bridge recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class ManifestError(ValueError):
    """The manifest cannot be used; the message names the manifest and the problem."""


@dataclass(frozen=True)
class ManifestFile:
    bucket: str
    key: str
    version_id: str | None
    size: int | None
    etag: str | None
    arrived_at: datetime | None = None  # None: a manifest from an older bridge

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Manifest:
    uri: str
    pipeline: str
    batch_id: str
    created_at: str | None
    files: tuple[ManifestFile, ...]


def parse_manifest(data: Any, uri: str) -> Manifest:
    if not isinstance(data, Mapping):
        raise ManifestError(f"manifest {uri} is not a JSON object")
    entries = data.get("files")
    if not isinstance(entries, list):
        raise ManifestError(f"manifest {uri} has no 'files' list")
    files: list[ManifestFile] = []
    seen: set[tuple[str, str, str | None]] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ManifestError(f"manifest {uri}: files[{index}] is not an object")
        bucket, key = entry.get("bucket"), entry.get("key")
        if not (isinstance(bucket, str) and bucket and isinstance(key, str) and key):
            raise ManifestError(f"manifest {uri}: files[{index}] needs 'bucket' and 'key'")
        version_id = entry.get("version_id") or None
        identity = (bucket, key, version_id)
        if identity in seen:  # the same object twice would be read twice
            continue
        seen.add(identity)
        size = entry.get("size")
        files.append(
            ManifestFile(
                bucket=bucket,
                key=key,
                version_id=str(version_id) if version_id else None,
                size=int(size) if isinstance(size, int) else None,
                etag=str(entry["etag"]).strip('"') if entry.get("etag") else None,
                arrived_at=_instant(entry.get("arrived_at"), f"manifest {uri}: files[{index}]"),
            )
        )
    return Manifest(
        uri=uri,
        pipeline=str(data.get("pipeline", "")),
        batch_id=str(data.get("batch_id", "")),
        created_at=data.get("created_at"),
        files=tuple(files),
    )


def _instant(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ManifestError(f"{where}.arrived_at '{value}' is not an ISO 8601 time") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
