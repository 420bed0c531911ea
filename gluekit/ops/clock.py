"""The operations commands' "now" and their waits, in one place.

Ages (oldest pending file, freshness), time windows (`--since`, `--days`) and the batch ids and
leases of a manual start read `now()`; polling waits through `sleep()`. Tests install a fixed
clock and a sleep that moves it, so no test depends on the day it runs or waits for real.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


def _system_now() -> datetime:
    from gluekit.local.clock import system_now  # the kit's one read of the system clock

    return system_now()


_now: Clock = _system_now
_sleep: Sleep = time.sleep


def now() -> datetime:
    return _now()


def epoch() -> float:
    return _now().timestamp()


def sleep(seconds: float) -> None:
    _sleep(seconds)


@contextlib.contextmanager
def use(clock: Clock, sleeper: Sleep | None = None) -> Iterator[None]:
    """Read ``clock`` (and wait with ``sleeper``) instead of the system's until the block ends."""
    global _now, _sleep
    saved = _now, _sleep
    _now, _sleep = clock, sleeper or _sleep
    try:
        yield
    finally:
        _now, _sleep = saved
