"""Fixtures shared by every test level."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests never reach AWS: fake credentials and a fixed region before any client exists.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }
)
os.environ.pop("AWS_PROFILE", None)


# `make test` runs on pytest-xdist workers (pyproject's addopts). Tests that share an expensive
# session resource stay on one worker each: the local SparkSession (a JVM, and Spark caches
# catalogs per session) and the synthesized CDK apps. Everything else spreads freely.
_SHARED_RESOURCE_GROUPS = {"glue": "spark", "e2e": "spark", "infra": "cdk"}


# Spark's tests run on two JVMs (two workers): these modules on the second, which balances
# the two by their measured times (about 5 min each on a 2-core machine).
_SECOND_SPARK = frozenset(
    {
        "test_local_runner",
        "test_local_state_machine",
        "test_compact",
        "test_iceberg_publish",
        "test_transform_job",
        "test_transform_bad_files",
        "test_drift",
        "test_steps",
        "test_derived",
    }
)


# Before xdist's own hook, which reads the xdist_group marks to pin each group to one worker.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        try:
            level = item.path.resolve().relative_to(tests_dir).parts[0]
        except ValueError:
            continue
        group = _SHARED_RESOURCE_GROUPS.get(level)
        if group == "spark" and item.path.stem in _SECOND_SPARK:
            group = "spark-2"
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
