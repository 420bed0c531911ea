"""Running raw objects now, through the bridge's claims: `gluekit start` and `gluekit replay`.

Why the bridge's modules in this process, and not an event sent to the deployed bridge: the
person at the terminal needs answers the bridge's event shapes cannot give back (which files are
new, which were processed by which run, the run ids started), a dry run, per-run job parameters,
and a replay of files already processed, which the bridge by design skips as duplicates. The
bridge's services are pure functions over its gateways, so this module composes exactly the
code the deployed function runs: the same claim transitions, pre-flight, quarantine, slot
semaphore, manifest and StartWorkflowRun outcome handling.

1. Each object's claim is read (`bridge.claim_store`): none (new), PENDING, STARTED (processed,
   by run X), QUARANTINED, or CLAIMED right now by an invocation (busy).
2. New objects go through the bridge's intake (`bridge.intake.process_batch`), fed the
   "Object Created" events S3 would have sent for them: claimed, pre-flighted (a bad file is
   quarantined and announced as on arrival), recorded PENDING.
3. Batches of at most `max_files` are started, one slot at a time (`gluekit.ops.run_slots`): the
   PENDING claims are moved to the batch (CLAIMED, then STARTED with the run id) exactly as the
   bridge's dispatch moves them, so a file is in one run only; objects already processed join a
   replay's batch without touching their claims (they keep their first run). Publish is an
   Iceberg MERGE that keeps the newest row per key, so replaying a batch changes nothing that
   is newer.
When every slot is taken the command waits (polling) and says so on stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.ops import bridge_state, clock
from gluekit.ops.arrivals import sqs_record
from gluekit.ops.errors import OpsError, explain
from gluekit.ops.output import count
from gluekit.ops.run_slots import holding, starter_lease
from gluekit.ops.session import Pipeline

if TYPE_CHECKING:
    from bridge.claims import Claim
    from bridge.config import BridgeConfig
    from bridge.events import ObjectRef
    from bridge.runtime import Gateways
    from bridge.slots import Slots

Progress = Callable[[str], None]
# A manual start's claims are its own until this long after it began one batch (as an
# invocation's lease: after it, the bridge may take over the claims of a crashed start).
START_BUDGET_SECONDS = 300.0
INTAKE_CHUNK = 100
# Glue's answers that mean "not now" (bridge.dispatch.REFUSALS): wait, then try again.
REFUSALS = ("ConcurrentRunsExceededException", "Throttl", "TooManyRequests", "RequestLimit")


class Standing(StrEnum):
    NEW = "new"  # the bridge has never seen it
    PENDING = "pending"  # accepted, waiting for a run
    PROCESSED = "processed"  # taken by a run already (STARTED)
    QUARANTINED = "quarantined"  # failed pre-flight
    BUSY = "busy"  # an invocation holds its claim right now


@dataclass
class Item:
    obj: ObjectRef
    pk: str
    standing: Standing
    run_id: str | None = None  # the run that processed it, or the one started now
    note: str = ""
    found: Standing = field(init=False)  # the standing the plan found (`standing` moves on)

    def __post_init__(self) -> None:
        self.found = self.standing

    def as_json(self) -> dict[str, Any]:
        return {
            "uri": self.obj.uri,
            "version_id": self.obj.version_id,
            "found": self.found.value,
            "run_id": self.run_id,
            "note": self.note or None,
        }


@dataclass
class StartedRun:
    run_id: str | None
    batch_id: str
    files: int
    uncertain: str = ""  # the start's outcome is unknown: why

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "batch_id": self.batch_id,
            "files": self.files,
            "outcome_unknown": self.uncertain or None,
        }


@dataclass
class Outcome:
    items: list[Item]
    chosen: int  # files the plan runs
    runs_needed: int
    max_files: int
    runs: list[StartedRun] = field(default_factory=list)
    dry_run: bool = True
    stopped: str = ""  # why not every batch started

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "files": [item.as_json() for item in self.items],
            "files_to_run": self.chosen,
            "runs_needed": self.runs_needed,
            "max_files_per_run": self.max_files,
            "runs": [run.as_json() for run in self.runs],
            "stopped": self.stopped or None,
        }


@dataclass
class Launcher:
    pipeline: Pipeline
    progress: Progress
    replay: bool
    properties: dict[str, str] = field(default_factory=dict)  # extra run properties
    poll_seconds: float = 30.0
    max_wait_seconds: float = 3600.0
    config: BridgeConfig = field(init=False)
    gateways: Gateways = field(init=False)

    def __post_init__(self) -> None:
        self.config = bridge_state.bridge_config(self.pipeline)
        self.gateways = bridge_state.gateways(self.pipeline)

    # ---------------------------------------------------------------------------- planning
    def plan(self, objects: Sequence[ObjectRef]) -> Outcome:
        items = [self._item(obj) for obj in _unique(objects)]
        chosen = sum(1 for item in items if self._runnable(item))
        size = self.config.max_files_per_run
        return Outcome(items, chosen, -(-chosen // size), size)

    def _item(self, obj: ObjectRef) -> Item:
        from bridge.claims import State, claim_key

        pk = claim_key(self.config.pipeline, obj)
        claim = self._claim(pk)
        if claim is None:
            return Item(obj, pk, Standing.NEW)
        if claim.state is State.PENDING:
            return Item(obj, pk, Standing.PENDING)
        if claim.state is State.STARTED:
            note = "" if self.replay else "already processed: gluekit replay runs it again"
            return Item(obj, pk, Standing.PROCESSED, claim.run_id, note)
        if claim.state is State.QUARANTINED:
            return Item(obj, pk, Standing.QUARANTINED, note=_QUARANTINED_NOTE)
        return Item(obj, pk, Standing.BUSY, note=f"held by bridge batch {claim.batch_id} now")

    def _runnable(self, item: Item) -> bool:
        if item.standing in (Standing.NEW, Standing.PENDING):
            return True
        return self.replay and item.standing is Standing.PROCESSED

    # ---------------------------------------------------------------------------- running
    def run(self, outcome: Outcome) -> Outcome:
        from bridge import clock as bridge_clock

        outcome.dry_run = False
        with bridge_clock.use(clock.epoch):
            self._intake([i for i in outcome.items if i.standing is Standing.NEW])
            chosen = [i for i in outcome.items if self._runnable(i)]
            size = self.config.max_files_per_run
            batches = [chosen[n : n + size] for n in range(0, len(chosen), size)]
            deadline = clock.epoch() + self.max_wait_seconds
            for number, batch in enumerate(batches, 1):
                label = f"run {number} of {len(batches)} ({count(len(batch), 'file')})"
                try:
                    started = self._start(batch, label, deadline)
                except _GaveUp as exc:
                    outcome.stopped = (
                        f"gave up waiting for a free run slot ({exc}): "
                        f"{len(batches) - number + 1} run(s) not started"
                    )
                    self._leave([i for b in batches[number - 1 :] for i in b])
                    break
                if started is not None:
                    outcome.runs.append(started)
        return outcome

    def _intake(self, new: list[Item]) -> None:
        """The bridge's arrival path for objects it has never seen (pre-flight, PENDING)."""
        from bridge import intake
        from bridge.claims import State
        from bridge.runtime import Invocation

        for start in range(0, len(new), INTAKE_CHUNK):
            chunk = new[start : start + INTAKE_CHUNK]
            now = clock.epoch()
            invocation = Invocation(now=now, deadline=now + START_BUDGET_SECONDS)
            records = [sqs_record(str(n), item.obj, now) for n, item in enumerate(chunk)]
            try:
                verdicts = intake.process_batch(records, self.config, self.gateways, invocation)
            except (BotoCoreError, ClientError) as exc:
                raise OpsError(self._explain(exc, "recording the files as pending")) from None
            for n, item in enumerate(chunk):
                failure = verdicts.failures.get(str(n))
                claim = self._claim(item.pk)
                if failure or claim is None:
                    item.standing, item.note = Standing.BUSY, failure or "not recorded; retry"
                elif claim.state is State.QUARANTINED:
                    item.standing, item.note = Standing.QUARANTINED, _QUARANTINED_NOTE
                elif claim.state is State.STARTED:  # the bridge took it meanwhile
                    item.standing, item.run_id = Standing.PROCESSED, claim.run_id
                    item.note = "started by the bridge meanwhile"
                else:
                    item.standing = Standing.PENDING
            self.progress(
                f"{len(chunk)} new file(s) checked: {verdicts.tally.accepted} accepted, "
                f"{verdicts.tally.quarantined} quarantined"
            )

    def _start(self, batch: list[Item], label: str, deadline: float) -> StartedRun | None:
        """Start one batch as soon as a slot is free; None when no file of it is left."""
        from bridge.manifest import new_batch_id

        while True:
            now = clock.epoch()
            batch_id = new_batch_id(now)
            lease_until = now + START_BUDGET_SECONDS
            try:
                with starter_lease(self.gateways, f"start-{batch_id}", lease_until, now) as slots:
                    if slots is None:
                        result: StartedRun | str | None = "the bridge is starting runs right now"
                    else:
                        result = self._free_slot_or_why(slots)
                        if result is None:
                            result = self._launch(batch, batch_id, now, lease_until)
            except (BotoCoreError, ClientError) as exc:
                raise OpsError(self._explain(exc, "starting the run")) from None
            if not isinstance(result, str):
                if result is not None:
                    self.progress(f"{label}: started {result.run_id or '(outcome unknown)'}")
                return result
            if clock.epoch() + self.poll_seconds > deadline:
                raise _GaveUp(result)
            self.progress(f"{label}: waiting, {result}; next try in {self.poll_seconds:.0f} s")
            clock.sleep(self.poll_seconds)

    def _free_slot_or_why(self, slots: Slots) -> str | None:
        held = holding(self.gateways, slots)
        if len(held) < self.config.max_concurrent_runs:
            return None
        runs = ", ".join(entry.run_id or entry.batch_id for entry in held)
        return f"every run slot is taken ({runs})"

    def _launch(
        self, batch: list[Item], batch_id: str, now: float, lease_until: float
    ) -> StartedRun | str | None:
        """Holding the lease and a free slot: claim, enter, start. A string says why to wait;
        None: no file of the batch is left (the bridge took them into its own run)."""
        from bridge.launch import NotStarted, start_run
        from bridge.manifest import build_manifest, manifest_key, run_properties

        claims, slots = self.gateways.claims, self.gateways.slots
        taken: list[Item] = []
        for item in batch:
            if item.standing is Standing.PENDING:
                claim = self._claim(item.pk)
                if claim is not None and claims.claim_pending(claim, batch_id, lease_until, now):
                    taken.append(item)
                    continue
                item.standing, item.note = Standing.BUSY, "taken into a run by the bridge"
        replayed = [i for i in batch if i.standing is Standing.PROCESSED]
        objects = [i.obj for i in taken + replayed]
        if not objects:
            return None
        if not slots.reserve(f"start-{batch_id}", batch_id, now, self.config.max_concurrent_runs):
            self._park(taken, batch_id, now)
            return "the slots filled meanwhile"
        manifest = build_manifest(self.config, batch_id, objects, now)
        self.gateways.objects.put_json(
            self.config.buckets.artifacts, manifest_key(self.config, batch_id), manifest
        )
        properties = {**run_properties(self.config, batch_id, len(objects)), **self.properties}
        result = start_run(self.gateways.runs, properties, batch_id)
        if isinstance(result, NotStarted):
            if not result.certain:
                # The run may exist: the claims stay with the batch, and the bridge looks for
                # the run by its batch id before it gives them back (bridge.dispatch._settle).
                return StartedRun(None, batch_id, len(objects), uncertain=result.reason)
            self._park(taken, batch_id, now)
            slots.free(batch_id)
            if any(code in result.reason for code in REFUSALS):
                return f"Glue refused the start ({result.reason})"
            raise OpsError(f"Glue did not start the run: {result.reason}")
        slots.record_run(batch_id, result.run_id)
        for item in taken:
            claims.mark_started(item.pk, batch_id, result.run_id, now)
        slots.record_run(batch_id, result.run_id, settled=True)
        for item in taken:
            item.run_id, item.note = result.run_id, "started"
        for item in replayed:
            item.note = f"replayed (first run {item.run_id})"
            item.run_id = result.run_id
        return StartedRun(result.run_id, batch_id, len(objects))

    def _park(self, taken: list[Item], batch_id: str, now: float) -> None:
        for item in taken:
            self.gateways.claims.park(item.pk, batch_id, now)

    def _leave(self, items: list[Item]) -> None:
        for item in items:
            if item.standing is Standing.PENDING:
                item.note = "pending: the bridge starts it when a slot frees"
            elif item.standing is Standing.PROCESSED and not item.note.startswith("replayed"):
                item.note = "not replayed (no slot in time)"

    def _claim(self, pk: str) -> Claim | None:
        try:
            return self.gateways.claims.get(pk)
        except (BotoCoreError, ClientError) as exc:
            raise OpsError(self._explain(exc, "reading the claims table")) from None

    def _explain(self, exc: BaseException, doing: str) -> str:
        return explain(exc, doing, deploy_hint=self.pipeline.target.deploy_command())


_QUARANTINED_NOTE = "quarantined by pre-flight: fix the file and upload it again"


class _GaveUp(Exception):
    """No slot came free before the command's wait was over."""


def _unique(objects: Sequence[ObjectRef]) -> list[ObjectRef]:
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for obj in objects:
        if obj.identity not in seen:
            seen.add(obj.identity)
            unique.append(obj)
    return unique
