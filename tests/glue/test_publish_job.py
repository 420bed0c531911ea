"""Publish: refusing what it must not publish, and finding a resumed run's data."""

from __future__ import annotations

from typing import Any

import pytest

from gluekit_glue.aws import Aws
from gluekit_glue.jobs import publish
from gluekit_glue.jobs.common import JobFailed
from tests.glue.pipeline_env import SAMPLES, PipelineEnv


def test_first_transform_creates_the_iceberg_table_and_main_stays_empty_until_publish(
    env: PipelineEnv,
) -> None:
    # GIVEN no curated table yet (the stack creates none)
    run_id = env.batch("orders", {"a.csv": SAMPLES / "orders" / "orders-2026-11-21.csv"}, "b1")
    assert env.curated_frame("orders") is None

    # WHEN the first run is transformed and validated
    env.run("transform", "orders", run_id)
    env.run("validate", "orders", run_id)

    # THEN the table exists with the run's rows on its branch only, until publish
    assert env.curated("orders") == []
    env.run("publish", "orders", run_id)
    assert len(env.curated("orders")) == 6
    # an Iceberg v2 table holds the contract's columns and comments, then lineage
    table = env.curated_table("orders").name
    described = {r["col_name"]: r for r in env.spark.sql(f"DESCRIBE TABLE {table}").collect()}
    assert described["order_id"]["comment"] == "Shop order number"
    columns = env.spark.table(table).columns
    assert columns[-4:] == ["_source_uri", "_source_version", "_ingested_at", "_run_id"]
    properties = dict(
        (r["key"], r["value"]) for r in env.spark.sql(f"SHOW TBLPROPERTIES {table}").collect()
    )
    assert properties["format-version"] == "2"
    assert properties["commit.retry.num-retries"] == "10"
    assert properties["write.merge.mode"] == "merge-on-read"
    partitioning = [r["data_type"] for r in described.values() if r["col_name"].startswith("Part ")]
    assert partitioning == ["days(created_at)"]


def test_publish_refuses_a_run_that_was_never_validated(env: PipelineEnv) -> None:
    run_id = env.batch("orders", {"a.csv": SAMPLES / "orders" / "orders-2026-11-21.csv"}, "b1")
    env.run("transform", "orders", run_id)

    with pytest.raises(JobFailed, match=r"no validation report .* run validate"):
        env.run("publish", "orders", run_id)

    assert env.curated("orders") == []


class ResumedGlue:
    """moto's Glue, except that one run reads as resumed from another (moto has no
    ResumeWorkflowRun): get_workflow_run reports PreviousRunId as Glue does."""

    def __init__(self, glue: Any, resumed: str, previous: str) -> None:
        self._glue, self._resumed, self._previous = glue, resumed, previous

    def get_workflow_run(self, **kwargs: Any) -> dict[str, Any]:
        response: dict[str, Any] = self._glue.get_workflow_run(**kwargs)
        if kwargs["RunId"] == self._resumed:
            response["Run"]["PreviousRunId"] = self._previous
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._glue, name)


def test_resumed_run_publishes_what_the_original_run_staged(env: PipelineEnv) -> None:
    # GIVEN a run whose publish failed (the table was missing), resumed at publish with a new id
    original = env.batch("orders", {"a.csv": SAMPLES / "orders" / "orders-2026-11-21.csv"}, "b1")
    env.run("transform", "orders", original)
    env.run("validate", "orders", original)
    resumed = str(env.glue.start_workflow_run(Name=env.workflow("orders"))["RunId"])
    aws = Aws()
    aws.glue = ResumedGlue(aws.glue, resumed, original)

    # WHEN the resumed run's publish runs
    summary = publish.run(env.spark, env.options("orders", "publish", resumed), aws=aws)

    # THEN it publishes the original run's staged data and reports on the resumed run
    assert summary.run_id == original
    assert len(env.curated("orders")) == 6
    assert "published_at" in env.run_properties("orders", resumed)


@pytest.mark.parametrize(
    ("message", "moved"),
    [
        ("IllegalArgumentException: Cannot fast-forward: main is not an ancestor of run_b2", True),
        ("iceberg.exceptions.CommitFailedException: Table metadata refresh is required", True),
        ("org.apache.iceberg.exceptions.CommitStateUnknownException: Service unavailable", False),
        ("AccessDeniedException: not authorized to perform glue:UpdateTable", False),
    ],
)
def test_only_a_main_that_moved_makes_publish_try_again(message: str, moved: bool) -> None:
    # A commit conflict (another commit won between the load and the commit) is main moving; a
    # commit whose outcome is unknown may have happened, and is never retried blindly.
    assert publish._main_moved(RuntimeError(message)) is moved
