"""Back-pressure: accepted objects wait as PENDING and fill the next run when a slot is free.

`waiting_orders` is the orders pipeline as specified: max_files 20, max_wait_seconds 30, one
workflow run at a time. Glue's concurrency limit is enforced on moto (it refuses a start beyond
MaxConcurrentRuns with ConcurrentRunsExceededException, as Glue does).
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from bridge.claim_store import DynamoClaimStore
from gluekit.local.emulator import workflow_concurrency_enforced
from tests.events import load_event
from tests.functional.bridge.conftest import FOUNDATION, Uploaded, World, failed_ids

SAMPLE = "orders/orders-2026-11-20.csv"
RUN_SECONDS = 240  # how long each workflow run is active in the storm


@pytest.fixture(autouse=True)
def glue_refuses_beyond_its_limit() -> Iterator[None]:
    with workflow_concurrency_enforced():
        yield


def upload_many(world: World, count: int) -> list[Uploaded]:
    return [world.upload_sample(SAMPLE, key=f"orders/part {i:04d}.csv") for i in range(count)]


def runs_by_object(world: World) -> Counter[tuple[str, str]]:
    seen: Counter[tuple[str, str]] = Counter()
    for run in world.runs():
        seen.update((f["key"], f["version_id"]) for f in world.manifest(run)["files"])
    return seen


def running(world: World) -> list[dict[str, Any]]:
    return [r for r in world.runs() if r["Status"] == "RUNNING"]


def test_lone_file_waits_max_wait_then_the_tick_starts_it(waiting_orders: World) -> None:
    obj = waiting_orders.upload_sample(SAMPLE)

    response = waiting_orders.deliver(obj)[1]

    # THEN the message is done and the object waits to fill a run
    assert failed_ids(response) == set()
    assert waiting_orders.runs() == []
    [pending] = waiting_orders.pending()
    assert pending["state"] == "PENDING"
    # a tick before max_wait leaves it waiting; the first one after starts it
    waiting_orders.clock.advance(seconds=20)
    assert waiting_orders.tick()["runs_started"] == 0
    waiting_orders.clock.advance(seconds=40)
    assert waiting_orders.tick()["runs_started"] == 1
    assert waiting_orders.manifest_keys() == [obj.key]


def test_max_files_pending_start_a_full_run_at_once(waiting_orders: World) -> None:
    objects = upload_many(waiting_orders, 25)

    waiting_orders.deliver(*objects[:10])
    assert waiting_orders.runs() == []
    waiting_orders.deliver(*objects[10:])

    [run] = waiting_orders.runs()
    assert run["WorkflowRunProperties"]["file_count"] == "20"
    assert len(waiting_orders.pending()) == 5


def test_tick_with_nothing_pending_does_nothing(waiting_orders: World) -> None:
    assert waiting_orders.tick() == {
        "trigger": "tick",
        "runs_started": 0,
        "run_ids": [],
        "files_started": 0,
        "refused": [],
        "deferred": False,
    }
    assert waiting_orders.slots() == {}  # not even the starter item was written


def test_run_end_starts_the_next_batch_at_once(waiting_orders: World) -> None:
    objects = upload_many(waiting_orders, 40)
    waiting_orders.deliver(*objects[:20])
    waiting_orders.deliver(*objects[20:])
    [first] = waiting_orders.runs()  # one slot: the second batch waits

    summary = waiting_orders.run_ended(first["WorkflowRunId"])

    assert summary["trigger"] == "run_end" and summary["runs_started"] == 1
    assert len(waiting_orders.runs()) == 2
    assert waiting_orders.pending() == []


def test_failed_run_frees_its_slot_too(waiting_orders: World) -> None:
    objects = upload_many(waiting_orders, 40)
    waiting_orders.deliver(*objects)
    [first] = waiting_orders.runs()

    waiting_orders.run_ended(first["WorkflowRunId"], state="FAILED")

    assert len(waiting_orders.runs()) == 2


def test_two_invocations_racing_to_start_are_single_flight(
    waiting_orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN 40 pending objects, and a second invocation (a tick) that runs while the first is
    # between reading the pending objects and claiming them
    objects = upload_many(waiting_orders, 40)
    waiting_orders.deliver(*objects[:19])
    real_claim = DynamoClaimStore.claim_pending
    inner: list[Any] = []

    def claim_with_a_rival(self: DynamoClaimStore, *args: Any, **kwargs: Any) -> bool:
        if not inner:
            inner.append(None)
            inner[0] = waiting_orders.tick()  # runs to completion right here
        return real_claim(self, *args, **kwargs)

    monkeypatch.setattr(DynamoClaimStore, "claim_pending", claim_with_a_rival)

    # WHEN the 20th object arrives (its invocation starts a run)
    waiting_orders.deliver(objects[19])

    # THEN the rival found the starter lease taken and left the start to the holder
    assert inner[0]["deferred"] is True and inner[0]["runs_started"] == 0
    # AND one run holds each object once
    [run] = waiting_orders.runs()
    assert run["WorkflowRunProperties"]["file_count"] == "20"
    assert set(runs_by_object(waiting_orders).values()) == {1}


def test_a_start_whose_lease_was_taken_over_puts_no_object_in_a_second_run(
    waiting_orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a starter that stalls between reading the pending objects and claiming them, for so
    # long that its lease expires and a tick takes the lease and starts those objects
    objects = upload_many(waiting_orders, 20)
    waiting_orders.deliver(*objects[:10])
    real_claim = DynamoClaimStore.claim_pending
    rival: list[Any] = []

    def stall_then_claim(self: DynamoClaimStore, *args: Any, **kwargs: Any) -> bool:
        if not rival:
            rival.append(None)  # the rival's own claims go straight through
            waiting_orders.clock.advance(seconds=400)
            rival[0] = waiting_orders.tick()
        return real_claim(self, *args, **kwargs)

    monkeypatch.setattr(DynamoClaimStore, "claim_pending", stall_then_claim)

    waiting_orders.deliver(*objects[10:])

    # THEN the rival started the run; the stalled starter's conditional claims all failed
    assert rival[0]["runs_started"] == 1
    assert len(waiting_orders.runs()) == 1
    assert set(runs_by_object(waiting_orders).values()) == {1}
    assert len(runs_by_object(waiting_orders)) == 20


def test_storm_under_the_concurrency_limit_loses_nothing_and_dead_letters_nothing(
    waiting_orders: World,
) -> None:
    # GIVEN 300 deliveries of 200 objects (duplicates, shuffled), one run slot, runs that are
    # active for 4 minutes, SQS batches of 20 arriving every 10 s, the tick every minute
    random.seed(11)
    objects = upload_many(waiting_orders, 200)
    deliveries = objects + [random.choice(objects) for _ in range(100)]
    random.shuffle(deliveries)
    failed = 0
    started_at: dict[str, float] = {}

    def end_finished_runs() -> None:
        for run in running(waiting_orders):
            run_id = run["WorkflowRunId"]
            started_at.setdefault(run_id, waiting_orders.clock.now())
            if waiting_orders.clock.now() - started_at[run_id] >= RUN_SECONDS:
                waiting_orders.run_ended(run_id)

    step = 0
    while deliveries or waiting_orders.pending() or running(waiting_orders):
        batch, deliveries = deliveries[:20], deliveries[20:]
        if batch:
            failed += len(failed_ids(waiting_orders.deliver(*batch)[1]))
        waiting_orders.clock.advance(seconds=10)
        step += 1
        if step % 6 == 0:
            waiting_orders.tick()
        end_finished_runs()
        assert len(running(waiting_orders)) <= 1
        assert step < 1000

    # THEN no record failed (0 towards the DLQ), every object is in exactly one run,
    # and the runs are full: 200 objects in 10 runs of 20
    assert failed == 0
    seen = runs_by_object(waiting_orders)
    assert set(seen) == {(o.key, o.version_id) for o in objects}
    assert set(seen.values()) == {1}
    counts = sorted(int(r["WorkflowRunProperties"]["file_count"]) for r in waiting_orders.runs())
    assert counts == [20] * 10


def test_backlog_spanning_many_runs_is_served_oldest_first_in_full_runs(
    waiting_orders: World,
) -> None:
    # GIVEN 95 objects accepted while the one slot is taken
    objects = upload_many(waiting_orders, 95)
    for start in range(0, 95, 20):
        waiting_orders.deliver(*objects[start : start + 20])
        waiting_orders.clock.advance(seconds=1)
    assert len(waiting_orders.runs()) == 1

    # WHEN each run ends (the last partial batch also waits max_wait)
    for _ in range(10):
        for run in running(waiting_orders):
            waiting_orders.run_ended(run["WorkflowRunId"])
        waiting_orders.clock.advance(seconds=31)
        waiting_orders.tick()

    # THEN 5 runs took them, oldest first, each object once
    runs = sorted(waiting_orders.runs(), key=lambda r: r["StartedOn"])
    assert [int(r["WorkflowRunProperties"]["file_count"]) for r in runs] == [20, 20, 20, 20, 15]
    first_keys = sorted(f["key"] for f in waiting_orders.manifest(runs[0])["files"])
    assert first_keys == sorted(o.key for o in objects[:20])
    assert set(runs_by_object(waiting_orders).values()) == {1}
    assert waiting_orders.pending() == []


def test_a_start_reads_a_page_of_the_backlog_not_all_of_it(
    waiting_orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    objects = upload_many(waiting_orders, 60)
    for start in range(0, 60, 20):
        waiting_orders.deliver(*objects[start : start + 20])
    [run] = running(waiting_orders)
    real_query = waiting_orders.dynamodb.query
    read: list[int] = []

    def counting_query(**request: Any) -> Any:
        response = real_query(**request)
        if request.get("Select") != "COUNT":
            read.append(len(response["Items"]))
        return response

    monkeypatch.setattr(waiting_orders.dynamodb, "query", counting_query)

    waiting_orders.run_ended(run["WorkflowRunId"])

    # 20 for the batch (and one for the oldest-age metric), never the 40 waiting
    assert max(read) <= 20


def test_classic_s3_notification_is_counted_as_misrouted_and_logged_as_an_error(
    waiting_orders: World, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    classic = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}
    event = waiting_orders.sqs_event(classic, load_event("bridge/s3_test_event"))

    response = waiting_orders.invoke(event)

    assert failed_ids(response) == set()  # retrying would not make it readable
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all("classic S3 notification" in e for e in errors)
    out = capsys.readouterr().out
    [blob] = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert blob["MisroutedNotifications"] == [2.0]


def test_oldest_pending_age_and_count_are_published_on_the_tick(
    waiting_orders: World, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = upload_many(waiting_orders, 25)
    waiting_orders.deliver(*objects[:20])  # starts a run; 5 will wait behind it
    waiting_orders.clock.advance(seconds=5)
    waiting_orders.deliver(*objects[20:])
    capsys.readouterr()

    waiting_orders.clock.advance(seconds=100)
    waiting_orders.tick()

    [blob] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert blob["PendingObjects"] == [5.0]
    assert blob["OldestPendingAgeSeconds"] == [100.0]
    assert math.isclose(blob["RunsStarted"][0], 0)
    assert FOUNDATION.claims_table  # the same table holds claims and the starter item
