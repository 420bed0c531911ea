"""Renders a spec into the configuration each runtime receives.

Lambdas get one JSON environment variable and Glue jobs one JSON job argument, both rendered here
at synth time (and by the local runner), so no runtime reads YAML or imports pydantic. The
shapes below are the contract between the kit and `lambdas/` / `glue_scripts/`.
"""

from __future__ import annotations

import json
from typing import Any

from gluekit.naming import METRICS_NAMESPACE, STEPS, FoundationNames, PipelineNames
from gluekit.spec.models import PipelineSpec
from gluekit.spec.steps import Lookup

BRIDGE_CONFIG_ENV = "GLUEKIT_BRIDGE_CONFIG"
NOTIFIER_CONFIG_ENV = "GLUEKIT_NOTIFIER_CONFIG"
GLUE_CONFIG_ARG = "--gluekit_config"
BRIDGE_EVENT_SOURCE = "gluekit.bridge"
QUARANTINE_DETAIL_TYPE = "Object Quarantined"
# The Spark catalog the Glue jobs name the curated table in (gluekit_glue.iceberg.GLUE_CATALOG).
GLUE_CATALOG = "glue_catalog"
# Lambda allows 4 KB for all environment variables of a function together.
LAMBDA_ENV_LIMIT_BYTES = 4096


# Publish is metadata-only (a fast-forward of main; only when main moved meanwhile does it merge
# the run's rows again): the smallest Spark job Glue runs, 2 workers (the minimum) of G.1X.
METADATA_STEP_WORKERS = ("G.1X", 2)


def job_workers(spec: PipelineSpec, step: str) -> tuple[str, int]:
    """(worker type, number of workers) of a step's job: the spec's ``job``, publish's smallest."""
    if step == "publish":
        return METADATA_STEP_WORKERS
    return spec.job.worker_type, spec.job.workers


def glue_job_config(spec: PipelineSpec, foundation: FoundationNames) -> dict[str, Any]:
    names = PipelineNames(foundation.prefix, spec.name)
    return {
        "pipeline": spec.name,
        "source": {
            **_source(spec),
            "timezone": spec.source.timezone,
            "on_unknown_columns": spec.source.on_unknown_columns,
        },
        # The curated table's shape, which dedupe, partitions, validate and publish work on.
        "columns": _curated_columns(spec),
        "primary_key": list(spec.curated.primary_key),
        "order_by": spec.curated.order_by,
        "partition_by": [
            {"name": p.name, "from": p.from_, "transform": p.transform}
            for p in spec.curated.partition_by
        ],
        # When steps change the shape, the contract's columns are what transform reads and casts.
        **({"source_columns": _contract_columns(spec)} if spec.output else {}),
        **user_logic_config(spec, foundation),
        # A derived pipeline's inputs: the curated tables of the pipelines it follows.
        "upstreams": [
            {
                "pipeline": upstream,
                "database": foundation.database,
                "table": PipelineNames(foundation.prefix, upstream).table,
            }
            for upstream in spec.upstreams
        ],
        "validation": [rule.model_dump(mode="json") for rule in spec.rules],
        "buckets": _buckets(foundation),
        "prefixes": {
            "raw": spec.raw_prefix,
            "staging": names.staging_prefix,
            "curated": names.curated_prefix,
            "quarantine": names.quarantine_prefix,
            "reports": names.reports_prefix,
            "manifests": names.manifests_prefix,
        },
        "database": foundation.database,
        "table": names.table,
        "metrics_namespace": METRICS_NAMESPACE,
        "compaction_target_file_mb": spec.compaction.target_file_mb,
        "keep_snapshots_days": spec.compaction.keep_snapshots_days,
    }


def _contract_columns(spec: PipelineSpec) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "type": c.type,
            "nullable": c.nullable,
            "source": c.source_name,
            "format": c.format,
            "true_values": list(c.true_values) if c.true_values else None,
            "false_values": list(c.false_values) if c.false_values else None,
            "description": c.description,
        }
        for c in spec.contract.columns
    ]


def _curated_columns(spec: PipelineSpec) -> list[dict[str, Any]]:
    if spec.output is None:
        return _contract_columns(spec)
    return [
        {"name": c.name, "type": c.type, "nullable": c.nullable, "description": c.description}
        for c in spec.output.columns
    ]


