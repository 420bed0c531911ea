"""The events S3 would have sent for objects already in raw, in the shape the bridge reads.

A manual start feeds the bridge's intake the "Object Created" event of each new object, as the
body of an SQS record: the key form-encoded as S3 encodes it, so it goes through the bridge's
one decode point like any arrival.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

if TYPE_CHECKING:
    from bridge.events import ObjectRef


def object_created_event(obj: ObjectRef, now: float) -> dict[str, Any]:
    """The EventBridge "Object Created" event S3 sends for `obj` (key form-encoded, as S3 does;
    the bridge's one decode point reads it back)."""
    detail_object: dict[str, Any] = {
        "key": quote_plus(obj.key, safe="/"),
        "size": obj.size,
        "etag": obj.etag,
    }
    if obj.version_id:
        detail_object["version-id"] = obj.version_id
    if obj.sequencer:
        detail_object["sequencer"] = obj.sequencer
    return {
        "version": "0",
        "id": f"gluekit-start-{obj.identity[2]}",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [f"arn:aws:s3:::{obj.bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": obj.bucket},
            "object": detail_object,
            "reason": "PutObject",
        },
    }


def sqs_record(message_id: str, obj: ObjectRef, now: float) -> Any:
    """The event as the bridge's intake reads it: the body of an SQS record."""
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    body = json.dumps(object_created_event(obj, now))
    return SQSRecord(
        {
            "messageId": message_id,
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "eventSource": "aws:sqs",
        }
    )
