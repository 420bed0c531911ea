"""`gluekit rollback --local` and `gluekit local history`: the local curated table's snapshots.

A rollback runs the very job that does it on AWS (the compact job with ``--rollback_to_*``) on
the local Spark, inside a fresh moto (the job writes its step summary to the artifacts bucket).
History is read with pyiceberg, without a JVM.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gluekit.local.query import curated_dir, current_metadata
from gluekit.spec import PipelineSpec


def history(spec: PipelineSpec, prefix: str, workdir: Path) -> list[dict[str, Any]]:
    """Main's snapshots, oldest first, with ``current`` marking the one main points at.

    Those main pointed at (its snapshot log): a run's branch has snapshots of its own (a run
    whose validation failed, the empty one the first run's branch starts from), never main's.
    """
    from pyiceberg.table import StaticTable

    metadata = current_metadata(curated_dir(spec, prefix, workdir))
    if metadata is None:
        raise FileNotFoundError(
            f"no curated table for '{spec.name}' in {workdir}: run 'gluekit local run' first"
        )
    table = StaticTable.from_metadata(metadata.resolve().as_uri())
    current = table.current_snapshot()
    rows = []
    on_main = {entry.snapshot_id for entry in table.metadata.snapshot_log}
    for snapshot in table.metadata.snapshots:
        if snapshot.snapshot_id not in on_main:
            continue
        summary = snapshot.summary.additional_properties if snapshot.summary else {}
        rows.append(
            {
                "snapshot_id": str(snapshot.snapshot_id),
                "committed_at": datetime.fromtimestamp(snapshot.timestamp_ms / 1000, UTC).isoformat(
                    timespec="seconds"
                ),
                "operation": snapshot.summary.operation.value if snapshot.summary else "",
                "added_records": summary.get("added-records", "0"),
                "position_deletes": summary.get("added-position-deletes", "0"),
                "current": bool(current and current.snapshot_id == snapshot.snapshot_id),
            }
        )
    return rows


def rollback(
    spec: PipelineSpec,
    prefix: str,
    workdir: Path,
    *,
    snapshot: str | None = None,
    to_time: str | None = None,
) -> dict[str, Any]:
    """Roll the local curated table back; returns the job's summary details."""
    from moto import mock_aws

    from gluekit.local.emulator import provision
    from gluekit.local.runner import _local_environment
    from gluekit.local.spark import local_spark
    from gluekit.render import glue_job_arguments
    from gluekit_glue.arguments import resolve_options
    from gluekit_glue.jobs import compact

    target = (
        ["--rollback_to_snapshot", snapshot] if snapshot else ["--rollback_to_time", str(to_time)]
    )
    with _local_environment(), mock_aws():
        emulated = provision(spec, prefix)
        spark = local_spark(workdir)
        argv = ["compact/job.py", "--JOB_NAME", emulated.names.job("compact")]
        for key, value in glue_job_arguments(spec, emulated.foundation).items():
            argv += [key, value]
        label = (snapshot or str(to_time)).replace(":", "").replace("+", "")
        argv += ["--run_id", f"rollback-{label}", "--gluekit_local_root", str(workdir / "s3")]
        summary = compact.run(spark, resolve_options([*argv, *target]))
    return dict(summary.details)
