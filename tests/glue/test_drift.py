"""Source drift: columns and keys the contract does not know are reported with their files, and
source.on_unknown_columns decides whether they load, go to quarantine or fail the run."""

from __future__ import annotations

import json

import pytest

from gluekit_glue.jobs.common import JobFailed
from tests.glue.pipeline_env import FOUNDATION, SAMPLES, PipelineEnv, gz

ORDERS = SAMPLES / "orders" / "orders-2026-11-20.csv"


def with_coupon(csv: bytes) -> bytes:
    """The orders sample with one more column at the end, as an upstream export might add."""
    lines = csv.decode().splitlines()
    return "\n".join([lines[0] + ",coupon"] + [line + ",SAVE10" for line in lines[1:]]).encode()


def event(**extra: object) -> str:
    record = {
        "id": "e-1",
        "userId": 1,
        "type": "view",
        "durationMs": 5,
        "ts": "2026-11-21T01:00:00Z",
    }
    return json.dumps({**record, **extra})


def test_extra_csv_column_warns_names_it_and_its_file_and_loads_every_row(
    env: PipelineEnv,
) -> None:
    # GIVEN one file as the contract says and one with an extra column (default policy: warn)
    run_id = env.batch(
        "orders", {"plain.csv": ORDERS, "coupon.csv": with_coupon(ORDERS.read_bytes())}, "b1"
    )

    # WHEN transform runs
    summary = env.run("transform", "orders", run_id)

    # THEN nothing is quarantined, the known columns load, and the drift is reported
    assert summary.files_rejected == []
    assert summary.rows_rejected == 0 and summary.rows_out > 0
    [drift] = summary.details["unknown_columns"]
    assert drift["column"] == "coupon"
    assert drift["files"] == [f"s3://{FOUNDATION.raw_bucket}/orders/coupon.csv"]
    assert env.metric("orders", "UnknownColumns") == 1


def test_extra_csv_column_quarantines_the_file_when_the_spec_says_so(env: PipelineEnv) -> None:
    env.configs["orders"]["source"]["on_unknown_columns"] = "quarantine"
    run_id = env.batch(
        "orders", {"plain.csv": ORDERS, "coupon.csv": with_coupon(ORDERS.read_bytes())}, "b1"
    )

    summary = env.run("transform", "orders", run_id)

    [rejected] = summary.files_rejected
    assert rejected.uri.endswith("/orders/coupon.csv")
    assert "columns not in the contract: ['coupon']" in rejected.reason
    assert summary.rows_out > 0  # the plain file still lands


def test_json_key_outside_the_contract_fails_the_run_when_the_spec_says_so(
    env: PipelineEnv,
) -> None:
    # GIVEN a JSON file whose second record carries a key the contract does not know
    env.configs["events"]["source"]["on_unknown_columns"] = "fail"
    body = gz(f"{event()}\n{event(id='e-2', campaign='x')}\n".encode())
    run_id = env.batch("events", {"a.jsonl.gz": body}, "nightly")

    # WHEN transform runs THEN it fails naming the key and the file, and stages nothing
    with pytest.raises(JobFailed, match=r"'campaign' \(in s3://.*/events/a\.jsonl\.gz\)"):
        env.run("transform", "events", run_id)
    saved = env.get_json(env.config("events").summary_uri(run_id, "transform"))
    assert saved["details"]["unknown_columns"][0]["column"] == "campaign"
    assert env.staged("events", run_id) == []


def test_json_keys_outside_the_contract_are_reported_not_dropped_silently(
    env: PipelineEnv,
) -> None:
    body = gz(f"{event(campaign='x')}\n{event(id='e-2', device='ios')}\n".encode())
    run_id = env.batch("events", {"a.jsonl.gz": body, "b.jsonl.gz": gz(event().encode())}, "n")

    summary = env.run("transform", "events", run_id)

    assert summary.rows_out == 2  # e-1 twice, with the same contract values
    columns = {d["column"]: d["files"] for d in summary.details["unknown_columns"]}
    assert list(columns) == ["campaign", "device"]
    assert all(
        files == [f"s3://{FOUNDATION.raw_bucket}/events/a.jsonl.gz"] for files in columns.values()
    )
