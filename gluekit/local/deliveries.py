"""Files into the emulated raw bucket, and their events into the real bridge as SQS brings them:
in batches of the queue's size, a record the bridge failed coming back until the queue's
maxReceiveCount, then counted as dead-lettered (`gluekit.local.runner`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from gluekit.local.aws_events import object_created, sqs_records
from gluekit.local.report import FileOutcome, LocalReport

Progress = Callable[[str], None]
Invoke = Callable[[dict[str, Any]], dict[str, Any]]


def drop_file(
    path: Path, sequence: int, bucket: str, prefix: str, local_root: Path, progress: Progress
) -> dict[str, Any]:
    """Put ``path`` under ``prefix`` in the raw bucket; the "Object Created" event S3 emits."""
    import boto3

    key = f"{prefix}{path.name}"
    body = path.read_bytes()
    response = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    # Spark reads the local mirror of the emulated bucket.
    mirror = local_root / bucket / key
    mirror.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, mirror)
    progress(f"⇣ dropped s3://{bucket}/{key} ({len(body):,} bytes)")
    return object_created(
        bucket=bucket,
        key=key,
        size=len(body),
        etag=response["ETag"],
        version_id=response.get("VersionId"),
        sequence=sequence,
    )


def deliver_events(
    events: list[dict[str, Any]],
    *,
    batch_size: int,
    max_receive_count: int,
    queue_arn: str,
    invoke: Invoke,
    report: LocalReport,
    progress: Progress,
    after_each_round: Callable[[], None],
) -> None:
    """SQS-sized batches into the bridge; failed records come back as SQS brings them."""
    waiting = [(event, 1) for event in events]
    while waiting:
        again: list[tuple[dict[str, Any], int]] = []
        for start in range(0, len(waiting), batch_size):
            batch = waiting[start : start + batch_size]
            again += _deliver_batch(batch, max_receive_count, queue_arn, invoke, report, progress)
        after_each_round()
        waiting = again


def _deliver_batch(
    batch: list[tuple[dict[str, Any], int]],
    max_receive_count: int,
    queue_arn: str,
    invoke: Invoke,
    report: LocalReport,
    progress: Progress,
) -> list[tuple[dict[str, Any], int]]:
    payload = sqs_records([event for event, _ in batch], queue_arn)
    response = invoke(payload)
    failed_ids = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    again = []
    for record, (event, receives) in zip(payload["Records"], batch, strict=True):
        if record["messageId"] not in failed_ids:
            continue
        if receives < max_receive_count:
            again.append((event, receives + 1))
        else:
            key = unquote_plus(event.get("detail", {}).get("object", {}).get("key", "?"))
            reason = f"failed {receives} deliveries; in the bridge DLQ"
            report.files.append(FileOutcome(key, "dead-lettered", reason))
    report.deliveries += len(batch)
    report.redeliveries += len(again)
    progress(
        f"⚙ bridge: {len(batch)} record(s), {len(failed_ids)} failed, to be redelivered"
        if failed_ids
        else f"⚙ bridge: {len(batch)} record(s) processed"
    )
    return again
