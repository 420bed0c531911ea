"""`gluekit blueprint export`: a pipeline as a Glue blueprint archive, for Glue console users.

The archive (what `aws glue create-blueprint --blueprint-location s3://.../<name>.zip` takes)
holds one folder, named like a Python package because Glue imports the layout by its dotted name:

    <table>_blueprint/
        blueprint.cfg      layoutGenerator "<table>_blueprint.layout.generate_layout" and the
                           parameterSpec a console user fills in (where the data lives, who runs it)
        layout.py          gluekit/blueprint/layout.py, as is: builds the workflow with
                           awsglue.blueprint's Workflow, Entities, Job and Crawler
        pipeline.json      the pipeline, rendered from its spec: the jobs' configuration and
                           default arguments, the parameters' defaults
        jobs/<step>.py     the Glue job scripts, the same files CDK deploys
        gluekit_glue.zip   the jobs' library (--extra-py-files)

The blueprint makes the Glue side only: jobs, the raw crawler, the workflow and its triggers.
Files reach a run through its `manifest` run property; the bridge, its queue and the alerts stay
with the CDK deployment.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gluekit.naming import STEPS, FoundationNames, PipelineNames
from gluekit.render import (
    GLUE_CATALOG,
    GLUE_CONFIG_ARG,
    RAW_CRAWLER_CONFIGURATION,
    RAW_CRAWLER_SCHEMA_CHANGE_POLICY,
    glue_catalog_settings,
    glue_job_arguments,
    glue_job_config,
)
from gluekit.spec import PipelineSpec

REPO = Path(__file__).resolve().parents[2]
GLUE_SCRIPTS = REPO / "glue_scripts"
LAYOUT = Path(__file__).resolve().parent / "layout.py"
LIBRARY = "gluekit_glue.zip"
# Every zip entry gets this time: the same spec exports the same archive, whenever.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# What the blueprint library's Job takes (gluekit.blueprint.standin has the same list).
BLUEPRINT_WORKER_TYPES = ("G.1X", "G.2X")
WAREHOUSE_SETTING = f"spark.sql.catalog.{GLUE_CATALOG}.warehouse"
# Arguments the layout writes itself, from the user's parameters.
LAYOUT_ARGUMENTS = (GLUE_CONFIG_ARG, "--conf", "--extra-py-files")
# Glue's own job arguments, which a job created without CDK has to set itself.
GLUE_JOB_ARGUMENTS = {
    "--job-language": "python",
    "--enable-metrics": "",
    "--enable-continuous-cloudwatch-log": "true",
}


class BlueprintExportError(ValueError):
    """The pipeline cannot be expressed as a blueprint; the message says why."""


@dataclass(frozen=True)
class ExportedBlueprint:
    folder: Path
    archive: Path
    notes: list[str] = field(default_factory=list)  # what the blueprint leaves out


def folder_name(spec: PipelineSpec) -> str:
    """A package name (letters, digits, '_'): Glue imports <folder>.layout."""
    return f"{spec.table_name}_blueprint"


def export_blueprint(spec: PipelineSpec, out_dir: Path) -> ExportedBlueprint:
    if spec.is_derived:
        raise BlueprintExportError(
            f"{spec.name} follows {', '.join(spec.upstreams)} (trigger.after): a blueprint's "
            "workflow starts from files arriving or a schedule, and cannot follow another "
            "pipeline's publish; deploy it with the kit"
        )
    if spec.job.worker_type not in BLUEPRINT_WORKER_TYPES:
        raise BlueprintExportError(
            f"{spec.name}: job.worker_type {spec.job.worker_type} cannot go into a blueprint: "
            f"the Glue blueprint library takes {', '.join(BLUEPRINT_WORKER_TYPES)} only"
        )
    folder = out_dir / folder_name(spec)
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "jobs").mkdir(parents=True)
    (folder / "blueprint.cfg").write_text(
        json.dumps(blueprint_config(spec), indent=2) + "\n", encoding="utf-8"
    )
    shutil.copyfile(LAYOUT, folder / "layout.py")
    (folder / "pipeline.json").write_text(
        json.dumps(pipeline_document(spec), indent=2) + "\n", encoding="utf-8"
    )
    for step in STEPS:
        shutil.copyfile(GLUE_SCRIPTS / step / "job.py", folder / "jobs" / f"{step}.py")
    (folder / LIBRARY).write_bytes(library_zip())
    archive = out_dir / f"{folder.name}.zip"
    _zip_folder(folder, archive)
    return ExportedBlueprint(folder, archive, _notes(spec))


def blueprint_config(spec: PipelineSpec) -> dict[str, Any]:
    job = spec.job

    def param(kind: str, description: str, default: Any = None, **more: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": kind, "collection": False, "description": description}
        if default is not None:
            entry["defaultValue"] = default
        return {**entry, **more}

    spec_params: dict[str, Any] = {
        "WorkflowName": param(
            "String", "Name of the workflow (its jobs are named after it).", f"gluekit-{spec.name}"
        ),
        "JobRoleArn": param(
            "IAMRoleArn",
            "Role the jobs run as: read the raw location; read and write this pipeline's "
            "prefixes in the curated, quarantine and artifacts buckets; the Glue database and "
            "its table; PutMetricData; the buckets' KMS key.",
        ),
        "RawLocation": param(
            "S3Uri",
            f"Where the files arrive, s3://bucket/prefix/ (the kit uses {spec.raw_prefix}).",
        ),
        "CuratedBucket": param("S3Bucket", "Bucket of the curated Iceberg table."),
        "QuarantineBucket": param("S3Bucket", "Bucket for rejected files and rows."),
        "ArtifactsBucket": param(
            "S3Bucket",
            "Bucket for manifests, staging, reports and the job scripts (scripts/).",
        ),
        "DatabaseName": param("String", "Glue database of the curated table (it must exist)."),
        "ManifestLocation": param(
            "String",
            "Optional: an s3:// manifest to process when the workflow runs without a "
            "'manifest' run property.",
            "",
        ),
        "WorkerType": param(
            "String",
            "Glue worker type.",
            job.worker_type,
            allowedValues=list(BLUEPRINT_WORKER_TYPES),
        ),
        "NumberOfWorkers": param("Integer", "Workers per job run.", job.workers),
        "TimeoutMinutes": param("Integer", "Timeout of each job run.", job.timeout_minutes),
        "MaxRetries": param("Integer", "Glue retries of a failed job run.", job.retries),
        "MaxConcurrentRuns": param(
            "Integer", "Concurrent runs of each job.", job.max_concurrent_runs
        ),
        "GlueVersion": param(
            "String", "Glue version.", job.glue_version, allowedValues=["5.0", "5.1", "6.0"]
        ),
        "SecurityConfiguration": param(
            "String", "Optional: a Glue security configuration for the jobs (and crawler).", ""
        ),
    }
    if spec.crawler.enabled:
        spec_params["CrawlerRoleArn"] = param(
            "IAMRoleArn",
            "Role of the raw crawler: read the raw location, create and update the "
            f"{PipelineNames('', spec.name).raw_table_prefix}* tables.",
        )
    for key, value in spec.job.parameters.items():
        spec_params[f"Param_{key}"] = param("String", f"Job parameter --{key}.", value)
    return {
        "layoutGenerator": f"{folder_name(spec)}.layout.generate_layout",
        "parameterSpec": spec_params,
    }


def pipeline_document(spec: PipelineSpec) -> dict[str, Any]:
    """pipeline.json: everything layout.py needs from the spec, rendered as for CDK."""
    # The layout replaces the buckets and the database with the user's; the rest of the
    # configuration does not depend on where the pipeline is deployed.
    placeholder = FoundationNames("gluekit", "account", "region")
    arguments = {
        key: value
        for key, value in glue_job_arguments(spec, placeholder).items()
        if key not in LAYOUT_ARGUMENTS and key.removeprefix("--") not in spec.job.parameters
    }
    catalog = glue_catalog_settings("s3://curated/")
    del catalog[WAREHOUSE_SETTING]
    config = glue_job_config(spec, placeholder)
    names = PipelineNames(placeholder.prefix, spec.name)
    return {
        "pipeline": spec.name,
        "library": LIBRARY,
        "job_config": config,
        "default_arguments": {**GLUE_JOB_ARGUMENTS, **arguments},
        "catalog_settings": catalog,
        "warehouse_setting": WAREHOUSE_SETTING,
        "job_parameters": sorted(spec.job.parameters),
        "parameter_defaults": {
            name: entry["defaultValue"]
            for name, entry in blueprint_config(spec)["parameterSpec"].items()
            if "defaultValue" in entry
        },
        "crawler": {
            "table_prefix": names.raw_table_prefix,
            "schema_change_policy": RAW_CRAWLER_SCHEMA_CHANGE_POLICY,
            "configuration": RAW_CRAWLER_CONFIGURATION,
        }
        if spec.crawler.enabled
        else None,
    }


def library_zip() -> bytes:
    """The gluekit_glue package as Glue's --extra-py-files wants it (the package at the root)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        package = GLUE_SCRIPTS / "gluekit_glue"
        for path in sorted(package.rglob("*.py")):
            _add(archive, path, path.relative_to(GLUE_SCRIPTS).as_posix())
    return buffer.getvalue()


def _zip_folder(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            _add(zipped, path, path.relative_to(folder.parent).as_posix())


def _add(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, path.read_bytes())


def _notes(spec: PipelineSpec) -> list[str]:
    notes = [
        "the blueprint creates the Glue side only (jobs, workflow and triggers"
        + (", raw crawler" if spec.crawler.enabled else "")
        + "); a run processes the manifest in its 'manifest' run property",
    ]
    if spec.orchestrator == "step-functions":
        notes.append("a blueprint always makes a Glue workflow (spec orchestrator: step-functions)")
    if spec.job.execution_class == "flex":
        notes.append("job.execution_class flex is left out: the blueprint library has no such key")
    if spec.compaction.schedule:
        notes.append("the compact job and its schedule are not part of the workflow")
    return notes
