"""On-arrival pipelines (orders): one manifest and one workflow run per batch, at most once per
object version, and nothing lost when a start fails or the function dies half-way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from bridge import intake
from bridge.claim_store import DynamoClaimStore
from bridge.workflow import WorkflowRuns
from shared.aws import single_attempt_client
from tests.events import load_event
from tests.functional.bridge.conftest import (
    FOUNDATION,
    World,
    failed_ids,
    message_ids,
)

ORDERS_DAY_1 = "orders/orders-2026-11-20.csv"
ORDERS_DAY_2 = "orders/orders-2026-11-21.csv"


class SimulatedCrash(BaseException):
    """The function is stopped (timeout, out of memory): nothing after this line runs."""


def test_new_objects_start_one_run_with_their_manifest(orders: World) -> None:
    # GIVEN two order exports in the raw bucket
    first = orders.upload_sample(ORDERS_DAY_1)
    second = orders.upload_sample(ORDERS_DAY_2)

    # WHEN their events arrive in one SQS batch
    _, response = orders.deliver(first, second)

    # THEN every record succeeds and exactly one run started, with the decided properties
    assert response == {"batchItemFailures": []}
    [run] = orders.runs()
    properties = run["WorkflowRunProperties"]
    batch_id = properties["batch_id"]
    assert properties == {
        "manifest": f"s3://{FOUNDATION.artifacts_bucket}/manifests/orders/{batch_id}.json",
        "batch_id": batch_id,
        "pipeline": "orders",
        "file_count": "2",
    }
    manifest = orders.manifest(run)
    assert manifest["pipeline"] == "orders"
    assert manifest["batch_id"] == batch_id
    assert manifest["created_at"] == "2026-11-21T10:00:00Z"
    assert manifest["files"] == [
        {
            "bucket": FOUNDATION.raw_bucket,
            "key": obj.key,
            "version_id": obj.version_id,
            "sequencer": obj.sequencer,
            "size": obj.size,
            "etag": obj.etag,
            "uri": f"s3://{FOUNDATION.raw_bucket}/{obj.key}",
            # the event's time, through the pending claim: the rows' ingested-at downstream
            "arrived_at": "2026-11-21T09:14:07Z",
        }
        for obj in (first, second)
    ]
    # AND both claims record the run, kept for 30 days
    claims = orders.claims()
    assert {c["state"] for c in claims} == {"STARTED"}
    assert {c["run_id"] for c in claims} == {run["WorkflowRunId"]}
    assert {int(c["expires_at"]) for c in claims} == {int(orders.clock.now()) + 30 * 86400}


def test_aws_shaped_delivery_with_an_encoded_key_starts_a_run(orders: World) -> None:
    # GIVEN the SQS record exactly as AWS delivers it, for "orders export (1).csv"
    event = load_event("bridge/sqs_object_created")
    body = json.loads(event["Records"][0]["body"])
    key = "orders/2026/11/21/orders export (1).csv"
    uploaded = orders.upload_sample(ORDERS_DAY_1, key=key)
    # (moto assigns its own version id, size and etag; the rest is AWS's shape untouched)
    body["detail"]["object"].update(
        {"version-id": uploaded.version_id, "size": uploaded.size, "etag": uploaded.etag}
    )
    event["Records"][0]["body"] = json.dumps(body)

    # WHEN the handler receives it
    response = orders.invoke(event)

    # THEN the decoded key is what reaches the manifest
    assert response == {"batchItemFailures": []}
    assert orders.manifest_keys() == [key]


def test_duplicate_delivery_in_the_same_batch_starts_one_run(orders: World) -> None:
    obj = orders.upload_sample(ORDERS_DAY_1)
    event = orders.sqs_event(orders.object_created(obj), orders.object_created(obj))

    response = orders.invoke(event)

    assert failed_ids(response) == set()
    [run] = orders.runs()
    assert run["WorkflowRunProperties"]["file_count"] == "1"


@pytest.mark.parametrize("with_version", [True, False], ids=["version-id", "sequencer"])
def test_duplicate_delivery_hours_later_starts_no_second_run(
    orders: World, with_version: bool
) -> None:
    obj = orders.upload_sample(ORDERS_DAY_1)
    orders.invoke(orders.sqs_event(orders.object_created(obj, with_version=with_version)))

    orders.clock.advance(hours=5)
    response = orders.invoke(
        orders.sqs_event(orders.object_created(obj, with_version=with_version))
    )

    assert failed_ids(response) == set()
    assert len(orders.runs()) == 1


def test_new_version_of_a_key_is_new_data(orders: World) -> None:
    first = orders.upload_sample(ORDERS_DAY_1)
    orders.deliver(first)
    second = orders.upload(
        first.key,
        first.body + b"O-1009,C-003,new,5.00,EUR,2026-11-21T10:00:00Z,2026-11-21T10:00:00Z\n",
    )

    orders.deliver(second)

    runs = orders.runs()
    assert len(runs) == 2
    versions = {orders.manifest(run)["files"][0]["version_id"] for run in runs}
    assert versions == {first.version_id, second.version_id}
    assert first.version_id != second.version_id


def test_batch_larger_than_max_files_per_run_starts_one_run_per_chunk(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.functional.bridge.conftest import pipeline_config

    world.use(
        pipeline_config("orders", max_files_per_run=2, max_wait_seconds=0, max_concurrent_runs=5),
        monkeypatch,
    )
    objects = [world.upload_sample(ORDERS_DAY_1, key=f"orders/part-{i}.csv") for i in range(5)]

    response = world.deliver(*objects)[1]

    assert failed_ids(response) == set()
    assert sorted(int(r["WorkflowRunProperties"]["file_count"]) for r in world.runs()) == [1, 2, 2]
    assert world.manifest_keys() == sorted(o.key for o in objects)


def test_refused_start_fails_no_record_and_the_objects_wait_for_the_next_start(
    orders: World,
) -> None:
    # GIVEN Glue refuses the start: the workflow is at its concurrency limit
    objects = [orders.upload_sample(ORDERS_DAY_1), orders.upload_sample(ORDERS_DAY_2)]
    event = orders.sqs_event(*(orders.object_created(o) for o in objects))
    with Stubber(single_attempt_client("glue")) as glue:
        glue.add_client_error(
            "start_workflow_run",
            service_error_code="ConcurrentRunsExceededException",
            service_message="Concurrent runs exceeded for workflow: gluekit-dev-orders",
            http_status_code=400,
        )
        response = orders.invoke(event)
        glue.assert_no_pending_responses()

    # THEN no record fails (nothing heads for the DLQ): both objects wait as PENDING
    assert failed_ids(response) == set()
    assert orders.runs() == []
    assert {c["state"] for c in orders.claims()} == {"PENDING"}
    assert "runs" in orders.slots() and orders.slots()["runs"] == {"M": {}}

    # WHEN the tick comes and Glue accepts
    orders.clock.advance(seconds=60)
    orders.tick()

    # THEN exactly one run takes both objects
    [run] = orders.runs()
    assert run["WorkflowRunProperties"]["file_count"] == "2"
    assert {c["state"] for c in orders.claims()} == {"STARTED"}


def test_throttled_start_leaves_the_objects_pending_for_the_tick(orders: World) -> None:
    obj = orders.upload_sample(ORDERS_DAY_1)
    with Stubber(single_attempt_client("glue")) as glue:
        glue.add_client_error(
            "start_workflow_run", service_error_code="ThrottlingException", http_status_code=400
        )
        response = orders.deliver(obj)[1]
        glue.assert_no_pending_responses()
    assert failed_ids(response) == set()
    assert [c["state"] for c in orders.claims()] == ["PENDING"]

    with Stubber(single_attempt_client("glue")) as glue:
        glue.add_response("start_workflow_run", {"RunId": "wr_after_throttling"})
        orders.tick()

    [claim] = orders.claims()
    assert (claim["state"], claim["run_id"]) == ("STARTED", "wr_after_throttling")


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_crash_after_start_before_it_is_recorded_starts_no_second_run(
    orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an invocation that starts the run and is stopped before recording the claims
    objects = [orders.upload_sample(ORDERS_DAY_1), orders.upload_sample(ORDERS_DAY_2)]
    event = orders.sqs_event(*(orders.object_created(o) for o in objects))

    def crash(*args: Any, **kwargs: Any) -> bool:
        raise SimulatedCrash

    with monkeypatch.context() as patch:
        patch.setattr(DynamoClaimStore, "mark_started", crash)
        with pytest.raises(SimulatedCrash):
            orders.invoke(event)
    [run] = orders.runs()
    assert {c["state"] for c in orders.claims()} == {"CLAIMED"}

    # WHEN SQS redelivers the batch and the tick comes, after the crashed lease has expired
    orders.clock.advance(seconds=6 * 60)
    response = orders.invoke(event)
    orders.tick()

    # THEN no second run starts: the claims are recorded from the run's manifest
    assert failed_ids(response) == set()
    assert orders.runs() == [run]
    claims = orders.claims()
    assert {(c["state"], c["run_id"]) for c in claims} == {("STARTED", run["WorkflowRunId"])}


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_crash_between_start_and_its_slot_record_is_found_by_batch_id(
    orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an invocation stopped right after Glue started the run, before the run id is kept
    obj = orders.upload_sample(ORDERS_DAY_1)
    real_start = WorkflowRuns.start

    def start_then_crash(self: WorkflowRuns, properties: dict[str, str]) -> str:
        real_start(self, properties)
        raise SimulatedCrash

    with monkeypatch.context() as patch:
        patch.setattr(WorkflowRuns, "start", start_then_crash)
        with pytest.raises(SimulatedCrash):
            orders.deliver(obj)
    [run] = orders.runs()

    # WHEN ticks come: first within the grace period, then after it
    orders.clock.advance(seconds=60)
    orders.tick()
    assert [c["state"] for c in orders.claims()] == ["CLAIMED"]
    orders.clock.advance(seconds=6 * 60)
    orders.tick()

    # THEN the run is found by its batch id and recorded; none other starts
    assert orders.runs() == [run]
    [claim] = orders.claims()
    assert (claim["state"], claim["run_id"]) == ("STARTED", run["WorkflowRunId"])


def test_start_whose_answer_is_lost_is_found_not_repeated(
    orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN Glue starts the run but the response never arrives
    obj = orders.upload_sample(ORDERS_DAY_1)
    real_start = WorkflowRuns.start

    def start_then_lose_the_answer(self: WorkflowRuns, properties: dict[str, str]) -> str:
        real_start(self, properties)
        raise ReadTimeoutError(endpoint_url="https://glue.us-east-1.amazonaws.com")

    monkeypatch.setattr(WorkflowRuns, "start", start_then_lose_the_answer)

    response = orders.deliver(obj)[1]

    # THEN the bridge finds the run by its batch id instead of starting another
    assert failed_ids(response) == set()
    [run] = orders.runs()
    [claim] = orders.claims()
    assert (claim["state"], claim["run_id"]) == ("STARTED", run["WorkflowRunId"])


def test_unknown_start_outcome_keeps_claims_until_reconciled(
    orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a start that fails without an answer and whose run is not listed (yet)
    obj = orders.upload_sample(ORDERS_DAY_1)
    event = orders.sqs_event(orders.object_created(obj))
    with Stubber(single_attempt_client("glue")) as glue:
        glue.add_client_error(
            "start_workflow_run",
            service_error_code="InternalServiceException",
            http_status_code=500,
        )
        response = orders.invoke(event)

    # THEN the record succeeds (the object is accepted) but the claim is kept for the batch
    assert failed_ids(response) == set()
    [claim] = orders.claims()
    assert claim["state"] == "CLAIMED"

    # WHEN the next tick comes within the grace period, nothing else starts
    orders.clock.advance(seconds=60)
    orders.tick()
    assert orders.runs() == []
    # AND after it, the batch is not found among the runs: the object is taken back, started
    orders.clock.advance(seconds=6 * 60)
    orders.tick()
    [run] = orders.runs()
    assert run["WorkflowRunProperties"]["file_count"] == "1"


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_object_claimed_by_a_live_invocation_is_retried_later(
    orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an invocation that claimed the object and is stopped during pre-flight
    obj = orders.upload_sample(ORDERS_DAY_1)

    def crash(*args: Any, **kwargs: Any) -> str:
        raise SimulatedCrash

    with monkeypatch.context() as patch:
        patch.setattr(intake, "inspect", crash)
        with pytest.raises(SimulatedCrash):
            orders.deliver(obj)

    # WHEN a duplicate delivery arrives while that claim's lease still runs
    early_event = orders.sqs_event(orders.object_created(obj))
    early = orders.invoke(early_event)

    # THEN it fails for a retry (it may be the copy that brings the object back)
    assert failed_ids(early) == set(message_ids(early_event))

    # AND after the lease has expired it takes the object over and starts the only run
    orders.clock.advance(seconds=6 * 60)
    assert failed_ids(orders.invoke(early_event)) == set()
    assert len(orders.runs()) == 1
