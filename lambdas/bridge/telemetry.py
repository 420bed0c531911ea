"""The bridge's Logger, Tracer and Metrics, and the counts it publishes once per invocation.

Metrics: namespace "gluekit", exactly one dimension `Pipeline=<pipeline>`; the alarms and the
dashboard match that dimension set. Counts are summed during the invocation and published as one
value per metric (zeros included, so that alarms see data rather than gaps).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from aws_lambda_powertools.metrics import MetricUnit

from shared.observability import observability

logger, tracer, metrics = observability("bridge")

PIPELINE_DIMENSION = "Pipeline"
METRIC_NAMES = {
    "accepted": "ObjectsAccepted",
    "quarantined": "ObjectsQuarantined",
    "duplicates": "DuplicatesSkipped",
    "runs_started": "RunsStarted",
    "starts_refused": "StartsRefused",
    "start_failures": "StartFailures",
    "misrouted": "MisroutedNotifications",
    "ignored": "RecordsIgnored",
}


@dataclass
class Tally:
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    runs_started: int = 0
    starts_refused: int = 0  # Glue said "not now" (concurrency, throttling): back-pressure
    start_failures: int = 0  # any other failed start: a fault
    misrouted: int = 0  # classic S3 notifications: a bucket is configured wrongly
    ignored: int = 0

    def add(self, other: Tally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Waiting:
    """What waits: the pending count (when counted) and the oldest pending object's age."""

    count: int | None
    oldest_age_seconds: float


def publish(tally: Tally, pipeline: str, waiting: Waiting | None = None) -> None:
    """Add this invocation's counts; `log_metrics` on the handler flushes them."""
    # A flush with metrics disabled (local runs) keeps the previous invocation's set: start
    # from a clean one so that the dimension is added once, never overwritten.
    metrics.clear_metrics()
    metrics.add_dimension(name=PIPELINE_DIMENSION, value=pipeline)
    for field_name, metric_name in METRIC_NAMES.items():
        metrics.add_metric(
            name=metric_name, unit=MetricUnit.Count, value=getattr(tally, field_name)
        )
    if waiting is not None:
        metrics.add_metric(
            name="OldestPendingAgeSeconds",
            unit=MetricUnit.Seconds,
            value=waiting.oldest_age_seconds,
        )
        if waiting.count is not None:
            metrics.add_metric(name="PendingObjects", unit=MetricUnit.Count, value=waiting.count)
