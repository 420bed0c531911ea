"""Resource names and rendered runtime configuration come from the spec alone."""

from __future__ import annotations

import json
from pathlib import Path

from gluekit.naming import FoundationNames, PipelineNames, max_pipeline_name_length
from gluekit.render import (
    LAMBDA_ENV_LIMIT_BYTES,
    bridge_config,
    glue_job_config,
    job_workers,
    notifier_config,
)
from gluekit.spec import load_specs

# The longest values an account and region can take, to size what Lambda will really receive.
WORST_CASE = FoundationNames("gluekit-prod", "123456789012", "ap-southeast-2")


def test_names_are_prefixed_and_stable() -> None:
    names = PipelineNames("gluekit-dev", "orders")

    assert names.job("transform") == "gluekit-dev-orders-transform"
    assert names.workflow == "gluekit-dev-orders"
    assert names.bridge_dlq == "gluekit-dev-orders-bridge-dlq"
    assert names.table == "orders"
    assert PipelineNames("gluekit-dev", "click-events").table == "click_events"


def test_bucket_names_fit_s3_limit_for_the_longest_region() -> None:
    for zone in ("raw", "curated", "quarantine", "artifacts", "access-logs"):
        assert len(WORST_CASE.bucket(zone)) <= 63


def test_max_name_length_leaves_every_name_within_limits() -> None:
    longest = "p" * max_pipeline_name_length("gluekit-dev")

    from gluekit.naming import names_too_long

    assert names_too_long("gluekit-dev", longest) == []
    assert names_too_long("gluekit-dev", longest + "p")


def test_example_configs_fit_lambda_environment() -> None:
    for item in load_specs(Path("pipelines"), WORST_CASE.prefix):
        bridge = json.dumps(bridge_config(item.spec, WORST_CASE))
        notifier = json.dumps(notifier_config(item.spec, WORST_CASE, "arn:" + "x" * 80))
        assert len(bridge) < LAMBDA_ENV_LIMIT_BYTES
        assert len(notifier) < LAMBDA_ENV_LIMIT_BYTES


def test_glue_config_carries_the_contract_with_source_names() -> None:
    [orders] = [
        i.spec for i in load_specs(Path("pipelines"), "gluekit-dev") if i.spec.name == "orders"
    ]

    config = glue_job_config(orders, FoundationNames("gluekit-dev", "123456789012", "us-east-1"))

    updated = next(c for c in config["columns"] if c["name"] == "updated_at")
    assert updated["source"] == "last_modified"
    assert config["partition_by"] == [{"name": "dt", "from": "created_at", "transform": "day"}]
    assert config["prefixes"]["staging"] == "staging/orders/"
    assert config["buckets"]["curated"] == "gluekit-dev-curated-123456789012-us-east-1"


def test_publish_runs_on_the_smallest_workers_whatever_the_spec_asks() -> None:
    # GIVEN a spec that sizes its jobs up
    orders = next(
        i.spec for i in load_specs(Path("pipelines"), "gluekit-dev") if i.spec.name == "orders"
    )
    big = orders.model_copy(
        update={"job": orders.job.model_copy(update={"worker_type": "G.2X", "workers": 10})}
    )

    # THEN the Spark steps get them, publish (metadata-only) Glue's minimum
    assert job_workers(big, "transform") == job_workers(big, "validate") == ("G.2X", 10)
    assert job_workers(big, "publish") == ("G.1X", 2)
