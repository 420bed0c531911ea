"""Builds the alert: a subject, a text a person understands at a glance, and a machine form.

Pure functions of the configuration, the parsed event and the looked-up facts. Everything that
can grow with the data (files, rules, error text, observed values) is capped, so a batch of
10,000 files still fits SNS's 256 KB message limit.
"""

from __future__ import annotations

import json
import re
import textwrap
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from posixpath import basename
from typing import Any

from notifier import runbook
from notifier.config import NotifierConfig
from notifier.events import Alert, CrawlerFailed, JobRunEnded, ObjectQuarantined
from notifier.facts import RuleResult, RunFacts

SCHEMA = "gluekit.alert/1"
MAX_SUBJECT_CHARS = 99  # SNS: "less than 100 characters"
MAX_ERROR_CHARS = 2000
MAX_ERROR_LINE_CHARS = 300  # the one-line "Error:" field; longer errors follow in full
MAX_VALUE_CHARS = 200
MAX_FILES_IN_TEXT = 10
MAX_FILES_IN_DATA = 20
MAX_RULES = 20
MAX_RAW_EVENT_CHARS = 20_000
TEXT_WIDTH = 78  # prose only; commands, URIs and links stay on one line
# Glue prefixes some failure messages with the job and run, which the alert shows anyway.
_GLUE_ERROR_PREFIX = re.compile(
    r"^JobName:\S+ and JobRunId:\S+ failed to execute with exception\s*", re.IGNORECASE
)


@dataclass(frozen=True)
class Notification:
    subject: str
    text: str
    data: Mapping[str, Any]  # the machine form; JSON-serialisable
    attributes: Mapping[str, str]  # SNS message attributes, for subscription filter policies


def build(config: NotifierConfig, alert: Alert, facts: RunFacts | None = None) -> Notification:
    if isinstance(alert, JobRunEnded):
        return job_run_notification(config, alert, facts or RunFacts())
    if isinstance(alert, CrawlerFailed):
        return crawler_notification(config, alert)
    return quarantine_notification(config, alert)


# --- Glue job runs -------------------------------------------------------------------------


def job_run_notification(
    config: NotifierConfig, alert: JobRunEnded, facts: RunFacts
) -> Notification:
    job_run, manifest = facts.job_run, facts.manifest
    error = _clip(
        alert.message or (job_run.error_message if job_run else None) or "", MAX_ERROR_CHARS
    )
    failures = facts.report.failures if facts.report else ()
    headline = f"Step {alert.step} of pipeline {config.pipeline} {alert.state}"
    if failures:
        headline += f": {_count(len(failures), 'validation rule')} failed"
    elif alert.state == "TIMEOUT" and job_run and job_run.timeout_minutes:
        headline += f" after its timeout of {job_run.timeout_minutes} min"

    sections = [
        _fields(
            ("Pipeline", config.pipeline),
            ("Step", f"{alert.step} (Glue job {alert.job_name})"),
            (
                "State",
                f"{alert.state} (severity {alert.severity})" if alert.severity else alert.state,
            ),
            ("When", _when(alert.time, job_run.execution_seconds if job_run else None)),
            ("Error", _clip(_first_line(error), MAX_ERROR_LINE_CHARS) or "(none given)"),
            ("Workflow run", _workflow_run_field(facts)),
            ("Job run", alert.run_id),
            ("Batch", _batch(facts)),
        )
    ]
    if error.strip() != _clip(_first_line(error), MAX_ERROR_LINE_CHARS):
        sections.append(["Error in full:", *_indent(error.strip().splitlines())])
    if alert.step == "validate" and facts.workflow_run_id:
        sections.append(_validation_section(facts))
    if manifest is not None:
        sections.append(_files_section(manifest.uri, [(f.uri, f.size) for f in manifest.files]))
    actions = _job_actions(config, alert, facts)
    links = _job_links(config, alert, facts)
    sections += [
        _actions_section(_job_guidance(alert, facts), actions),
        _links_section(links),
        _notes_section(facts.notes),
    ]
    text = _text(headline, sections)
    detail = _job_subject_detail(alert, facts, error)
    subject = subject_line(f"[{config.workflow_name}] {alert.step} {alert.state}: {detail}")
    data: dict[str, Any] = {
        **_common(config, "job_run_ended", alert.event_id, alert.time, subject, text),
        "step": alert.step,
        "state": alert.state,
        "severity": alert.severity or None,
        "error": error or None,
        "job_name": alert.job_name,
        "job_run_id": alert.run_id,
        "workflow_run_id": facts.workflow_run_id,
        "workflow_run_status": facts.workflow_run.status if facts.workflow_run else None,
        "batch_id": facts.run_properties.get("batch_id"),
        "manifest_uri": facts.manifest_uri,
        "file_count": len(manifest.files) if manifest else None,
        "files": [{"uri": f.uri, "size": f.size} for f in manifest.files[:MAX_FILES_IN_DATA]]
        if manifest
        else [],
        "validation": _validation_data(facts) if alert.step == "validate" else None,
        "links": links,
        "commands": {key: command for key, _, command in actions},
        "unavailable": list(facts.notes),
    }
    attributes = _attributes(config, "job_run_ended", step=alert.step, state=alert.state)
    return Notification(subject, text, data, attributes)


