"""The one clock of a local run.

A local run starts at an instant of the caller's choosing (`gluekit local run --now`, the demo's
pinned instant, a test's fixed one) and its time then advances as the run proceeds, so waits
and orderings behave as on AWS while every date the run sees is reproducible. While a run is
active the bridge, the Glue jobs and the emulated AWS events all read this clock.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta


class LocalClock:
    def __init__(self, start: datetime, elapsed: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("a local run's start instant needs a timezone")
        self.start = start.astimezone(UTC)
        self._elapsed = elapsed
        self._origin = elapsed()
        self._skipped = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self._elapsed() - self._origin + self._skipped)

    def advance(self, seconds: float) -> None:
        """Skip ahead, as if the run had waited (for a tick, for max_wait) without waiting."""
        self._skipped += seconds

    def epoch(self) -> float:
        return self.now().timestamp()


def system_now() -> datetime:
    """The machine's clock, through the jobs' clock module (the one place that reads it): used
    only when the user did not say when a run happens."""
    from gluekit_glue.clock import system_clock

    return system_clock()


def parse_instant(text: str) -> datetime:
    """'2026-11-21', '2026-11-21T12:00', '2026-11-21T12:00:00Z', '...+01:00' (no offset: UTC)."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"'{text}' is not an ISO 8601 date or timestamp, e.g. 2026-11-21 or "
            "2026-11-21T12:00:00Z"
        ) from None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


_active: LocalClock | None = None


def utc_now() -> datetime:
    """The active run's now; outside a run, the machine's."""
    return _active.now() if _active is not None else system_now()


@contextlib.contextmanager
def installed(clock: LocalClock) -> Iterator[LocalClock]:
    """Make ``clock`` the time of the bridge, the Glue jobs and the local events."""
    from bridge import clock as bridge_clock
    from gluekit_glue import clock as glue_clock

    global _active
    saved, _active = _active, clock
    try:
        with bridge_clock.use(clock.epoch), glue_clock.use(clock.now):
            yield clock
    finally:
        _active = saved
