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
    "start_failures": "StartFailures",
    "ignored": "RecordsIgnored",
}


@dataclass
class Tally:
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    runs_started: int = 0
    start_failures: int = 0
    ignored: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def publish(tally: Tally, pipeline: str) -> None:
    """Add this invocation's counts; `log_metrics` on the handler flushes them."""
    # A flush with metrics disabled (local runs) keeps the previous invocation's set: start
    # from a clean one so that the dimension is added once, never overwritten.
    metrics.clear_metrics()
    metrics.add_dimension(name=PIPELINE_DIMENSION, value=pipeline)
    for field_name, metric_name in METRIC_NAMES.items():
        metrics.add_metric(
            name=metric_name, unit=MetricUnit.Count, value=getattr(tally, field_name)
        )