def _workflow_run_field(facts: RunFacts) -> str:
    if not facts.workflow_run_id:
        if facts.job_run is None:
            return "unknown (the job run could not be read)"
        return "none: the job run was not started by a workflow"
    status = facts.workflow_run.status if facts.workflow_run else None
    shown = f"{facts.workflow_run_id} of {facts.workflow_name}"
    return f"{shown} (status {status})" if status else shown


def _batch(facts: RunFacts) -> str:
    parts = [facts.run_properties.get("batch_id") or "batch id unknown"]
    if facts.manifest is not None:
        parts.append(_count(len(facts.manifest.files), "file"))
    return ", ".join(parts)


def _job_actions(
    config: NotifierConfig, alert: JobRunEnded, facts: RunFacts
) -> list[tuple[str, str, str]]:
    """(key, what it does, command) for each command the person may run next."""
    region, run_id = config.region, facts.workflow_run_id
    if not run_id:
        if facts.job_run is None:
            command = runbook.job_run_arguments_command(region, alert.job_name, alert.run_id)
            return [("find_run", "Find the run's workflow run id (--WORKFLOW_RUN_ID):", command)]
        return [("rerun", "Run the job again:", runbook.start_job_command(region, alert.job_name))]

    workflow = facts.workflow_name or config.workflow_name
    wf_run = facts.workflow_run
    node_id = wf_run.job_node_ids.get(alert.job_name) if wf_run else None
    status = wf_run.status if wf_run else None
    now = f"; it is {status} now" if status and status != "COMPLETED" else ""
    actions = [
        (
            "resume",
            f"Resume this run from {alert.step} (Glue reruns it and the steps after it; works "
            f"once the workflow run is COMPLETED{now}; the resumed run gets a new run id):",
            runbook.resume_command(region, workflow, run_id, alert.job_name, node_id),
        )
    ]
    if facts.run_properties.get("manifest"):
        actions.append(
            (
                "replay",
                "Or replay the same batch as a new run (every step, from the manifest):",
                runbook.replay_command(region, workflow, facts.run_properties),
            )
        )
    actions.append(
        (
            "status",
            "Check the workflow run:",
            runbook.workflow_status_command(region, workflow, run_id),
        )
    )
    return actions


def _job_links(config: NotifierConfig, alert: JobRunEnded, facts: RunFacts) -> dict[str, str]:
    region = config.region
    links = {"job_run": runbook.job_run_url(region, alert.job_name, alert.run_id)}
    if facts.workflow_run_id:
        workflow = facts.workflow_name or config.workflow_name
        links["workflow_run"] = runbook.workflow_run_url(region, workflow, facts.workflow_run_id)
    for name, uri in (("manifest", facts.manifest_uri), ("report", facts.report_uri)):
        url = runbook.s3_object_url(region, uri) if uri else None
        if url:
            links[name] = url
    return links


def _job_subject_detail(alert: JobRunEnded, facts: RunFacts, error: str) -> str:
    failures = facts.report.failures if facts.report else ()
    if failures:
        labels = ", ".join(r.label for r in failures)
        return f"{_count(len(failures), 'rule')} failed: {labels}"
    if alert.state == "TIMEOUT" and facts.job_run and facts.job_run.timeout_minutes:
        return f"timed out after {facts.job_run.timeout_minutes} min"
    return _first_line(_GLUE_ERROR_PREFIX.sub("", error.strip())) or alert.state.lower()


