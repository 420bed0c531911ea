"""AWS clients and the few control-plane calls the jobs make: metrics and workflow run properties.

Clients are created on first use, per job run, so that tests and the local runner (moto, started
in the same process before the job) get mocked clients. botocore's standard retry mode retries
throttling and transient errors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

from gluekit_glue.arguments import JobOptions

log = logging.getLogger(__name__)

RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})
# A run property value is limited in size; summaries are cut well below it.
MAX_PROPERTY_CHARS = 1000


class Aws:
    """The boto3 clients of one job run."""

    @cached_property
    def s3(self) -> Any:
        return boto3.client("s3", config=RETRY_CONFIG)

    @cached_property
    def glue(self) -> Any:
        return boto3.client("glue", config=RETRY_CONFIG)

    @cached_property
    def cloudwatch(self) -> Any:
        return boto3.client("cloudwatch", config=RETRY_CONFIG)


def put_metrics(
    aws: Aws, namespace: str, pipeline: str, values: Mapping[str, float], at: datetime
) -> None:
    """One datum per metric, each with exactly one dimension: Pipeline=<pipeline>.

    The kit's alarms and dashboard select these by name and that single dimension.
    """
    aws.cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Pipeline", "Value": pipeline}],
                "Timestamp": at,
                "Value": float(value),
                "Unit": "Count",
            }
            for name, value in values.items()
        ],
    )


def get_run_properties(aws: Aws, options: JobOptions, run_id: str | None = None) -> dict[str, str]:
    """The properties of this workflow run (or of ``run_id``, a run of the same workflow)."""
    if not options.in_workflow:
        return {}
    response = aws.glue.get_workflow_run_properties(
        Name=options.workflow_name, RunId=run_id or options.workflow_run_id
    )
    return dict(response.get("RunProperties") or {})


def put_run_properties(aws: Aws, options: JobOptions, properties: Mapping[str, str]) -> None:
    """Write run properties when a workflow started the job; a manual run has none to write."""
    if not options.in_workflow:
        log.info("not in a workflow run; run properties not written: %s", dict(properties))
        return
    aws.glue.put_workflow_run_properties(
        Name=options.workflow_name,
        RunId=options.workflow_run_id,
        RunProperties={k: v[:MAX_PROPERTY_CHARS] for k, v in properties.items()},
    )
