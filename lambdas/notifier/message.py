"""Builds the alert: a subject, a text a person understands at a glance, and a machine form.

Pure functions of the configuration, the parsed event and the looked-up facts. Everything that
can grow with the data (files, rules, error text, observed values) is capped, so a batch of
10,000 files still fits SNS's 256 KB message limit.

This module chooses the alert and builds the crawler, quarantine and last-resort ones; a failed
job run's alert is `job_message`'s, source drift's `drift_message`'s, and the layout they all
share is `layout`'s.
"""

from __future__ import annotations

import json
from posixpath import basename
from typing import Any

from notifier import layout, runbook
from notifier.config import NotifierConfig
from notifier.events import Alert, CrawlerFailed, JobRunEnded, ObjectQuarantined
from notifier.facts import RunFacts
from notifier.job_message import MAX_FILES_IN_DATA, MAX_RULES, job_run_notification
from notifier.layout import (
    MAX_ERROR_CHARS,
    MAX_ERROR_LINE_CHARS,
    MAX_VALUE_CHARS,
    Notification,
    subject_line,
)

__all__ = [
    "MAX_ERROR_CHARS",
    "MAX_ERROR_LINE_CHARS",
    "MAX_FILES_IN_DATA",
    "MAX_RULES",
    "MAX_VALUE_CHARS",
    "Notification",
    "build",
    "fallback_notification",
    "subject_line",
]


def build(config: NotifierConfig, alert: Alert, facts: RunFacts | None = None) -> Notification:
    if isinstance(alert, JobRunEnded):
        return job_run_notification(config, alert, facts or RunFacts())
    if isinstance(alert, CrawlerFailed):
        return crawler_notification(config, alert)
    return quarantine_notification(config, alert)


# --- crawler -------------------------------------------------------------------------------


def crawler_notification(config: NotifierConfig, alert: CrawlerFailed) -> layout.Notification:
    region = config.region
    error = layout.clip(alert.error, layout.MAX_ERROR_CHARS)
    actions = [
        layout.Action(
            "rerun",
            "Run it again once the cause is fixed:",
            runbook.start_crawler_command(region, alert.crawler_name),
        ),
        layout.Action(
            "last_crawl",
            "Details of the last crawl:",
            runbook.last_crawl_command(region, alert.crawler_name),
        ),
    ]
    links = {"crawler": runbook.crawler_url(region, alert.crawler_name)}
    if alert.log_link:
        links["log"] = alert.log_link
    guidance = [
        "Read the crawler's log; the cause is often permissions, or a file its classifier "
        "cannot read.",
    ]
    text = layout.compose(
        f"The crawler of pipeline {config.pipeline} failed",
        [
            layout.fields(
                ("Pipeline", config.pipeline),
                ("Crawler", alert.crawler_name),
                ("State", alert.state),
                ("When", layout.when(alert.time, None)),
                ("Error", layout.one_line(error) or "(none given)"),
            ),
            layout.actions_section(guidance, actions),
            layout.links_section(links),
        ],
    )
    subject = layout.subject_line(
        f"[{config.workflow_name}] crawler {alert.state}: {error or 'no error message'}"
    )
    data = {
        **layout.common(config, "crawler_failed", alert.event_id, alert.time, subject, text),
        "crawler_name": alert.crawler_name,
        "state": alert.state,
        "error": error or None,
        "links": links,
        **layout.commands_data(actions),
    }
    attributes = layout.attributes(config, "crawler_failed", state=alert.state)
    return layout.Notification(subject, text, data, attributes)


# --- bridge quarantine ---------------------------------------------------------------------


def quarantine_notification(
    config: NotifierConfig, alert: ObjectQuarantined
) -> layout.Notification:
    region = config.region
    raw_uri = f"s3://{alert.bucket}/{alert.key}"
    file_name = basename(alert.key) or alert.key
    reason = layout.clip(alert.reason, layout.MAX_ERROR_CHARS)
    details = []
    if alert.version_id:
        details.append(f"version {alert.version_id}")
    if alert.size is not None:
        details.append(f"{alert.size:,} bytes")
    actions = []
    if alert.reason_uri:
        actions.append(
            layout.Action(
                "read_reason", "Read the full reason:", runbook.s3_read_command(alert.reason_uri)
            )
        )
    actions.append(
        layout.Action(
            "reupload",
            "Fix the file and upload it again under the same key; the bridge checks the new "
            "version as a new file:",
            runbook.s3_upload_command(f"./{file_name}", alert.bucket, alert.key),
        )
    )
    links: dict[str, str] = {}
    for name, uri in (
        ("raw_object", raw_uri),
        ("quarantined_copy", alert.quarantine_uri),
        ("reason", alert.reason_uri),
    ):
        url = runbook.s3_object_url(region, uri) if uri else None
        if url:
            links[name] = url
    text = layout.compose(
        f"A file for pipeline {config.pipeline} failed its pre-flight check and was "
        "quarantined; it will not be processed",
        [
            layout.fields(
                ("Pipeline", config.pipeline),
                ("File", raw_uri + (f" ({', '.join(details)})" if details else "")),
                ("Check", alert.check or "(not given)"),
                ("Reason", layout.one_line(reason) or "(not given)"),
                ("When", layout.when(alert.time, None)),
                ("Quarantined", alert.quarantine_uri or "(no copy announced)"),
                ("Reason file", alert.reason_uri or "(none announced)"),
            ),
            layout.actions_section(["The raw file stays where it is, unchanged."], actions),
            layout.links_section(links),
        ],
    )
    what = reason or alert.check or "pre-flight check failed"
    subject = layout.subject_line(f"[{config.workflow_name}] quarantined {file_name}: {what}")
    data = {
        **layout.common(config, "object_quarantined", alert.event_id, alert.time, subject, text),
        "bucket": alert.bucket,
        "key": alert.key,
        "version_id": alert.version_id,
        "size": alert.size,
        "check": alert.check or None,
        "reason": reason or None,
        "quarantine_uri": alert.quarantine_uri,
        "reason_uri": alert.reason_uri,
        "links": links,
        **layout.commands_data(actions),
    }
    attributes = layout.attributes(config, "object_quarantined", check=alert.check)
    return layout.Notification(subject, text, data, attributes)


# --- last resort ---------------------------------------------------------------------------


def fallback_notification(
    config: NotifierConfig, event: Any, error: BaseException
) -> layout.Notification:
    """A crude alert from the raw event, for when building the real one failed: never drop it."""
    detail_type = event.get("detail-type") if isinstance(event, dict) else None
    raw = layout.clip(
        json.dumps(event, indent=2, sort_keys=True, default=str), layout.MAX_RAW_EVENT_CHARS
    )
    problem = f"{type(error).__name__}: {layout.clip(str(error), layout.MAX_VALUE_CHARS)}"
    text = (
        f"The gluekit notifier of pipeline {config.pipeline} received an event to alert on but "
        f"could not build its message ({problem}). The notifier's logs have the details.\n\n"
        f"The event:\n{raw}\n"
    )
    subject = layout.subject_line(
        f"[{config.workflow_name}] alert: {detail_type or 'unreadable event'}"
    )
    data = {
        **layout.common(config, "unformatted_event", None, None, subject, text),
        "problem": problem,
        "event": raw,
    }
    return layout.Notification(subject, text, data, layout.attributes(config, "unformatted_event"))
