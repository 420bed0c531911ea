"""The events the notifier understands, parsed from EventBridge's envelope into typed alerts.

Parsing is tolerant: any shape it does not recognise becomes `Skipped` with a reason, so a new or
malformed event is logged and ignored instead of failing the invocation (and being retried).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notifier.config import NotifierConfig
from notifier.execution_events import (
    ExecutionEnded,
    NotForUs,
    StepFailed,
    parse_execution_event,
)

GLUE_SOURCE = "aws.glue"
JOB_STATE_CHANGE = "Glue Job State Change"
CRAWLER_STATE_CHANGE = "Glue Crawler State Change"
# Must match gluekit.render.BRIDGE_EVENT_SOURCE / QUARANTINE_DETAIL_TYPE (a test checks it).
BRIDGE_SOURCE = "gluekit.bridge"
OBJECT_QUARANTINED = "Object Quarantined"

ALERTING_JOB_STATES = frozenset({"FAILED", "TIMEOUT", "STOPPED"})
ALERTING_CRAWLER_STATES = frozenset({"Failed"})
CHECKED_CRAWLER_STATE = "Succeeded"  # then the raw tables are compared with the contract


@dataclass(frozen=True)
class JobRunEnded:
    """A job of this pipeline ended badly ("Glue Job State Change")."""

    event_id: str
    time: str
    job_name: str
    step: str
    state: str
    run_id: str
    severity: str
    message: str


@dataclass(frozen=True)
class CrawlerFailed:
    """This pipeline's crawler failed ("Glue Crawler State Change")."""

    event_id: str
    time: str
    crawler_name: str
    state: str
    error: str
    log_link: str | None


@dataclass(frozen=True)
class CrawlerSucceeded:
    """This pipeline's crawler finished: its raw tables are to be compared with the contract."""

    event_id: str
    time: str
    crawler_name: str
    log_link: str | None


@dataclass(frozen=True)
class ObjectQuarantined:
    """The bridge quarantined a raw object that failed pre-flight ("Object Quarantined")."""

    event_id: str
    time: str
    bucket: str
    key: str
    version_id: str | None
    size: int | None
    reason: str
    check: str
    quarantine_uri: str | None
    reason_uri: str | None


@dataclass(frozen=True)
class Skipped:
    """An event the notifier does not alert on, and why."""

    reason: str


Alert = JobRunEnded | CrawlerFailed | ObjectQuarantined


def parse_event(
    event: Any, config: NotifierConfig
) -> Alert | CrawlerSucceeded | StepFailed | ExecutionEnded | Skipped:
    """The alert an EventBridge event announces for this pipeline, or why there is none."""
    if not isinstance(event, dict):
        return Skipped(f"not an EventBridge event: a {type(event).__name__}")
    source = event.get("source")
    detail_type = event.get("detail-type")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return Skipped(f"no detail object (source={source!r}, detail-type={detail_type!r})")
    envelope = (_text(event.get("id")), _text(event.get("time")))
    if source == GLUE_SOURCE and detail_type == JOB_STATE_CHANGE:
        return _job_state_change(envelope, detail, config)
    if source == GLUE_SOURCE and detail_type == CRAWLER_STATE_CHANGE:
        return _crawler_state_change(envelope, detail, config)
    if source == BRIDGE_SOURCE and detail_type == OBJECT_QUARANTINED:
        return _object_quarantined(envelope, detail, config)
    execution = parse_execution_event(source, detail_type, envelope, detail, config)
    if isinstance(execution, NotForUs):
        return Skipped(execution.reason)
    if execution is not None:
        return execution
    return Skipped(f"unknown event: source={source!r}, detail-type={detail_type!r}")


def _job_state_change(
    envelope: tuple[str, str], detail: dict[str, Any], config: NotifierConfig
) -> JobRunEnded | Skipped:
    job_name, state, run_id = (_text(detail.get(k)) for k in ("jobName", "state", "jobRunId"))
    if not job_name or not run_id:
        return Skipped("job state change without jobName or jobRunId")
    step = config.step_of(job_name)
    if step is None:
        return Skipped(f"job {job_name!r} is not a job of pipeline {config.pipeline!r}")
    if state not in ALERTING_JOB_STATES:
        return Skipped(f"job {job_name!r} state {state!r} needs no alert")
    return JobRunEnded(
        event_id=envelope[0],
        time=envelope[1],
        job_name=job_name,
        step=step,
        state=state,
        run_id=run_id,
        severity=_text(detail.get("severity")),
        message=_text(detail.get("message")),
    )


def _crawler_state_change(
    envelope: tuple[str, str], detail: dict[str, Any], config: NotifierConfig
) -> CrawlerFailed | CrawlerSucceeded | Skipped:
    name, state = _text(detail.get("crawlerName")), _text(detail.get("state"))
    if name != config.crawler_name:
        return Skipped(f"crawler {name!r} is not the crawler of pipeline {config.pipeline!r}")
    if state == CHECKED_CRAWLER_STATE and config.raw_schema is not None:
        return CrawlerSucceeded(
            event_id=envelope[0],
            time=envelope[1],
            crawler_name=name,
            log_link=_text(detail.get("cloudWatchLogLink")) or None,
        )
    if state not in ALERTING_CRAWLER_STATES:
        return Skipped(f"crawler {name!r} state {state!r} needs no alert")
    return CrawlerFailed(
        event_id=envelope[0],
        time=envelope[1],
        crawler_name=name,
        state=state,
        error=_text(detail.get("errorMessage")) or _text(detail.get("message")),
        log_link=_text(detail.get("cloudWatchLogLink")) or None,
    )


def _object_quarantined(
    envelope: tuple[str, str], detail: dict[str, Any], config: NotifierConfig
) -> ObjectQuarantined | Skipped:
    pipeline = _text(detail.get("pipeline"))
    if pipeline != config.pipeline:
        return Skipped(f"quarantine of pipeline {pipeline!r}, not {config.pipeline!r}")
    bucket, key = _text(detail.get("bucket")), _text(detail.get("key"))
    if not bucket or not key:
        return Skipped("quarantine announcement without bucket or key")
    if bucket != config.buckets.get("raw"):
        # Any principal of the account may put a `gluekit.bridge` event: the bridge only ever
        # quarantines objects of the raw bucket, so anything else is not its announcement.
        return Skipped(f"quarantine announcement for bucket {bucket!r}, not the raw bucket")
    size = detail.get("size")
    return ObjectQuarantined(
        event_id=envelope[0],
        time=envelope[1],
        bucket=bucket,
        key=key,
        version_id=_text(detail.get("version_id")) or None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        reason=_text(detail.get("reason")),
        check=_text(detail.get("check")),
        quarantine_uri=_text(detail.get("quarantine_uri")) or None,
        reason_uri=_text(detail.get("reason_uri")) or None,
    )


def _text(value: Any) -> str:
    """A string field, or '' when it is absent or not a string."""
    return value if isinstance(value, str) else ""
