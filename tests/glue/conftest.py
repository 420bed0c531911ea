"""Fixtures of the Glue tests: one local SparkSession for the whole run (the JVM takes ~6 s to
start) and a moto-backed AWS with the kit's buckets, catalog and workflows."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from gluekit.local.spark import iceberg_spark_settings
from gluekit_glue.session import apply_settings
from tests.glue.pipeline_env import PipelineEnv, pipeline_env

# PySpark turns timestamps into naive Python datetimes in the process's local time zone; the
# expected values in these tests are UTC, like the jobs' session time zone.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = (
        SparkSession.builder.master("local[2]")
        .appName("gluekit-glue-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        # The session serves minutes of tests: the C2 compiler pays back its warm-up (capping at
        # C1 made test_iceberg_wap 25 % slower). One GC thread leaves the cores to the tests.
        .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC")
        # The Iceberg runtime, from the dev extra, as Glue's --datalake-formats iceberg.
        .config(map=iceberg_spark_settings())
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    apply_settings(session)
    yield session
    session.stop()


@pytest.fixture
def env(spark: SparkSession, tmp_path: Path) -> Iterator[PipelineEnv]:
    """A fresh moto AWS and local root per test."""
    with pipeline_env(spark, tmp_path / "root") as environment:
        yield environment
