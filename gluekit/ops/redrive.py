"""`gluekit redrive PIPELINE`: show what the bridge's DLQ holds, then move it back.

The DLQ holds only messages the bridge could not read or record (never a busy Glue: files then
wait as pending). The command first shows them (a peek that leaves them visible), then, once the
cause is fixed and the person says so (`--yes`, or answering the question), starts an SQS
message move task from the DLQ back to the bridge's queue and follows it until it is done.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.ops import clock
from gluekit.ops.errors import OpsError, explain
from gluekit.ops.output import Printer, count, fields, table
from gluekit.ops.session import Pipeline

PEEK_BATCH = 10
FINISHED = frozenset({"COMPLETED", "CANCELLED", "FAILED"})


def redrive(
    pipeline: Pipeline,
    printer: Printer,
    *,
    yes: bool,
    dry_run: bool,
    show: int,
    per_second: int | None,
    wait: bool,
    poll_seconds: float,
) -> int:
    if pipeline.spec.is_derived:
        raise OpsError(
            f"{pipeline.name} follows {', '.join(pipeline.spec.upstreams)} (trigger.after): it "
            "has no arrivals queue, so no DLQ; a failed run is resumed with gluekit resume"
        )
    sqs = pipeline.client("sqs")
    doing = f"reading the bridge queues of {pipeline.name}"
    try:
        dlq_url, dlq = _queue(sqs, pipeline.names.bridge_dlq)
        _, queue = _queue(sqs, pipeline.names.bridge_queue)
        depth = int(dlq.get("ApproximateNumberOfMessages", 0))
        messages = _peek(sqs, dlq_url, min(show, depth)) if depth else []
        running = _running_task(sqs, dlq["QueueArn"]) if depth else None
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(explain(exc, doing, deploy_hint=pipeline.deploy_command)) from None
    document: dict[str, Any] = {
        "pipeline": pipeline.name,
        "dlq": dlq["QueueArn"],
        "destination": queue["QueueArn"],
        "depth": depth,
        "messages": messages,
        "task": None,
    }
    if depth == 0 or running is not None or dry_run:
        document["task"] = running
        printer.emit(document, lambda: _lines(document, dry_run=dry_run))
        if running is not None and not dry_run:
            raise OpsError(
                f"a move task from the DLQ is already {running.get('Status')}: "
                f"{running.get('ApproximateNumberOfMessagesMoved', 0)} of "
                f"{running.get('ApproximateNumberOfMessagesToMove', '?')} moved"
            )
        return 0
    if not yes:
        if printer.as_json or not sys.stdin.isatty():
            raise OpsError(
                f"{count(depth, 'message')} in the DLQ, nothing moved: pass --yes to move them "
                "back (or --dry-run to only look)"
            )
        for line in _lines(document, dry_run=True):
            print(line, file=printer.out)
        answer = input(
            f"Move {count(depth, 'message')} back to {pipeline.names.bridge_queue}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            raise OpsError("nothing moved")
    request: dict[str, Any] = {"SourceArn": dlq["QueueArn"], "DestinationArn": queue["QueueArn"]}
    if per_second:
        request["MaxNumberOfMessagesPerSecond"] = per_second
    try:
        handle = sqs.start_message_move_task(**request)["TaskHandle"]
        printer.progress(f"moving {count(depth, 'message')} back to {pipeline.names.bridge_queue}")
        task = _follow(sqs, dlq["QueueArn"], printer, poll_seconds) if wait else None
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(explain(exc, "moving the DLQ's messages back")) from None
    document["task"] = {"handle": handle, **(task or {"Status": "RUNNING"})}
    printer.emit(document, lambda: _lines(document, dry_run=False, listed=yes))
    status = document["task"].get("Status")
    if status in ("FAILED", "CANCELLED"):
        raise OpsError(f"the move task {status}: {document['task'].get('FailureReason', '')}")
    return 0


def _queue(sqs: Any, name: str) -> tuple[str, dict[str, str]]:
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn", "ApproximateNumberOfMessages"]
    )["Attributes"]
    return str(url), dict(attributes)


def _peek(sqs: Any, url: str, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` messages, received with no visibility timeout: they stay where they are."""
    seen: dict[str, dict[str, Any]] = {}
    while len(seen) < limit:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(PEEK_BATCH, limit - len(seen)),
            VisibilityTimeout=0,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
        ).get("Messages", [])
        fresh = [m for m in batch if m["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen[message["MessageId"]] = describe_message(message)
    return list(seen.values())


def describe_message(message: dict[str, Any]) -> dict[str, Any]:
    """What a DLQ message is about: the object of an "Object Created" event, or the text."""
    body = str(message.get("Body") or "")
    attributes = message.get("Attributes") or {}
    what = f"not an S3 event: {body[:80]}"
    try:
        event = json.loads(body)
    except ValueError:
        event = None
    if isinstance(event, dict) and event.get("source") == "aws.s3":
        detail = event.get("detail") or {}
        bucket = (detail.get("bucket") or {}).get("name")
        obj = detail.get("object") or {}
        what = f"{event.get('detail-type')}: s3://{bucket}/{obj.get('key')}"
        if obj.get("version-id"):
            what += f" (version {obj['version-id']})"
    elif isinstance(event, dict):
        what = f"{event.get('source')} {event.get('detail-type')}: not an S3 event"
    return {
        "message_id": message["MessageId"],
        "what": what,
        "receives": int(attributes.get("ApproximateReceiveCount", 0)),
    }


def _running_task(sqs: Any, dlq_arn: str) -> dict[str, Any] | None:
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1).get("Results", [])
    if tasks and tasks[0].get("Status") == "RUNNING":
        return dict(tasks[0])
    return None


def _follow(sqs: Any, dlq_arn: str, printer: Printer, poll_seconds: float) -> dict[str, Any]:
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1).get("Results", [])
        task = dict(tasks[0]) if tasks else {"Status": "COMPLETED"}
        moved = task.get("ApproximateNumberOfMessagesMoved", 0)
        total = task.get("ApproximateNumberOfMessagesToMove", "?")
        printer.progress(f"  {task.get('Status')}: {moved} of {total} moved")
        if task.get("Status") in FINISHED:
            return task
        clock.sleep(poll_seconds)


def _lines(document: dict[str, Any], *, dry_run: bool, listed: bool = True) -> list[str]:
    """The DLQ and its first messages (unless shown before the question), then the task."""
    lines = (
        []
        if not listed
        else fields(
            [
                ("Bridge DLQ", document["dlq"]),
                ("Moves to", document["destination"]),
                ("Messages", document["depth"]),
            ]
        )
    )
    if document["messages"] and listed:
        lines += ["", f"The first {len(document['messages'])}:"]
        lines += [
            "  " + line
            for line in table(
                ["MESSAGE", "RECEIVES", "WHAT"],
                ([m["message_id"], m["receives"], m["what"]] for m in document["messages"]),
            )
        ]
    task = document.get("task")
    if document["depth"] == 0:
        lines.append("The DLQ is empty: nothing to move.")
    elif task and task.get("handle"):
        lines.append(
            f"Move task {task.get('Status')}: {task.get('ApproximateNumberOfMessagesMoved', 0)} "
            f"of {task.get('ApproximateNumberOfMessagesToMove', document['depth'])} moved."
        )
    elif dry_run:
        lines.append(
            "Fix the cause first (the bridge's logs say why each failed), then move them back "
            "with --yes."
        )
    return lines
