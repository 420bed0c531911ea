"""Publish as one Iceberg MERGE: keys that move, replays, concurrent commits, crashes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.jobs import publish
from gluekit_glue.jobs.common import JobFailed
from tests.glue.pipeline_env import SAMPLES, PipelineEnv

HEADER = "order_id,customer_id,status,amount,currency,created_at,last_modified\n"


def orders_csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def staged_run(env: PipelineEnv, files: dict[str, bytes | Path], batch_id: str) -> str:
    """transform and validate done; publish still to run."""
    run_id = env.batch("orders", files, batch_id)
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
    summary = env.run("publish", "orders", staged_run(env, {name: moved}, "b2"))

    # THEN one O-1 remains, in the later day, counted as an update, from the later file
    assert [(r[2], r[-1]) for r in row(env, "O-1")] == [("paid", "2026-11-21")]
    snapshot = summary.details["snapshot"]
    assert (snapshot["rows_added"], snapshot["rows_updated"]) == (0, 1)
    frame = env.curated_frame("orders")
    assert frame is not None
    [lineage] = frame.select("_source_uri", "_source_version").collect()
    assert lineage["_source_uri"].endswith(f"/orders/{name}")
    assert lineage["_source_version"]  # the raw bucket is versioned


def test_replaying_an_older_batch_keeps_the_newest_values(env: PipelineEnv) -> None:
    # GIVEN the newer export published first, then the older one (a late replay)
    newer = {"n.csv": SAMPLES / "orders" / "orders-2026-11-21.csv"}
    older = {"o.csv": SAMPLES / "orders" / "orders-2026-11-20.csv"}
    env.run("publish", "orders", staged_run(env, newer, "b1"))
    env.run("publish", "orders", staged_run(env, older, "b2"))
    after_both = env.curated("orders")

    # WHEN the older export is replayed once more, as a new run
    summary = env.run("publish", "orders", staged_run(env, older, "b3"))

    # THEN O-1001 keeps its newer status, every key is there once, and nothing changed
    assert [r[2] for r in row(env, "O-1001")] == ["paid"]
    keys = [r[0] for r in after_both]
    assert len(keys) == len(set(keys)) == 12
    assert env.curated("orders") == after_both
    assert summary.details["snapshot"] is None or summary.details["snapshot"]["rows_added"] == 0


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


# ---------------------------------------------------------------------------- interleavings
class Pause:
    """Holds one run's MERGE between its read of the table and its commit.

    The MERGE's source goes through a Python filter that, for the chosen run, signals `reached`
    and waits for `release` (files: it runs in Spark's Python worker). Spark has pinned the
    table's snapshot by then, so a commit made while it waits is one the MERGE never read.
    """

    def __init__(self, folder: Path, run_id: str) -> None:
        self.reached, self.release = folder / "reached", folder / "release"
        self.run_id = run_id

    def source(self, original: Any) -> Any:
        reached, release, paused_run = str(self.reached), str(self.release), self.run_id

        def wait(_: object) -> bool:
            import os
            import time as clock

            if os.path.exists(release):
                return True
            open(reached, "a").close()
            for _attempt in range(1200):  # at most a minute: a broken test must not hang
                if os.path.exists(release):
                    break
                clock.sleep(0.05)
            return True

        gate = F.udf(wait, "boolean").asNondeterministic()

        def source(staged: DataFrame, config: Any, run_id: str) -> DataFrame:
            frame = original(staged, config, run_id)
            return frame.filter(gate(F.col("order_id"))) if run_id == paused_run else frame

        return source

    def wait_until_reached(self) -> None:
        for _ in range(1200):
            if self.reached.exists():
                return
            time.sleep(0.05)
        raise AssertionError("the MERGE never reached its pause")


@pytest.fixture
def published(env: PipelineEnv) -> Iterator[PipelineEnv]:
    """Both sample exports published by a run each: 12 orders over two days, the first day in
    several files and a delete file (the second export updates two of its orders)."""
    for index, name in enumerate(("orders-2026-11-20.csv", "orders-2026-11-21.csv")):
        files: dict[str, bytes | Path] = {name: SAMPLES / "orders" / name}
        env.run("publish", "orders", staged_run(env, files, f"b0-{index}"))
    yield env


def publish_paused(
    env: PipelineEnv, run_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, between: Any
) -> Any:
    """Publish ``run_id``, running ``between()`` while its MERGE waits to commit."""
    pause = Pause(tmp_path, run_id)
    monkeypatch.setattr(publish, "merge_source", pause.source(publish.merge_source))
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["summary"] = env.run("publish", "orders", run_id)
        except Exception as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    try:
        pause.wait_until_reached()
        between()
    finally:
        pause.release.touch()
        worker.join(timeout=300)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["summary"]


def test_a_compaction_committed_during_a_publish_loses_no_row(
    published: PipelineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = published
    update = orders_csv("O-1002,C-002,shipped,250.00,EUR,2026-11-20T09:02:11Z,2026-11-22T01:00:00Z")
    run_id = staged_run(env, {"u.csv": update}, "b1")

    def compact() -> None:
        env.run("compact", "orders", "compact-1", workflow=False)

    summary = publish_paused(env, run_id, tmp_path, monkeypatch, compact)

    rows = env.curated("orders")
    assert len(rows) == 12
    assert [r[2] for r in rows if r[0] == "O-1002"] == ["shipped"]
    # the compaction rewrote the files the MERGE had read: its first commit conflicted
    assert summary.details["merge_attempts"] == 2


def test_a_second_publish_committed_during_a_publish_loses_no_row(
    published: PipelineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = published
    first = orders_csv("O-1003,C-003,cancelled,5.00,EUR,2026-11-20T10:00:00Z,2026-11-22T01:00:00Z")
    second = orders_csv(
        "O-1004,C-004,cancelled,7.50,EUR,2026-11-20T11:00:00Z,2026-11-22T02:00:00Z",
        "O-2001,C-009,new,1.00,EUR,2026-11-20T12:00:00Z,2026-11-22T02:00:00Z",
    )
    paused_run = staged_run(env, {"first.csv": first}, "b1")
    other_run = staged_run(env, {"second.csv": second}, "b2")

    def other_publish() -> None:
        env.run("publish", "orders", other_run)

    publish_paused(env, paused_run, tmp_path, monkeypatch, other_publish)

    statuses = {r[0]: r[2] for r in env.curated("orders")}
    assert len(statuses) == 13
    assert (statuses["O-1003"], statuses["O-1004"], statuses["O-2001"]) == (
        "cancelled",
        "cancelled",
        "new",
    )


# --------------------------------------------------------------------------------- crashes
class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("point", ["before_merge", "after_commit"])
def test_a_publish_that_crashed_and_ran_again_equals_one_clean_run(
    env: PipelineEnv, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    # GIVEN one export published cleanly, and a run of the other staged
    env.run(
        "publish",
        "orders",
        staged_run(env, {"a.csv": SAMPLES / "orders" / "orders-2026-11-20.csv"}, "b1"),
    )
    run_id = staged_run(env, {"b.csv": SAMPLES / "orders" / "orders-2026-11-21.csv"}, "b2")

    # WHEN its publish crashes (before the MERGE, or after it committed) and is run again
    real_merge, real_metrics = publish.merge_with_retry, publish.put_metrics

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise Crash(point)

    if point == "before_merge":
        monkeypatch.setattr(publish, "merge_with_retry", crash)
    else:
        monkeypatch.setattr(publish, "put_metrics", crash)
    with pytest.raises(Crash):
        env.run("publish", "orders", run_id)
    monkeypatch.setattr(publish, "merge_with_retry", real_merge)
    monkeypatch.setattr(publish, "put_metrics", real_metrics)
    env.run("publish", "orders", run_id)

    # THEN the table is as if it had been published once, with no duplicate
    rows = env.curated("orders")
    assert len(rows) == len({r[0] for r in rows}) == 12
    assert [r[2] for r in rows if r[0] == "O-1001"] == ["paid"]


def test_a_merge_that_keeps_losing_races_fails_clearly(spark: SparkSession) -> None:
    class Spark:
        calls = 0

        def sql(self, *_: Any, **__: Any) -> None:
            self.calls += 1
            raise RuntimeError("org.apache.iceberg.exceptions.ValidationException: conflict")

    fake = Spark()
    with pytest.raises(JobFailed, match="lost 4 races with concurrent commits"):
        publish.merge_with_retry(fake, "MERGE ...", spark.range(1))  # type: ignore[arg-type]
    assert fake.calls == publish.MERGE_ATTEMPTS


def test_an_error_that_is_no_conflict_is_not_retried(spark: SparkSession) -> None:
    class Spark:
        calls = 0

        def sql(self, *_: Any, **__: Any) -> None:
            self.calls += 1
            raise RuntimeError("AnalysisException: cannot resolve column")

    fake = Spark()
    with pytest.raises(RuntimeError, match="cannot resolve"):
        publish.merge_with_retry(fake, "MERGE ...", spark.range(1))  # type: ignore[arg-type]
    assert fake.calls == 1