def user_logic_config(spec: PipelineSpec, foundation: FoundationNames) -> dict[str, Any]:
    """Steps, lookups, the declared job parameters and the package the Python steps ship in."""
    return {
        "parameters": dict(spec.job.parameters),
        "steps": [
            {"sql": step.sql, "python": step.python, "description": step.description}
            for step in spec.steps
        ],
        "lookups": [_lookup(lookup, foundation) for lookup in spec.lookups],
        "code_package": code_package(spec) if spec.python_steps else None,
    }


def code_package(spec: PipelineSpec) -> str:
    """The Python package the pipeline's code folder ships as (never a name another library
    could have: a pipeline called 'json' must not hide the standard library's)."""
    return f"gluekit_code_{spec.table_name}"


def _lookup(lookup: Lookup, foundation: FoundationNames) -> dict[str, Any]:
    if lookup.pipeline is not None:
        table = PipelineNames(foundation.prefix, lookup.pipeline).table
        return {
            "name": lookup.name,
            "database": foundation.database,
            "table": table,
            "format": "iceberg",
        }
    return {
        "name": lookup.name,
        "database": lookup.database,
        "table": lookup.table_name,
        "format": lookup.table_format,
    }


def glue_job_arguments(spec: PipelineSpec, foundation: FoundationNames) -> dict[str, str]:
    """Default arguments of every job of the pipeline, as deployed and as run locally."""
    config = json.dumps(glue_job_config(spec, foundation), separators=(",", ":"))
    return {
        GLUE_CONFIG_ARG: config,
        "--enable-auto-scaling": "true" if spec.job.auto_scaling else "false",
        "--job-bookmark-option": "job-bookmark-disable",  # the manifest says what to read
        "--enable-glue-datacatalog": "true",
        # The curated table is Iceberg: Glue's bundled runtime, and the catalog it lives in.
        "--datalake-formats": "iceberg",
        "--conf": glue_catalog_conf(f"s3://{foundation.curated_bucket}/"),
        **{f"--{key}": value for key, value in spec.job.parameters.items()},
    }


def glue_catalog_conf(warehouse: str) -> str:
    """Glue's ``--conf``: one value that holds every setting, joined by ' --conf '.

    The Iceberg extensions, and ``glue_catalog`` as a GlueCatalog writing with S3FileIO.
    """
    settings = glue_catalog_settings(warehouse)
    return " --conf ".join(f"{key}={value}" for key, value in settings.items())


def glue_catalog_settings(warehouse: str) -> dict[str, str]:
    """The Spark settings of ``--conf``, one by one (a blueprint fills in its warehouse)."""
    catalog = f"spark.sql.catalog.{GLUE_CATALOG}"
    return {
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        catalog: "org.apache.iceberg.spark.SparkCatalog",
        f"{catalog}.warehouse": warehouse,
        f"{catalog}.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
        f"{catalog}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        # As locally (gluekit_glue.iceberg.CATALOG_SETTINGS): no stale table after a lost race.
        f"{catalog}.cache-enabled": "false",
    }


