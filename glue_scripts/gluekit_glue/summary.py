"""The per-step summary JSON (``runs/<pipeline>/<run_id>/<step>.json`` in the artifacts bucket).

The local runner and the notifier read it to tell a person what a step did; a failed step writes
one too, with ``status: failed`` and the error, before the job fails.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True)
class RejectedFile:
    uri: str
    reason: str


@dataclass
class StepSummary:
    step: str
    pipeline: str
    run_id: str
    job_name: str
    started_at: str
    status: Literal["succeeded", "failed"] = "succeeded"
    rows_in: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    files_rejected: list[RejectedFile] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)
    finished_at: str | None = None
    error: str | None = None
    # Step-specific facts (manifest, report, files compacted, ...).
    details: dict[str, Any] = field(default_factory=dict)

    def finish(self, now: datetime, error: BaseException | None = None) -> StepSummary:
        self.finished_at = utc_now_iso(now)
        if error is not None:
            self.status = "failed"
            self.error = f"{type(error).__name__}: {error}"
        return self

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def utc_now_iso(now: datetime) -> str:
    return now.isoformat(timespec="seconds")
