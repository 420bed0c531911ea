"""Transform runs that must fail loudly, recover, or read exactly the manifest's versions."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gluekit_glue.arguments import resolve_options
from gluekit_glue.contract import parquet_read_schema
from gluekit_glue.jobs import transform
from gluekit_glue.jobs.common import JobFailed, ValidationFailed
from tests.glue.pipeline_env import FOUNDATION, SAMPLES, PipelineEnv

EVENTS_SAMPLE = SAMPLES / "events" / "app-events-2026-11-21.jsonl.gz"


def big_truncated_gzip() -> bytes:
    """JSON lines well past the 64 KiB pre-flight probe, cut in the middle of the stream."""
    rng = random.Random(7)
    lines = [
        json.dumps(
            {
                "id": f"x-{i}",
                "userId": i,
                "type": "view",
                "durationMs": 1,
                "ts": "2026-11-21T01:00:00Z",
                "pad": f"{rng.getrandbits(128):032x}",
            }
        )
        for i in range(6000)
    ]
    whole = gzip.compress("\n".join(lines).encode(), mtime=0)
    assert len(whole) // 2 > 65536  # past the pre-flight's reach: Spark meets the cut
    return whole[: len(whole) // 2]


def test_truncated_gzip_is_found_by_probing_each_file_and_quarantined(env: PipelineEnv) -> None:
    # GIVEN a good events file and a gzip cut short, too big for the pre-flight to notice
    run_id = env.batch(
        "events",
        {"good.jsonl.gz": EVENTS_SAMPLE, "cut.jsonl.gz": big_truncated_gzip()},
        "nightly",
    )

    # WHEN transform runs: Spark's read fails on the cut file
    summary = env.run("transform", "events", run_id)

    # THEN only the cut file is quarantined, with Spark's reason, and the good one is staged
    [rejected] = summary.files_rejected
    assert rejected.uri.endswith("/events/cut.jsonl.gz")
    assert rejected.reason.startswith("unreadable file: java.io.EOFException")
    assert summary.rows_out == 24
    assert len(env.staged("events", run_id)) == 24
    reason_key = f"events/files/{run_id}/events/cut.jsonl.gz.reason.json"
    assert reason_key in env.keys(FOUNDATION.quarantine_bucket)


def test_manifest_naming_a_missing_object_fails_the_job_naming_it(env: PipelineEnv) -> None:
    good = env.put_raw("orders", "a.csv", SAMPLES / "orders" / "orders-2026-11-20.csv")
    missing = {**good, "key": "orders/gone.csv", "uri": "", "version_id": None}
    run_id = env.start_workflow_run(
        "orders", env.put_manifest("orders", [good, missing], "b1"), "b1"
    )

    with pytest.raises(JobFailed, match=f"s3://{FOUNDATION.raw_bucket}/orders/gone.csv"):
        env.run("transform", "orders", run_id)

    summary = env.get_json(env.config("orders").summary_uri(run_id, "transform"))
    assert summary["status"] == "failed"
    assert "do not exist" in summary["error"]
    assert env.staged("orders", run_id) == []


def test_missing_manifest_property_tells_how_to_pass_one(env: PipelineEnv) -> None:
    run_id = str(env.glue.start_workflow_run(Name=env.workflow("orders"))["RunId"])

    with pytest.raises(JobFailed, match="pass --manifest"):
        env.run("transform", "orders", run_id)


def test_every_file_rejected_gives_an_empty_staged_output_that_validate_reports(
    env: PipelineEnv,
) -> None:
    run_id = env.batch(
        "orders",
        {
            "empty.csv": b"",
            "wrong.csv": SAMPLES / "orders" / "bad" / "orders-wrong-header.csv",
        },
        "b1",
    )

    summary = env.run("transform", "orders", run_id)

    assert (summary.rows_in, summary.rows_out, len(summary.files_rejected)) == (0, 0, 2)
    assert env.local(env.config("orders").staged_uri(run_id)).is_dir()
    with pytest.raises(ValidationFailed, match="row_count"):
        env.run("validate", "orders", run_id)
    report = env.get_json(env.config("orders").report_uri(run_id))
    assert report["rows"] == 0


def test_manifest_version_is_read_even_after_the_key_was_overwritten(env: PipelineEnv) -> None:
    # GIVEN the bridge accepted version 1 of a key, which was then overwritten
    first = env.put_raw("orders", "export.csv", SAMPLES / "orders" / "orders-2026-11-20.csv")
    env.put_raw("orders", "export.csv", SAMPLES / "orders" / "orders-2026-11-21.csv")
    run_id = env.start_workflow_run("orders", env.put_manifest("orders", [first], "b1"), "b1")

    summary = env.run("transform", "orders", run_id)

    # THEN the staged rows are version 1's
    assert summary.rows_out == 8
    assert [row[0] for row in env.staged("orders", run_id)] == [f"O-100{i}" for i in range(1, 9)]


def test_manifest_version_is_read_even_after_the_key_was_deleted(env: PipelineEnv) -> None:
    # GIVEN the bridge accepted a file, which was then deleted (a delete marker is now latest)
    entry = env.put_raw("orders", "gone.csv", SAMPLES / "orders" / "orders-2026-11-21.csv")
    env.s3.delete_object(Bucket=entry["bucket"], Key=entry["key"])
    run_id = env.start_workflow_run(
        "orders", env.put_manifest("orders", [entry], "b-gone"), "b-gone"
    )

    summary = env.run("transform", "orders", run_id)

    # THEN the version in the manifest still exists, and its rows are staged
    assert summary.rows_out == 6


def test_manual_run_takes_manifest_and_run_id_without_a_workflow(env: PipelineEnv) -> None:
    entry = env.put_raw("orders", "a.csv", SAMPLES / "orders" / "orders-2026-11-21.csv")
    manifest = env.put_manifest("orders", [entry], "manual")
    argv = env.argv(
        "orders", "transform", "x", "--manifest", manifest, "--run_id", "manual-7", workflow=False
    )

    summary = transform.run(env.spark, resolve_options(argv))

    assert summary.run_id == "manual-7"
    assert summary.rows_out == 6
    assert len(env.staged("orders", "manual-7")) == 6


def test_parquet_source_is_read_with_the_contract_schema(env: PipelineEnv) -> None:
    # GIVEN a pipeline whose source is Parquet, and a file with one row lacking a required value
    env.configs["orders"]["source"].update(format="parquet", compression="none")
    config = env.config("orders")
    at = datetime(2026, 11, 21, 10, tzinfo=UTC)
    rows = [
        ("O-1", "C-1", "new", Decimal("1.50"), "EUR", at, at),
        ("O-2", None, "new", Decimal("2.00"), "EUR", at, at),
    ]
    folder = env.root / "parquet-source"
    env.spark.createDataFrame(rows, parquet_read_schema(config)).coalesce(1).write.parquet(
        f"file://{folder}"
    )
    [part] = folder.glob("part-*.parquet")
    run_id = env.batch("orders", {"export.parquet": part}, "b1")

    summary = env.run("transform", "orders", run_id)

    assert (summary.rows_in, summary.rows_out, summary.rows_rejected) == (2, 1, 1)
    assert env.staged("orders", run_id)[0][:4] == ("O-1", "C-1", "new", Decimal("1.50"))
    [reject] = env.row_rejects("orders", run_id)
    assert reject["reason"] == "column 'customer_id' is empty but required (nullable: false)"