def _job_guidance(alert: JobRunEnded, facts: RunFacts) -> list[str]:
    failures = facts.report.failures if facts.report else ()
    then = "resume the run" if facts.workflow_run_id else "run the job again"
    if failures:
        return [
            f"The batch breached {_count(len(failures), 'validation rule')}, so nothing was "
            "published. Fix the source files and upload them again (the bridge starts a new "
            "run), or change the pipeline's validation rules and deploy, then resume or replay.",
            "Resuming without a change validates the same data again and fails the same way.",
        ]
    if alert.state == "TIMEOUT":
        limit = facts.job_run.timeout_minutes if facts.job_run else None
        return [
            "The job run exceeded its timeout"
            + (f" of {limit} min" if limit else "")
            + ". Look in the job run's logs for a stuck stage or an unusually large batch; "
            "raise job.timeout_minutes or job.workers in the pipeline spec if the batch is "
            f"legitimately large, deploy, then {then}.",
        ]
    if alert.state == "STOPPED":
        return [
            "The job run was stopped (from the console or API, or with its workflow run). "
            f"If that was not intended, {then}.",
        ]
    advice = [
        f"Read the error and the job run's logs (link below); fix the cause, then {then}.",
    ]
    if alert.step == "publish":
        advice.append(
            "publish overwrites only the partitions this batch touches, so rerunning it is safe."
        )
    return advice


def _validation_section(facts: RunFacts) -> list[str]:
    report = facts.report
    if report is None:
        summary = facts.run_properties.get("validation_summary")
        lines = ["Validation: the report is not available (see below)."]
        if summary:
            lines.append(
                f"  Summary from the run properties: {_clip(_one_line(summary), MAX_ERROR_CHARS)}"
            )
        return lines
    failures, warnings, unmeasured = report.failures, report.warnings, report.unmeasured
    counts = [_count(len(failures), "rule") + " failed"]
    if warnings:
        counts.append(_count(len(warnings), "warning"))
    if unmeasured:
        counts.append(f"{len(unmeasured):,} not measured")
    rows = f"{report.rows:,} rows; " if report.rows is not None else ""
    lines = [f"Validation: {', '.join(counts)} ({rows}report {report.uri}):"]
    shown = [*failures, *warnings, *unmeasured]
    for rule in shown[:MAX_RULES]:
        marker = "N/A   " if not rule.measured else "WARN  " if rule.is_warning else "FAILED"
        lines.append(f"  {marker} {_rule_line(rule)}")
        if rule.message:
            lines.append(f"         {_clip(_one_line(rule.message), MAX_VALUE_CHARS)}")
    if len(shown) > MAX_RULES:
        lines.append(f"  ... and {len(shown) - MAX_RULES} more in the report")
    if not shown:
        lines.append(f"  every rule passed (report status {report.status or 'unknown'})")
    return lines


def _rule_line(rule: RuleResult) -> str:
    line = f"{rule.label}: observed {_value(rule.observed)}; expected {_value(rule.threshold)}"
    rows = rule.offending_rows
    if isinstance(rows, list) and rows:  # the validate job keeps a few sample rows
        sample = json.dumps(rows[0], ensure_ascii=False, default=str)
        line += f"; e.g. {_clip(sample, MAX_VALUE_CHARS)}"
    elif isinstance(rows, int) and not isinstance(rows, bool) and rows:
        line += f"; {_count(rows, 'offending row')}"
    return line


def _validation_data(facts: RunFacts) -> dict[str, Any]:
    report = facts.report

    def rule_data(rule: RuleResult) -> dict[str, Any]:
        return {
            "rule": rule.rule,
            "column": rule.column,
            "severity": rule.severity,
            "status": rule.status,
            "observed": _json_value(rule.observed),
            "threshold": _json_value(rule.threshold),
            "message": _clip(rule.message, MAX_VALUE_CHARS) or None,
            "offending_rows": _json_value(rule.offending_rows),
        }

    return {
        "report_uri": facts.report_uri,
        "status": report.status if report else None,
        "rows": report.rows if report else None,
        "failed_rules": [rule_data(r) for r in report.failures[:MAX_RULES]] if report else [],
        "warnings": [rule_data(r) for r in report.warnings[:MAX_RULES]] if report else [],
        "summary": facts.run_properties.get("validation_summary"),
    }


# --- crawler -------------------------------------------------------------------------------


