"""Reading one SQS message body: an S3 "Object Created" event as EventBridge delivers it.

Key decoding happens here and only here. S3 URL-encodes `detail.object.key` in EventBridge events
the way it does in classic notifications (form encoding: '+' for a space, %XX for reserved and
non-ASCII bytes of the UTF-8 key). Powertools' `S3EventBridgeNotificationEvent` data class
decodes it (`unquote_plus`) when `.detail.object.key` is read; that read is the bridge's single
decode point. Everything downstream (prefix check, claims, S3 calls, manifests, quarantine)
works on the decoded key, and nothing decodes again: decoding twice would turn a literal '+'
or "%2B" in a key into something else.

A message is one of:
- `Delivery`: an Object Created event for an object under the pipeline's prefix in the raw bucket;
- `Skip`: a well-formed message the bridge deliberately does not act on (not an S3 event, an
  "Object Deleted" or other S3 event, another bucket, outside the prefix, a folder placeholder);
  the record succeeds and is counted as ignored;
- `Malformed`: a body that cannot be read as an event, or an Object Created event without the
  fields that identify the object; the record fails so that, after the queue's maxReceiveCount,
  it rests in the DLQ for a person to look at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent

from bridge.config import BridgeConfig

OBJECT_CREATED = "Object Created"
S3_SOURCE = "aws.s3"


@dataclass(frozen=True)
class ObjectRef:
    """One object version as the event describes it; `key` is already decoded."""

    bucket: str
    key: str
    version_id: str | None
    sequencer: str | None
    size: int
    etag: str
    # When the version arrived: the event's time (ISO 8601, UTC). The manifest carries it to
    # the curated rows' ingested-at, which decides between two versions of a row. None for a
    # claim recorded by an older bridge.
    arrived_at: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def identity(self) -> tuple[str, str, str]:
        """(bucket, key, version) — the version id, or the sequencer on an unversioned bucket.

        A "null" version id (versioning suspended) is overwritten in place by the next upload of
        the key, so it does not tell two uploads apart; the sequencer does.
        """
        if self.version_id and self.version_id != "null":
            return (self.bucket, self.key, f"version:{self.version_id}")
        return (self.bucket, self.key, f"sequencer:{self.sequencer}")


@dataclass(frozen=True)
class Delivery:
    message_id: str
    obj: ObjectRef


@dataclass(frozen=True)
class Skip:
    message_id: str
    why: str
    detail: str


@dataclass(frozen=True)
class Malformed:
    message_id: str
    detail: str


Message = Delivery | Skip | Malformed


def read_message(message_id: str, body: str, config: BridgeConfig) -> Message:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, TypeError) as exc:
        return Malformed(message_id, f"body is not JSON: {exc}")
    if not isinstance(data, dict):
        return Malformed(message_id, f"body is JSON {type(data).__name__}, not an event object")
    if ("Records" in data or data.get("Event") == "s3:TestEvent") and "detail-type" not in data:
        return Skip(
            message_id,
            "not_eventbridge",
            "a classic S3 notification (or its s3:TestEvent); the bridge reads EventBridge events",
        )
    source, detail_type = data.get("source"), data.get("detail-type")
    if source != S3_SOURCE:
        return Skip(message_id, "not_s3_event", f"source={source!r}, detail-type={detail_type!r}")
    if detail_type != OBJECT_CREATED:
        return Skip(
            message_id,
            "not_object_created",
            f"detail-type={detail_type!r}: the bridge only acts on new objects",
        )
    try:
        obj = _object_ref(S3EventBridgeNotificationEvent(data))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return Malformed(message_id, f"Object Created event without a usable {exc}")
    if obj.bucket != config.buckets.raw:
        return Skip(message_id, "other_bucket", f"bucket {obj.bucket} is not the raw bucket")
    if not obj.key.startswith(config.raw_prefix):
        return Skip(
            message_id, "outside_prefix", f"key {obj.key!r} is outside {config.raw_prefix!r}"
        )
    if obj.key.endswith("/") and obj.size == 0:
        return Skip(message_id, "folder_placeholder", f"{obj.key!r} is a folder placeholder")
    return Delivery(message_id, obj)


def _object_ref(event: S3EventBridgeNotificationEvent) -> ObjectRef:
    detail = event.detail
    raw: dict[str, Any] = detail.object.raw_event
    bucket = _required_text(detail.bucket.name, "bucket.name")
    key = _required_text(detail.object.key, "object.key")  # the one decode point
    size = raw.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError("object.size")
    version_id = raw.get("version-id") or None
    sequencer = raw.get("sequencer") or None
    if not (version_id and version_id != "null") and not sequencer:
        raise ValueError("object.version-id or object.sequencer")
    return ObjectRef(
        bucket=bucket,
        key=key,
        version_id=version_id,
        sequencer=sequencer,
        size=size,
        etag=str(raw.get("etag") or ""),
        arrived_at=str(event.get("time") or "") or None,
    )


def _required_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(field)
    return value
