"""Where a rejected object goes and what is said about it (pure).

The copy lands at `<quarantine_prefix>files/<yyyy-mm-dd>/<original key>` in the quarantine
bucket, the reason beside it at `<that key>.reason.json`. S3 keys have at most 1,024 bytes: when
the original key does not fit under the quarantine prefix, the copy goes to
`<quarantine_prefix>files/<yyyy-mm-dd>/<sha256 of the key, 16 hex>/<end of the key>`; the reason
file still names the full source.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from bridge.config import BridgeConfig
from bridge.events import ObjectRef
from bridge.manifest import iso_time
from bridge.preflight import Rejection

MAX_KEY_BYTES = 1024
REASON_SUFFIX = ".reason.json"


def quarantine_key(config: BridgeConfig, key: str, now: float) -> str:
    day = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")
    folder = f"{config.quarantine_prefix}files/{day}/"
    plain = folder + key
    if len((plain + REASON_SUFFIX).encode("utf-8")) <= MAX_KEY_BYTES:
        return plain
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    folder = f"{folder}{digest}/"
    budget = MAX_KEY_BYTES - len((folder + REASON_SUFFIX).encode("utf-8"))
    # Keep the end of the key (its file name); drop a character cut in half at the front.
    tail = key.encode("utf-8")[-budget:].decode("utf-8", errors="ignore").lstrip("/")
    return folder + tail


def reason_key(copy_key: str) -> str:
    return copy_key + REASON_SUFFIX


def reason_document(
    config: BridgeConfig, obj: ObjectRef, rejection: Rejection, now: float
) -> dict[str, Any]:
    return {
        "pipeline": config.pipeline,
        "source_uri": obj.uri,
        "version_id": obj.version_id,
        "reason": rejection.reason,
        "check": rejection.check,
        "detected_by": "bridge",
        "at": iso_time(now),
    }


def announcement(
    config: BridgeConfig,
    obj: ObjectRef,
    rejection: Rejection,
    quarantine_uri: str,
    reason_uri: str,
) -> dict[str, Any]:
    return {
        "pipeline": config.pipeline,
        "bucket": obj.bucket,
        "key": obj.key,
        "version_id": obj.version_id,
        "size": obj.size,
        "reason": rejection.reason,
        "check": rejection.check,
        "quarantine_uri": quarantine_uri,
        "reason_uri": reason_uri,
    }
