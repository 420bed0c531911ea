"""The upsert on the run's branch, published: keys that move, replays, object versions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.glue.pipeline_env import SAMPLES, PipelineEnv

HEADER = "order_id,customer_id,status,amount,currency,created_at,last_modified\n"


def orders_csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def staged_run(
    env: PipelineEnv,
    files: dict[str, bytes | Path],
    batch_id: str,
    arrived_at: datetime | None = None,
) -> str:
    """transform and validate done, the run's rows on its branch; publish still to run.
    ``arrived_at``: the manifest's arrival time of the files (else S3's LastModified)."""
    entries = [env.put_raw("orders", name, body) for name, body in files.items()]
    if arrived_at is not None:
        for entry in entries:
            entry["arrived_at"] = arrived_at.isoformat().replace("+00:00", "Z")
    manifest = env.put_manifest("orders", entries, batch_id)
    run_id = env.start_workflow_run("orders", manifest, batch_id)
    env.run("transform", "orders", run_id)
    env.run("validate", "orders", run_id)
    return run_id


def row(env: PipelineEnv, order_id: str) -> list[tuple[Any, ...]]:
    return [r for r in env.curated("orders") if r[0] == order_id]


def test_a_key_that_changes_partition_ends_as_one_row(env: PipelineEnv) -> None:
    # GIVEN O-1 published in the day of its created_at, 2026-11-20
    first = orders_csv("O-1,C-1,new,10.00,EUR,2026-11-20T08:00:00Z,2026-11-20T08:00:00Z")
    env.run("publish", "orders", staged_run(env, {"a.csv": first}, "b1"))

    # WHEN a newer version of O-1 says it was created a day later
    moved = orders_csv("O-1,C-1,paid,10.00,EUR,2026-11-21T08:00:00Z,2026-11-21T09:00:00Z")
    name = "late b+1 100%.csv"  # Spark reports the path URL-encoded; lineage must not care
    arrived = datetime(2026, 11, 21, 9, 30, 5, tzinfo=UTC)
    summary = env.run("publish", "orders", staged_run(env, {name: moved}, "b2", arrived))

    # THEN one O-1 remains, in the later day, counted as an update, from the later file
    assert [(r[2], r[-1]) for r in row(env, "O-1")] == [("paid", "2026-11-21")]
    snapshot = summary.details["snapshot"]
    assert (snapshot["rows_added"], snapshot["rows_updated"]) == (0, 1)
    frame = env.curated_frame("orders")
    assert frame is not None
    [lineage] = frame.select("_source_uri", "_source_version", "_ingested_at").collect()
    assert lineage["_source_uri"].endswith(f"/orders/{name}")
    assert lineage["_source_version"]  # the raw bucket is versioned
    # ingested-at is the arrival the manifest records (the tests' TZ is UTC)
    assert lineage["_ingested_at"] == arrived.replace(tzinfo=None)


def test_replaying_an_older_batch_keeps_the_newest_values(env: PipelineEnv) -> None:
    # GIVEN the newer export published first, then the older one (a late delivery)
    newer = {"n.csv": SAMPLES / "orders" / "orders-2026-11-21.csv"}
    older = {"o.csv": SAMPLES / "orders" / "orders-2026-11-20.csv"}
    env.run("publish", "orders", staged_run(env, newer, "b1"))
    env.run("publish", "orders", staged_run(env, older, "b2"))
    after_both, main = env.curated("orders"), env.main_snapshot_id("orders")

    # WHEN the older batch is replayed from its manifest (the same object versions), a new run
    config = env.config("orders")
    manifest = f"s3://{config.buckets.artifacts}/{config.prefixes.manifests}b2.json"
    run_id = env.start_workflow_run("orders", manifest, "b2-replay")
    summaries = env.run_pipeline("orders", run_id)

    # THEN O-1001 keeps its newer status, every key is there once, and nothing changed: no row
    # was newer, so main keeps its snapshot
    assert [r[2] for r in row(env, "O-1001")] == ["paid"]
    keys = [r[0] for r in after_both]
    assert len(keys) == len(set(keys)) == 12
    assert env.curated("orders") == after_both
    assert summaries[-1].details["snapshot"] is None
    assert env.main_snapshot_id("orders") == main


def test_without_a_primary_key_a_replayed_object_version_is_not_appended_twice(
    env: PipelineEnv,
) -> None:
    # GIVEN the events pipeline without a primary key (no unique_key rule either)
    config = env.configs["events"]
    config["primary_key"], config["order_by"] = [], None
    config["validation"] = [
        r for r in config["validation"] if r["rule"] not in ("unique_key", "duplicate_keys")
    ]
    sample = SAMPLES / "events" / "app-events-2026-11-21.jsonl.gz"
    entry = env.put_raw("events", "e.jsonl.gz", sample)
    runs = [
        env.start_workflow_run("events", env.put_manifest("events", [entry], f"b{i}"), f"b{i}")
        for i in (1, 2)
    ]

    # WHEN the same object version is published by two runs
    for run_id in runs:
        env.run_pipeline("events", run_id)

    # THEN its rows are in the table once (the sample has 25 lines, e-0004 twice)
    assert len(env.curated("events")) == 25
