"""The bridge's notion of "now" (epoch seconds), in one place.

Leases, TTLs, batch ids and quarantine dates all read this clock once per invocation, so a test
can move time ("the duplicate arrives five hours later") without touching the process clock.
"""

from __future__ import annotations

import time


def now() -> float:
    return time.time()
