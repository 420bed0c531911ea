"""One SQS batch of S3 "Object Created" deliveries: read, deduplicate, pre-flight, start.

The fate of a record depends on the whole batch (its objects start one run together, and when
that start fails every one of them must be retried), so the batch is worked through first and
each record's verdict is decided here; the handler then lets Powertools' BatchProcessor report
the verdicts as a partial batch response (`BatchVerdicts.settle` raises for a failed record).

Per object, in order:
1. the message is read and the key decoded (`bridge.events`); other messages are skipped or,
   when unreadable, failed towards the DLQ; a second delivery of an object within the batch is
   a duplicate;
2. the object's claim is acquired (`bridge.claims`): a duplicate of a started, quarantined or
   pending object is skipped, an object held by a live invocation is retried later;
3. pre-flight (`bridge.preflight`) on the event's facts and the object's first bytes; a rejected
   object is copied to quarantine with a reason file, announced, and its claim closed;
4. the accepted objects of each chunk of at most max_files_per_run get one manifest and one
   workflow run (`bridge.launch`), or, on a scheduled pipeline, wait as PENDING for the flush.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bridge.claims import Acquired, RunFinder, acquire, claim_key
from bridge.config import BridgeConfig
from bridge.events import Delivery, Malformed, ObjectRef, Skip, read_message
from bridge.launch import NotStarted, launch
from bridge.manifest import chunks, new_batch_id
from bridge.preflight import (
    HEAD_BYTES,
    PARQUET_TAIL_BYTES,
    Rejection,
    check_content,
    check_listing,
    needs_tail,
)
from bridge.quarantine import announcement, quarantine_key, reason_document, reason_key
from bridge.runtime import Gateways, Invocation
from bridge.storage import SINGLE_COPY_LIMIT, ObjectGone
from bridge.telemetry import Tally, logger


class RecordFailed(Exception):
    """The record is reported as a batch item failure: SQS redelivers it (then, the DLQ)."""


@dataclass
class BatchVerdicts:
    failures: dict[str, str] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)

    def fail(self, message_id: str, reason: str) -> None:
        self.failures[message_id] = reason

    def settle(self, record: SQSRecord) -> str:
        """BatchProcessor's record handler: replay the verdict decided for the batch."""
        reason = self.failures.get(record.message_id)
        if reason is not None:
            raise RecordFailed(reason)
        return record.message_id


@dataclass(frozen=True)
class Held:
    """A delivery whose object this batch has claimed."""

    delivery: Delivery
    pk: str

    @property
    def obj(self) -> ObjectRef:
        return self.delivery.obj


def process_batch(
    records: Iterable[SQSRecord], config: BridgeConfig, gateways: Gateways, invocation: Invocation
) -> BatchVerdicts:
    verdicts = BatchVerdicts()
    deliveries: list[Delivery] = []
    first_delivery: dict[tuple[str, str, str], str] = {}
    for record in records:
        message = read_message(record.message_id, record.body, config)
        if isinstance(message, Malformed):
            verdicts.fail(message.message_id, f"malformed message: {message.detail}")
            logger.error(
                "record failed: malformed message, it goes to the DLQ after its last receive",
                message_id=message.message_id,
                why=message.detail,
                receive_count=record.attributes.approximate_receive_count,
            )
        elif isinstance(message, Skip):
            verdicts.tally.ignored += 1
            logger.info(
                f"record ignored: {message.why}",
                message_id=message.message_id,
                why=message.why,
                detail=message.detail,
            )
        elif message.obj.identity in first_delivery:
            verdicts.tally.duplicates += 1
            logger.info(
                "duplicate skipped: the object is delivered twice in this batch",
                message_id=message.message_id,
                first_message_id=first_delivery[message.obj.identity],
                uri=message.obj.uri,
                version_id=message.obj.version_id,
            )
        else:
            first_delivery[message.obj.identity] = message.message_id
            deliveries.append(message)

    find_run = cache(gateways.runs.find_by_batch_id)  # one lookup per crashed batch
    for chunk in chunks(deliveries, config.max_files_per_run):
        batch_id = new_batch_id(invocation.now)
        held = _claim(chunk, batch_id, config, gateways, invocation, find_run, verdicts)
        accepted = _preflight(held, batch_id, config, gateways, invocation, verdicts)
        if not accepted:
            continue
        if config.scheduled:
            _park(accepted, batch_id, gateways, invocation, verdicts)
        else:
            _start(accepted, batch_id, config, gateways, invocation, verdicts)
    return verdicts


