"""EventBridge access: tell the notifier that an object was quarantined."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bridge import clock
from shared.aws import client

QUARANTINED_DETAIL_TYPE = "Object Quarantined"


class AnnouncementFailed(Exception):
    """EventBridge did not accept the event."""


class Announcer:
    def __init__(self, source: str) -> None:
        self.source = source

    def object_quarantined(self, detail: dict[str, Any]) -> None:
        response = client("events").put_events(
            Entries=[
                {
                    # The event's time is the bridge's now, not the service's receipt time.
                    "Time": datetime.fromtimestamp(clock.now(), UTC),
                    "Source": self.source,
                    "DetailType": QUARANTINED_DETAIL_TYPE,
                    "Detail": json.dumps(detail, ensure_ascii=False),
                }
            ]
        )
        if response.get("FailedEntryCount"):
            entry = response["Entries"][0]
            raise AnnouncementFailed(f"{entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
