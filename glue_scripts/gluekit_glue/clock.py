"""The Glue jobs' one source of "now" (timezone-aware UTC).

On Glue it is the system clock. The local runner and the tests install their own with `use`, so
a run (its freshness rule, its timestamps, its quarantine dates) can be played at any instant and
never depends on the day it runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


_source: Clock = system_clock


def utc_now() -> datetime:
    return _source()


@contextlib.contextmanager
def use(source: Clock) -> Iterator[None]:
    """Read ``source`` instead of the system clock until the block ends."""
    global _source
    saved, _source = _source, source
    try:
        yield
    finally:
        _source = saved