def _claim(
    chunk: list[Delivery],
    batch_id: str,
    config: BridgeConfig,
    gateways: Gateways,
    invocation: Invocation,
    find_run: RunFinder,
    verdicts: BatchVerdicts,
) -> list[Held]:
    held: list[Held] = []
    for delivery in chunk:
        pk = claim_key(config.pipeline, delivery.obj)
        try:
            outcome, found = acquire(
                gateways.claims,
                find_run,
                pk,
                delivery.obj,
                batch_id,
                invocation.lease_until,
                invocation.now,
            )
        except Exception as exc:
            _fail(verdicts, delivery, f"the claim could not be recorded: {exc}", exc)
            continue
        if outcome is Acquired.NEW:
            held.append(Held(delivery, pk))
        elif outcome is Acquired.DUPLICATE:
            verdicts.tally.duplicates += 1
            logger.info(
                "duplicate skipped: the object was delivered before",
                message_id=delivery.message_id,
                uri=delivery.obj.uri,
                version_id=delivery.obj.version_id,
                state=found.state.value if found else None,
                run_id=found.run_id if found else None,
            )
        else:
            holder = found.batch_id if found else None
            verdicts.fail(
                delivery.message_id,
                f"the object is held by batch {holder} of a running invocation; retried later",
            )
            logger.warning(
                "record failed: the object is claimed by a live invocation, retried later",
                message_id=delivery.message_id,
                uri=delivery.obj.uri,
                holder_batch_id=holder,
            )
    return held


def _preflight(
    held: list[Held],
    batch_id: str,
    config: BridgeConfig,
    gateways: Gateways,
    invocation: Invocation,
    verdicts: BatchVerdicts,
) -> list[Held]:
    accepted: list[Held] = []
    for item in held:
        try:
            rejection = _inspect(item.obj, config, gateways)
            if rejection is None:
                accepted.append(item)
                continue
            _quarantine(item, rejection, batch_id, config, gateways, invocation)
            verdicts.tally.quarantined += 1
        except ObjectGone:
            _release(gateways, item, batch_id)
            verdicts.tally.ignored += 1
            logger.warning(
                "record ignored: the object version no longer exists",
                message_id=item.delivery.message_id,
                uri=item.obj.uri,
                version_id=item.obj.version_id,
            )
        except Exception as exc:
            _release(gateways, item, batch_id)
            _fail(verdicts, item.delivery, f"pre-flight or quarantine failed: {exc}", exc)
    return accepted


def _inspect(obj: ObjectRef, config: BridgeConfig, gateways: Gateways) -> Rejection | None:
    rejection = check_listing(obj.key, obj.size, config)
    if rejection is not None:
        return rejection
    tail = PARQUET_TAIL_BYTES if needs_tail(config) else 0
    head = gateways.objects.read_head(obj, HEAD_BYTES, tail)
    return check_content(head, obj.size, config)


# One CopyObject request (up to 5 GiB) fits an invocation; a multipart copy of more may not.
COPY_IN_INVOCATION_LIMIT = SINGLE_COPY_LIMIT


