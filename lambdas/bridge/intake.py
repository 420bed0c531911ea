"""One SQS batch of S3 "Object Created" deliveries: read, deduplicate, pre-flight, record.

A record's message is done once its object is recorded: PENDING (accepted, waiting for a run),
QUARANTINED, or a duplicate of one of those. Starting runs is not the batch's business
(`bridge.dispatch` does it after the batch, and Glue refusing a start fails no record), so a
record fails towards the DLQ only when it cannot be read, or when recording it failed and a
redelivery may succeed. The verdicts are decided here; the handler lets Powertools'
BatchProcessor report them as a partial batch response (`BatchVerdicts.settle` raises for a
failed record).

Per object, in order:
1. the message is read and the key decoded (`bridge.events`); other messages are skipped (a
   classic S3 notification is counted as misrouted: it alerts) or, when unreadable, failed
   towards the DLQ; a second delivery of an object within the batch is a duplicate;
2. the object's claim is acquired (`bridge.claims`): a duplicate of an accepted or quarantined
   object is skipped, an object another arrival is checking right now is retried later;
3. pre-flight (`bridge.screening`) on the event's facts and the object's first bytes; a rejected
   object is copied to quarantine with a reason file, announced, and its claim closed;
4. an accepted object's claim becomes PENDING.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bridge.claims import ARRIVAL_BATCH_PREFIX, Acquired, RunFinder, acquire, claim_key
from bridge.config import BridgeConfig
from bridge.events import Delivery, Malformed, ObjectRef, Skip, read_message
from bridge.manifest import new_batch_id
from bridge.runtime import Gateways, Invocation
from bridge.screening import inspect, quarantine
from bridge.storage import ObjectGone
from bridge.telemetry import Tally, logger

# The Skip reason of a classic S3 notification (a bucket notification aimed at the queue).
MISROUTED = "not_eventbridge"


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
        elif isinstance(message, Skip) and message.why == MISROUTED:
            # Not retried (it would never read better) but counted: the alarm on the metric
            # tells someone that a bucket sends classic notifications to the bridge.
            verdicts.tally.misrouted += 1
            logger.error(
                "record ignored: a classic S3 notification reached the bridge; the bucket's "
                "notification configuration is wrong",
                message_id=message.message_id,
                detail=message.detail,
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
    batch_id = ARRIVAL_BATCH_PREFIX + new_batch_id(invocation.now)
    held = _claim(deliveries, batch_id, config, gateways, invocation, find_run, verdicts)
    accepted = _preflight(held, batch_id, config, gateways, invocation, verdicts)
    _park(accepted, batch_id, gateways, invocation, verdicts)
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
            rejection = inspect(item.obj, config, gateways)
            if rejection is None:
                accepted.append(item)
                continue
            quarantine(
                item.obj,
                item.pk,
                rejection,
                batch_id,
                config,
                gateways,
                invocation.now,
                item.delivery.message_id,
            )
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
    if parked:
        logger.info("objects accepted, pending a run", batch_id=batch_id, count=parked)


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
