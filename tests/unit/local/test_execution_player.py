"""The local player of the state machine's executions follows the plan: steps from start_at, the
task's arguments, job.retries on a failed job run, the Catch path's alert, the execution's end.

The jobs are stand-ins here (no Spark): each returns the state a test scripts for it, and makes a
moto job run as the real scheduler does. tests/e2e runs the real scripts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gluekit import orchestration
from gluekit.local.clock import LocalClock
from gluekit.local.emulator import Emulated, provision
from gluekit.local.executions import ExecutionPlayer
from gluekit.local.scheduler import StepResult
from gluekit.spec import PipelineSpec, load_spec_file

ORDERS = Path(__file__).resolve().parents[3] / "pipelines" / "orders.yaml"
START = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


class ScriptedJobs:
    """Runs 'jobs' by their script: a list of states per step, one per attempt."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        self.script = {step: list(states) for step, states in script.items()}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.glue = boto3.client("glue", region_name="us-east-1")

    def run_job(self, job_name: str, glue_arguments: dict[str, str]) -> StepResult:
        step = job_name.rsplit("-", 1)[-1]
        self.calls.append((step, dict(glue_arguments)))
        states = self.script.get(step) or ["SUCCEEDED"]
        state = states.pop(0) if len(states) > 1 else states[0]
        run_id = self.glue.start_job_run(JobName=job_name, Arguments=glue_arguments)["JobRunId"]
        error = "" if state == "SUCCEEDED" else f"ValidationFailed: {step} broke"
        return StepResult(job_name, run_id, state, 1.5, error)


def machine_spec(retries: int = 0) -> PipelineSpec:
    spec = load_spec_file(ORDERS, "gluekit-dev").spec
    job = spec.job.model_copy(update={"retries": retries})
    return spec.model_copy(update={"orchestrator": "step-functions", "job": job})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def start(emulated: Emulated, **extra: str) -> str:
    document = {
        **orchestration.execution_input("orders", "b-1", "s3://art/manifests/orders/b-1.json", 1),
        **extra,
    }
    states = boto3.client("stepfunctions", region_name="us-east-1")
    return str(
        states.start_execution(
            stateMachineArn=emulated.state_machine_arn, name="b-1", input=json.dumps(document)
        )["executionArn"]
    )


def player(spec: PipelineSpec, jobs: ScriptedJobs, clock: LocalClock) -> Any:
    emulated = provision(spec, "gluekit-dev")
    assert emulated.state_machine_arn is not None
    return emulated, ExecutionPlayer(spec, emulated.names, emulated.state_machine_arn, jobs, clock)  # type: ignore[arg-type]


def test_a_clean_execution_runs_the_three_steps_with_the_tasks_arguments(aws: None) -> None:
    jobs = ScriptedJobs({})
    emulated, play = player(machine_spec(), jobs, LocalClock(START))
    arn = start(emulated)

    played = play.play(arn)

    expected = {"--run_id": "b-1", "--manifest": "s3://art/manifests/orders/b-1.json"}
    assert jobs.calls == [(step, expected) for step in ("transform", "validate", "publish")]
    assert played.failure_event is None
    assert played.status_event["detail"]["status"] == "SUCCEEDED"
    described = boto3.client("stepfunctions").describe_execution(executionArn=arn)
    assert described["status"] == "SUCCEEDED"
    assert play.running() == []


def test_a_failed_job_run_is_retried_as_the_spec_says_with_the_retriers_backoff(
    aws: None,
) -> None:
    jobs = ScriptedJobs({"transform": ["FAILED", "FAILED", "SUCCEEDED"]})
    clock = LocalClock(START, elapsed=lambda: 0.0)
    emulated, play = player(machine_spec(retries=2), jobs, clock)

    played = play.play(start(emulated))

    assert [step for step, _ in jobs.calls] == ["transform"] * 3 + ["validate", "publish"]
    assert played.status_event["detail"]["status"] == "SUCCEEDED"
    # 60 s, then 120 s: the States.TaskFailed retrier's interval and backoff rate
    assert (clock.now() - START).total_seconds() == 180


def test_a_step_that_stays_failed_takes_the_catch_path_and_ends_the_execution(
    aws: None,
) -> None:
    jobs = ScriptedJobs({"validate": ["FAILED"]})
    emulated, play = player(machine_spec(), jobs, LocalClock(START))
    arn = start(emulated)

    played = play.play(arn)

    assert [step for step, _ in jobs.calls] == ["transform", "validate"]  # publish never runs
    event = played.failure_event
    assert event is not None
    assert (event["source"], event["detail-type"]) == (
        orchestration.STEP_FAILED_SOURCE,
        orchestration.STEP_FAILED_DETAIL_TYPE,
    )
    detail = event["detail"]
    assert (detail["step"], detail["execution_arn"], detail["batch_id"]) == ("validate", arn, "b-1")
    assert detail["error"]["Error"] == "States.TaskFailed"
    cause = json.loads(detail["error"]["Cause"])  # the job run, as GetJobRun has it
    assert (cause["JobName"], cause["JobRunState"]) == ("gluekit-dev-orders-validate", "FAILED")
    assert cause["ErrorMessage"] == "ValidationFailed: validate broke"
    end = played.status_event["detail"]
    assert (end["status"], end["error"]) == ("FAILED", orchestration.STEP_FAILED_ERROR)
    described = boto3.client("stepfunctions").describe_execution(executionArn=arn)
    assert described["status"] == "FAILED"


def test_a_resume_starts_at_its_step_on_the_same_run_id(aws: None) -> None:
    jobs = ScriptedJobs({})
    emulated, play = player(machine_spec(), jobs, LocalClock(START))

    play.play(start(emulated, start_at="publish"))

    assert jobs.calls == [
        ("publish", {"--run_id": "b-1", "--manifest": "s3://art/manifests/orders/b-1.json"})
    ]


def test_the_emulated_jobs_are_created_as_deployed_under_the_machine(aws: None) -> None:
    provision(machine_spec(retries=3), "gluekit-dev")
    glue = boto3.client("glue", region_name="us-east-1")
    retries = {
        step: glue.get_job(JobName=f"gluekit-dev-orders-{step}")["Job"]["MaxRetries"]
        for step in ("transform", "validate", "publish", "compact")
    }
    # The machine retries its steps (a Glue retry would be a job run its task never sees).
    assert retries == {"transform": 0, "validate": 0, "publish": 0, "compact": 3}
    assert glue.list_workflows()["Workflows"] == []
