"""Which workflow run a "Glue Job State Change" event ends, so that its slot is freed at once.

Glue updates a workflow run's status after its last job has finished: when the publish job's
SUCCEEDED (or a failed step's) event reaches the bridge, GetWorkflowRun may still read RUNNING,
and a slot freed only by that status would wait for the next tick. The event itself says the
run is over, but it names a job run (jobName, jobRunId), not the workflow run: GetJobRun's
arguments carry `--WORKFLOW_RUN_ID` (and `--WORKFLOW_NAME`, checked against the pipeline's).

A failed job run that Glue will retry (its attempt below the jobs' MaxRetries) does not end the
run: the retry runs inside the same workflow run. Glue's documentation does not say which
failure states are retried, so every failure with attempts left keeps the slot; the tick frees
it once GetWorkflowRun reads the run finished.

Anything that cannot be resolved (the job run is gone, the call fails, another workflow) frees
nothing here: the pass then frees slots only from what GetWorkflowRun says, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bridge.config import BridgeConfig
from bridge.telemetry import logger
from bridge.workflow import WorkflowRuns

WORKFLOW_RUN_ID_ARG = "--WORKFLOW_RUN_ID"
WORKFLOW_NAME_ARG = "--WORKFLOW_NAME"
FAILED_STATES = frozenset({"FAILED", "TIMEOUT", "STOPPED", "ERROR"})


@dataclass(frozen=True)
class JobEnd:
    job_name: str
    job_run_id: str
    state: str


def job_end_of(event: dict[str, Any]) -> JobEnd | None:
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return None
    name, run_id, state = detail.get("jobName"), detail.get("jobRunId"), detail.get("state")
    if not (isinstance(name, str) and isinstance(run_id, str) and isinstance(state, str)):
        return None
    return JobEnd(name, run_id, state)


def ended_run_id(end: JobEnd, config: BridgeConfig, runs: WorkflowRuns) -> str | None:
    """The id of the workflow run this job end finishes, or None (not known to be over)."""
    last_step = config.job_names[-1]
    if end.job_name not in config.job_names:
        logger.warning("a job state change of another job; no slot freed", job=end.job_name)
        return None
    if end.state == "SUCCEEDED" and end.job_name != last_step:
        return None  # the next step follows in the same run
    if end.state != "SUCCEEDED" and end.state not in FAILED_STATES:
        return None
    try:
        job_run = runs.job_run(end.job_name, end.job_run_id)
    except (BotoCoreError, ClientError) as exc:
        logger.warning(
            "the job run could not be read; its slot is freed once Glue reads the run finished",
            job=end.job_name,
            job_run_id=end.job_run_id,
            error=str(exc),
        )
        return None
    arguments = job_run.get("Arguments") or {}
    if arguments.get(WORKFLOW_NAME_ARG) != config.workflow_name:
        return None  # a job run outside the pipeline's workflow (a manual rerun) holds no slot
    run_id = arguments.get(WORKFLOW_RUN_ID_ARG)
    if not isinstance(run_id, str) or not run_id:
        return None
    attempt = int(job_run.get("Attempt") or 0)
    if end.state != "SUCCEEDED" and attempt < config.job_retries:
        logger.info(
            "a failed job that Glue retries: the run goes on and keeps its slot",
            job=end.job_name,
            attempt=attempt,
            retries=config.job_retries,
            run_id=run_id,
        )
        return None
    return run_id


# --- the state machine ----------------------------------------------------------------------
# "Step Functions Execution Status Change" names the execution itself, and an execution's end
# is final: retries (busy Glue, job.retries) happen inside it. Nothing to look up.
EXECUTION_ENDED = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


def ended_execution_arn(event: dict[str, Any], config: BridgeConfig) -> str | None:
    """The ARN of the pipeline's execution this event says is over, or None."""
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return None
    arn, machine, status = (detail.get(k) for k in ("executionArn", "stateMachineArn", "status"))
    if machine != config.state_machine_arn:
        logger.warning("an execution of another state machine; no slot freed", machine=machine)
        return None
    if status not in EXECUTION_ENDED or not isinstance(arn, str) or not arn:
        return None
    return arn
