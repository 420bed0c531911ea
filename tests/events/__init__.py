"""Sample AWS events, written by hand in AWS's real shape, loaded by one helper."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent


def load_event(name: str) -> dict[str, Any]:
    """Load `tests/events/<name>.json` (name may contain a sub-folder: 'glue/job_failed')."""
    return json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