# The raw crawler's settings, as deployed and in a blueprint: its raw_* tables follow the source
# (LOG would freeze them at the first crawl, and drift would not show); deleted files are only
# logged; partitions inherit the table's schema.
RAW_CRAWLER_SCHEMA_CHANGE_POLICY = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"}
RAW_CRAWLER_CONFIGURATION = json.dumps(
    {"Version": 1.0, "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}}}
)


ARRIVAL_TIMEOUT_SECONDS = 120
# A flush claims every pending file one by one: give it Lambda's maximum.
FLUSH_TIMEOUT_SECONDS = 900
MIN_RECEIVE_COUNT = 5


def bridge_queue_settings(spec: PipelineSpec) -> tuple[int, int, int]:
    """(function timeout, visibility timeout, maxReceiveCount) in seconds and receives.

    Visibility is six times the function timeout (SQS guidance). A message is done once its
    object is PENDING, whatever Glue says, so only a record that could not be read or recorded
    is redelivered: MIN_RECEIVE_COUNT receives, then the DLQ.
    """
    timeout = FLUSH_TIMEOUT_SECONDS if spec.trigger.schedule else ARRIVAL_TIMEOUT_SECONDS
    return timeout, 6 * timeout, MIN_RECEIVE_COUNT


def bridge_config(
    spec: PipelineSpec, foundation: FoundationNames, state_machine_arn: str | None = None
) -> dict[str, Any]:
    """`state_machine_arn`: the pipeline's state machine, when its orchestrator is step-functions
    (CDK passes the machine's token, the local runner moto's ARN)."""
    names = PipelineNames(foundation.prefix, spec.name)
    on_arrival = spec.trigger.on_arrival
    return {
        "pipeline": spec.name,
        "workflow_name": names.workflow,
        "buckets": _buckets(foundation),
        "claims_table": foundation.claims_table,
        "raw_prefix": spec.raw_prefix,
        "suffixes": list(spec.source.accepted_suffixes),
        "source": _source(spec),
        "expected_columns": [c.source_name for c in spec.contract.columns],
        "required_fields": [c.source_name for c in spec.contract.columns if not c.nullable],
        "max_file_bytes": spec.source.max_file_size_mb * 1024 * 1024,
        "trigger_mode": spec.trigger.mode,
        "max_files_per_run": on_arrival.max_files if on_arrival else 10_000,
        "max_wait_seconds": on_arrival.max_wait_seconds if on_arrival else 0,
        "max_concurrent_runs": spec.job.max_concurrent_runs,
        "job_names": [names.job(step) for step in STEPS],
        "job_retries": spec.job.retries,
        "tick_rule": names.tick_rule,
        "manifests_prefix": names.manifests_prefix,
        "quarantine_prefix": names.quarantine_prefix,
        "event_source": BRIDGE_EVENT_SOURCE,
        "orchestrator": spec.orchestrator,
        "state_machine_arn": state_machine_arn or "",
        # A derived pipeline's starts: an upstream's publish job succeeding (Glue workflow) or
        # its state machine's execution succeeding; the bridge knows it by these names.
        "upstreams": [
            {
                "pipeline": upstream,
                "publish_job": PipelineNames(foundation.prefix, upstream).job("publish"),
                "state_machine": PipelineNames(foundation.prefix, upstream).state_machine,
            }
            for upstream in spec.upstreams
        ],
    }


def notifier_config(
    spec: PipelineSpec, foundation: FoundationNames, topic_arn: str, environment: str | None = None
) -> dict[str, Any]:
    """`environment`: the `--env` the alerts' gluekit commands name (None: the default)."""
    names = PipelineNames(foundation.prefix, spec.name)
    return {
        "pipeline": spec.name,
        "environment": environment,
        "topic_arn": topic_arn,
        "region": foundation.region,
        "workflow_name": names.workflow,
        "job_names": {step: names.job(step) for step in (*STEPS, "compact")},
        "crawler_name": names.crawler,
        "buckets": _buckets(foundation),
        "reports_prefix": names.reports_prefix,
        "manifests_prefix": names.manifests_prefix,
        "raw_schema": _raw_schema(spec, foundation) if spec.crawler.enabled else None,
        # A name, not the machine's ARN: the machine invokes the notifier (no cycle).
        "orchestrator": spec.orchestrator,
        "state_machine_name": names.state_machine,
        "derived": spec.is_derived,
    }


def _raw_schema(spec: PipelineSpec, foundation: FoundationNames) -> dict[str, Any]:
    """What the notifier compares the raw crawler's tables with: the contract's source side."""
    names = PipelineNames(foundation.prefix, spec.name)
    return {
        "database": foundation.database,
        "table_prefix": names.raw_table_prefix,
        "location": f"s3://{foundation.raw_bucket}/{spec.raw_prefix}",
        # A header-less CSV gets the crawler's col0, col1, ...: compare by position then.
        "by_position": spec.source.format == "csv" and not spec.source.csv.header,
        "columns": [[c.source_name, c.type] for c in spec.contract.columns],
    }


def _buckets(foundation: FoundationNames) -> dict[str, str]:
    return {
        "raw": foundation.raw_bucket,
        "curated": foundation.curated_bucket,
        "quarantine": foundation.quarantine_bucket,
        "artifacts": foundation.artifacts_bucket,
    }


def _source(spec: PipelineSpec) -> dict[str, Any]:
    return {
        "format": spec.source.format,
        "compression": spec.source.compression,
        "csv": spec.source.csv.model_dump(mode="json"),
    }
