"""The bridge's run slots, as a command that starts or resumes a run must take one.

The bridge admits at most `job.max_concurrent_runs` workflow runs per pipeline through one item
of the claims table (`bridge.slots`): a starter lease (one starter at a time) and a map of the
runs holding slots. A manual start, a replay and a resume take the lease, look for a free slot,
enter their run in the map before calling Glue, and let go of the lease at once. The bridge then
counts those runs like its own, and the run-end event frees their slot as it frees its own.

While the lease is held the deployed bridge defers its starts (it asks the holder for one more
pass). The commands make no passes of their own: what the bridge deferred is started by its next
trigger, the tick within a minute.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.runtime import Gateways
    from bridge.slots import ActiveRun, Slots


@contextlib.contextmanager
def starter_lease(
    gateways: Gateways, holder: str, lease_until: float, now: float
) -> Iterator[Slots | None]:
    """The pipeline's starter lease for the block, or None when the bridge holds it now."""
    slots = gateways.slots.acquire(holder, lease_until, now)
    try:
        yield slots
    finally:
        if slots is not None:
            gateways.slots.give_up(holder)


def holding(gateways: Gateways, slots: Slots) -> list[ActiveRun]:
    """The slot entries that still hold a slot; entries of runs Glue reads finished are freed.

    Only settled entries (their claims are recorded) are checked and freed: an unsettled one, or
    one whose start has no answer yet, is left for the bridge, which records or forgets it.
    """
    held = []
    for entry in slots.runs.values():
        if entry.run_id is None or not entry.settled or gateways.runs.is_active(entry.run_id):
            held.append(entry)
        else:
            gateways.slots.free(entry.batch_id)
    return held
