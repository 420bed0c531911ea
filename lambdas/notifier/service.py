"""The notifier's one use case: an event in, at most one alert out.

Events it does not understand are logged and skipped. Lookups that fail become notes in the
alert. If building the alert itself fails, a plain alert carrying the raw event goes out instead:
an alerting function must not lose the alert. Only a failed publish raises, so that Lambda's
asynchronous retries (and the function's failure destination) take over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from notifier import lookups, publisher, raw_schema
from notifier.config import NotifierConfig
from notifier.drift_message import drift_notification, unchecked_notification
from notifier.events import CrawlerSucceeded, JobRunEnded, Skipped, parse_event
from notifier.execution_events import ExecutionEnded, StepFailed
from notifier.execution_message import (
    ExecutionFacts,
    execution_ended_notification,
    step_failed_notification,
)
from notifier.facts import RunFacts
from notifier.message import Notification, build, fallback_notification
from notifier.telemetry import logger, metrics


@dataclass(frozen=True)
class Outcome:
    status: str  # "published", "skipped", or "checked" (compared, nothing to alert)
    reason: str | None = None
    message_id: str | None = None
    subject: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def notify(event: Any, config: NotifierConfig) -> Outcome:
    # The kit's alarms and dashboards match metrics on {Pipeline} alone (shared.observability).
    # Start from a clean set: a flush with metrics disabled (local runs) keeps the last one.
    metrics.clear_metrics()
    metrics.add_dimension(name="Pipeline", value=config.pipeline)
    alert = parse_event(event, config)
    if isinstance(alert, Skipped):
        logger.warning(
            "event skipped",
            extra={"reason": alert.reason, "event_summary": _summary(event)},
        )
        metrics.add_metric(name="EventsSkipped", unit=MetricUnit.Count, value=1)
        return Outcome(status="skipped", reason=alert.reason)

    if isinstance(alert, CrawlerSucceeded):
        checked = check_raw_schema(config, alert)
        return checked if isinstance(checked, Outcome) else _publish(config, checked)

    notification: Notification
    try:
        if isinstance(alert, StepFailed | ExecutionEnded):
            return _publish(config, execution_notification(config, alert))
        facts = gather_facts(config, alert) if isinstance(alert, JobRunEnded) else None
        if facts and facts.notes:
            logger.warning("alert degraded", extra={"unavailable": list(facts.notes)})
            metrics.add_metric(
                name="LookupsUnavailable", unit=MetricUnit.Count, value=len(facts.notes)
            )
        notification = build(config, alert, facts)
    except Exception as exc:  # the alert must still go out
        logger.exception("could not build the alert; publishing the raw event instead")
        metrics.add_metric(name="AlertsUnformatted", unit=MetricUnit.Count, value=1)
        notification = fallback_notification(config, event, exc)
    return _publish(config, notification)


def execution_notification(
    config: NotifierConfig, alert: StepFailed | ExecutionEnded
) -> Notification:
    """The state machine's alert; if building it fails, the raw event's."""
    try:
        facts = gather_execution_facts(config, alert)
        if facts.notes:
            logger.warning("alert degraded", extra={"unavailable": list(facts.notes)})
            metrics.add_metric(
                name="LookupsUnavailable", unit=MetricUnit.Count, value=len(facts.notes)
            )
        if isinstance(alert, StepFailed):
            return step_failed_notification(config, alert, facts)
        return execution_ended_notification(config, alert, facts)
    except Exception as exc:  # the alert must still go out
        logger.exception("could not build the alert; publishing the raw event instead")
        metrics.add_metric(name="AlertsUnformatted", unit=MetricUnit.Count, value=1)
        return fallback_notification(config, alert.__dict__, exc)


def gather_execution_facts(
    config: NotifierConfig, alert: StepFailed | ExecutionEnded
) -> ExecutionFacts:
    """The batch's manifest and, for a failed validate, its report: the event names both."""
    batch = alert.batch
    if batch is None:
        return ExecutionFacts(notes=("the execution's input names no batch",))
    notes: list[str] = []
    manifest = report = report_uri = None
    if batch.manifest_uri:
        try:
            manifest = lookups.manifest(batch.manifest_uri)
        except lookups.LookupFailed as exc:
            notes.append(f"manifest not available: {exc}")
    if isinstance(alert, StepFailed) and alert.step == "validate" and batch.run_id:
        report_uri = lookups.s3_uri(
            config.artifacts_bucket, f"{config.reports_prefix}{batch.run_id}.json"
        )
        try:
            report = lookups.report(report_uri)
        except lookups.LookupFailed as exc:
            notes.append(f"validation report not available: {exc}")
    return ExecutionFacts(
        manifest=manifest, report_uri=report_uri, report=report, notes=tuple(notes)
    )


