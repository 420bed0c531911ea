"""Starting runs from the pending set, one starter per pipeline at a time.

Every trigger ends here: an arrival (after its objects are PENDING), the tick (every minute),
the end of a workflow run, and a scheduled pipeline's cron flush. A run-end event names the run
it ended (`bridge.run_end`): that run's slot is freed before the pass (or, when its claims are
not recorded yet, by the pass once it has recorded them), since Glue may still read the run
RUNNING for a while. A pass:

1. takes the pipeline's starter lease (`bridge.slots`); when another invocation holds it, asks
   that one for one more pass and returns: starts are single-flight;
2. settles the slot entries: a start whose answer was lost is looked for by batch id (after a
   grace period), a run whose claims were not recorded is recorded from its manifest, and when
   every slot looks taken, each run is asked whether it still runs;
3. while a slot is free: reads the oldest accepted objects (`waiting` index, one page), and if
   max_files are waiting or the oldest has waited max_wait_seconds (a scheduled pipeline: all
   accepted before the flush), claims up to max_files of them for a batch, enters the batch in
   the slots (conditional on the lease and on fewer than max_concurrent_runs entries), writes
   the manifest and starts the run;
4. a refused start (ConcurrentRunsExceeded, throttling) returns the batch's objects to PENDING,
   where they keep their place: nothing is failed, nothing reaches a DLQ.

Time: each batch is begun only with RESERVE_SECONDS left; what is not started waits for the next
trigger, whose pass continues from the front of the index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bridge.claims import Claim, State, claim_key
from bridge.config import BridgeConfig
from bridge.events import ObjectRef
from bridge.launch import NotStarted, launch
from bridge.manifest import manifest_key, new_batch_id
from bridge.runtime import Gateways, Invocation
from bridge.slots import ActiveRun, Slots
from bridge.telemetry import Tally, logger

# A batch is begun only with this much time left: claiming, starting and recording it.
RESERVE_SECONDS = 20.0
# A start without an answer is looked for among the runs only after this: Glue may not list a
# run it has just started.
UNKNOWN_GRACE_SECONDS = 300
# Glue's answers that mean "not now": the objects wait, this is back-pressure, not an error.
REFUSALS = (
    "ConcurrentRunsExceededException",
    "Throttl",
    "TooManyRequests",
    "RequestLimit",
    "ExecutionLimitExceeded",  # Step Functions: too many open executions in the account
)


class Trigger(StrEnum):
    ARRIVAL = "arrival"
    TICK = "tick"
    RUN_END = "run_end"
    FLUSH = "flush"
    UPSTREAM = "upstream"  # a pipeline a derived one follows published


@dataclass
class DispatchSummary:
    trigger: Trigger
    run_ids: list[str] = field(default_factory=list)
    files_started: int = 0
    refused: list[str] = field(default_factory=list)
    deferred: bool = False  # another invocation holds the starter lease
    tally: Tally = field(default_factory=Tally)

    def as_response(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger.value,
            "runs_started": len(self.run_ids),
            "run_ids": self.run_ids,
            "files_started": self.files_started,
            "refused": self.refused,
            "deferred": self.deferred,
        }


def dispatch(
    config: BridgeConfig,
    gateways: Gateways,
    invocation: Invocation,
    seconds_left: Callable[[], float],
    trigger: Trigger,
    ended_run_id: str | None = None,
) -> DispatchSummary:
    """`ended_run_id`: a run the run-end event says is over, though Glue may still list it."""
    summary = DispatchSummary(trigger)
    now = invocation.now
    if ended_run_id is not None:
        _free_ended(gateways, ended_run_id)
    if trigger is Trigger.FLUSH:
        gateways.slots.request_flush(now)
    elif trigger is Trigger.UPSTREAM:
        gateways.slots.request_changes(now)
    elif trigger is Trigger.TICK and not _anything_waits(config, gateways):
        return summary  # the minute's tick with nothing pending: one small read, no more
    holder = f"start-{new_batch_id(now)}"
    if gateways.slots.acquire(holder, invocation.lease_until, now) is None:
        summary.deferred = True
        logger.info("another invocation is starting runs; it passes once more", trigger=trigger)
        return summary
    starter = _Starter(config, gateways, invocation, seconds_left, holder, summary)
    if ended_run_id is not None:
        starter.ended.add(ended_run_id)
    try:
        while True:
            starter.one_pass()
            if seconds_left() < RESERVE_SECONDS:
                gateways.slots.give_up(holder)
                break
            if gateways.slots.release(holder):
                break
    except Exception:
        gateways.slots.give_up(holder)
        raise
    logger.info("dispatch done", **summary.as_response())
    return summary


def _anything_waits(config: BridgeConfig, gateways: Gateways) -> bool:
    if config.derived:
        # An open request, or a start whose outcome is unknown (which may have to reopen it).
        slots = gateways.slots.read()
        unknown = any(entry.run_id is None for entry in slots.runs.values())
        return slots.changes_since is not None or unknown
    return next(iter(gateways.claims.waiting(1)), None) is not None


def _free_ended(gateways: Gateways, run_id: str) -> None:
    """Free the ended run's slot now, whoever holds the starter lease: the holder's next pass
    (a deferred invocation asks for one) then finds the slot free."""
    for entry in gateways.slots.read().runs.values():
        if entry.run_id == run_id and entry.settled:
            if gateways.slots.free_ended(entry.batch_id, run_id):
                logger.info("the ended run's slot is free", batch_id=entry.batch_id, run_id=run_id)
            return


@dataclass
class _Starter:
    config: BridgeConfig
    gateways: Gateways
    invocation: Invocation
    seconds_left: Callable[[], float]
    holder: str
    summary: DispatchSummary
    tried: set[str] = field(default_factory=set)  # claims this invocation put in a batch
    forgotten: set[str] = field(default_factory=set)  # batches found never started
    ended: set[str] = field(default_factory=set)  # runs a run-end event says are over

    def one_pass(self) -> None:
        slots = self.gateways.slots.read()
        forgotten = len(self.forgotten)
        active = self._settle(slots)
        reopened = self.config.derived and len(self.forgotten) > forgotten
        limit = self.config.max_concurrent_runs
        if len(active) >= limit:
            logger.info("every run slot is taken; objects wait", active=len(active))
            return
        if self.config.scheduled and slots.flush_before is None:
            return  # no flush yet: the cron has not asked
        if self.config.derived:
            self._start_for_changes(slots.changes_since if not reopened else None)
            return
        known = set(slots.runs) - self.forgotten
        free = limit - len(active)
        while free > 0 and self.seconds_left() >= RESERVE_SECONDS:
            # From the front each time: the index is eventually consistent, so objects this
            # pass has already put into a batch may still show there as PENDING (`tried`).
            candidates = self.gateways.claims.waiting(
                self.config.max_files_per_run,
                slots.flush_before if self.config.scheduled else None,
            )
            chunk = self._next_chunk(candidates, known)
            if not chunk or not self._due(chunk):
                return
            outcome = self._start(chunk)
            if outcome is None:
                return
            free -= outcome

    # ------------------------------------------------------------------------ choosing
    def _next_chunk(self, candidates: Iterator[Claim], known: set[str]) -> list[Claim]:
        chunk: list[Claim] = []
        now = self.invocation.now
        for claim in candidates:
            if claim.pk in self.tried:
                continue
            if claim.state is State.PENDING:
                chunk.append(claim)
            elif claim.lease_expired(now) and claim.batch_id not in known:
                chunk.append(claim)  # a crashed start that never entered (or left) the slots
            if len(chunk) == self.config.max_files_per_run:
                break
        self.tried.update(c.pk for c in chunk)
        # Oldest first, then by key: the same objects make the same manifest.
        return sorted(chunk, key=lambda c: (c.accepted_at or 0.0, c.obj.key))

    def _due(self, chunk: list[Claim]) -> bool:
        if self.config.scheduled or len(chunk) >= self.config.max_files_per_run:
            return True
        oldest = min(c.accepted_at or 0.0 for c in chunk)
        return oldest + self.config.max_wait_seconds <= self.invocation.now

    # ------------------------------------------------------------------------ starting
    def _start(self, chunk: list[Claim]) -> int | None:
        """Start one batch: 1 (a slot taken), 0 (nothing claimable), None (stop the pass)."""
        claims, now = self.gateways.claims, self.invocation.now
        batch_id = new_batch_id(now)
        taken: list[Claim] = []
        for claim in chunk:
            # A flush's chunk may hold thousands: keep the time to start and record it.
            if self.seconds_left() < RESERVE_SECONDS / 2:
                logger.warning("batch cut short by the time left", batch_id=batch_id)
                break
            if claims.claim_pending(claim, batch_id, self.lease_until, now):
                taken.append(claim)
        if not taken:
            return 0
        limit = self.config.max_concurrent_runs
        if not self.gateways.slots.reserve(self.holder, batch_id, now, limit):
            self._back_to_pending(taken, batch_id)
            return None  # the lease was lost, or the slots filled meanwhile
        result = launch([c.obj for c in taken], batch_id, self.config, self.gateways, now)
        if isinstance(result, NotStarted):
            self._not_started(taken, batch_id, result)
            return None
        self.gateways.slots.record_run(batch_id, result.run_id)
        self._record_started([c.pk for c in taken], batch_id, result.run_id)
        self.gateways.slots.record_run(batch_id, result.run_id, settled=True)
        self.summary.run_ids.append(result.run_id)
        self.summary.files_started += len(taken)
        self.summary.tally.runs_started += 1
        logger.info(
            "workflow run started",
            trigger=self.summary.trigger,
            batch_id=batch_id,
            run_id=result.run_id,
            files=len(taken),
            reconciled=result.reconciled,
        )
        return 1

    def _start_for_changes(self, since: float | None) -> None:
        """A derived pipeline: one run for the open request, which reads whatever its upstreams
        published since its last run (the request only says that something did). ``since``:
        the request as the pass read it; None when settling reopened a forgotten start's
        request, which is then read again."""
        if since is None:
            since = self.gateways.slots.read().changes_since
        now = self.invocation.now
        if since is None or self.seconds_left() < RESERVE_SECONDS:
            return
        batch_id = new_batch_id(now)
        store = self.gateways.slots
        limit = self.config.max_concurrent_runs
        if not store.reserve(self.holder, batch_id, now, limit, requested_at=since):
            return  # the lease was lost, or the slot filled meanwhile
        if not store.take_changes(self.holder, since):
            store.free(batch_id)
            return
        result = launch([], batch_id, self.config, self.gateways, now)
        if isinstance(result, NotStarted):
            self._not_started([], batch_id, result)
            if result.certain:
                store.restore_changes(since)
            return  # unknown: looked for by batch id later; restored if it never started
        store.record_run(batch_id, result.run_id, settled=True)
        self.summary.run_ids.append(result.run_id)
        self.summary.tally.runs_started += 1
        logger.info(
            "run started for upstream changes",
            trigger=self.summary.trigger,
            batch_id=batch_id,
            run_id=result.run_id,
            requested_at=since,
        )

    def _not_started(self, taken: list[Claim], batch_id: str, result: NotStarted) -> None:
        refusal = result.certain and any(code in result.reason for code in REFUSALS)
        if refusal:
            self.summary.tally.starts_refused += 1
            self.summary.refused.append(result.reason)
        else:
            self.summary.tally.start_failures += 1
        log = logger.info if refusal else logger.error
        log(
            "workflow run not started; the objects wait"
            if result.certain
            else "workflow run outcome unknown; the batch is looked for later",
            batch_id=batch_id,
            files=len(taken),
            reason=result.reason,
        )
        if result.certain:
            self._back_to_pending(taken, batch_id)
            self.gateways.slots.free(batch_id)

    def _back_to_pending(self, taken: list[Claim], batch_id: str) -> None:
        for claim in taken:
            self.gateways.claims.park(claim.pk, batch_id, self.invocation.now)

    def _record_started(self, pks: list[str], batch_id: str, run_id: str) -> None:
        # A claim left CLAIMED here is recorded later from the manifest (`_settle`).
        for pk in pks:
            try:
                self.gateways.claims.mark_started(pk, batch_id, run_id, self.invocation.now)
            except Exception:
                logger.exception("the start could not be recorded", pk=pk, batch_id=batch_id)

    # ------------------------------------------------------------------------ settling
    def _settle(self, slots: Slots) -> list[ActiveRun]:
        """The slot entries that still hold a slot, after settling crashed or lost starts."""
        now = self.invocation.now
        entries: list[ActiveRun] = []
        for entry in slots.runs.values():
            if entry.run_id is None:
                if entry.since + UNKNOWN_GRACE_SECONDS > now:
                    entries.append(entry)  # perhaps starting; count it as a taken slot
                    continue
                run_id = self.gateways.runs.find_by_batch_id(entry.batch_id)
                if run_id is None:
                    # Never started: its claims (expired) are taken back from the index.
                    logger.info("a start that did not happen is forgotten", batch=entry.batch_id)
                    self.gateways.slots.free(entry.batch_id)
                    self.forgotten.add(entry.batch_id)
                    if self.config.derived:  # the request it took is open again, as it was
                        self.gateways.slots.restore_changes(entry.requested_at or entry.since)
                    continue
                self.gateways.slots.record_run(entry.batch_id, run_id)
                entry = replace(entry, run_id=run_id)
            if not entry.settled:
                assert entry.run_id is not None
                self._record_started(
                    self._manifest_pks(entry.batch_id), entry.batch_id, entry.run_id
                )
                self.gateways.slots.record_run(entry.batch_id, entry.run_id, settled=True)
                logger.info("a crashed start's run recorded", batch_id=entry.batch_id)
            if entry.run_id in self.ended:
                # Settled above: its claims are STARTED, so freeing it cannot rerun them.
                self.gateways.slots.free(entry.batch_id)
                continue
            entries.append(entry)
        if len(entries) < self.config.max_concurrent_runs:
            return entries
        # Every slot looks taken: ask Glue (by run id, not by listing) which runs still run.
        active = []
        for entry in entries:
            if entry.run_id is None or self.gateways.runs.is_active(entry.run_id):
                active.append(entry)
            else:
                self.gateways.slots.free(entry.batch_id)
        return active

    def _manifest_pks(self, batch_id: str) -> list[str]:
        manifest = self.gateways.objects.get_json(
            self.config.buckets.artifacts, manifest_key(self.config, batch_id)
        )
        pks = []
        for entry in manifest.get("files", []):
            obj = ObjectRef(
                bucket=entry["bucket"],
                key=entry["key"],
                version_id=entry.get("version_id"),
                sequencer=entry.get("sequencer"),
                size=int(entry.get("size") or 0),
                etag=str(entry.get("etag") or ""),
            )
            pks.append(claim_key(self.config.pipeline, obj))
        return pks

    @property
    def lease_until(self) -> float:
        return self.invocation.lease_until
