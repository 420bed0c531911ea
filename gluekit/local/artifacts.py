"""What a deployed run leaves in S3 (manifests, step summaries, validation reports, quarantined
files with their reasons), copied out of the emulated buckets into the run's workdir.

Spark already writes datasets (staged, curated, rejected rows) under ``<workdir>/s3/``; the
objects the jobs and Lambdas write with boto3 live only in moto, which ends with the run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gluekit.local.alarms import alarms_that_would_fire
from gluekit.local.report import LocalReport
from gluekit.naming import FoundationNames, PipelineNames


def leave_run_outputs(
    report: LocalReport,
    names: PipelineNames,
    foundation: FoundationNames,
    local_root: Path,
    workdir: Path,
    *,
    drift_alarmed: bool = True,
) -> None:
    """Objects out of moto into the workdir, each alert into a file, the alarms named.
    ``drift_alarmed``: the pipeline has the unknown-columns alarm (`PipelineSpec.drift_alarmed`)."""
    artifacts, quarantine = foundation.artifacts_bucket, foundation.quarantine_bucket
    export_objects([artifacts, quarantine], local_root)
    report.quarantine_location = (
        f"{local_root / quarantine / names.quarantine_prefix} "
        "(files/: whole files with their .reason.json; rows/: rejected rows with reasons)"
    )
    report.artifacts = {
        "Manifests": str(local_root / artifacts / names.manifests_prefix),
        "Reports": str(local_root / artifacts / names.reports_prefix),
        "Step summaries": str(local_root / artifacts / "runs" / names.pipeline),
    }
    alerts = workdir / "alerts"
    shutil.rmtree(alerts, ignore_errors=True)  # this run's alerts only
    for number, note in enumerate(report.notifications, start=1):
        path = alerts / f"{number:02d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"Subject: {note.subject}\n\n{note.text}", encoding="utf-8")
        note.path = str(path)
    report.alarms = alarms_that_would_fire(report, names, drift_alarmed=drift_alarmed)


def export_objects(buckets: list[str], local_root: Path) -> int:
    """Copy every object of ``buckets`` to ``<local_root>/<bucket>/<key>``; returns the count."""
    import boto3

    s3 = boto3.client("s3")
    copied = 0
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                target = local_root / bucket / item["Key"]
                if item["Key"].endswith("/") or target.is_dir():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
                copied += 1
    return copied