def _publish(config: NotifierConfig, notification: Notification) -> Outcome:
    try:
        message_id = publisher.publish(config.topic_arn, notification)
    except Exception:
        logger.exception("could not publish the alert", extra={"subject": notification.subject})
        metrics.add_metric(name="AlertsNotPublished", unit=MetricUnit.Count, value=1)
        raise
    logger.info(
        "alert published",
        extra={
            "subject": notification.subject,
            "message_id": message_id,
            **notification.attributes,
        },
    )
    metrics.add_metric(name="AlertsPublished", unit=MetricUnit.Count, value=1)
    return Outcome(status="published", message_id=message_id, subject=notification.subject)


def check_raw_schema(config: NotifierConfig, alert: CrawlerSucceeded) -> Notification | Outcome:
    """The drift alert for the crawler's tables, or the outcome when there is nothing to say."""
    schema = config.raw_schema
    assert schema is not None  # parse_event yields CrawlerSucceeded only with a raw schema
    metrics.add_metric(name="RawSchemaChecks", unit=MetricUnit.Count, value=1)
    try:
        found = lookups.raw_tables(schema.database, schema.table_prefix)
    except lookups.LookupFailed as exc:
        logger.warning("raw tables not available", extra={"problem": str(exc)})
        return unchecked_notification(config, alert, f"the raw tables could not be read: {exc}")
    tables = raw_schema.crawler_tables(schema, found)
    if not tables:
        reason = f"crawler {alert.crawler_name!r} has no table {schema.table_prefix}* yet"
        logger.info("raw schema not compared", extra={"reason": reason})
        return Outcome(status="checked", reason=reason)
    drifts = [d for d in (raw_schema.compare(schema, t) for t in tables) if d is not None]
    metrics.add_metric(name="RawTablesDrifted", unit=MetricUnit.Count, value=len(drifts))
    if not drifts:
        reason = f"{', '.join(t.name for t in tables)} match the contract"
        logger.info("raw schema matches the contract", extra={"tables": [t.name for t in tables]})
        return Outcome(status="checked", reason=reason)
    try:
        return drift_notification(config, alert, drifts)
    except Exception as exc:  # the alert must still go out
        logger.exception("could not build the drift alert; publishing the raw facts instead")
        metrics.add_metric(name="AlertsUnformatted", unit=MetricUnit.Count, value=1)
        return fallback_notification(config, {"drifts": [d.__dict__ for d in drifts]}, exc)


def gather_facts(config: NotifierConfig, alert: JobRunEnded) -> RunFacts:
    """Job run → workflow run (properties, status, graph) → manifest and, for validate, report."""
    try:
        job_run = lookups.job_run(alert.job_name, alert.run_id)
    except lookups.LookupFailed as exc:
        return RunFacts(notes=(f"job run details not available: {exc}",))
    run_id = job_run.workflow_run_id
    if not run_id:  # started outside the workflow (compact, or by hand)
        return RunFacts(job_run=job_run)

    workflow_name = job_run.workflow_name or config.workflow_name
    notes: list[str] = []
    workflow_run = manifest = report = None
    manifest_uri = report_uri = None
    try:
        workflow_run = lookups.workflow_run(workflow_name, run_id)
    except lookups.LookupFailed as exc:
        notes.append(f"workflow run properties (manifest, batch id) not available: {exc}")
    if workflow_run is not None:
        manifest_uri = workflow_run.properties.get("manifest")
        if not manifest_uri:
            notes.append("manifest not available: the workflow run has no 'manifest' property")
    if manifest_uri:
        try:
            manifest = lookups.manifest(manifest_uri)
        except lookups.LookupFailed as exc:
            notes.append(f"manifest not available: {exc}")
    if alert.step == "validate":
        report_uri = lookups.s3_uri(
            config.artifacts_bucket, f"{config.reports_prefix}{run_id}.json"
        )
        try:
            report = lookups.report(report_uri)
        except lookups.LookupFailed as exc:
            notes.append(f"validation report not available: {exc}")
    return RunFacts(
        job_run=job_run,
        workflow_name=workflow_name,
        workflow_run_id=run_id,
        workflow_run=workflow_run,
        manifest_uri=manifest_uri,
        manifest=manifest,
        report_uri=report_uri,
        report=report,
        notes=tuple(notes),
    )


def _summary(event: Any) -> dict[str, Any]:
    """Enough of an event to recognise it in the logs, without logging payloads wholesale."""
    if not isinstance(event, dict):
        return {"type": type(event).__name__}
    return {k: event.get(k) for k in ("id", "source", "detail-type", "time") if k in event}
