"""The state machine's events, for a pipeline whose orchestrator is Step Functions.

- "Pipeline Step Failed" (source gluekit.orchestrator): the machine's Catch path invokes the
  notifier with it (gluekit.orchestration.failure_event_template writes it): the step, the
  execution, the batch (its manifest URI) and the caught error, Error and Cause. When a Glue job
  run failed, the Cause is that job run (GetJobRun's JobRun) as JSON.
- "Step Functions Execution Status Change" (source aws.states): an execution that timed out,
  was aborted, or failed without the Catch path's alert (the alert itself could not be sent):
  what no Catch sees. Its input names the batch.

Tolerant like `notifier.events`: an unrecognised shape is Skipped with a reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from notifier.config import NotifierConfig

# Must match gluekit.orchestration's STEP_FAILED_* (a test checks).
STEP_FAILED_SOURCE = "gluekit.orchestrator"
STEP_FAILED_DETAIL_TYPE = "Pipeline Step Failed"
STEP_FAILED_ERROR = "gluekit.StepFailed"
STATES_SOURCE = "aws.states"
EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change"
ALERTING_STATUSES = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class FailedJobRun:
    """The job run a failed Glue task reports as its Cause."""

    job_name: str
    job_run_id: str
    state: str
    error_message: str
    execution_seconds: int | None
    timeout_minutes: int | None
    attempt: int


@dataclass(frozen=True)
class Batch:
    """The batch an execution runs, from its input: pointers only."""

    batch_id: str
    run_id: str
    manifest_uri: str


@dataclass(frozen=True)
class StepFailed:
    event_id: str
    time: str
    step: str  # transform, validate, publish, or crawler (the raw crawler did not start)
    execution_arn: str
    state_machine_arn: str
    batch: Batch
    error: str  # the error name: States.TaskFailed, States.Timeout, Glue.<Exception>, ...
    cause: str
    job_run: FailedJobRun | None


@dataclass(frozen=True)
class ExecutionEnded:
    event_id: str
    time: str
    execution_arn: str
    state_machine_arn: str
    name: str
    status: str
    error: str
    cause: str
    batch: Batch | None


@dataclass(frozen=True)
class NotForUs:
    reason: str


def parse_execution_event(
    source: Any,
    detail_type: Any,
    envelope: tuple[str, str],
    detail: dict[str, Any],
    config: NotifierConfig,
) -> StepFailed | ExecutionEnded | NotForUs | None:
    """The state machine's alert in this event, NotForUs with a reason, or None: not its event."""
    if source == STEP_FAILED_SOURCE and detail_type == STEP_FAILED_DETAIL_TYPE:
        return _step_failed(envelope, detail, config)
    if source == STATES_SOURCE and detail_type == EXECUTION_STATUS_CHANGE:
        return _execution_ended(envelope, detail, config)
    return None


def _step_failed(
    envelope: tuple[str, str], detail: dict[str, Any], config: NotifierConfig
) -> StepFailed | NotForUs:
    if _text(detail.get("pipeline")) != config.pipeline:
        return NotForUs(
            f"step failure of pipeline {detail.get('pipeline')!r}, not {config.pipeline!r}"
        )
    machine = _text(detail.get("state_machine_arn"))
    if not config.owns_state_machine(machine):
        return NotForUs(f"state machine {machine!r} is not this pipeline's")
    found = detail.get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    cause = _text(error.get("Cause"))
    return StepFailed(
        event_id=envelope[0],
        time=envelope[1],
        step=_text(detail.get("step")) or "unknown",
        execution_arn=_text(detail.get("execution_arn")),
        state_machine_arn=machine,
        batch=Batch(
            batch_id=_text(detail.get("batch_id")),
            run_id=_text(detail.get("run_id")),
            manifest_uri=_text(detail.get("manifest")),
        ),
        error=_text(error.get("Error")) or "unknown error",
        cause=cause,
        job_run=failed_job_run(cause),
    )


def _execution_ended(
    envelope: tuple[str, str], detail: dict[str, Any], config: NotifierConfig
) -> ExecutionEnded | NotForUs:
    machine = _text(detail.get("stateMachineArn"))
    if not config.owns_state_machine(machine):
        return NotForUs(f"state machine {machine!r} is not this pipeline's")
    status, error = _text(detail.get("status")), _text(detail.get("error"))
    if status not in ALERTING_STATUSES:
        return NotForUs(f"execution status {status!r} needs no alert")
    if status == "FAILED" and error == STEP_FAILED_ERROR:
        return NotForUs("the failed step's alert went out from the execution itself")
    return ExecutionEnded(
        event_id=envelope[0],
        time=envelope[1],
        execution_arn=_text(detail.get("executionArn")),
        state_machine_arn=machine,
        name=_text(detail.get("name")),
        status=status,
        error=error,
        cause=_text(detail.get("cause")),
        batch=_batch_of_input(detail.get("input")),
    )


def failed_job_run(cause: str) -> FailedJobRun | None:
    """The job run in a failed Glue task's Cause, or None when the Cause is no job run."""
    try:
        run = json.loads(cause)
    except (TypeError, ValueError):
        return None
    if not isinstance(run, dict) or not isinstance(run.get("JobRunState"), str):
        return None
    return FailedJobRun(
        job_name=_text(run.get("JobName")),
        job_run_id=_text(run.get("Id")),
        state=run["JobRunState"],
        error_message=_text(run.get("ErrorMessage")),
        execution_seconds=_int(run.get("ExecutionTime")),
        timeout_minutes=_int(run.get("Timeout")),
        attempt=_int(run.get("Attempt")) or 0,
    )


def _batch_of_input(text: Any) -> Batch | None:
    try:
        document = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
    if not isinstance(document, dict) or not _text(document.get("batch_id")):
        return None
    return Batch(
        batch_id=_text(document.get("batch_id")),
        run_id=_text(document.get("run_id")) or _text(document.get("batch_id")),
        manifest_uri=_text(document.get("manifest")),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
