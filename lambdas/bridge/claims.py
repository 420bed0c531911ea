"""Per-object claims: how the bridge deduplicates and hands objects to workflow runs.

One DynamoDB item per object identity (bucket, decoded key, version id or sequencer) and
pipeline, moved through a small state machine by conditional writes, so that two invocations
can never both believe they own an object.

States
  CLAIMED      one invocation holds the object for batch `batch_id` until `lease_until` (that
               invocation's deadline plus a margin: after it, the holder is certainly dead).
  STARTED      a workflow run took the object (`run_id`). Kept RETENTION_DAYS through the TTL
               attribute, so that a duplicate delivery hours or days later is still recognised.
  QUARANTINED  pre-flight rejected it; it was copied to quarantine and announced. Kept
               RETENTION_DAYS, so a duplicate does not quarantine and announce it twice.
  PENDING      accepted: pre-flight passed, waiting for a run. It carries `pending_pipeline`
               and `accepted_at`, which put it in the sparse `waiting` index (oldest first),
               and no TTL.

Transitions, each a conditional write on the state, batch id and lease it expects
  (none)                  -> CLAIMED      first delivery (attribute_not_exists(pk))
  CLAIMED                 -> STARTED      the batch's run started
  CLAIMED                 -> QUARANTINED  pre-flight rejected the object
  CLAIMED                 -> PENDING      accepted (its SQS message is then done), or a start
                                          was refused (the objects wait for the next start)
  CLAIMED                 -> (deleted)    pre-flight could not finish: the record fails, SQS
                                          redelivers it and the retry claims afresh
  PENDING                 -> CLAIMED      a start (`bridge.dispatch`) puts the object into a
                                          batch; it keeps `pending_pipeline` and `accepted_at`
                                          so that a crashed start's objects stay visible
  CLAIMED, lease expired  -> STARTED      the holder crashed after starting: a run carrying its
                                          batch id is among the workflow's recent runs
  CLAIMED, lease expired  -> CLAIMED      the holder crashed before starting: a new batch takes
                                          the object over

A delivery that finds STARTED, QUARANTINED, PENDING, or CLAIMED by a start (it has
`accepted_at`: it was accepted before) is a duplicate and is skipped. One that finds an arrival's
live CLAIMED is failed and retried later: that invocation may yet crash before accepting it.

Why a claim state machine and not Powertools' @idempotent: idempotency stores one record per
call and replays its result. The bridge must decide per batch what happens to many per-object
records: a failed start releases every object of the batch at once so that the redelivered
records can start the run; a crash between start and record is resolved by finding the batch id
among the workflow's runs rather than by waiting for a record to expire; and a scheduled
pipeline must list the objects still waiting (the `pending` index), which idempotency records
cannot answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Protocol

from bridge.events import ObjectRef

# The table's schema. The foundation stack and the local runner create it with these names.
PARTITION_KEY = "pk"
TTL_ATTRIBUTE = "expires_at"
# Accepted objects, per pipeline, oldest first: a start reads a page from the front. (The
# foundation keeps the former `pending` index, keyed on pk, until a later release drops it:
# CloudFormation adds or removes one GSI per update.)
PENDING_INDEX = "waiting"
PENDING_INDEX_PARTITION_KEY = "pending_pipeline"
PENDING_INDEX_SORT_KEY = "accepted_at"
# Arrival batches claim objects only to pre-flight them: they never start runs, so a crashed
# arrival's claim is taken over without looking for a run.
ARRIVAL_BATCH_PREFIX = "arrival-"

RETENTION_DAYS = 30
RETENTION_SECONDS = RETENTION_DAYS * 24 * 3600
# Added to an invocation's deadline: a lease outlives its holder by this much.
LEASE_MARGIN_SECONDS = 60


class State(StrEnum):
    CLAIMED = "CLAIMED"
    STARTED = "STARTED"
    QUARANTINED = "QUARANTINED"
    PENDING = "PENDING"


DONE_STATES = frozenset({State.STARTED, State.QUARANTINED, State.PENDING})


def claim_key(pipeline: str, obj: ObjectRef) -> str:
    """The item's partition key.

    The identity is hashed: a key may have 1,024 bytes, and `pk` is also the sort key of the
    `pending` index, where DynamoDB allows at most 1,024 bytes. The item keeps bucket, key and
    version in plain attributes.
    """
    digest = hashlib.sha256(json.dumps(obj.identity, ensure_ascii=False).encode()).hexdigest()
    return f"object#{pipeline}#{digest}"


@dataclass(frozen=True)
class Claim:
    pk: str
    state: State
    obj: ObjectRef
    batch_id: str | None = None
    lease_until: float | None = None
    run_id: str | None = None
    accepted_at: float | None = None
    pending: bool = False

    def lease_expired(self, now: float) -> bool:
        return self.state is State.CLAIMED and (self.lease_until or 0) <= now

    @property
    def accepted(self) -> bool:
        """Pre-flight passed: the object waits for, or is in, a run."""
        return self.state in DONE_STATES or self.accepted_at is not None


class ClaimStore(Protocol):
    def create(
        self, pk: str, obj: ObjectRef, batch_id: str, lease_until: float, now: float
    ) -> Claim | None:
        """Claim a new object; None on success, else the claim that already exists."""
        ...

    def take_over(self, old: Claim, batch_id: str, lease_until: float, now: float) -> bool: ...

    def mark_started(self, claim_pk: str, batch_id: str, run_id: str, now: float) -> bool: ...


class Acquired(Enum):
    """What acquiring an object's claim for a batch came to."""

    NEW = "new"  # this batch holds the object
    DUPLICATE = "duplicate"  # already started, quarantined or pending: skip it
    BUSY = "busy"  # another invocation holds it right now: retry the record later


RunFinder = Callable[[str], str | None]


def acquire(
    store: ClaimStore,
    find_run: RunFinder,
    pk: str,
    obj: ObjectRef,
    batch_id: str,
    lease_until: float,
    now: float,
) -> tuple[Acquired, Claim | None]:
    """Claim `obj` for `batch_id`, reconciling a crashed holder's claim on the way.

    Returns the outcome and, for duplicates and busy objects, the claim found.
    """
    existing = store.create(pk, obj, batch_id, lease_until, now)
    if existing is None:
        return Acquired.NEW, None
    if existing.accepted:
        return Acquired.DUPLICATE, existing
    if not existing.lease_expired(now):
        return Acquired.BUSY, existing
    return reconcile_expired(store, find_run, existing, batch_id, lease_until, now)


def reconcile_expired(
    store: ClaimStore,
    find_run: RunFinder,
    existing: Claim,
    batch_id: str,
    lease_until: float,
    now: float,
) -> tuple[Acquired, Claim | None]:
    """A claim whose holder died: adopt the run it started, or take the object over.

    Claims of this release's arrivals never started a run; a claim of an older release's
    on-arrival start (which started runs itself) is looked for among the workflow's runs.
    """
    holder = existing.batch_id or ""
    run_id = (
        None if holder.startswith(ARRIVAL_BATCH_PREFIX) else find_run(holder) if holder else None
    )
    if run_id is not None:
        assert existing.batch_id is not None
        store.mark_started(existing.pk, existing.batch_id, run_id, now)
        return Acquired.DUPLICATE, existing
    if store.take_over(existing, batch_id, lease_until, now):
        return Acquired.NEW, None
    return Acquired.BUSY, existing