def _quarantine(
    item: Held,
    rejection: Rejection,
    batch_id: str,
    config: BridgeConfig,
    gateways: Gateways,
    invocation: Invocation,
) -> None:
    """Copy, explain, announce, then close the claim (a duplicate will not do it again)."""
    bucket = config.buckets.quarantine
    copy_key = quarantine_key(config, item.obj.key, invocation.now)
    document = reason_document(config, item.obj, rejection, invocation.now)
    if item.obj.size <= COPY_IN_INVOCATION_LIMIT:
        gateways.objects.copy(item.obj, bucket, copy_key)
        quarantine_uri = f"s3://{bucket}/{copy_key}"
    else:
        # A copy this large would outlast the invocation and fail the whole batch with it; the
        # raw version is never deleted, so the reason file points there instead.
        quarantine_uri = item.obj.uri
        document["not_copied"] = (
            f"larger than {COPY_IN_INVOCATION_LIMIT // 1024**3} GiB: the raw version is the copy"
        )
    reason_uri = gateways.objects.put_json(bucket, reason_key(copy_key), document)
    gateways.announcer.object_quarantined(
        announcement(config, item.obj, rejection, quarantine_uri, reason_uri)
    )
    gateways.claims.mark_quarantined(
        item.pk, batch_id, quarantine_uri, rejection.check, invocation.now
    )
    logger.warning(
        "object quarantined",
        message_id=item.delivery.message_id,
        uri=item.obj.uri,
        version_id=item.obj.version_id,
        check=rejection.check,
        reason=rejection.reason,
        quarantine_uri=quarantine_uri,
    )


def _park(
    accepted: list[Held],
    batch_id: str,
    gateways: Gateways,
    invocation: Invocation,
    verdicts: BatchVerdicts,
) -> None:
    parked = 0
    for item in accepted:
        try:
            gateways.claims.park(item.pk, batch_id, invocation.now)
        except Exception as exc:
            _release(gateways, item, batch_id)
            _fail(
                verdicts, item.delivery, f"the object could not be recorded as pending: {exc}", exc
            )
            continue
        parked += 1
    verdicts.tally.accepted += parked
    logger.info("objects pending for the scheduled flush", batch_id=batch_id, count=parked)


def _start(
    accepted: list[Held],
    batch_id: str,
    config: BridgeConfig,
    gateways: Gateways,
    invocation: Invocation,
    verdicts: BatchVerdicts,
) -> None:
    result = launch([item.obj for item in accepted], batch_id, config, gateways, invocation.now)
    if isinstance(result, NotStarted):
        verdicts.tally.start_failures += 1
        logger.error(
            "workflow run not started: the batch's records fail and are redelivered",
            batch_id=batch_id,
            files=len(accepted),
            reason=result.reason,
            claims_released=result.certain,
        )
        for item in accepted:
            if result.certain:
                _release(gateways, item, batch_id)
            verdicts.fail(item.delivery.message_id, f"workflow run not started: {result.reason}")
        return
    verdicts.tally.runs_started += 1
    verdicts.tally.accepted += len(accepted)
    logger.info(
        "workflow run started",
        batch_id=batch_id,
        run_id=result.run_id,
        files=len(accepted),
        reconciled=result.reconciled,
    )
    for item in accepted:
        _record_start(gateways, item.pk, batch_id, result.run_id, invocation.now)


def _record_start(gateways: Gateways, pk: str, batch_id: str, run_id: str, now: float) -> None:
    # The run has started: a claim left CLAIMED here is resolved later by reconciliation (its
    # batch id is in the run), so a failure to record is logged and the record still succeeds.
    try:
        if not gateways.claims.mark_started(pk, batch_id, run_id, now):
            logger.warning("claim moved before the start was recorded", pk=pk, batch_id=batch_id)
    except Exception:
        logger.exception("the start could not be recorded", pk=pk, batch_id=batch_id)


def _release(gateways: Gateways, item: Held, batch_id: str) -> None:
    try:
        gateways.claims.release(item.pk, batch_id)
    except Exception:
        # The claim expires with its lease and is reconciled by the redelivered record.
        logger.exception("claim not released", pk=item.pk, batch_id=batch_id)


def _fail(verdicts: BatchVerdicts, delivery: Delivery, reason: str, exc: Exception) -> None:
    verdicts.fail(delivery.message_id, reason)
    logger.error(
        "record failed, it is redelivered",
        message_id=delivery.message_id,
        uri=delivery.obj.uri,
        reason=reason,
        error=type(exc).__name__,
        exc_info=exc,
    )
