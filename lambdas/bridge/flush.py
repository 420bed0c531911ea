"""The scheduled flush: one workflow run for everything pending (chunked by max_files_per_run).

Invoked by the pipeline's schedule rule with an EventBridge "Scheduled Event". Objects were
pre-flighted on arrival and wait as PENDING claims in the `pending` index. A chunk's objects are
claimed for a batch, get a manifest and a run, and are recorded as STARTED. When a start fails
for certain they return to PENDING for the next flush; when its outcome is unknown they stay
CLAIMED, and the next flush finds their batch's run (or takes them over) once the lease has
expired. A flush that could not start everything fails the invocation, so that Lambda retries it
and the function's error alarm fires.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from bridge.claims import Claim, State
from bridge.config import BridgeConfig
from bridge.launch import NotStarted, launch
from bridge.manifest import chunks, new_batch_id
from bridge.runtime import Gateways, Invocation
from bridge.telemetry import Tally, logger

# A chunk is begun only with this much time left; what remains waits for the next flush.
TIME_RESERVE_SECONDS = 60.0


class FlushIncomplete(Exception):
    """Some pending objects could not be started; they wait for the retry or the next flush."""


@dataclass
class FlushSummary:
    run_ids: list[str] = field(default_factory=list)
    files_started: int = 0
    still_pending: int = 0
    failures: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)

    def as_response(self) -> dict[str, Any]:
        return {
            "runs_started": len(self.run_ids),
            "run_ids": self.run_ids,
            "files_started": self.files_started,
            "still_pending": self.still_pending,
        }

    def raise_if_incomplete(self) -> None:
        if self.failures:
            raise FlushIncomplete("; ".join(self.failures))


def flush_pending(
    config: BridgeConfig,
    gateways: Gateways,
    invocation: Invocation,
    seconds_left: Callable[[], float],
) -> FlushSummary:
    summary = FlushSummary()
    ready = _ready_claims(gateways, invocation, summary)
    ready.sort(key=lambda c: (c.accepted_at or 0.0, c.obj.key))
    batches = list(chunks(ready, config.max_files_per_run))
    for index, chunk in enumerate(batches):
        if seconds_left() < TIME_RESERVE_SECONDS:
            summary.still_pending += sum(len(rest) for rest in batches[index:])
            logger.warning("flush out of time; the rest waits", pending=summary.still_pending)
            break
        _flush_chunk(chunk, config, gateways, invocation, seconds_left, summary)
    logger.info("flush done", **summary.as_response())
    return summary


def _ready_claims(gateways: Gateways, invocation: Invocation, summary: FlushSummary) -> list[Claim]:
    """PENDING claims, and claims of a crashed flush whose run did not start."""
    find_run = cache(gateways.runs.find_by_batch_id)
    ready: list[Claim] = []
    for claim in gateways.claims.pending():
        if claim.state is State.PENDING:
            ready.append(claim)
        elif claim.state is State.CLAIMED and claim.lease_expired(invocation.now):
            assert claim.batch_id is not None
            run_id = find_run(claim.batch_id)
            if run_id is None:
                ready.append(claim)
            elif gateways.claims.mark_started(claim.pk, claim.batch_id, run_id, invocation.now):
                logger.info(
                    "a crashed flush had started its run; recorded now",
                    batch_id=claim.batch_id,
                    run_id=run_id,
                    uri=claim.obj.uri,
                )
        else:
            summary.still_pending += 1  # held by a flush that is still running
    return ready


def _flush_chunk(
    chunk: list[Claim],
    config: BridgeConfig,
    gateways: Gateways,
    invocation: Invocation,
    seconds_left: Callable[[], float],
    summary: FlushSummary,
) -> None:
    batch_id = new_batch_id(invocation.now)
    lease_until, now = invocation.lease_until, invocation.now
    taken: list[Claim] = []
    started_claiming = time.monotonic()
    for position, claim in enumerate(chunk):
        # Recording the start takes about as long as claiming did: keep that time, too.
        if seconds_left() < TIME_RESERVE_SECONDS + (time.monotonic() - started_claiming):
            summary.still_pending += len(chunk) - position
            logger.warning("flush chunk cut short by the time left", batch_id=batch_id)
            break
        if gateways.claims.claim_pending(claim, batch_id, lease_until, now):
            taken.append(claim)
    if not taken:
        return
    result = launch([c.obj for c in taken], batch_id, config, gateways, now)
    if isinstance(result, NotStarted):
        summary.tally.start_failures += 1
        summary.failures.append(f"batch {batch_id} ({len(taken)} files): {result.reason}")
        summary.still_pending += len(taken)
        logger.error(
            "workflow run not started by the flush",
            batch_id=batch_id,
            files=len(taken),
            reason=result.reason,
            back_to_pending=result.certain,
        )
        if result.certain:
            for claim in taken:
                gateways.claims.park(claim.pk, batch_id, now)
        return
    summary.tally.runs_started += 1
    summary.run_ids.append(result.run_id)
    summary.files_started += len(taken)
    logger.info(
        "workflow run started by the flush",
        batch_id=batch_id,
        run_id=result.run_id,
        files=len(taken),
    )
    for claim in taken:
        try:
            gateways.claims.mark_started(claim.pk, batch_id, result.run_id, now)
        except Exception:
            logger.exception("the start could not be recorded", pk=claim.pk, batch_id=batch_id)
