"""Publishes a notification to the alerts topic: text for people, JSON for machines.

One publish with MessageStructure='json': email (and every protocol without its own entry, via
`default`) gets the text; SQS and Lambda subscribers get the JSON document, which carries the
subject and text as well. Message attributes (pipeline, kind, step, state) let a team subscribe
to its own pipeline with a filter policy, since the topic is shared by every pipeline.
"""

from __future__ import annotations

import json
from typing import Any

from notifier.message import Notification
from shared.aws import client

# SNS allows 256 KiB per message, the JSON structure with all its copies included.
MAX_MESSAGE_BYTES = 256 * 1024
MACHINE_PROTOCOLS = ("sqs", "lambda")
_SHORT_TEXT_CHARS = 16_000


def sns_message(notification: Notification) -> str:
    """The MessageStructure='json' body; shrinks the copies if they would exceed the limit."""
    message = _structure(notification.text, notification.data)
    if len(message.encode("utf-8")) <= MAX_MESSAGE_BYTES:
        return message
    # Only reachable with pathological inputs (the builder caps what grows); keep the alert.
    text = notification.text[:_SHORT_TEXT_CHARS] + "\n... (message shortened to fit SNS)\n"
    essentials = {k: v for k, v in notification.data.items() if k not in {"text", "files"}}
    return _structure(text, {**essentials, "text": text, "shortened": True})


def publish(topic_arn: str, notification: Notification) -> str:
    response = client("sns").publish(
        TopicArn=topic_arn,
        Subject=notification.subject,
        Message=sns_message(notification),
        MessageStructure="json",
        MessageAttributes={
            name: {"DataType": "String", "StringValue": value}
            for name, value in notification.attributes.items()
        },
    )
    return str(response["MessageId"])


def _structure(text: str, data: Any) -> str:
    document = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return json.dumps(
        {"default": text, "email": text, **dict.fromkeys(MACHINE_PROTOCOLS, document)},
        ensure_ascii=False,
    )
