"""`gluekit redrive`: show the bridge DLQ's messages, then move them back.

moto lacks StartMessageMoveTask and ListMessageMoveTasks: SQS is scripted with Stubber.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.stub import ANY, Stubber

from gluekit.local.aws_events import ACCOUNT, REGION
from tests.functional.ops.conftest import ORDERS, World

DLQ_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{ORDERS.bridge_dlq}"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{ORDERS.bridge_queue}"
DLQ_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{ORDERS.bridge_dlq}"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{ORDERS.bridge_queue}"
EVENT = {
    "source": "aws.s3",
    "detail-type": "Object Created",
    "detail": {"bucket": {"name": "raw"}, "object": {"key": "orders/a.csv", "version-id": "v1"}},
}


def queues(sqs: Stubber, depth: int) -> None:
    for name, url, arn, messages in (
        (ORDERS.bridge_dlq, DLQ_URL, DLQ_ARN, depth),
        (ORDERS.bridge_queue, QUEUE_URL, QUEUE_ARN, 0),
    ):
        sqs.add_response("get_queue_url", {"QueueUrl": url}, {"QueueName": name})
        sqs.add_response(
            "get_queue_attributes",
            {"Attributes": {"QueueArn": arn, "ApproximateNumberOfMessages": str(messages)}},
            {"QueueUrl": url, "AttributeNames": ["QueueArn", "ApproximateNumberOfMessages"]},
        )


def peek(sqs: Stubber, *bodies: str) -> None:
    messages = [
        {"MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": body,
         "Attributes": {"ApproximateReceiveCount": "5"}}
        for n, body in enumerate(bodies)
    ]  # fmt: skip
    sqs.add_response(
        "receive_message",
        {"Messages": messages},
        {
            "QueueUrl": DLQ_URL,
            "MaxNumberOfMessages": len(bodies),
            "VisibilityTimeout": 0,  # a peek: the messages stay visible
            "WaitTimeSeconds": 0,
            "MessageSystemAttributeNames": ["ApproximateReceiveCount", "SentTimestamp"],
        },
    )


def tasks(sqs: Stubber, *results: dict[str, Any]) -> None:
    sqs.add_response(
        "list_message_move_tasks",
        {"Results": list(results)},
        {"SourceArn": DLQ_ARN, "MaxResults": 1},
    )


def test_redrive_shows_the_messages_then_moves_them_back_and_follows_the_task(
    world: World,
) -> None:
    sqs = world.stub("sqs")
    queues(sqs, depth=2)
    peek(sqs, json.dumps(EVENT), "not json at all")
    tasks(sqs)  # no task yet
    sqs.add_response(
        "start_message_move_task",
        {"TaskHandle": "handle-1"},
        {"SourceArn": DLQ_ARN, "DestinationArn": QUEUE_ARN},
    )
    tasks(sqs, {"Status": "RUNNING", "ApproximateNumberOfMessagesMoved": 1,
                "ApproximateNumberOfMessagesToMove": 2, "SourceArn": DLQ_ARN})  # fmt: skip
    tasks(sqs, {"Status": "COMPLETED", "ApproximateNumberOfMessagesMoved": 2,
                "ApproximateNumberOfMessagesToMove": 2, "SourceArn": DLQ_ARN})  # fmt: skip

    result = world.gluekit("redrive", "orders", "--yes", "--json")

    assert result.status == 0, result.err
    sqs.assert_no_pending_responses()
    assert [m["what"] for m in result.json["messages"]] == [
        "Object Created: s3://raw/orders/a.csv (version v1)",
        "not an S3 event: not json at all",
    ]
    assert result.json["task"]["Status"] == "COMPLETED"
    assert "RUNNING: 1 of 2 moved" in result.err  # progress, on stderr
    assert world.time.slept == [5.0]


def test_redrive_dry_run_moves_nothing(world: World) -> None:
    sqs = world.stub("sqs")
    queues(sqs, depth=1)
    peek(sqs, json.dumps(EVENT))
    tasks(sqs)

    result = world.gluekit("redrive", "orders", "--dry-run")

    assert result.status == 0, result.err
    sqs.assert_no_pending_responses()  # and no StartMessageMoveTask was called
    assert "Object Created: s3://raw/orders/a.csv (version v1)" in result.out
    assert "then move them back with --yes" in result.out


def test_redrive_without_yes_and_no_terminal_moves_nothing(world: World) -> None:
    sqs = world.stub("sqs")
    queues(sqs, depth=1)
    peek(sqs, json.dumps(EVENT))
    tasks(sqs)

    result = world.gluekit("redrive", "orders")  # stdin is not a terminal under pytest

    assert result.status == 1
    assert result.err.strip() == (
        "error: 1 message in the DLQ, nothing moved: pass --yes to move them back (or "
        "--dry-run to only look)"
    )


def test_an_empty_dlq_needs_nothing(world: World) -> None:
    # moto: the DLQ exists and is empty
    result = world.gluekit("redrive", "orders", "--yes")

    assert result.status == 0, result.err
    assert "The DLQ is empty: nothing to move." in result.out


def test_a_move_already_running_is_not_started_twice(world: World) -> None:
    sqs = world.stub("sqs")
    queues(sqs, depth=3)
    peek(sqs, json.dumps(EVENT), json.dumps(EVENT), json.dumps(EVENT))
    tasks(sqs, {"Status": "RUNNING", "ApproximateNumberOfMessagesMoved": 1,
                "ApproximateNumberOfMessagesToMove": 3, "SourceArn": DLQ_ARN})  # fmt: skip

    result = world.gluekit("redrive", "orders", "--yes")

    assert result.status == 1
    assert "a move task from the DLQ is already RUNNING: 1 of 3 moved" in result.err
    sqs.assert_no_pending_responses()


def test_a_missing_dlq_says_to_deploy(world: World) -> None:
    sqs = world.stub("sqs")
    sqs.add_client_error(
        "get_queue_url",
        service_error_code="AWS.SimpleQueueService.NonExistentQueue",
        service_message="The specified queue does not exist.",
        expected_params={"QueueName": ANY},
    )

    result = world.gluekit("redrive", "orders", "--yes")

    assert result.status == 1
    assert "npx cdk deploy -c env=dev gluekit-dev-orders" in result.err
    assert len(result.err.strip().splitlines()) == 1
