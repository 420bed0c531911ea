"""The run-end event frees its run's slot at once, though Glue may still read the run RUNNING.

moto never finishes a workflow run (FIELD_NOTES): here the run is left RUNNING on purpose, which
is what GetWorkflowRun can answer for a moment after the publish job's SUCCEEDED event. The job
runs are real moto job runs started with the arguments a workflow passes its jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from gluekit.local.emulator import complete_workflow_run, workflow_concurrency_enforced
from tests.events import load_event
from tests.functional.bridge.conftest import World, pipeline_config

SAMPLE = "orders/orders-2026-11-20.csv"
STEPS = ("transform", "validate", "publish")


def job(world: World, step: str) -> str:
    return f"{world.config['workflow_name']}-{step}"


@pytest.fixture
def two_batches(waiting_orders: World) -> Iterator[tuple[World, str]]:
    """40 pending objects, one slot: the first batch runs, the second waits."""
    for step in STEPS:
        waiting_orders.glue.create_job(
            Name=job(waiting_orders, step),
            Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/job.py"},
        )
    objects = [
        waiting_orders.upload_sample(SAMPLE, key=f"orders/part {i:04d}.csv") for i in range(40)
    ]
    waiting_orders.deliver(*objects[:20])
    waiting_orders.deliver(*objects[20:])
    [run] = waiting_orders.runs()
    yield waiting_orders, run["WorkflowRunId"]


def job_ended(world: World, run_id: str, step: str, state: str) -> Any:
    """The job of `step` ran in workflow run `run_id` and the run-end rule sends its end."""
    job_run_id = world.glue.start_job_run(
        JobName=job(world, step),
        Arguments={"--WORKFLOW_NAME": world.config["workflow_name"], "--WORKFLOW_RUN_ID": run_id},
    )["JobRunId"]
    event = load_event("bridge/glue_job_state_change")
    event["detail"].update({"jobName": job(world, step), "jobRunId": job_run_id, "state": state})
    return world.invoke(event)


def run_status(world: World, run_id: str) -> str:
    run = world.glue.get_workflow_run(Name=world.config["workflow_name"], RunId=run_id)["Run"]
    return str(run["Status"])


def test_publish_succeeded_starts_the_next_batch_while_the_run_still_reads_running(
    two_batches: tuple[World, str],
) -> None:
    world, first = two_batches

    summary = job_ended(world, first, "publish", "SUCCEEDED")

    assert run_status(world, first) == "RUNNING"  # Glue has not caught up yet
    assert summary["trigger"] == "run_end" and summary["runs_started"] == 1
    assert len(world.runs()) == 2
    assert world.pending() == []
    # the slot item holds the new batch only
    entries = world.slots()["runs"]["M"]
    assert [e["M"]["run_id"]["S"] for e in entries.values()] == summary["run_ids"]


def test_a_failed_step_without_retries_frees_its_slot_on_the_event(
    two_batches: tuple[World, str],
) -> None:
    world, first = two_batches

    summary = job_ended(world, first, "transform", "FAILED")

    assert run_status(world, first) == "RUNNING"
    assert summary["runs_started"] == 1


def test_a_succeeded_middle_step_does_not_free_the_slot(two_batches: tuple[World, str]) -> None:
    world, first = two_batches

    summary = job_ended(world, first, "validate", "SUCCEEDED")

    assert summary["runs_started"] == 0
    assert len(world.runs()) == 1


def test_a_failed_step_that_glue_retries_keeps_the_slot_until_the_last_attempt(
    two_batches: tuple[World, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, first = two_batches
    world.use(pipeline_config("orders", job_retries=1), monkeypatch)

    # attempt 0 of a job with one retry: Glue runs it again inside the same workflow run
    assert job_ended(world, first, "transform", "FAILED")["runs_started"] == 0
    assert len(world.runs()) == 1

    # the retry (attempt 1; moto numbers every job run 0) fails too: the run is over
    from moto.glue.models import FakeJobRun

    as_dict = FakeJobRun.as_dict
    with mock.patch.object(FakeJobRun, "as_dict", lambda self: {**as_dict(self), "Attempt": 1}):
        assert job_ended(world, first, "transform", "FAILED")["runs_started"] == 1


def test_an_event_whose_job_run_is_unknown_frees_nothing_early(
    two_batches: tuple[World, str],
) -> None:
    world, _ = two_batches
    event = load_event("bridge/glue_job_state_change")
    event["detail"].update({"jobName": job(world, "publish"), "state": "SUCCEEDED"})

    # GetJobRun answers EntityNotFound and the run still reads RUNNING: the slot stays taken
    assert world.invoke(event)["runs_started"] == 0


def test_when_glue_still_counts_the_run_the_refused_batch_waits_for_the_tick(
    two_batches: tuple[World, str],
) -> None:
    world, first = two_batches

    # Glue may refuse a start while it still counts the ended run: nothing is lost
    with workflow_concurrency_enforced():
        summary = job_ended(world, first, "publish", "SUCCEEDED")
        assert summary["runs_started"] == 0 and summary["refused"]
        assert len(world.pending()) == 20
        assert world.slots()["runs"]["M"] == {}

        complete_workflow_run(world.config["workflow_name"], first)
        world.clock.advance(seconds=60)
        assert world.tick()["runs_started"] == 1
    assert world.pending() == []
