"""Job arguments: what every gluekit Glue job accepts, and how to pass them.

Arguments (Glue passes each as two argv items, ``--NAME value``):

==========================  ===================================================================
``--JOB_NAME``              set by Glue.
``--gluekit_config``        the pipeline's JSON configuration, rendered from the spec by
                            ``gluekit.render.glue_job_config`` and set as a default argument of
                            the job at deploy time. Required.
``--WORKFLOW_NAME``,        set by Glue when the workflow started the job; the job then reads
``--WORKFLOW_RUN_ID``       the run properties the bridge wrote (``manifest``, ``batch_id``, ...)
                            and writes its own (``validation_summary``, ``published_at``).
``--run_id``                names the run's staged data, report and summaries when no workflow
                            started the job (manual runs). Default: the workflow run's id (the
                            original run's, when the run was resumed), else Glue's
                            ``JOB_RUN_ID``. Pass the same value to transform, validate and
                            publish so that they find each other's output.
``--manifest``              transform only: ``s3://...`` manifest to process instead of the run
                            property (manual runs, reprocessing an old batch).
``--partitions``            compact only: ``dt=2026-11-20,dt=2026-11-21`` (``k=v/k2=v2`` for
                            several partition columns). Default: the whole table.
``--rollback_to_snapshot``  compact only, instead of maintenance: roll the curated table back to
``--rollback_to_time``      a snapshot id, or to the snapshot current at an ISO 8601 instant.
``--gluekit_local_root``    run on the local machine: Spark reads and writes
                            ``<root>/<bucket>/<key>`` instead of S3 (see ``storage``).
``--gluekit_local_code``    run on the local machine: the pipeline's code folder, which Glue
                            gets as ``--extra-py-files`` (see ``step_code``).
``--<parameter>``           the pipeline's own parameters (spec ``job.parameters``, e.g.
                            ``--min_amount 0``) reach ``run`` as ``options.extra``.
==========================  ===================================================================

Unknown arguments never fail a job: Glue adds its own (``--JOB_RUN_ID``, ``--TempDir``,
``--job-bookmark-option``, ...).

Overriding a parameter for one run
----------------------------------
- Console: Glue → ETL jobs → the job → "Run with parameters" (Job details → Advanced → Job
  parameters): key ``--min_amount``, value ``5``.
- API / boto3: ``glue.start_job_run(JobName=..., Arguments={"--min_amount": "5",
  "--run_id": "manual-1"})``. Arguments given here replace the job's defaults for that run only.
- AWS CLI: ``aws glue start-job-run --job-name NAME``
  ``--arguments '--min_amount=5,--run_id=manual-1'``.
- The kit's CLI shorthand ``KEY=value,KEY2=value`` is parsed by `parse_overrides` (quote a value
  that holds a comma: ``partitions="dt=2026-11-20,dt=2026-11-21"``) and turned into the API's
  ``Arguments`` by `to_glue_arguments`.
A run that a workflow starts takes the arguments of the workflow's trigger action; pass per-run
values as workflow run properties instead (the bridge does, for ``manifest``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from awsglue.utils import getResolvedOptions

from gluekit_glue.config import JobConfig, parse_config

REQUIRED = ("JOB_NAME", "gluekit_config")
# getResolvedOptions itself accepts --JOB_ID, --JOB_RUN_ID and --SECURITY_CONFIGURATION (and
# refuses to be asked for them).
OPTIONAL = (
    "WORKFLOW_NAME",
    "WORKFLOW_RUN_ID",
    "run_id",
    "manifest",
    "partitions",
    "rollback_to_snapshot",
    "rollback_to_time",
    "gluekit_local_root",
    "gluekit_local_code",
)
# Arguments Glue itself passes or reserves: never the pipeline's parameters.
GLUE_ARGUMENTS = frozenset(
    {
        "JOB_ID",
        "JOB_RUN_ID",
        "JOB_NAME",
        "SECURITY_CONFIGURATION",
        "TempDir",
        "RedshiftTempDir",
        "WORKFLOW_NAME",
        "WORKFLOW_RUN_ID",
        "scriptLocation",
        "conf",  # Spark settings (the Iceberg catalog), read by Glue before the job starts
    }
)
PARAMETER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
OVERRIDE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")


class ArgumentError(ValueError):
    """A job argument is missing or malformed."""


@dataclass(frozen=True)
class JobOptions:
    job_name: str
    config: JobConfig
    run_id: str
    workflow_name: str | None = None
    workflow_run_id: str | None = None
    local_root: str | None = None
    local_code: str | None = None
    manifest: str | None = None
    partitions: str | None = None
    rollback_to_snapshot: str | None = None
    rollback_to_time: str | None = None
    run_id_given: bool = False  # --run_id was passed: never replaced by the workflow's
    extra: Mapping[str, str] = field(default_factory=dict)
    # Everything getResolvedOptions returned, for awsglue's Job.init.
    resolved: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def in_workflow(self) -> bool:
        return bool(self.workflow_name and self.workflow_run_id)


def resolve_options(argv: Sequence[str]) -> JobOptions:
    """Parse a job's argv (``argv[0]`` is the script) into typed options."""
    argv = list(argv)
    present = [name for name in OPTIONAL if _given(argv, name)]
    try:
        resolved = getResolvedOptions(argv, [*REQUIRED, *present])
    except Exception as exc:  # awsglue raises its own GlueArgumentError
        raise ArgumentError(f"job arguments: {exc}") from exc
    if resolved.get("run_id") == "":
        raise ArgumentError("--run_id is empty")
    run_id = resolved.get("run_id") or resolved.get("WORKFLOW_RUN_ID") or resolved.get("JOB_RUN_ID")
    if not run_id:
        raise ArgumentError(
            "no run id: pass --run_id (a manual run), or start the job from its workflow"
        )
    if not RUN_ID.match(run_id):
        raise ArgumentError(
            f"run id '{run_id}' may hold only letters, digits, '_', '.' and '-' "
            "(it becomes part of S3 keys)"
        )
    manifest = resolved.get("manifest")
    if manifest is not None and not manifest.startswith("s3://"):
        raise ArgumentError(f"--manifest must be an s3:// URI, got '{manifest}'")
    return JobOptions(
        job_name=resolved["JOB_NAME"],
        config=parse_config(resolved["gluekit_config"]),
        run_id=run_id,
        workflow_name=resolved.get("WORKFLOW_NAME"),
        workflow_run_id=resolved.get("WORKFLOW_RUN_ID"),
        local_root=resolved.get("gluekit_local_root"),
        local_code=resolved.get("gluekit_local_code"),
        manifest=manifest,
        partitions=resolved.get("partitions"),
        rollback_to_snapshot=resolved.get("rollback_to_snapshot"),
        rollback_to_time=resolved.get("rollback_to_time"),
        run_id_given=bool(resolved.get("run_id")),
        extra=extra_arguments(argv),
        resolved=resolved,
    )


