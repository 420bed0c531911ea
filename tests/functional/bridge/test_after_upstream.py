"""A derived pipeline's bridge (daily-revenue, ``trigger.after: [orders]``): an orders publish
that succeeded asks for a run; publishes while a run is busy coalesce into one more run; a
refused or lost start keeps the request open. Events in the shape EventBridge delivers them."""

from __future__ import annotations

from typing import Any

import pytest

from bridge import dispatch as dispatch_module
from bridge.config import BridgeConfig
from bridge.handler import trigger_of
from gluekit.local.emulator import complete_workflow_run, workflow_concurrency_enforced
from tests.events import load_event
from tests.functional.bridge.conftest import PREFIX, World, pipeline_config

WORKFLOW = f"{PREFIX}-daily-revenue"


class SimulatedCrash(BaseException):
    """The function is stopped (timeout, out of memory): nothing after this line runs."""


@pytest.fixture
def derived(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    world.glue.create_workflow(Name=WORKFLOW, MaxConcurrentRuns=1)
    world.use(pipeline_config("daily-revenue"), monkeypatch)
    return world


def job_state_change(job_name: str, state: str = "SUCCEEDED") -> dict[str, Any]:
    event = load_event("bridge/glue_job_state_change")
    event["detail"].update(jobName=job_name, state=state, severity="INFO", message="")
    return event


def orders_published(world: World) -> Any:
    return world.invoke(job_state_change(f"{PREFIX}-orders-publish"))


def own_run_ended(world: World, run_id: str) -> Any:
    complete_workflow_run(WORKFLOW, run_id)
    return world.invoke(job_state_change(f"{PREFIX}-daily-revenue-publish"))


def running(world: World) -> list[dict[str, Any]]:
    return [r for r in world.runs() if r["Status"] == "RUNNING"]


def test_an_upstream_publish_starts_one_run_with_an_empty_manifest(derived: World) -> None:
    response = orders_published(derived)

    assert response["trigger"] == "upstream" and response["runs_started"] == 1
    (run,) = derived.runs()
    assert run["WorkflowRunProperties"]["file_count"] == "0"
    manifest = derived.manifest(run)
    assert manifest["files"] == [] and manifest["pipeline"] == "daily-revenue"
    assert "changes_since" not in derived.slots()  # the request was taken by the run


def test_publishes_during_a_run_coalesce_into_one_more_run(derived: World) -> None:
    first = orders_published(derived)["run_ids"][0]
    derived.clock.advance(seconds=60)
    for _ in range(3):  # three more orders runs publish while ours is busy
        assert orders_published(derived)["runs_started"] == 0
        derived.clock.advance(seconds=60)
    assert derived.slots()["changes_since"]["N"] == str(int(derived.clock.current) - 180)

    response = own_run_ended(derived, first)

    assert response["runs_started"] == 1  # one run reads all three publishes' changes
    assert len(running(derived)) == 1
    second = response["run_ids"][0]
    assert own_run_ended(derived, second)["runs_started"] == 0  # nothing more was published
    assert derived.tick()["runs_started"] == 0


def test_a_refused_start_keeps_the_request_until_a_slot_frees(derived: World) -> None:
    with workflow_concurrency_enforced():
        # Someone started the workflow by hand: Glue refuses the bridge's start.
        manual = derived.glue.start_workflow_run(Name=WORKFLOW)["RunId"]
        response = orders_published(derived)
        assert response["runs_started"] == 0 and response["refused"]
        assert "changes_since" in derived.slots() and derived.slots()["runs"]["M"] == {}

        complete_workflow_run(WORKFLOW, manual)
        derived.clock.advance(seconds=60)
        response = derived.tick()

    assert response["runs_started"] == 1
    assert "changes_since" not in derived.slots()


def test_a_start_lost_in_a_crash_is_requested_again_as_it_was(
    derived: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise SimulatedCrash

    with workflow_concurrency_enforced():
        # orders publishes while Glue is busy with a manual run: the request waits.
        manual = derived.glue.start_workflow_run(Name=WORKFLOW)["RunId"]
        requested = int(derived.clock.current)
        assert orders_published(derived)["runs_started"] == 0
        complete_workflow_run(WORKFLOW, manual)
        derived.clock.advance(seconds=60)
        # The tick takes the request, and the function is stopped before the run starts.
        monkeypatch.setattr(dispatch_module, "launch", crash)
        with pytest.raises(SimulatedCrash):
            derived.tick()
        monkeypatch.undo()
        assert "changes_since" not in derived.slots()

        # Past the grace period the start is looked for, not found, and forgotten: its request
        # is open again with its own time (the waiting age counts from the publish). Glue is
        # busy again, so it stays open where the test reads it.
        derived.clock.advance(seconds=dispatch_module.UNKNOWN_GRACE_SECONDS + 120)
        again = derived.glue.start_workflow_run(Name=WORKFLOW)["RunId"]
        assert derived.tick()["runs_started"] == 0
        assert derived.slots()["changes_since"]["N"] == str(requested)

        complete_workflow_run(WORKFLOW, again)
        derived.clock.advance(seconds=60)
        response = derived.tick()

    assert response["runs_started"] == 1


def test_only_a_successful_publish_of_an_upstream_is_a_request() -> None:
    config = BridgeConfig.from_dict(pipeline_config("daily-revenue"))

    assert trigger_of(job_state_change(f"{PREFIX}-orders-publish"), config) == "upstream"
    assert trigger_of(job_state_change(f"{PREFIX}-orders-publish", "FAILED"), config) is None
    assert trigger_of(job_state_change(f"{PREFIX}-daily-revenue-publish"), config) == "run_end"
    # A step-functions upstream announces its publish as its execution's success.
    execution = load_event("states/execution_status_change")
    assert trigger_of(execution, config) == "upstream"
    execution["detail"]["status"] = "FAILED"
    assert trigger_of(execution, config) is None
