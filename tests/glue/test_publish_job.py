"""Publish: refusing what it must not publish, and finding a resumed run's data."""

from __future__ import annotations

from typing import Any

import pytest

from gluekit_glue.aws import Aws
from gluekit_glue.jobs import publish
from gluekit_glue.jobs.common import JobFailed
from tests.glue.pipeline_env import SAMPLES, PipelineEnv


def test_publish_fails_clearly_when_the_catalog_table_is_missing(env: PipelineEnv) -> None:
    run_id = env.batch("orders", {"a.csv": SAMPLES / "orders" / "orders-2026-11-21.csv"}, "b1")
    env.run("transform", "orders", run_id)
    env.run("validate", "orders", run_id)
    env.glue.delete_table(DatabaseName="gluekit_dev", Name="orders")

    with pytest.raises(JobFailed, match=r"table gluekit_dev\.orders does not exist"):
        env.run("publish", "orders", run_id)

    assert env.curated("orders") == []


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
