"""The bridge of a pipeline whose orchestrator is the state machine: it starts executions named
after the batch id (so a start is idempotent), settles a crashed start by that name, and frees a
slot when Step Functions says an execution ended.

moto keeps executions RUNNING (nothing runs them) and answers a repeated name as Step Functions
does; exact service errors come from botocore's Stubber.
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from botocore.stub import Stubber

from bridge import launch as launch_module
from bridge.dispatch import UNKNOWN_GRACE_SECONDS
from bridge.executions import INPUT_KEYS, StateMachineRuns
from bridge.launch import Started, start_run
from bridge.slots import DynamoSlotStore
from gluekit import orchestration
from shared.aws import client
from tests.events import load_event
from tests.functional.bridge.conftest import World, pipeline_config

SAMPLE = "orders/orders-2026-11-20.csv"


def create_machine(world: World) -> str:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    return str(
        client("stepfunctions").create_state_machine(
            name="gluekit-dev-orders",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/states",
        )["stateMachineArn"]
    )


@pytest.fixture
def machine_orders(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """orders on the state machine, one run at a time, a batch as soon as a file is there."""
    arn = create_machine(world)
    world.use(
        pipeline_config(
            "orders",
            orchestrator="step-functions",
            state_machine_arn=arn,
            max_wait_seconds=0,
            max_files_per_run=1,
        ),
        monkeypatch,
    )
    return world


def executions(world: World) -> list[dict[str, Any]]:
    arn = world.config["state_machine_arn"]
    found = client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
    return sorted(found, key=lambda e: e["startDate"])


def execution_input(execution_arn: str) -> dict[str, Any]:
    described = client("stepfunctions").describe_execution(executionArn=execution_arn)
    return dict(json.loads(described["input"]))


def execution_ended(world: World, execution_arn: str, status: str = "SUCCEEDED") -> Any:
    event = load_event("states/execution_status_change")
    event["detail"].update(
        {
            "executionArn": execution_arn,
            "stateMachineArn": world.config["state_machine_arn"],
            "status": status,
        }
    )
    return world.invoke(event)


def test_an_arrival_starts_an_execution_named_after_its_batch_with_pointers_only(
    machine_orders: World,
) -> None:
    machine_orders.deliver(machine_orders.upload_sample(SAMPLE))

    [execution] = executions(machine_orders)
    document = execution_input(execution["executionArn"])
    assert tuple(document) == INPUT_KEYS == orchestration.INPUT_KEYS
    assert execution["name"] == document["batch_id"] == document["run_id"]
    # The manifest's URI, never its files: a Step Functions payload is limited to 256 KB.
    assert document["manifest"].startswith("s3://") and document["manifest"].endswith(
        f"{document['batch_id']}.json"
    )
    bucket, key = document["manifest"].removeprefix("s3://").split("/", 1)
    manifest = json.loads(machine_orders.read(bucket, key))
    assert [f["key"] for f in manifest["files"]] == ["orders/orders-2026-11-20.csv"]
    [claim] = machine_orders.claims()
    assert (claim["state"], claim["run_id"]) == ("STARTED", execution["executionArn"])


def test_a_second_start_of_a_batch_is_the_same_execution(machine_orders: World) -> None:
    runs = StateMachineRuns(machine_orders.config["state_machine_arn"])
    properties = {
        "manifest": "s3://artifacts/manifests/orders/b-1.json",
        "batch_id": "b-1",
        "pipeline": "orders",
        "file_count": "1",
    }
    first = start_run(runs, properties, "b-1")
    again = start_run(runs, properties, "b-1")  # running: Step Functions returns it again

    assert isinstance(first, Started) and isinstance(again, Started)
    assert first.run_id == again.run_id == runs.execution_arn("b-1")
    assert len(executions(machine_orders)) == 1


def test_execution_already_exists_is_an_answer_that_the_batch_started(
    machine_orders: World,
) -> None:
    runs = StateMachineRuns(machine_orders.config["state_machine_arn"])
    states = client("stepfunctions")
    with Stubber(states) as stub:
        stub.add_client_error(
            "start_execution",
            service_error_code="ExecutionAlreadyExists",
            service_message="Execution Already Exists: 'arn:...:b-2'",
            http_status_code=400,
        )
        properties = {"batch_id": "b-2", "pipeline": "orders", "manifest": "s3://a/m.json"}
        result = start_run(runs, {**properties, "file_count": "1"}, "b-2")
        stub.assert_no_pending_responses()

    assert result == Started(runs.execution_arn("b-2"))


def test_too_many_open_executions_is_a_refusal_and_the_file_waits(
    machine_orders: World, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    with Stubber(client("stepfunctions")) as stub:
        stub.add_client_error(
            "start_execution",
            service_error_code="ExecutionLimitExceeded",
            service_message="Maximum open executions reached",
            http_status_code=400,
        )
        _, response = machine_orders.deliver(machine_orders.upload_sample(SAMPLE))

    assert response == {"batchItemFailures": []}
    [claim] = machine_orders.claims()
    assert claim["state"] == "PENDING"  # keeps its place; the next trigger starts it
    assert executions(machine_orders) == []
    # Counted as back-pressure (the dashboard's "Starts refused"), not as a start failure.
    [blob] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert (blob["StartsRefused"], blob["StartFailures"]) == ([1.0], [0.0])


def test_a_start_whose_answer_was_lost_is_found_by_its_name_and_not_run_twice(
    machine_orders: World,
) -> None:
    # GIVEN the execution started, and the start could not be recorded (the arrival's
    # invocation logs it; its objects are settled already)
    with mock.patch.object(DynamoSlotStore, "record_run", side_effect=RuntimeError("crash")):
        machine_orders.deliver(machine_orders.upload_sample(SAMPLE))
    [execution] = executions(machine_orders)
    [entry] = machine_orders.slots()["runs"]["M"].values()
    assert "run_id" not in entry["M"]  # the slot's start has no known outcome

    # WHEN a later tick settles the slots (after the grace and the dead invocation's lease)
    machine_orders.clock.advance(seconds=UNKNOWN_GRACE_SECONDS + 3600)
    machine_orders.tick()

    # THEN the execution is found by the name the batch id gives it, and nothing starts twice
    assert [e["executionArn"] for e in executions(machine_orders)] == [execution["executionArn"]]
    [claim] = machine_orders.claims()
    assert (claim["state"], claim["run_id"]) == ("STARTED", execution["executionArn"])


def test_an_execution_that_never_started_is_forgotten_and_its_file_started_again(
    machine_orders: World,
) -> None:
    # GIVEN the invocation died between entering the batch in the slots and starting it
    crash = RuntimeError("crash before the start")
    with mock.patch.object(launch_module, "start_run", side_effect=crash):
        machine_orders.deliver(machine_orders.upload_sample(SAMPLE))
    assert executions(machine_orders) == []
    assert len(machine_orders.slots()["runs"]["M"]) == 1  # entered, never started

    # WHEN the tick settles it: no execution has the batch's name
    machine_orders.clock.advance(seconds=UNKNOWN_GRACE_SECONDS + 3600)
    machine_orders.tick()

    # THEN the file is started in a new batch, once
    [execution] = executions(machine_orders)
    [claim] = machine_orders.claims()
    assert (claim["state"], claim["run_id"]) == ("STARTED", execution["executionArn"])


def test_an_execution_end_frees_its_slot_at_once(machine_orders: World) -> None:
    first, second = (
        machine_orders.upload_sample(SAMPLE, key=f"orders/part-{i}.csv") for i in (1, 2)
    )
    machine_orders.deliver(first, second)
    [running] = executions(machine_orders)  # one slot: the second file waits
    assert len(machine_orders.pending()) == 1

    # Step Functions announces the end; describe_execution still reads RUNNING in moto.
    response = execution_ended(machine_orders, running["executionArn"], "FAILED")

    assert response["runs_started"] == 1
    assert len(executions(machine_orders)) == 2
    assert machine_orders.pending() == []


def test_an_execution_of_another_machine_frees_nothing(machine_orders: World) -> None:
    machine_orders.deliver(
        *(machine_orders.upload_sample(SAMPLE, key=f"orders/p-{i}.csv") for i in (1, 2))
    )
    [running] = executions(machine_orders)
    event = load_event("states/execution_status_change")
    event["detail"].update(
        {
            "executionArn": running["executionArn"],
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:another",
        }
    )

    response = machine_orders.invoke(event)

    assert response["runs_started"] == 0
    assert len(executions(machine_orders)) == 1


def test_a_state_machine_pipeline_without_the_machine_arn_fails_at_cold_start() -> None:
    from bridge.config import BridgeConfig, ConfigError

    config = pipeline_config("orders", orchestrator="step-functions")
    with pytest.raises(ConfigError, match="state_machine_arn"):
        BridgeConfig.from_dict(config)


def test_the_execution_input_keys_are_the_plans() -> None:
    from bridge.executions import execution_input

    properties = {"manifest": "s3://a/m.json", "batch_id": "b", "pipeline": "p", "file_count": "3"}
    document = json.loads(execution_input(properties))
    assert document == orchestration.execution_input("p", "b", "s3://a/m.json", 3)
