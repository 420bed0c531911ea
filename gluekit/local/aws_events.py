"""The events AWS would send, in AWS's own shape (not moto's), for the local runner."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any
from urllib.parse import quote_plus

from gluekit.local.clock import utc_now

ACCOUNT = "123456789012"
REGION = "us-east-1"


def _now() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(
    source: str, detail_type: str, resources: list[str], detail: dict[str, Any]
) -> dict[str, Any]:
    """The EventBridge envelope every event here shares."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": _now(),
        "region": REGION,
        "resources": resources,
        "detail": detail,
    }


def object_created(
    *, bucket: str, key: str, size: int, etag: str, version_id: str | None, sequence: int
) -> dict[str, Any]:
    """S3 → EventBridge "Object Created"; the key is form-encoded as S3 sends it."""
    detail_object: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "etag": etag.strip('"'),
        "sequencer": f"{sequence:018X}",
    }
    if version_id:
        detail_object["version-id"] = version_id
    return _envelope(
        "aws.s3",
        "Object Created",
        [f"arn:aws:s3:::{bucket}"],
        {
            "version": "0",
            "bucket": {"name": bucket},
            "object": detail_object,
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": ACCOUNT,
            "source-ip-address": "127.0.0.1",
            "reason": "PutObject",
        },
    )


def sqs_records(events: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """An SQS event-source batch whose message bodies are `events` (a new message id each)."""
    records = []
    for event in events:
        body = json.dumps(event)
        sent = str(int(utc_now().timestamp() * 1000))
        records.append(
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": uuid.uuid4().hex,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": sent,
                    "SenderId": "AIDAEVENTBRIDGE",
                    "ApproximateFirstReceiveTimestamp": sent,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


def scheduled_flush(rule_arn: str, pipeline: str) -> dict[str, Any]:
    """What the flush rule sends the bridge at the pipeline's cron."""
    return _envelope(
        "aws.events", "Scheduled Event", [rule_arn], {"action": "flush", "pipeline": pipeline}
    )


def job_state_change(*, job_name: str, job_run_id: str, state: str, message: str) -> dict[str, Any]:
    """Glue's "Glue Job State Change" event for a finished job run."""
    return _envelope(
        "aws.glue",
        "Glue Job State Change",
        [],
        {
            "jobName": job_name,
            "severity": "ERROR" if state != "SUCCEEDED" else "INFO",
            "state": state,
            "jobRunId": job_run_id,
            "message": message,
        },
    )


def execution_status_change(
    *,
    execution_arn: str,
    state_machine_arn: str,
    status: str,
    input_text: str,
    error: str | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    """Step Functions' "Step Functions Execution Status Change" for a closed execution."""
    started = int(utc_now().timestamp() * 1000)
    return _envelope(
        "aws.states",
        "Step Functions Execution Status Change",
        [execution_arn],
        {
            "executionArn": execution_arn,
            "stateMachineArn": state_machine_arn,
            "name": execution_arn.rsplit(":", 1)[-1],
            "status": status,
            "startDate": started,
            "stopDate": started,
            "input": input_text,
            "output": None,
            "error": error,
            "cause": cause,
        },
    )


class LambdaContext:
    """The parts of Lambda's context object the handlers use."""

    def __init__(self, function_name: str, timeout_seconds: int = 120) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        # A deadline is a duration from now: the monotonic clock, whatever instant the run plays.
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
