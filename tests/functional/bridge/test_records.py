"""Messages the bridge does not act on: each is ignored or failed with a log line that says which
and why, while the good records of the same batch go through; and what the handler emits."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bridge import handler
from tests.events import load_event
from tests.functional.bridge.conftest import FOUNDATION, World, failed_ids, message_ids


def logged(caplog: pytest.LogCaptureFixture, **fields: Any) -> list[logging.LogRecord]:
    """The bridge's log records whose extra keys have these values."""
    return [
        r
        for r in caplog.records
        if r.name == "bridge" and all(getattr(r, k, None) == v for k, v in fields.items())
    ]


def emf_blob(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The one CloudWatch embedded-metric-format document the invocation printed."""
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [blob] = blobs
    return dict(blob)


def emf_counts(blob: dict[str, Any]) -> dict[str, float]:
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    return {m["Name"]: sum(blob[m["Name"]]) for m in directive["Metrics"]}


def object_created_for(
    world: World, key: str, bucket: str = FOUNDATION.raw_bucket
) -> dict[str, Any]:
    event = load_event("bridge/object_created")
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"]["key"] = key
    return event


IGNORED = {
    "glue event": (lambda w: load_event("bridge/glue_job_state_change"), "not_s3_event"),
    "object deleted": (lambda w: load_event("bridge/object_deleted"), "not_object_created"),
    "outside prefix": (
        lambda w: object_created_for(w, "events/app-events.jsonl.gz"),
        "outside_prefix",
    ),
    "other bucket": (
        lambda w: object_created_for(w, "orders/x.csv", bucket="somebody-elses-bucket"),
        "other_bucket",
    ),
    "folder placeholder": (
        lambda w: {
            **object_created_for(w, "orders/2026/"),
            "detail": {
                **object_created_for(w, "orders/2026/")["detail"],
                "object": {"key": "orders/2026/", "size": 0, "sequencer": "00673EF8AF1C3B4D2A"},
            },
        },
        "folder_placeholder",
    ),
}


@pytest.mark.parametrize("case", IGNORED.values(), ids=IGNORED.keys())
def test_message_the_bridge_does_not_act_on_is_ignored_with_a_log_line(
    orders: World,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    case: Any,
) -> None:
    build, why = case
    event = orders.sqs_event(build(orders))

    response = orders.invoke(event)

    assert failed_ids(response) == set()
    assert orders.runs() == [] and orders.claims() == [] and orders.quarantine_keys() == []
    [line] = logged(caplog, why=why)
    assert line.getMessage() == f"record ignored: {why}"
    assert line.message_id == message_ids(event)[0]  # type: ignore[attr-defined]
    assert line.detail  # type: ignore[attr-defined]
    assert emf_counts(emf_blob(capsys))["RecordsIgnored"] == 1


MALFORMED = {
    "not json": "this is not JSON {",
    "json but not an object": '"Object Created"',
    "object created without a key": json.dumps(
        {**load_event("bridge/object_created"), "detail": {"bucket": {"name": "b"}}}
    ),
    "object created without version or sequencer": json.dumps(
        {
            **load_event("bridge/object_created"),
            "detail": {
                "bucket": {"name": FOUNDATION.raw_bucket},
                "object": {"key": "orders/a.csv", "size": 10},
            },
        }
    ),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_message_fails_towards_the_dlq_with_a_log_line(
    orders: World, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    event = orders.sqs_event(body)

    response = orders.invoke(event)

    assert failed_ids(response) == set(message_ids(event))
    [line] = [r for r in logged(caplog) if r.levelno == logging.ERROR]
    assert line.getMessage().startswith("record failed: malformed message")
    assert line.message_id == message_ids(event)[0]  # type: ignore[attr-defined]
    assert line.why  # type: ignore[attr-defined]


def test_mixed_batch_good_records_go_through_and_only_the_malformed_one_fails(
    orders: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a batch of two good files, a bad one, a deletion, a stranger and garbage
    good_1 = orders.upload_sample("orders/orders-2026-11-20.csv")
    good_2 = orders.upload_sample("orders/orders-2026-11-21.csv")
    bad = orders.upload_sample("orders/bad/orders-wrong-header.csv")
    event = orders.sqs_event(
        orders.object_created(good_1),
        "garbage",
        load_event("bridge/object_deleted"),
        orders.object_created(bad),
        object_created_for(orders, "events/elsewhere.jsonl.gz"),
        orders.object_created(good_2),
    )

    response = orders.invoke(event)

    # THEN only the garbage fails; the good files share one run; the bad one is quarantined
    assert failed_ids(response) == {message_ids(event)[1]}
    assert orders.manifest_keys() == sorted([good_1.key, good_2.key])
    assert len(orders.quarantine_keys()) == 2
    # AND the invocation's counts go out as one EMF blob with the Pipeline dimension only
    blob = emf_blob(capsys)
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "gluekit"
    assert directive["Dimensions"] == [["Pipeline"]]
    assert blob["Pipeline"] == "orders"
    assert "service" not in blob
    assert emf_counts(blob) == {
        "ObjectsAccepted": 2,
        "ObjectsQuarantined": 1,
        "DuplicatesSkipped": 0,
        "RunsStarted": 1,
        "StartsRefused": 0,
        "StartFailures": 0,
        "MisroutedNotifications": 0,
        "RecordsIgnored": 2,
        "OldestPendingAgeSeconds": 0,
    }


def test_deleted_object_version_is_ignored_not_failed(orders: World) -> None:
    obj = orders.upload_sample("orders/orders-2026-11-20.csv")
    orders.s3.delete_object(
        Bucket=FOUNDATION.raw_bucket, Key=obj.key, VersionId=obj.version_id or ""
    )

    response = orders.deliver(obj)[1]

    assert failed_ids(response) == set()
    assert orders.runs() == [] and orders.claims() == []


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_event_of_unknown_shape_fails_the_invocation(orders: World) -> None:
    with pytest.raises(handler.UnsupportedEvent):
        orders.invoke({"hello": "world"})
