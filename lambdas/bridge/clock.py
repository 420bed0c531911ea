"""The bridge's notion of "now" (epoch seconds), in one place.

Leases, TTLs, batch ids and quarantine dates all read this clock once per invocation, so a test
can move time ("the duplicate arrives five hours later") without touching the process clock, and
the local runner can run the bridge at any instant (`gluekit local run --now`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

EpochClock = Callable[[], float]

_source: EpochClock = time.time


def now() -> float:
    return _source()


@contextlib.contextmanager
def use(source: EpochClock) -> Iterator[None]:
    """Read ``source`` instead of the system clock until the block ends."""
    global _source
    saved, _source = _source, source
    try:
        yield
    finally:
        _source = saved
