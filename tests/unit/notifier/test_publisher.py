"""The SNS message: text for email and default, the JSON form for SQS and Lambda."""

from __future__ import annotations

import json

from notifier import publisher
from notifier.message import Notification


def notification(text: str = "Step x FAILED.\n", files: int = 1) -> Notification:
    data = {"schema": "gluekit.alert/1", "subject": "s", "text": text,
            "files": [{"uri": f"s3://raw/{i}.csv"} for i in range(files)]}  # fmt: skip
    return Notification("s", text, data, {"pipeline": "orders"})


def test_people_get_the_text_and_machines_the_json_form() -> None:
    note = notification()

    structure = json.loads(publisher.sns_message(note))

    assert set(structure) == {"default", "email", "sqs", "lambda"}
    assert structure["default"] == structure["email"] == note.text
    assert json.loads(structure["sqs"]) == json.loads(structure["lambda"]) == note.data


def test_a_message_over_the_sns_limit_is_shortened_not_dropped() -> None:
    note = notification(text="ü" * 100_000, files=2_000)

    body = publisher.sns_message(note)

    assert len(body.encode()) <= publisher.MAX_MESSAGE_BYTES
    structure = json.loads(body)
    assert structure["default"].endswith("... (message shortened to fit SNS)\n")
    document = json.loads(structure["sqs"])
    assert document["shortened"] is True
    assert "files" not in document