def crawler_notification(config: NotifierConfig, alert: CrawlerFailed) -> Notification:
    region = config.region
    error = _clip(alert.error, MAX_ERROR_CHARS)
    actions = [
        (
            "rerun",
            "Run it again once the cause is fixed:",
            runbook.start_crawler_command(region, alert.crawler_name),
        ),
        (
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
    text = _text(
        f"The crawler of pipeline {config.pipeline} failed",
        [
            _fields(
                ("Pipeline", config.pipeline),
                ("Crawler", alert.crawler_name),
                ("State", alert.state),
                ("When", _when(alert.time, None)),
                ("Error", _one_line(error) or "(none given)"),
            ),
            _actions_section(guidance, actions),
            _links_section(links),
        ],
    )
    subject = subject_line(
        f"[{config.workflow_name}] crawler {alert.state}: {error or 'no error message'}"
    )
    data = {
        **_common(config, "crawler_failed", alert.event_id, alert.time, subject, text),
        "crawler_name": alert.crawler_name,
        "state": alert.state,
        "error": error or None,
        "links": links,
        "commands": {key: command for key, _, command in actions},
    }
    attributes = _attributes(config, "crawler_failed", state=alert.state)
    return Notification(subject, text, data, attributes)


# --- bridge quarantine ---------------------------------------------------------------------


def quarantine_notification(config: NotifierConfig, alert: ObjectQuarantined) -> Notification:
    region = config.region
    raw_uri = f"s3://{alert.bucket}/{alert.key}"
    file_name = basename(alert.key) or alert.key
    reason = _clip(alert.reason, MAX_ERROR_CHARS)
    details = []
    if alert.version_id:
        details.append(f"version {alert.version_id}")
    if alert.size is not None:
        details.append(f"{alert.size:,} bytes")
    actions = []
    if alert.reason_uri:
        actions.append(
            ("read_reason", "Read the full reason:", runbook.s3_read_command(alert.reason_uri))
        )
    actions.append(
        (
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
    text = _text(
        f"A file for pipeline {config.pipeline} failed its pre-flight check and was "
        "quarantined; it will not be processed",
        [
            _fields(
                ("Pipeline", config.pipeline),
                ("File", raw_uri + (f" ({', '.join(details)})" if details else "")),
                ("Check", alert.check or "(not given)"),
                ("Reason", _one_line(reason) or "(not given)"),
                ("When", _when(alert.time, None)),
                ("Quarantined", alert.quarantine_uri or "(no copy announced)"),
                ("Reason file", alert.reason_uri or "(none announced)"),
            ),
            _actions_section(["The raw file stays where it is, unchanged."], actions),
            _links_section(links),
        ],
    )
    what = reason or alert.check or "pre-flight check failed"
    subject = subject_line(f"[{config.workflow_name}] quarantined {file_name}: {what}")
    data = {
        **_common(config, "object_quarantined", alert.event_id, alert.time, subject, text),
        "bucket": alert.bucket,
        "key": alert.key,
        "version_id": alert.version_id,
        "size": alert.size,
        "check": alert.check or None,
        "reason": reason or None,
        "quarantine_uri": alert.quarantine_uri,
        "reason_uri": alert.reason_uri,
        "links": links,
        "commands": {key: command for key, _, command in actions},
    }
    attributes = _attributes(config, "object_quarantined", check=alert.check)
    return Notification(subject, text, data, attributes)


# --- last resort ---------------------------------------------------------------------------


def fallback_notification(config: NotifierConfig, event: Any, error: BaseException) -> Notification:
    """A crude alert from the raw event, for when building the real one failed: never drop it."""
    detail_type = event.get("detail-type") if isinstance(event, dict) else None
    raw = _clip(json.dumps(event, indent=2, sort_keys=True, default=str), MAX_RAW_EVENT_CHARS)
    problem = f"{type(error).__name__}: {_clip(str(error), MAX_VALUE_CHARS)}"
    text = (
        f"The gluekit notifier of pipeline {config.pipeline} received an event to alert on but "
        f"could not build its message ({problem}). The notifier's logs have the details.\n\n"
        f"The event:\n{raw}\n"
    )
    subject = subject_line(f"[{config.workflow_name}] alert: {detail_type or 'unreadable event'}")
    data = {
        **_common(config, "unformatted_event", None, None, subject, text),
        "problem": problem,
        "event": raw,
    }
    return Notification(subject, text, data, _attributes(config, "unformatted_event"))


# --- shared formatting ---------------------------------------------------------------------


def subject_line(text: str) -> str:
    """An SNS subject: printable ASCII, one line, fewer than 100 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in ascii_text).split())
    if len(cleaned) > MAX_SUBJECT_CHARS:
        cleaned = cleaned[: MAX_SUBJECT_CHARS - 3].rstrip() + "..."
    return cleaned or "gluekit alert"


def _common(
    config: NotifierConfig,
    kind: str,
    event_id: str | None,
    time: str | None,
    subject: str,
    text: str,
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "kind": kind,
        "pipeline": config.pipeline,
        "workflow_name": config.workflow_name,
        "region": config.region,
        "event_id": event_id or None,
        "time": time or None,
        "subject": subject,
        "text": text,
    }


def _attributes(config: NotifierConfig, kind: str, **more: str) -> dict[str, str]:
    # SNS rejects empty attribute values, so only present ones go out.
    values = {"pipeline": config.pipeline, "kind": kind, **more}
    return {k: v for k, v in values.items() if v}


def _fields(*pairs: tuple[str, str]) -> list[str]:
    width = max(len(label) for label, _ in pairs) + 2
    return [f"{label + ':':<{width}}{value}" for label, value in pairs]


def _indent(lines: Iterable[str]) -> list[str]:
    return [f"  {line}" for line in lines]


def _text(headline: str, sections: Iterable[list[str]]) -> str:
    """The headline (it is what an email preview shows), then the non-empty sections."""
    blocks = [f"{headline}.", *("\n".join(lines) for lines in sections if lines)]
    return "\n\n".join(blocks) + "\n"


def _actions_section(guidance: list[str], actions: list[tuple[str, str, str]]) -> list[str]:
    """Prose wrapped for plain-text email; commands never wrapped, so they paste whole."""
    lines = ["What to do:"]
    for paragraph in guidance:
        lines += _indent(textwrap.wrap(paragraph, TEXT_WIDTH - 2))
    for _, description, command in actions:
        lines += _indent([*textwrap.wrap(description, TEXT_WIDTH - 2), f"  {command}"])
    return lines


def _files_section(manifest_uri: str, files: list[tuple[str, int | None]]) -> list[str]:
    lines = [f"Files in the batch ({len(files):,}, from manifest {manifest_uri}):"]
    for uri, size in files[:MAX_FILES_IN_TEXT]:
        lines.append(f"  {uri}" + (f" ({size:,} bytes)" if size is not None else ""))
    if len(files) > MAX_FILES_IN_TEXT:
        lines.append(f"  ... and {len(files) - MAX_FILES_IN_TEXT:,} more in the manifest")
    if not files:
        lines.append("  (the manifest lists no files)")
    return lines


def _links_section(links: Mapping[str, str]) -> list[str]:
    if not links:
        return []
    labels = {
        "job_run": "Job run",
        "workflow_run": "Workflow run",
        "execution": "Execution",
        "manifest": "Manifest",
        "report": "Report",
        "crawler": "Crawler",
        "log": "Log",
        "raw_object": "Raw file",
        "quarantined_copy": "Quarantined copy",
        "reason": "Reason",
    }
    return ["Links:", *_indent(_fields(*((labels.get(k, k), v) for k, v in links.items())))]


def _notes_section(notes: Iterable[str]) -> list[str]:
    notes = list(notes)
    if not notes:
        return []
    return ["Could not look up:", *(f"  - {_clip(_one_line(n), MAX_ERROR_CHARS)}" for n in notes)]


def _when(time: str, execution_seconds: int | None) -> str:
    try:
        moment = datetime.fromisoformat(time)
    except ValueError:
        shown = time or "unknown"
    else:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        shown = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    if execution_seconds is not None:
        shown += f" (ran {_duration(execution_seconds)})"
    return shown


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _value(value: Any) -> str:
    if value is None:
        text = "n/a"
    elif isinstance(value, Mapping):
        text = ", ".join(f"{k}={_scalar(v)}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        text = ", ".join(_scalar(v) for v in value)
    else:
        text = _scalar(value)
    return _clip(_one_line(text), MAX_VALUE_CHARS)


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_scalar(v)}" for k, v in value.items()) + "}"
    return str(value)


def _json_value(value: Any) -> Any:
    """A report value for the machine form, replaced by a clipped string when it is huge."""
    encoded = json.dumps(value, default=str)
    return value if len(encoded) <= 4 * MAX_VALUE_CHARS else _clip(encoded, 4 * MAX_VALUE_CHARS)


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0].strip() if stripped else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
