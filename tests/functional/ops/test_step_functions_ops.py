"""The operations commands on a pipeline whose orchestrator is the state machine: `status`,
`runs` and `resume` read executions (named after batch ids) and the job runs they started (by
their --run_id), and resume redrives a failed execution in a run slot of its own.

moto keeps executions and job runs; it has no RedriveExecution, whose answer is scripted with
Stubber (the command's stepfunctions client), in the documented shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gluekit.local.emulator import complete_execution, measured_job_runs, record_job_run
from gluekit.naming import STEPS
from tests.functional.ops.conftest import ACCOUNT, FOUNDATION, PIPELINES, REGION, World

MANIFEST = f"s3://{FOUNDATION.artifacts_bucket}/manifests/orders/b-1.json"


@pytest.fixture
def machine_spec(tmp_path: Path) -> Path:
    path = tmp_path / "orders.yaml"
    text = (PIPELINES / "orders.yaml").read_text(encoding="utf-8")
    path.write_text(text + "\norchestrator: step-functions\n", encoding="utf-8")
    return path


@pytest.fixture
def machine(world: World) -> Iterator[str]:
    """The pipeline's state machine; job runs report the states the tests record."""
    import boto3

    definition = {"StartAt": "a", "States": {"a": {"Type": "Pass", "End": True}}}
    arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name=world.names.state_machine,
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/gluekit-states",
    )["stateMachineArn"]
    with measured_job_runs():
        yield str(arn)


def execution(world: World, machine: str, batch_id: str, states: dict[str, str], end: str) -> str:
    """An execution of batch ``batch_id`` whose steps ended as ``states``; it ended ``end``."""
    import boto3

    document = {
        "pipeline": "orders",
        "batch_id": batch_id,
        "run_id": batch_id,
        "manifest": MANIFEST,
        "file_count": "2",
    }
    arn = boto3.client("stepfunctions", region_name=REGION).start_execution(
        stateMachineArn=machine, name=batch_id, input=json.dumps(document)
    )["executionArn"]
    for step, state in states.items():
        job = world.names.job(step)
        job_run = world.glue.start_job_run(JobName=job, Arguments={"--run_id": batch_id})
        error = "ValidationFailed: range(amount) failed" if state == "FAILED" else ""
        record_job_run(job, job_run["JobRunId"], 60.0, state, error)
    if end != "RUNNING":
        complete_execution(arn, end, error="States.TaskFailed" if end == "FAILED" else "")
    return str(arn)


def test_status_and_runs_read_executions_and_their_job_runs(
    world: World, machine: str, machine_spec: Path
) -> None:
    execution(world, machine, "b-1", dict.fromkeys(STEPS, "SUCCEEDED"), "SUCCEEDED")
    failed = {"transform": "SUCCEEDED", "validate": "FAILED"}
    execution(world, machine, "b-2", failed, "FAILED")

    status = world.gluekit("status", "orders", "--spec", str(machine_spec), "--json")

    assert status.status == 0, status.err
    rows = {row["run_id"]: row for row in status.json["runs"]}
    assert rows["b-1"]["status"] == "SUCCEEDED"
    assert rows["b-1"]["steps"] == dict.fromkeys(STEPS, "SUCCEEDED")
    assert rows["b-2"]["steps"] == {"transform": "SUCCEEDED", "validate": "FAILED", "publish": "-"}
    assert rows["b-2"]["file_count"] == 2 and rows["b-2"]["batch_id"] == "b-2"
    assert status.json["last_publish"]["at"] is not None  # b-1's end: publish is the last step
    assert status.json["workflow"] == f"state machine {world.names.state_machine}"

    detail = world.gluekit("runs", "orders", "b-2", "--spec", str(machine_spec), "--json")

    assert detail.status == 0, detail.err
    assert detail.json["manifest"]["uri"] == MANIFEST
    assert detail.json["data_run_id"] == "b-2"


def test_resume_redrives_a_failed_execution_in_a_slot_of_its_own(
    world: World, machine: str, machine_spec: Path
) -> None:
    arn = execution(
        world, machine, "b-2", {"transform": "SUCCEEDED", "validate": "FAILED"}, "FAILED"
    )
    import boto3

    described = boto3.client("stepfunctions", region_name=REGION).describe_execution(
        executionArn=arn
    )
    states = world.stub("stepfunctions")
    states.add_response(
        "describe_execution",
        {k: v for k, v in described.items() if k != "ResponseMetadata"},
        {"executionArn": arn},
    )
    states.add_response(
        "redrive_execution", {"redriveDate": described["startDate"]}, {"executionArn": arn}
    )

    result = world.gluekit("resume", "orders", "b-2", "--spec", str(machine_spec), "--json")

    assert result.status == 0, result.err
    states.assert_no_pending_responses()
    assert result.json["resume_from"] == ["validate"]
    assert result.json["execution_arn"] == arn
    # the redriven execution holds a slot (by its ARN, as the bridge names executions); its end
    # event frees it
    [entry] = world.slots()["runs"]["M"].values()
    assert entry["M"]["run_id"]["S"] == arn and entry["M"]["settled"]["BOOL"] is True


@pytest.mark.parametrize(
    ("end", "refusal"),
    [("RUNNING", "Step Functions redrives only a FAILED"), ("SUCCEEDED", "nothing to resume")],
)
def test_resume_refuses_an_execution_that_runs_or_succeeded(
    world: World, machine: str, machine_spec: Path, end: str, refusal: str
) -> None:
    steps = dict.fromkeys(STEPS, "SUCCEEDED") if end == "SUCCEEDED" else {"transform": "RUNNING"}
    execution(world, machine, "b-3", steps, end)

    result = world.gluekit("resume", "orders", "b-3", "--spec", str(machine_spec))

    assert result.status == 1
    assert refusal in result.err
    assert world.slots() == {}


def test_start_runs_files_as_an_execution_named_after_its_batch(
    world: World, machine: str, machine_spec: Path
) -> None:
    import boto3

    from tests.functional.ops.conftest import orders_csv

    world.upload("orders/2026/a.csv", orders_csv("o1"))

    result = world.gluekit(
        "start", "orders", "--spec", str(machine_spec), "--files", "orders/2026/a.csv", "--json"
    )

    assert result.status == 0, result.err
    [started] = boto3.client("stepfunctions", region_name=REGION).list_executions(
        stateMachineArn=machine
    )["executions"]
    [run] = result.json["runs"]
    assert started["name"] == run["batch_id"]
    assert world.workflow_runs() == []  # the state machine runs it, not the workflow
