"""Session set-up: a shared local session, or GlueContext and awsglue's Job on Glue."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import pytest
from pyspark.sql import SparkSession

from gluekit_glue.arguments import resolve_options
from gluekit_glue.session import start_session
from tests.glue.pipeline_env import rendered_configs

ARGV = [
    "job.py",
    "--JOB_NAME",
    "gluekit-dev-orders-transform",
    "--JOB_RUN_ID",
    "jr_1",
    "--gluekit_config",
    json.dumps(rendered_configs()["orders"]),
]


def test_local_run_shares_the_running_session_and_sets_utc(spark: SparkSession) -> None:
    session = start_session(resolve_options([*ARGV, "--gluekit_local_root", "/tmp/x"]))

    session.commit()

    assert session.spark is spark
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert session.glue_job is None


def test_glue_run_initialises_and_commits_awsglue_job(
    spark: SparkSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN awsglue's GlueContext and Job, which need Glue's JVM classes, replaced by fakes
    calls: list[Any] = []

    class FakeGlueContext:
        def __init__(self, spark_context: Any) -> None:
            calls.append(("GlueContext", spark_context is spark.sparkContext))
            self.spark_session = spark

    class FakeJob:
        def __init__(self, glue_context: FakeGlueContext) -> None:
            self.glue_context = glue_context

        def init(self, name: str, args: dict[str, Any]) -> None:
            calls.append(("init", name, args["JOB_RUN_ID"]))

        def commit(self) -> None:
            calls.append(("commit",))

    monkeypatch.setitem(
        sys.modules, "awsglue.context", types.SimpleNamespace(GlueContext=FakeGlueContext)
    )
    monkeypatch.setitem(sys.modules, "awsglue.job", types.SimpleNamespace(Job=FakeJob))

    # WHEN a job starts without a local root, and commits
    session = start_session(resolve_options(ARGV))
    session.commit()

    # THEN the Glue job is initialised with its name and arguments, and committed
    assert calls == [
        ("GlueContext", True),
        ("init", "gluekit-dev-orders-transform", "jr_1"),
        ("commit",),
    ]
    assert session.spark is spark
