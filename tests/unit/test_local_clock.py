"""The local run's one clock: where it starts, how it advances, who reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gluekit.local import clock as local_clock
from gluekit.local.clock import LocalClock, installed, parse_instant

START = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_clock_starts_at_its_instant_and_advances_with_elapsed_time() -> None:
    ticks = Ticks()
    clock = LocalClock(START, elapsed=ticks)

    assert clock.now() == START
    ticks.seconds += 90
    assert clock.now() == START + timedelta(seconds=90)
    assert clock.epoch() == (START + timedelta(seconds=90)).timestamp()


def test_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="needs a timezone"):
        LocalClock(datetime(2026, 11, 22))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-21", datetime(2026, 11, 21, tzinfo=UTC)),
        ("2026-11-21T12:00", datetime(2026, 11, 21, 12, tzinfo=UTC)),
        ("2026-11-21T12:00:00Z", datetime(2026, 11, 21, 12, tzinfo=UTC)),
        (
            "2026-11-21T12:00:00+01:00",
            datetime(2026, 11, 21, 12, tzinfo=timezone(timedelta(hours=1))),
        ),
    ],
)
def test_instants_parse_as_iso_8601_with_utc_by_default(text: str, expected: datetime) -> None:
    assert parse_instant(text) == expected


def test_a_bad_instant_says_what_is_expected() -> None:
    with pytest.raises(ValueError, match=r"not an ISO 8601 date or timestamp, e\.g\. 2026-11-21"):
        parse_instant("yesterday")


def test_installed_clock_is_what_the_bridge_jobs_and_events_read() -> None:
    from bridge import clock as bridge_clock
    from gluekit_glue import clock as glue_clock

    outer = LocalClock(START, elapsed=Ticks())
    inner = LocalClock(START + timedelta(days=365), elapsed=Ticks())

    with installed(outer):
        with installed(inner):
            assert bridge_clock.now() == inner.epoch()
            assert glue_clock.utc_now() == local_clock.utc_now() == inner.now()
        # THEN leaving a block gives back the clock that was there before
        assert bridge_clock.now() == outer.epoch()
        assert glue_clock.utc_now() == local_clock.utc_now() == START


def test_advance_skips_ahead_without_waiting() -> None:
    ticks = Ticks()
    clock = LocalClock(START, elapsed=ticks)

    clock.advance(90)
    ticks.seconds += 1

    assert clock.now() == START + timedelta(seconds=91)
