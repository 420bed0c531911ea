"""Write-audit-publish on the run's branch: a failed validation, commits landing between the
branch write and the fast-forward, crashes of publish and its retries, and the guards."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from pyspark.sql import SparkSession

from gluekit_glue import branches
from gluekit_glue.branches import BranchState, run_branch
from gluekit_glue.iceberg import CuratedTable
from gluekit_glue.jobs import publish
from gluekit_glue.jobs.common import JobFailed, ValidationFailed
from gluekit_glue.merge import MERGE_ATTEMPTS, MergeLostRaces, merge_with_retry
from tests.glue.pipeline_env import SAMPLES, PipelineEnv
from tests.glue.test_iceberg_publish import orders_csv, staged_run

DAY_1 = SAMPLES / "orders" / "orders-2026-11-20.csv"  # 8 orders
DAY_2 = SAMPLES / "orders" / "orders-2026-11-21.csv"  # 6 orders, 2 of them updates of day 1


@pytest.fixture
def day_one(env: PipelineEnv) -> PipelineEnv:
    env.run("publish", "orders", staged_run(env, {"a.csv": DAY_1}, "b0"))
    return env


def parent_of(env: PipelineEnv, snapshot_id: int | None) -> int | None:
    table = env.curated_table("orders").name
    [row] = env.spark.sql(
        f"SELECT parent_id FROM {table}.snapshots WHERE snapshot_id = {snapshot_id}"
    ).collect()
    return row["parent_id"]


def test_a_failing_validation_leaves_main_unchanged_and_keeps_the_branch(
    day_one: PipelineEnv,
) -> None:
    env = day_one
    main, rows = env.main_snapshot_id("orders"), env.curated("orders")

    # WHEN a run with a status outside the accepted values is transformed and validated
    bad = orders_csv(
        "O-1001,C-001,refunded,19.99,EUR,2026-11-20T08:15:00Z,2026-11-22T01:00:00Z",
        "O-3001,C-010,new,5.00,EUR,2026-11-21T10:00:00Z,2026-11-21T10:00:00Z",
    )
    run_id = env.batch("orders", {"bad.csv": bad}, "b1")
    env.run("transform", "orders", run_id)
    with pytest.raises(ValidationFailed) as failure:
        env.run("validate", "orders", run_id)

    # THEN main keeps its snapshot and its rows
    assert env.main_snapshot_id("orders") == main
    assert env.curated("orders") == rows
    # AND the branch holds the table as it would have been, the run's rows marked by lineage
    branch = run_branch(run_id)
    table = env.curated_table("orders").name
    on_branch = env.spark.sql(
        f"SELECT order_id, status FROM {table} VERSION AS OF '{branch}' "
        f"WHERE _run_id = '{run_id}' ORDER BY order_id"
    ).collect()
    assert [tuple(r) for r in on_branch] == [("O-1001", "refunded"), ("O-3001", "new")]
    # AND the error (the alert's text) and the report name the branch and how to query it
    report = env.get_json(env.config("orders").report_uri(run_id))
    query = f"gluekit local query orders --version {branch} "
    assert report["branch"]["name"] == branch
    assert report["branch"]["query"]["local"].startswith(query)
    assert f"branch {branch} of gluekit_dev.orders" in str(failure.value)
    assert query in str(failure.value)
    # AND publish refuses the run
    with pytest.raises(JobFailed, match=r"failed .* not publishing"):
        env.run("publish", "orders", run_id)
    assert env.main_snapshot_id("orders") == main


def test_a_compaction_between_the_branch_write_and_publish_loses_no_row(
    day_one: PipelineEnv,
) -> None:
    env = day_one
    # GIVEN day 2 published too (day 1 then has a delete file), and an update on its branch
    env.run("publish", "orders", staged_run(env, {"b.csv": DAY_2}, "b1"))
    update = orders_csv("O-1002,C-002,shipped,250.00,EUR,2026-11-20T09:02:11Z,2026-11-22T01:00:00Z")
    run_id = staged_run(env, {"u.csv": update}, "b2")
    cut_from = env.main_snapshot_id("orders")

    # WHEN a compaction commits before the publish
    env.run("compact", "orders", "compact-1", workflow=False)
    compacted = env.main_snapshot_id("orders")
    assert compacted != cut_from  # it rewrote files: main moved
    summary = env.run("publish", "orders", run_id)

    # THEN the run was re-applied on the compacted main, and no row was lost
    statuses = {r[0]: r[2] for r in env.curated("orders")}
    assert len(statuses) == 12
    assert statuses["O-1002"] == "shipped"
    assert summary.details["rebases"] == 1
    assert parent_of(env, env.main_snapshot_id("orders")) == compacted


def test_a_second_publish_between_the_branch_write_and_publish_loses_no_row(
    day_one: PipelineEnv,
) -> None:
    env = day_one
    first = orders_csv("O-1003,C-003,cancelled,5.50,USD,2026-11-20T10:30:45Z,2026-11-22T01:00:00Z")
    second = orders_csv(
        "O-1004,C-001,cancelled,99.00,EUR,2026-11-20T11:00:00Z,2026-11-22T02:00:00Z",
        "O-2001,C-009,new,1.00,EUR,2026-11-20T12:00:00Z,2026-11-22T02:00:00Z",
    )
    # GIVEN two runs on their branches, both cut from the same main
    waiting = staged_run(env, {"first.csv": first}, "b1")
    other = staged_run(env, {"second.csv": second}, "b2")

    # WHEN the later one is published first, then the earlier one
    env.run("publish", "orders", other)
    after_other = env.main_snapshot_id("orders")
    summary = env.run("publish", "orders", waiting)

    # THEN both runs' rows are there, the second publish built on the first
    statuses = {r[0]: r[2] for r in env.curated("orders")}
    assert len(statuses) == 9
    assert (statuses["O-1003"], statuses["O-1004"], statuses["O-2001"]) == (
        "cancelled",
        "cancelled",
        "new",
    )
    assert summary.details["rebases"] == 1
    assert parent_of(env, env.main_snapshot_id("orders")) == after_other


def test_a_run_that_fails_a_rule_once_reapplied_on_the_new_main_is_not_published(
    day_one: PipelineEnv,
) -> None:
    env = day_one
    run_id = staged_run(env, {"b.csv": DAY_2}, "b1")
    # GIVEN a write that bypassed the kit repeats a key on main after the branch was cut
    table = env.curated_table("orders").name
    env.spark.sql(f"INSERT INTO {table} SELECT * FROM {table} WHERE order_id = 'O-1005'")
    bypassed = env.main_snapshot_id("orders")

    # WHEN the run is published: it is re-applied on that main and audited again
    with pytest.raises(ValidationFailed, match=r"re-applied on the current main .*unique_key"):
        env.run("publish", "orders", run_id)

    # THEN main is untouched and the re-applied state waits on a branch for inspection
    assert env.main_snapshot_id("orders") == bypassed
    assert run_branch(run_id) + "_rebased" in env.refs("orders")


def test_a_fast_forward_refused_because_main_just_moved_is_reapplied(
    env: PipelineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the pipeline's first run on its branch
    run_id = staged_run(env, {"b.csv": DAY_2}, "b1")
    branch, real = run_branch(run_id), branches.fast_forward

    def another_commit_first(
        spark: SparkSession, table: CuratedTable, name: str, properties: Any = None
    ) -> None:
        # Someone commits on main between publish's look at it and its fast-forward.
        monkeypatch.setattr(branches, "fast_forward", real)
        spark.sql(
            f"INSERT INTO {table.name} SELECT * FROM {table.name} VERSION AS OF '{branch}' "
            "WHERE order_id = 'O-1009'"
        )
        real(spark, table, name, properties)

    monkeypatch.setattr(branches, "fast_forward", another_commit_first)

    summary = env.run("publish", "orders", run_id)

    # THEN Iceberg refused that fast-forward, the run was re-applied, and O-1009 is there once
    rows = env.curated("orders")
    assert len(rows) == len({r[0] for r in rows}) == 6
    assert summary.details["rebases"] == 1


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("point", ["before_fast_forward", "after_fast_forward"])
def test_a_publish_that_crashed_and_ran_again_equals_one_clean_run(
    day_one: PipelineEnv, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    env = day_one
    run_id = staged_run(env, {"b.csv": DAY_2}, "b1")

    # WHEN its publish crashes before the fast-forward, or after it (before the summary and
    # the metrics), and publish runs again
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise Crash(point)

    if point == "before_fast_forward":
        monkeypatch.setattr(branches, "fast_forward", crash)
    else:
        monkeypatch.setattr(publish, "put_metrics", crash)
    with pytest.raises(Crash):
        env.run("publish", "orders", run_id)
    monkeypatch.undo()
    main = env.main_snapshot_id("orders")
    summary = env.run("publish", "orders", run_id)

    # THEN the table is as if it had been published once, with no duplicate
    rows = env.curated("orders")
    assert len(rows) == len({r[0] for r in rows}) == 12
    assert [r[2] for r in rows if r[0] == "O-1001"] == ["paid"]
    assert run_branch(run_id) not in env.refs("orders")  # dropped once published
    if point == "after_fast_forward":
        # the retry found the branch's head in main's history: no commit
        assert summary.details["outcome"] == "already published"
        assert env.main_snapshot_id("orders") == main
        # AND once more, the branch gone: its summary says published, still no commit, and
        # the rows are not counted as published twice
        published_rows = env.metric("orders", "RowsPublished")
        again = env.run("publish", "orders", run_id)
        assert again.details["already_published"] is True
        assert env.main_snapshot_id("orders") == main
        assert env.curated("orders") == rows
        assert env.metric("orders", "RowsPublished") == published_rows
        assert again.rows_out == summary.rows_out > 0


def test_validate_and_publish_refuse_a_branch_that_is_not_the_validated_one(
    env: PipelineEnv,
) -> None:
    run_id = staged_run(env, {"b.csv": DAY_2}, "b1")
    table, branch = env.curated_table("orders").name, run_branch(run_id)

    # a branch gone before publish (dropped by hand, or expired) was never published: refuse
    env.spark.sql(f"ALTER TABLE {table} DROP BRANCH `{branch}`")
    with pytest.raises(JobFailed, match=r"is gone and run .* was never published"):
        env.run("publish", "orders", run_id)
    with pytest.raises(JobFailed, match=f"branch {branch} is gone, not at the snapshot"):
        env.run("validate", "orders", run_id)
    # transform wrote the branch again after the validation: it is not what was validated
    env.run("transform", "orders", run_id)
    with pytest.raises(JobFailed, match="transform wrote the run's branch again after it was"):
        env.run("publish", "orders", run_id)
    assert env.main_snapshot_id("orders") is None


def test_publish_gives_up_clearly_when_main_keeps_moving(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a main that has moved again each time publish looks (no Spark: the refs are faked)
    moves = iter(range(100, 200))
    monkeypatch.setattr(branches, "changes_nothing", lambda *_: False)
    monkeypatch.setattr(branches, "contains", lambda *_: False)
    monkeypatch.setattr(branches, "parent", lambda *_: 1)
    monkeypatch.setattr(
        branches, "head", lambda _s, _t, ref: next(moves) if ref == branches.MAIN else 2
    )
    rebased: list[int] = []
    monkeypatch.setattr(publish, "_rebase", lambda *args: rebased.append(1) or True)
    context: Any = SimpleNamespace(spark=None, run_id="r1")
    table = CuratedTable("c", "db", "orders", None)

    with pytest.raises(JobFailed, match=r"main moved 4 times .* nothing was published"):
        publish._make_current(context, table, BranchState("run_r1", 1, 2), {})
    assert len(rebased) == publish.PUBLISH_ATTEMPTS


def test_a_merge_that_keeps_losing_races_fails_clearly(spark: SparkSession) -> None:
    class Spark:
        calls = 0

        def sql(self, *_: Any, **__: Any) -> None:
            self.calls += 1
            raise RuntimeError("org.apache.iceberg.exceptions.ValidationException: conflict")

    fake = Spark()
    with pytest.raises(MergeLostRaces, match="lost 4 races with concurrent commits"):
        merge_with_retry(fake, "MERGE ...", spark.range(1))  # type: ignore[arg-type]
    assert fake.calls == MERGE_ATTEMPTS


def test_an_error_that_is_no_conflict_is_not_retried(spark: SparkSession) -> None:
    class Spark:
        calls = 0

        def sql(self, *_: Any, **__: Any) -> None:
            self.calls += 1
            raise RuntimeError("AnalysisException: cannot resolve column")

    fake = Spark()
    with pytest.raises(RuntimeError, match="cannot resolve"):
        merge_with_retry(fake, "MERGE ...", spark.range(1))  # type: ignore[arg-type]
    assert fake.calls == 1


def test_run_branch_names_are_sql_identifiers_and_never_shared() -> None:
    assert run_branch("wr_0a1b") == "run_wr_0a1b"
    assert run_branch("a-b") != run_branch("a_b")
    assert all(c.isalnum() or c == "_" for c in run_branch("x-y z/" * 40))
    assert len(run_branch("x" * 300)) <= branches.MAX_NAME
