"""Alerts for a pipeline run by the state machine: a caught step failure, or an execution that
ended badly without one (timed out, stopped, or its alert could not be sent).

The same layout as a Glue workflow's alert (message.py's fields, sections, subject and machine
form), with the state machine's own next steps: a resume is a new execution that starts at the
failed step (its input's start_at) on the same run id; a replay is a new execution of the batch
under a new run id. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notifier import runbook
from notifier.config import NotifierConfig
from notifier.execution_events import Batch, ExecutionEnded, StepFailed
from notifier.facts import Manifest, RunFacts, ValidationReport
from notifier.job_message import (
    _GLUE_ERROR_PREFIX,
    MAX_FILES_IN_DATA,
    _validation_data,
    _validation_section,
)
from notifier.layout import (
    MAX_ERROR_CHARS,
    MAX_ERROR_LINE_CHARS,
    Action,
    Notification,
    subject_line,
)
from notifier.layout import actions_section as layout_actions_section
from notifier.layout import attributes as _attributes
from notifier.layout import clip as _clip
from notifier.layout import common as _common
from notifier.layout import compose as _text
from notifier.layout import count as _count
from notifier.layout import fields as _fields
from notifier.layout import files_section as _files_section
from notifier.layout import first_line as _first_line
from notifier.layout import indent as _indent
from notifier.layout import links_section as _links_section
from notifier.layout import notes_section as _notes_section
from notifier.layout import when as _when

RESUMABLE_STEPS = ("validate", "publish")  # as gluekit.orchestration.RESUMABLE_STEPS
# Glue refused the job run every time it was asked (gluekit.orchestration's retried errors).
BUSY_ERRORS = frozenset(
    {
        "Glue.ConcurrentRunsExceededException",
        "Glue.ThrottlingException",
        "Glue.ResourceNumberLimitExceededException",
    }
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class ExecutionFacts:
    """What could be looked up about the batch; `notes` says what could not."""

    manifest: Manifest | None = None
    report_uri: str | None = None
    report: ValidationReport | None = None
    notes: tuple[str, ...] = ()


# --- a caught step failure -----------------------------------------------------------------


def step_failed_notification(
    config: NotifierConfig, alert: StepFailed, facts: ExecutionFacts
) -> Notification:
    job, step = alert.job_run, alert.step
    error = _clip(
        _GLUE_ERROR_PREFIX.sub("", (job.error_message if job else "") or alert.cause).strip(),
        MAX_ERROR_CHARS,
    )
    state = job.state if job else alert.error
    failures = facts.report.failures if facts.report else ()
    headline = _step_headline(config, alert, len(failures))
    sections = [
        _fields(
            ("Pipeline", config.pipeline),
            ("Step", f"{step} (Glue job {job.job_name})" if job and job.job_name else step),
            ("State", state if not job else f"{state} (error {alert.error})"),
            ("When", _when(alert.time, job.execution_seconds if job else None)),
            ("Error", _clip(_first_line(error), MAX_ERROR_LINE_CHARS) or "(none given)"),
            ("Execution", _execution_name(alert.execution_arn)),
            ("Job run", job.job_run_id if job else "none: no job run was started"),
            ("Batch", _batch_field(alert.batch, facts.manifest)),
        )
    ]
    if error and error != _clip(_first_line(error), MAX_ERROR_LINE_CHARS):
        sections.append(["Error in full:", *_indent(error.splitlines())])
    run_facts = RunFacts(report_uri=facts.report_uri, report=facts.report)
    if step == "validate":
        sections.append(_validation_section(run_facts))
    if facts.manifest is not None:
        files = [(f.uri, f.size) for f in facts.manifest.files]
        sections.append(_files_section(facts.manifest.uri, files))
    actions = _step_actions(config, alert, facts)
    links = _links(config, alert.execution_arn, alert.batch, facts)
    if job and job.job_run_id and job.job_name:
        links = {
            "job_run": runbook.job_run_url(config.region, job.job_name, job.job_run_id),
            **links,
        }
    sections += [
        _actions_section(_step_guidance(alert, len(failures)), actions),
        _links_section(links),
        _notes_section(facts.notes),
    ]
    text = _text(headline, sections)
    detail = (
        f"{_count(len(failures), 'rule')} failed: {', '.join(r.label for r in failures)}"
        if failures
        else _first_line(error) or state
    )
    subject = subject_line(f"[{config.workflow_name}] {step} {state}: {detail}")
    kind = "job_run_ended" if job else "step_failed"
    manifest = facts.manifest
    data: dict[str, Any] = {
        **_common(config, kind, alert.event_id, alert.time, subject, text),
        "orchestrator": "step-functions",
        "step": step,
        "state": state,
        "error_name": alert.error,
        "error": error or None,
        "job_name": job.job_name if job else None,
        "job_run_id": job.job_run_id if job else None,
        "execution_arn": alert.execution_arn,
        "batch_id": alert.batch.batch_id or None,
        "run_id": alert.batch.run_id or None,
        "manifest_uri": alert.batch.manifest_uri or None,
        "file_count": len(manifest.files) if manifest else None,
        "files": [{"uri": f.uri, "size": f.size} for f in manifest.files[:MAX_FILES_IN_DATA]]
        if manifest
        else [],
        "validation": _validation_data(run_facts) if step == "validate" else None,
        "links": links,
        "commands": {key: command for key, _, command in actions},
        "unavailable": list(facts.notes),
    }
    return Notification(subject, text, data, _attributes(config, kind, step=step, state=state))


def _step_headline(config: NotifierConfig, alert: StepFailed, failed_rules: int) -> str:
    job, step, pipeline = alert.job_run, alert.step, config.pipeline
    if step == "crawler":
        return f"The raw crawler of pipeline {pipeline} could not be started ({alert.error})"
    if failed_rules:
        rules = _count(failed_rules, "validation rule")
        return f"Step {step} of pipeline {pipeline} FAILED: {rules} failed"
    if job and job.state == "TIMEOUT" and job.timeout_minutes:
        limit = job.timeout_minutes
        return f"Step {step} of pipeline {pipeline} TIMEOUT after its timeout of {limit} min"
    if alert.error == "States.Timeout":
        return f"Step {step} of pipeline {pipeline} timed out in the state machine"
    if alert.error in BUSY_ERRORS:
        return (
            f"Step {step} of pipeline {pipeline} could not start: Glue refused the job run "
            f"through every retry ({alert.error})"
        )
    return f"Step {step} of pipeline {pipeline} {job.state if job else 'failed'}"


def _step_guidance(alert: StepFailed, failed_rules: int) -> list[str]:
    if alert.step == "crawler":
        return [
            "The batch went on to transform without the crawl; only the raw tables in the "
            "catalog are behind. Fix the cause (often the crawler's role) and run it again."
        ]
    if failed_rules:
        return [
            f"The batch breached {_count(failed_rules, 'validation rule')}, so nothing was "
            "published. Fix the source files and upload them again (the bridge starts a new "
            "run), or change the pipeline's validation rules and deploy, then resume.",
            "Resuming without a change validates the same data again and fails the same way.",
        ]
    job = alert.job_run
    if alert.error == "States.Timeout" or (job and job.state == "TIMEOUT"):
        return [
            "The step ran past its timeout. Look in the job run's logs for a stuck stage or an "
            "unusually large batch; raise job.timeout_minutes or job.workers in the pipeline "
            "spec if the batch is legitimately large, deploy, then resume."
        ]
    if alert.error in BUSY_ERRORS:
        return [
            "Glue kept refusing to start the job (its concurrent runs were taken, or an account "
            "limit was reached) while the state machine waited with backoff. Look for runs of "
            "this job started outside the pipeline, or raise job.max_concurrent_runs; then "
            "resume."
        ]
    return ["Read the error and the job run's logs (links below); fix the cause, then resume."]


def _step_actions(
    config: NotifierConfig, alert: StepFailed, facts: ExecutionFacts
) -> list[tuple[str, str, str]]:
    region, batch, machine = config.region, alert.batch, alert.state_machine_arn
    if alert.step == "crawler":
        rerun = runbook.start_crawler_command(region, config.crawler_name)
        return [("rerun", "Run the crawler again:", rerun), _status(config, alert.execution_arn)]
    actions = []
    if batch.batch_id and batch.manifest_uri:
        stamp = _stamp(alert.time)
        if alert.step in RESUMABLE_STEPS:
            document = _input(config, batch, facts, run_id=batch.run_id, start_at=alert.step)
            actions.append(
                (
                    "resume",
                    f"Resume the batch from {alert.step}: a new execution runs {alert.step} and "
                    "the steps after it on the run's staged data (same run id):",
                    runbook.start_execution_command(
                        region,
                        machine,
                        _name(f"{batch.batch_id}-resume-{alert.step}-{stamp}"),
                        document,
                    ),
                )
            )
        else:
            document = _input(config, batch, facts, run_id=batch.run_id)
            actions.append(
                (
                    "resume",
                    "Run the batch again from transform (a new execution, same run id):",
                    runbook.start_execution_command(
                        region, machine, _name(f"{batch.batch_id}-rerun-{stamp}"), document
                    ),
                )
            )
        actions.append(_replay(config, alert.state_machine_arn, batch, facts, stamp))
    actions.append(_status(config, alert.execution_arn))
    return actions


# --- an execution that ended without a caught failure -----------------------------------------


def execution_ended_notification(
    config: NotifierConfig, alert: ExecutionEnded, facts: ExecutionFacts
) -> Notification:
    reason = {
        "TIMED_OUT": "timed out: the whole run took longer than the state machine's timeout",
        "ABORTED": "was stopped (StopExecution, from the console or API)",
    }.get(alert.status, "failed, and the failed step's alert could not be sent")
    error = _clip(" ".join(p for p in (alert.error, alert.cause) if p), MAX_ERROR_CHARS)
    actions = []
    if alert.batch is not None and alert.batch.manifest_uri:
        actions.append(
            _replay(config, alert.state_machine_arn, alert.batch, facts, _stamp(alert.time))
        )
    actions.append(_status(config, alert.execution_arn))
    guidance = [
        "Nothing was published by this execution after the step it stopped in. Find that step "
        "in the execution's graph (link below); if a Glue job run is still running, it holds "
        "the job's concurrency until it ends. Then replay the batch."
    ]
    text = _text(
        f"Execution {alert.name} of pipeline {config.pipeline} {reason}",
        [
            _fields(
                ("Pipeline", config.pipeline),
                ("Execution", alert.name or _execution_name(alert.execution_arn)),
                ("Status", alert.status),
                ("When", _when(alert.time, None)),
                ("Error", _clip(_first_line(error), MAX_ERROR_LINE_CHARS) or "(none given)"),
                ("Batch", _batch_field(alert.batch, facts.manifest) if alert.batch else "unknown"),
            ),
            _actions_section(guidance, actions),
            _links_section(_links(config, alert.execution_arn, alert.batch, facts)),
            _notes_section(facts.notes),
        ],
    )
    subject = subject_line(f"[{config.workflow_name}] execution {alert.status}: {alert.name}")
    data = {
        **_common(config, "execution_ended", alert.event_id, alert.time, subject, text),
        "orchestrator": "step-functions",
        "status": alert.status,
        "error": error or None,
        "execution_arn": alert.execution_arn,
        "batch_id": alert.batch.batch_id if alert.batch else None,
        "manifest_uri": alert.batch.manifest_uri if alert.batch else None,
        "commands": {key: command for key, _, command in actions},
        "unavailable": list(facts.notes),
    }
    return Notification(
        subject, text, data, _attributes(config, "execution_ended", state=alert.status)
    )


# --- shared ---------------------------------------------------------------------------------


def _replay(
    config: NotifierConfig, machine: str, batch: Batch, facts: ExecutionFacts, stamp: str
) -> tuple[str, str, str]:
    name = _name(f"{batch.batch_id}-replay-{stamp}")
    return (
        "replay",
        "Or replay the batch as a new run (every step, a new run id):",
        runbook.start_execution_command(
            config.region, machine, name, _input(config, batch, facts, run_id=name)
        ),
    )


def _status(config: NotifierConfig, execution_arn: str) -> tuple[str, str, str]:
    command = runbook.describe_execution_command(config.region, execution_arn)
    return ("status", "Check the execution:", command)


def _input(
    config: NotifierConfig,
    batch: Batch,
    facts: ExecutionFacts,
    *,
    run_id: str,
    start_at: str | None = None,
) -> dict[str, str]:
    """An execution input, as gluekit.orchestration.execution_input writes it."""
    document = {
        "pipeline": config.pipeline,
        "batch_id": batch.batch_id,
        "run_id": run_id or batch.batch_id,
        "manifest": batch.manifest_uri,
    }
    if facts.manifest is not None:
        document["file_count"] = str(len(facts.manifest.files))
    if start_at:
        document["start_at"] = start_at
    return document


def _links(
    config: NotifierConfig, execution_arn: str, batch: Batch | None, facts: ExecutionFacts
) -> dict[str, str]:
    links = (
        {"execution": runbook.execution_url(config.region, execution_arn)} if execution_arn else {}
    )
    for name, uri in (
        ("manifest", batch.manifest_uri if batch else None),
        ("report", facts.report_uri),
    ):
        url = runbook.s3_object_url(config.region, uri) if uri else None
        if url:
            links[name] = url
    return links


def _batch_field(batch: Batch | None, manifest: Manifest | None) -> str:
    if batch is None:
        return "unknown"
    parts = [batch.batch_id or "batch id unknown"]
    if manifest is not None:
        parts.append(_count(len(manifest.files), "file"))
    if batch.run_id and batch.run_id != batch.batch_id:
        parts.append(f"run id {batch.run_id}")
    return ", ".join(parts)


def _execution_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1] if arn else "unknown"


def _stamp(time: str) -> str:
    """The alert's instant, to name a resume uniquely (execution names last 90 days)."""
    try:
        return datetime.fromisoformat(time).strftime("%Y%m%dT%H%M%S")
    except ValueError:
        return "manual"


def _name(text: str) -> str:
    """An execution name: at most 80 characters of letters, digits, '-' and '_'."""
    return _UNSAFE_NAME.sub("-", text)[:80]


def _actions_section(guidance: list[str], actions: list[tuple[str, str, str]]) -> list[str]:
    """The execution's commands are the AWS CLI's (the kit's own commands follow the Glue
    workflow): `layout.actions_section` with no kit command."""
    return layout_actions_section(guidance, [Action(*action) for action in actions])
