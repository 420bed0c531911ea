"""`gluekit runs PIPELINE RUN_ID`: one run in detail.

The manifest's files (exact object versions), each step's job run (state, duration,
DPU-seconds, error), the validation report rule by rule, and what went to quarantine: whole
files transform rejected (with the reason), rejected rows (where, how many, the top reasons).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.naming import STEPS
from gluekit.ops.errors import OpsError, explain
from gluekit.ops.execution_runs import runs_of
from gluekit.ops.glue_runs import split_uri
from gluekit.ops.output import count, duration, fields, iso, table
from gluekit.ops.session import Pipeline

MAX_FILES_SHOWN = 50
MAX_ROW_REJECT_OBJECTS = 1000


def run_detail(pipeline: Pipeline, run_id: str) -> dict[str, Any]:
    runs = runs_of(pipeline)
    run = runs.run(run_id)
    manifest_uri = run.properties.get("manifest")
    manifest = runs.document(manifest_uri) if manifest_uri else None
    transform = runs.summary(run.data_run_id, "transform") or {}
    report = runs.report(run.data_run_id)
    details = transform.get("details") or {}
    row_rejects = details.get("row_rejects")
    return {
        "pipeline": pipeline.name,
        "run_id": run.run_id,
        "data_run_id": run.data_run_id,
        "status": run.status,
        "started": iso(run.started),
        "completed": iso(run.completed),
        "previous_run_id": run.previous_run_id,
        "statistics": run.statistics,
        "properties": run.properties,
        "manifest": {
            "uri": manifest_uri,
            "files": [
                {k: f.get(k) for k in ("uri", "version_id", "size")}
                for f in (manifest or {}).get("files", [])
            ],
            "found": manifest is not None,
        },
        "steps": [
            run.steps[s].as_json() if s in run.steps else {"step": s, "state": "-"} for s in STEPS
        ],
        "validation": _validation(report, runs.locations.report_uri(run.data_run_id)),
        "quarantine": {
            "files": transform.get("files_rejected") or [],
            "rows_rejected": transform.get("rows_rejected"),
            "rows_uri": row_rejects,
            "row_objects": _count_objects(pipeline, row_rejects) if row_rejects else 0,
            "reasons": details.get("reject_reasons") or [],
        },
    }


def _validation(report: dict[str, Any] | None, uri: str) -> dict[str, Any]:
    if report is None:
        return {"uri": uri, "found": False, "rules": []}
    return {
        "uri": uri,
        "found": True,
        "status": report.get("status"),
        "summary": report.get("summary"),
        "rows": report.get("rows"),
        "rules": [
            {
                k: rule.get(k)
                for k in (
                    "rule",
                    "column",
                    "severity",
                    "status",
                    "observed",
                    "threshold",
                    "message",
                )
            }
            for rule in report.get("rules") or []
        ],
    }


def _count_objects(pipeline: Pipeline, uri: str) -> int:
    bucket, prefix = split_uri(uri)
    total = 0
    try:
        pages = pipeline.client("s3").get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=prefix):
            total += int(page.get("KeyCount", 0))
            if total >= MAX_ROW_REJECT_OBJECTS:
                break
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(explain(exc, f"listing {uri}")) from None
    return total


# ----------------------------------------------------------------------------------- text
def detail_lines(detail: dict[str, Any]) -> list[str]:
    manifest, validation, quarantine = (
        detail["manifest"],
        detail["validation"],
        detail["quarantine"],
    )
    lines = fields(
        [
            ("Run", f"{detail['run_id']} of pipeline {detail['pipeline']}"),
            ("Status", detail["status"]),
            ("Started", detail["started"]),
            ("Completed", detail["completed"]),
            ("Data of run", detail["data_run_id"]),
            ("Resumed from", detail["previous_run_id"]),
            ("Batch", detail["properties"].get("batch_id")),
        ]
    )
    files = manifest["files"]
    where = manifest["uri"] or "no manifest run property"
    if manifest["uri"] and not manifest["found"]:
        where += " (not found)"
    lines += ["", f"Files ({len(files):,}, manifest {where}):"]
    for entry in files[:MAX_FILES_SHOWN]:
        version = f" version {entry['version_id']}" if entry.get("version_id") else ""
        lines.append(f"  {entry['uri']}{version} ({entry.get('size') or 0:,} bytes)")
    if len(files) > MAX_FILES_SHOWN:
        lines.append(f"  ... and {len(files) - MAX_FILES_SHOWN:,} more in the manifest")
    lines += ["", "Steps:"]
    lines += [
        "  " + line
        for line in table(
            ["STEP", "STATE", "JOB RUN", "STARTED", "DURATION", "DPU-S", "ERROR"],
            (
                [
                    s["step"],
                    s["state"],
                    s.get("job_run_id"),
                    s.get("started"),
                    duration(s.get("seconds")),
                    s.get("dpu_seconds"),
                    _first_line(s.get("error")),
                ]
                for s in detail["steps"]
            ),
        )
    ]
    lines += ["", _validation_heading(validation)]
    for rule in validation["rules"]:
        label = f"{rule['rule']}({rule['column']})" if rule.get("column") else rule["rule"]
        lines.append(
            f"  {str(rule.get('status')).upper():<12} {label}: observed {rule.get('observed')}, "
            f"expected {rule.get('threshold')} [{rule.get('severity')}]"
        )
    lines += ["", "Quarantine:"]
    for rejected in quarantine["files"]:
        lines.append(f"  file {rejected.get('uri')}: {rejected.get('reason')}")
    if quarantine["rows_rejected"]:
        lines.append(
            f"  {count(quarantine['rows_rejected'], 'row')} rejected, in "
            f"{quarantine['rows_uri']} ({count(quarantine['row_objects'], 'object')})"
        )
        for reason in quarantine["reasons"][:5]:
            lines.append(f"    {reason.get('rows', '?')} x {reason.get('reason')}")
    if not quarantine["files"] and not quarantine["rows_rejected"]:
        lines.append("  nothing")
    return lines


def _validation_heading(validation: dict[str, Any]) -> str:
    if not validation["found"]:
        return f"Validation: no report at {validation['uri']} (validate has not run)"
    return (
        f"Validation: {validation.get('status')}, {validation.get('rows') or 0:,} rows "
        f"(report {validation['uri']}): {validation.get('summary') or ''}"
    )


def _first_line(text: str | None) -> str:
    if not text:
        return "-"
    line = text.strip().splitlines()[0] if text.strip() else "-"
    return line if len(line) <= 80 else line[:77] + "..."
