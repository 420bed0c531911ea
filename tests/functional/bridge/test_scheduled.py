"""Scheduled pipelines (events): arrivals wait as pending; the schedule rule's "Scheduled Event"
invokes the flush, which starts runs for everything accepted before it, chunked by
max_files_per_run, as run slots allow (the rest follows as runs end)."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from botocore.stub import Stubber

from bridge.claim_store import DynamoClaimStore
from bridge.config import BridgeConfig
from bridge.dispatch import Trigger, dispatch
from bridge.runtime import Gateways, Invocation
from bridge.workflow import WorkflowRuns
from shared.aws import single_attempt_client
from tests.events import load_event
from tests.functional.bridge.conftest import (
    SAMPLES_DIR,
    Uploaded,
    World,
    failed_ids,
    pipeline_config,
)

EVENTS_GZ = (SAMPLES_DIR / "events" / "app-events-2026-11-21.jsonl.gz").read_bytes()


class SimulatedCrash(BaseException):
    """The function is stopped (timeout, out of memory): nothing after this line runs."""


def upload_events(world: World, count: int) -> list[Uploaded]:
    return [world.upload(f"events/app-events-{i:03}.jsonl.gz", EVENTS_GZ) for i in range(count)]


def flush(world: World) -> Any:
    return world.invoke(load_event("bridge/scheduled_event"), remaining_millis=900_000)


def test_arrivals_wait_as_pending_and_start_nothing(events_pipeline: World) -> None:
    objects = upload_events(events_pipeline, 3)

    response = events_pipeline.deliver(*objects)[1]

    assert failed_ids(response) == set()
    assert events_pipeline.runs() == []
    pending = events_pipeline.pending()
    assert sorted(p["key"] for p in pending) == [o.key for o in objects]
    assert {p["state"] for p in pending} == {"PENDING"}
    assert all("expires_at" not in p for p in pending)


def test_flush_starts_one_run_for_everything_pending(events_pipeline: World) -> None:
    objects = upload_events(events_pipeline, 3)
    events_pipeline.deliver(*objects[:2])
    events_pipeline.deliver(objects[2])

    events_pipeline.clock.advance(hours=14)
    summary = flush(events_pipeline)

    [run] = events_pipeline.runs()
    assert summary["runs_started"] == 1 and summary["files_started"] == 3
    assert run["WorkflowRunProperties"]["file_count"] == "3"
    assert run["WorkflowRunProperties"]["pipeline"] == "events"
    assert events_pipeline.manifest_keys() == [o.key for o in objects]
    assert events_pipeline.pending() == []
    assert {c["state"] for c in events_pipeline.claims()} == {"STARTED"}
    # a second flush finds nothing to do
    assert flush(events_pipeline)["runs_started"] == 0
    assert len(events_pipeline.runs()) == 1


def test_duplicate_of_a_pending_object_is_skipped(events_pipeline: World) -> None:
    [obj] = upload_events(events_pipeline, 1)
    events_pipeline.deliver(obj)

    events_pipeline.clock.advance(hours=2)
    response = events_pipeline.deliver(obj)[1]
    flush(events_pipeline)

    assert failed_ids(response) == set()
    [run] = events_pipeline.runs()
    assert run["WorkflowRunProperties"]["file_count"] == "1"


def test_flush_chunks_by_max_files_per_run(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.use(pipeline_config("events", max_files_per_run=2, max_concurrent_runs=3), monkeypatch)
    objects = upload_events(world, 5)
    world.deliver(*objects)

    summary = flush(world)

    assert summary["runs_started"] == 3
    counts = sorted(int(r["WorkflowRunProperties"]["file_count"]) for r in world.runs())
    assert counts == [1, 2, 2]
    assert world.manifest_keys() == [o.key for o in objects]


def test_refused_flush_keeps_objects_pending_for_the_next_start(
    events_pipeline: World,
) -> None:
    objects = upload_events(events_pipeline, 2)
    events_pipeline.deliver(*objects)
    with Stubber(single_attempt_client("glue")) as glue:
        glue.add_client_error(
            "start_workflow_run",
            service_error_code="ConcurrentRunsExceededException",
            http_status_code=400,
        )
        summary = flush(events_pipeline)
    assert summary["runs_started"] == 0 and len(summary["refused"]) == 1

    assert events_pipeline.runs() == []
    assert {p["state"] for p in events_pipeline.pending()} == {"PENDING"}
    assert len(events_pipeline.pending()) == 2

    # the next start (here the tick; a run's end would do too) takes them
    assert events_pipeline.tick()["runs_started"] == 1
    assert events_pipeline.manifest_keys() == [o.key for o in objects]


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_flush_that_crashed_after_starting_is_reconciled_by_the_next_flush(
    events_pipeline: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    events_pipeline.deliver(*upload_events(events_pipeline, 2))

    def crash(*args: Any, **kwargs: Any) -> bool:
        raise SimulatedCrash

    with monkeypatch.context() as patch:
        patch.setattr(DynamoClaimStore, "mark_started", crash)
        with pytest.raises(SimulatedCrash):
            flush(events_pipeline)
    [run] = events_pipeline.runs()

    events_pipeline.clock.advance(hours=1)
    summary = flush(events_pipeline)

    assert summary["runs_started"] == 0
    assert events_pipeline.runs() == [run]
    claims = events_pipeline.claims()
    assert {(c["state"], c["run_id"]) for c in claims} == {("STARTED", run["WorkflowRunId"])}
    assert events_pipeline.pending() == []


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_flush_that_crashed_before_starting_is_taken_over_by_the_next_flush(
    events_pipeline: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = upload_events(events_pipeline, 2)
    events_pipeline.deliver(*objects)

    def crash(*args: Any, **kwargs: Any) -> str:
        raise SimulatedCrash

    with monkeypatch.context() as patch:
        patch.setattr(WorkflowRuns, "start", crash)
        with pytest.raises(SimulatedCrash):
            flush(events_pipeline)
    # while the crashed flush's lease runs, another flush leaves its objects alone
    assert flush(events_pipeline)["runs_started"] == 0

    events_pipeline.clock.advance(hours=1)
    summary = flush(events_pipeline)

    assert summary["runs_started"] == 1
    assert events_pipeline.manifest_keys() == [o.key for o in objects]


def test_rejected_object_on_a_scheduled_pipeline_is_not_pending(events_pipeline: World) -> None:
    bad = events_pipeline.upload("events/partial.jsonl.gz", gzip.compress(b'{"id": "e-1"}\n'))

    events_pipeline.deliver(bad)

    assert events_pipeline.pending() == []
    assert len(events_pipeline.quarantine_keys()) == 2
    assert flush(events_pipeline)["runs_started"] == 0


def test_flush_short_of_time_starts_what_it_could_claim_and_leaves_the_rest_pending(
    events_pipeline: World,
) -> None:
    # GIVEN three pending objects and a flush with barely more time than its reserve
    events_pipeline.deliver(*upload_events(events_pipeline, 3))
    config = BridgeConfig.from_dict(events_pipeline.config)
    now = events_pipeline.clock.now()
    seconds_left = iter([61.0, 61.0, 5.0])  # before the batch, the 1st claim, the 2nd claim

    # WHEN it flushes
    summary = dispatch(
        config,
        Gateways.for_config(config),
        Invocation(now=now, deadline=now + 61),
        lambda: next(seconds_left, 0.5),
        Trigger.FLUSH,
    )

    # THEN it starts the object it claimed in time, and the others wait for the next flush
    assert summary.files_started == 1
    assert len(events_pipeline.runs()) == 1
    assert {p["state"] for p in events_pipeline.pending()} == {"PENDING"}
    assert len(events_pipeline.pending()) == 2
