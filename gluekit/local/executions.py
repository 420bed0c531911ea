"""Plays the state machine's executions on this machine: the plan of gluekit.orchestration, run
on the real Glue job scripts. Only who calls the jobs differs from a Glue workflow's run.

moto keeps the executions the bridge starts and never runs them. For each RUNNING one, this does
what the deployed machine (infra/constructs/pipeline_state_machine.py, built from the same plan)
does:

- the steps from the input's start_at on, each one job run with the task's arguments
  (`--run_id`, `--manifest`, resolved against the execution's input), no workflow arguments;
- a failed job run is tried again job.retries times, as the States.TaskFailed retrier does, the
  run's clock moved on by the retrier's backoff instead of waiting it out;
- a step that stays failed takes the Catch path: the alert event of the plan goes to the
  notifier, and the execution closes FAILED with gluekit.StepFailed; otherwise SUCCEEDED;
- the execution's end, as Step Functions announces it, goes to the bridge (its run-end rule).

Glue's busy refusals (ConcurrentRunsExceeded) do not happen here: the jobs run one at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from gluekit import orchestration as plan
from gluekit.local.aws_events import REGION, execution_status_change
from gluekit.local.clock import LocalClock
from gluekit.local.emulator import complete_execution, record_job_run
from gluekit.local.scheduler import LocalScheduler, StepResult
from gluekit.naming import PipelineNames
from gluekit.spec import PipelineSpec


@dataclass
class PlayedExecution:
    execution_arn: str
    input: dict[str, Any]
    results: list[StepResult] = field(default_factory=list)
    failure_event: dict[str, Any] | None = None  # what the Catch path sent the notifier
    status_event: dict[str, Any] = field(default_factory=dict)  # the end, for the bridge

    @property
    def run_id(self) -> str:
        return str(self.input.get("run_id") or self.input.get("batch_id") or "")


class ExecutionPlayer:
    def __init__(
        self,
        spec: PipelineSpec,
        names: PipelineNames,
        state_machine_arn: str,
        scheduler: LocalScheduler,
        clock: LocalClock,
    ) -> None:
        self.spec = spec
        self.names = names
        self.state_machine_arn = state_machine_arn
        self.scheduler = scheduler
        self.clock = clock
        self.states = boto3.client("stepfunctions", region_name=REGION)
        self.glue = boto3.client("glue", region_name=REGION)

    def running(self) -> list[dict[str, Any]]:
        response = self.states.list_executions(
            stateMachineArn=self.state_machine_arn, statusFilter="RUNNING"
        )
        return sorted(response["executions"], key=lambda e: e["startDate"])

    def play(self, execution_arn: str) -> PlayedExecution:
        described = self.states.describe_execution(executionArn=execution_arn)
        document = json.loads(described["input"])
        played = PlayedExecution(execution_arn, document)
        arguments = plan.step_arguments(document)
        for step in plan.steps_from(document.get(plan.START_AT_KEY)):
            result = self._run_step(step, arguments, played)
            if result.state != "SUCCEEDED":
                self._catch(step, result, played)
                break
        error = plan.STEP_FAILED_ERROR if played.failure_event else None
        cause = self._cause_text(played) if played.failure_event else None
        status = "FAILED" if played.failure_event else "SUCCEEDED"
        complete_execution(execution_arn, status, error or "", cause or "")
        played.status_event = execution_status_change(
            execution_arn=execution_arn,
            state_machine_arn=self.state_machine_arn,
            status=status,
            input_text=described["input"],
            error=error,
            cause=cause,
        )
        return played

    def _run_step(
        self, step: str, arguments: dict[str, str], played: PlayedExecution
    ) -> StepResult:
        retries = [p for p in plan.step_retries(self.spec) if plan.JOB_RUN_FAILED in p.errors]
        retrier = retries[0] if retries else None
        attempt = 0
        while True:
            result = self.scheduler.run_job(self.names.job(step), arguments)
            record_job_run(
                result.job_name, result.job_run_id, result.seconds, result.state, result.error
            )
            played.results.append(result)
            if result.state == "SUCCEEDED" or retrier is None or attempt >= retrier.max_attempts:
                return result
            wait = min(
                retrier.interval_seconds * retrier.backoff_rate**attempt,
                retrier.max_delay_seconds,
            )
            self.clock.advance(wait)  # the retrier's backoff, skipped rather than waited
            attempt += 1

    def _catch(self, step: str, result: StepResult, played: PlayedExecution) -> None:
        """The Catch path: <Step>Failed names the step, NotifyFailure sends the plan's event."""
        job_run = self.glue.get_job_run(JobName=result.job_name, RunId=result.job_run_id)
        # The task's Cause is the job run as GetJobRun has it, with what this run measured.
        measured = {
            "JobRunState": result.state,
            "ErrorMessage": result.error,
            "ExecutionTime": max(1, round(result.seconds)),
        }
        state = {
            **played.input,
            plan.ERROR_PATH.removeprefix("$."): {
                "Error": plan.JOB_RUN_FAILED,
                "Cause": json.dumps({**job_run["JobRun"], **measured}, default=str),
            },
            plan.FAILED_STEP_PATH.removeprefix("$."): step,
        }
        context = {
            "Execution": {
                "Id": played.execution_arn,
                "Name": played.execution_arn.rsplit(":", 1)[-1],
            },
            "StateMachine": {"Id": self.state_machine_arn},
            "State": {"EnteredTime": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")},
        }
        played.failure_event = plan.failure_event(self.spec.name, state, context)

    @staticmethod
    def _cause_text(played: PlayedExecution) -> str:
        """As the Fail state's CausePath writes it."""
        detail = (played.failure_event or {}).get("detail", {})
        return f"step {detail.get('step')} failed: {plan.JOB_RUN_FAILED}"
