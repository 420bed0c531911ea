"""Parsing EventBridge events into the alerts the notifier sends, or a reason to skip."""

from __future__ import annotations

from typing import Any

from notifier.config import NotifierConfig
from notifier.events import (
    CrawlerFailed,
    JobRunEnded,
    ObjectQuarantined,
    Skipped,
    parse_event,
)
from tests.events import load_event


def test_job_failure_becomes_an_alert_for_its_step(config: NotifierConfig) -> None:
    event = load_event("notifier/job_failed")

    alert = parse_event(event, config)

    assert alert == JobRunEnded(
        event_id=event["id"],
        time="2026-05-04T01:12:09Z",
        job_name="gluekit-dev-orders-transform",
        step="transform",
        state="FAILED",
        run_id=event["detail"]["jobRunId"],
        severity="ERROR",
        message=event["detail"]["message"],
    )


def test_timeout_and_stop_are_alerts_too(config: NotifierConfig) -> None:
    timeout = parse_event(load_event("notifier/job_timeout"), config)
    stopped = parse_event(load_event("notifier/job_stopped"), config)

    assert isinstance(timeout, JobRunEnded)
    assert (timeout.step, timeout.state) == ("publish", "TIMEOUT")
    assert isinstance(stopped, JobRunEnded)
    assert (stopped.step, stopped.state) == ("validate", "STOPPED")


def test_crawler_failure_becomes_an_alert_with_its_log_link(config: NotifierConfig) -> None:
    alert = parse_event(load_event("notifier/crawler_failed"), config)

    assert isinstance(alert, CrawlerFailed)
    assert alert.crawler_name == "gluekit-dev-orders-raw"
    assert alert.error.startswith("Service Principal: glue.amazonaws.com is not authorized")
    assert alert.log_link is not None
    assert alert.log_link.endswith("stream=gluekit-dev-orders-raw")


def announcement(config: NotifierConfig) -> dict[str, Any]:
    """The bridge's quarantine announcement, for an object of this environment's raw bucket."""
    event = load_event("notifier/object_quarantined")
    event["detail"]["bucket"] = config.buckets["raw"]
    return event


def test_quarantine_announcement_becomes_an_alert(config: NotifierConfig) -> None:
    event = announcement(config)

    alert = parse_event(event, config)

    assert isinstance(alert, ObjectQuarantined)
    assert alert.key == "orders/2026/05/04/export 0002 (final).csv"
    assert alert.size == 48213
    assert alert.check == "csv_header"
    assert alert.version_id == event["detail"]["version_id"]


def test_quarantine_with_null_version_and_no_size_still_alerts(config: NotifierConfig) -> None:
    event = announcement(config)
    event["detail"] |= {"version_id": None, "size": None}

    alert = parse_event(event, config)

    assert isinstance(alert, ObjectQuarantined)
    assert (alert.version_id, alert.size) == (None, None)


def detail_changed(name: str, **changes: Any) -> dict[str, Any]:
    event = load_event(name)
    event["detail"] = {**event["detail"], **changes}
    return event


def test_announcement_for_another_bucket_is_skipped(config: NotifierConfig) -> None:
    event = announcement(config)
    event["detail"]["bucket"] = "someone-elses-bucket"

    assert parse_event(event, config) == Skipped(
        "quarantine announcement for bucket 'someone-elses-bucket', not the raw bucket"
    )


def test_events_without_what_an_alert_needs_are_skipped(config: NotifierConfig) -> None:
    cases = {
        "job state change without jobName or jobRunId": detail_changed(
            "notifier/job_failed", jobRunId=None
        ),
        "quarantine announcement without bucket or key": detail_changed(
            "notifier/object_quarantined", key=""
        ),
        "crawler 'other-crawler' is not the crawler of pipeline 'orders'": detail_changed(
            "notifier/crawler_failed", crawlerName="other-crawler"
        ),
        "job 'gluekit-dev-orders-transform' state 'RUNNING' needs no alert": detail_changed(
            "notifier/job_failed", state="RUNNING"
        ),
    }
    for reason, event in cases.items():
        assert parse_event(event, config) == Skipped(reason)
