"""A laptop-sized AWS for the Glue jobs: moto buckets, catalog and workflows named as deployed, a
local root for Spark's datasets, and helpers to drop files, write manifests and run steps."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws
from pyspark.sql import DataFrame, SparkSession

from gluekit.naming import FoundationNames, PipelineNames
from gluekit.render import glue_job_config
from gluekit.spec import load_specs
from gluekit_glue.arguments import JobOptions, resolve_options
from gluekit_glue.config import JobConfig, parse_config
from gluekit_glue.datasets import read_dataset
from gluekit_glue.iceberg import CuratedTable, curated_table
from gluekit_glue.jobs import compact, publish, transform, validate
from gluekit_glue.summary import StepSummary
from gluekit_glue.transform import derive_partitions

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
FOUNDATION = FoundationNames("gluekit-dev", "123456789012", "us-east-1")
# Tests run on a fixed clock: the samples are from 2026-11-20/21.
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
RUNNERS = {
    "transform": transform.run,
    "validate": validate.run,
    "publish": publish.run,
    "compact": compact.run,
}


def rendered_configs() -> dict[str, dict[str, Any]]:
    """The example pipelines' `--gluekit_config`, rendered by the kit exactly as at synth."""
    loaded = load_specs(REPO / "pipelines", FOUNDATION.prefix)
    return {item.spec.name: glue_job_config(item.spec, FOUNDATION) for item in loaded}


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@dataclass
class PipelineEnv:
    spark: SparkSession
    root: Path
    configs: dict[str, dict[str, Any]]
    s3: Any = field(init=False)
    glue: Any = field(init=False)
    cloudwatch: Any = field(init=False)

    def __post_init__(self) -> None:
        self.s3 = boto3.client("s3")
        self.glue = boto3.client("glue")
        self.cloudwatch = boto3.client("cloudwatch")

    # ------------------------------------------------------------------------------ set-up
    def create_foundation(self) -> None:
        for bucket in (
            FOUNDATION.raw_bucket,
            FOUNDATION.curated_bucket,
            FOUNDATION.quarantine_bucket,
            FOUNDATION.artifacts_bucket,
        ):
            self.s3.create_bucket(Bucket=bucket)
        self.s3.put_bucket_versioning(
            Bucket=FOUNDATION.raw_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        self.glue.create_database(DatabaseInput={"Name": FOUNDATION.database})
        # No curated table: the first transform creates it (an Iceberg table).
        for name in self.configs:
            self.glue.create_workflow(Name=self.workflow(name))

    # ----------------------------------------------------------------------------- inputs
    def config(self, pipeline: str) -> JobConfig:
        return parse_config(self.configs[pipeline])

    def put_raw(self, pipeline: str, name: str, body: bytes | Path) -> dict[str, Any]:
        """Drop a raw file; returns its manifest entry, as the bridge would write it."""
        data = body.read_bytes() if isinstance(body, Path) else body
        key = f"{self.config(pipeline).prefixes.raw}{name}"
        bucket = FOUNDATION.raw_bucket
        response = self.s3.put_object(Bucket=bucket, Key=key, Body=data)
        return {
            "bucket": bucket,
            "key": key,
            "version_id": response.get("VersionId"),
            "size": len(data),
            "etag": response["ETag"].strip('"'),
            "uri": f"s3://{bucket}/{key}",
        }

    def put_manifest(self, pipeline: str, files: list[dict[str, Any]], batch_id: str) -> str:
        config = self.config(pipeline)
        key = f"{config.prefixes.manifests}{batch_id}.json"
        body = {
            "pipeline": pipeline,
            "batch_id": batch_id,
            "created_at": NOW.isoformat(),
            "files": files,
        }
        self.s3.put_object(Bucket=config.buckets.artifacts, Key=key, Body=json.dumps(body).encode())
        return f"s3://{config.buckets.artifacts}/{key}"

    def start_workflow_run(self, pipeline: str, manifest_uri: str, batch_id: str) -> str:
        """What the bridge does: start the workflow with the batch's run properties."""
        response = self.glue.start_workflow_run(
            Name=self.workflow(pipeline),
            RunProperties={
                "manifest": manifest_uri,
                "batch_id": batch_id,
                "pipeline": pipeline,
                "file_count": "1",
            },
        )
        return str(response["RunId"])

    def workflow(self, pipeline: str) -> str:
        return PipelineNames(FOUNDATION.prefix, pipeline).workflow

    def batch(self, pipeline: str, files: dict[str, bytes | Path], batch_id: str) -> str:
        """Drop files, write their manifest, start a workflow run; returns the run id."""
        entries = [self.put_raw(pipeline, name, body) for name, body in files.items()]
        return self.start_workflow_run(
            pipeline, self.put_manifest(pipeline, entries, batch_id), batch_id
        )

    # ------------------------------------------------------------------------------- runs
    def argv(
        self, pipeline: str, step: str, run_id: str, *extra: str, workflow: bool = True
    ) -> list[str]:
        """Glue-style argv of a job run, started by the workflow run ``run_id`` or (not
        ``workflow``: a scheduled or manual run) with Glue's job run id ``jr_<run_id>``."""
        started_by = ["--WORKFLOW_NAME", self.workflow(pipeline), "--WORKFLOW_RUN_ID", run_id]
        return [
            f"glue_scripts/{step}/job.py",
            "--JOB_NAME",
            PipelineNames(FOUNDATION.prefix, pipeline).job(step),
            "--JOB_ID",
            "j_0123",
            "--JOB_RUN_ID",
            f"jr_{run_id}" if not workflow else f"jr_{step}_{run_id}",
            "--job-bookmark-option",
            "job-bookmark-disable",
            "--TempDir",
            f"s3://{FOUNDATION.artifacts_bucket}/tmp/",
            "--enable-metrics",
            "--enable-auto-scaling",
            "true",
            "--enable-glue-datacatalog",
            "true",
            "--gluekit_config",
            json.dumps(self.configs[pipeline]),
            "--gluekit_local_root",
            str(self.root),
            *(started_by if workflow else []),
            *extra,
        ]

    def options(
        self, pipeline: str, step: str, run_id: str, *extra: str, workflow: bool = True
    ) -> JobOptions:
        return resolve_options(self.argv(pipeline, step, run_id, *extra, workflow=workflow))

    def run(
        self, step: str, pipeline: str, run_id: str, *extra: str, workflow: bool = True
    ) -> StepSummary:
        options = self.options(pipeline, step, run_id, *extra, workflow=workflow)
        return RUNNERS[step](self.spark, options, clock=lambda: NOW)

    def run_pipeline(self, pipeline: str, run_id: str) -> list[StepSummary]:
        return [self.run(step, pipeline, run_id) for step in ("transform", "validate", "publish")]

    # ---------------------------------------------------------------------------- outputs
    def get_json(self, uri: str) -> Any:
        bucket, _, key = uri[len("s3://") :].partition("/")
        return json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def local(self, uri: str) -> Path:
        return self.root / uri[len("s3://") :]

    def dataset_rows(self, pipeline: str, uri: str) -> list[tuple[Any, ...]]:
        """Every row of a staged or curated dataset, sorted, as tuples (partition columns last)."""
        config = self.config(pipeline)
        if not self.local(uri).exists():
            return []
        frame = read_dataset(self.spark, f"file://{self.local(uri)}", config)
        return sorted(tuple(r) for r in frame.collect())

    def curated_table(self, pipeline: str) -> CuratedTable:
        return curated_table(self.spark, self.config(pipeline), str(self.root))

    def curated_frame(self, pipeline: str) -> DataFrame | None:
        """The curated Iceberg table's current snapshot, with lineage; None before a publish."""
        table = self.curated_table(pipeline)
        if not self.spark.catalog.tableExists(table.name):
            return None
        self.spark.sql(f"REFRESH TABLE {table.name}")
        return self.spark.table(table.name)

    def curated(self, pipeline: str) -> list[tuple[Any, ...]]:
        """Curated rows, sorted, shaped like staged rows: contract columns, then each spec
        partition's value derived from its column (the table's partitions are hidden)."""
        config = self.config(pipeline)
        frame = self.curated_frame(pipeline)
        if frame is None:
            return []
        derived = derive_partitions(frame, config.partition_by)
        columns = [c.name for c in config.columns] + list(config.partition_names)
        return sorted(tuple(r) for r in derived.select(*columns).collect())

    def refs(self, pipeline: str) -> dict[str, int]:
        """The table's branches and tags → the snapshot each points at (main once published)."""
        table = self.curated_table(pipeline)
        rows = self.spark.sql(f"SELECT name, snapshot_id FROM {table.name}.refs").collect()
        return {r["name"]: int(r["snapshot_id"]) for r in rows}

    def main_snapshot_id(self, pipeline: str) -> int | None:
        return self.refs(pipeline).get("main")

    def snapshots(self, pipeline: str) -> list[dict[str, Any]]:
        """Main's snapshots (those it pointed at), oldest first: not a branch's own, such as a
        failed run's or the empty one the first run's branch starts from."""
        table = self.curated_table(pipeline)
        rows = self.spark.sql(
            f"SELECT s.snapshot_id, s.operation, s.summary FROM {table.name}.snapshots s "
            f"JOIN {table.name}.history h ON s.snapshot_id = h.snapshot_id ORDER BY s.committed_at"
        ).collect()
        return [r.asDict() for r in rows]

    def staged(self, pipeline: str, run_id: str) -> list[tuple[Any, ...]]:
        return self.dataset_rows(pipeline, self.config(pipeline).staged_uri(run_id))

    def row_rejects(self, pipeline: str, run_id: str) -> list[dict[str, Any]]:
        folder = self.local(self.config(pipeline).row_rejects_uri(run_id))
        return [
            json.loads(line)
            for part in sorted(folder.glob("part-*"))
            for line in part.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    def run_properties(self, pipeline: str, run_id: str) -> dict[str, str]:
        response = self.glue.get_workflow_run_properties(Name=self.workflow(pipeline), RunId=run_id)
        return dict(response["RunProperties"])

    def metric(self, pipeline: str, name: str) -> float | None:
        """Sum of a metric's data points with exactly the dimension Pipeline=<pipeline>."""
        response = self.cloudwatch.get_metric_statistics(
            Namespace="gluekit",
            MetricName=name,
            Dimensions=[{"Name": "Pipeline", "Value": pipeline}],
            StartTime=NOW - timedelta(hours=1),
            EndTime=NOW + timedelta(hours=1),
            Period=7200,
            Statistics=["Sum"],
        )
        points = response["Datapoints"]
        return sum(p["Sum"] for p in points) if points else None


@contextmanager
def pipeline_env(spark: SparkSession, root: Path) -> Iterator[PipelineEnv]:
    with mock_aws():
        env = PipelineEnv(spark, root, rendered_configs())
        env.create_foundation()
        yield env