def extra_arguments(argv: Sequence[str]) -> dict[str, str]:
    """The pipeline's own ``--name value`` parameters: everything gluekit and Glue do not own."""
    own = {*REQUIRED, *OPTIONAL, *GLUE_ARGUMENTS}
    extra: dict[str, str] = {}
    items = list(argv[1:])
    index = 0
    while index < len(items):
        token = items[index]
        index += 1
        if not token.startswith("--"):
            continue
        name, has_value, value = token[2:].partition("=")
        # A flag without a value (Glue passes some) is followed directly by the next option.
        if not has_value and index < len(items) and not items[index].startswith("--"):
            value = items[index]
            index += 1
        if PARAMETER_NAME.match(name) and name not in own:
            extra[name] = value
    return extra


def parse_overrides(text: str) -> dict[str, str]:
    """``KEY=value,KEY2=value`` → ``{"KEY": "value", "KEY2": "value"}``.

    A leading ``--`` on a key is dropped (``--min_amount=5`` works too), whitespace around items is
    ignored, a value may contain ``=``, and a value holding a comma is quoted with ``"`` or ``'``.
    """
    overrides: dict[str, str] = {}
    for item in _split_outside_quotes(text):
        if not item:
            continue
        key, has_value, value = item.partition("=")
        key = key.strip()
        key = key[2:] if key.startswith("--") else key
        if not has_value:
            raise ArgumentError(f"'{item}' is not KEY=value")
        if not OVERRIDE_KEY.match(key):
            raise ArgumentError(f"'{key}' is not a parameter name (letters, digits, '_', '-')")
        if key in overrides:
            raise ArgumentError(f"'{key}' is given twice")
        overrides[key] = _unquote(value.strip())
    return overrides


def to_glue_arguments(overrides: Mapping[str, str]) -> dict[str, str]:
    """The ``Arguments`` of ``start_job_run`` / ``start_workflow_run`` actions: ``--KEY``."""
    return {f"--{key}": value for key, value in overrides.items()}


def _given(argv: Sequence[str], name: str) -> bool:
    flag = f"--{name}"
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def _split_outside_quotes(text: str) -> list[str]:
    items, current, quote = [], [], ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
            current.append(char)
        elif char in "\"'":
            quote = char
            current.append(char)
        elif char == ",":
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if quote:
        raise ArgumentError(f"unclosed quote {quote} in '{text}'")
    items.append("".join(current).strip())
    return items


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
