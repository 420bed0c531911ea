"""How a pipeline runs and is looked after: its Glue jobs, alerts, crawler and compaction."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from gluekit.spec.base import StrictModel
from gluekit.spec.cron import validate_cron
from gluekit.spec.patterns import PARAMETER_PATTERN, PATTERN_WORDS


# ------------------------------------------------------------------------------------------ job
class Job(StrictModel):
    glue_version: Literal["5.0", "5.1", "6.0"] = Field("5.1", description="Glue version.")
    worker_type: Literal["G.1X", "G.2X", "G.4X", "G.8X"] = Field("G.1X")
    workers: int = Field(
        2, ge=2, le=299, description="Number of workers (the maximum with auto scaling)."
    )
    auto_scaling: bool = Field(True, description="Let Glue use fewer workers when it can.")
    execution_class: Literal["standard", "flex"] = Field(
        "standard", description="flex: cheaper, may start later."
    )
    timeout_minutes: int = Field(60, ge=1, le=2880, description="Per job run.")
    retries: int = Field(0, ge=0, le=10, description="Glue retries of a failed job run.")
    max_concurrent_runs: int = Field(
        1, ge=1, le=100, description="Concurrent workflow runs (and job runs) allowed."
    )
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Your job parameters (--KEY value) with their defaults; a run may override.",
    )

    @field_validator("parameters")
    @classmethod
    def _parameter_names(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not re.fullmatch(PARAMETER_PATTERN, key):
                allowed = PATTERN_WORDS[PARAMETER_PATTERN]
                raise ValueError(f"parameter name '{key}' is not allowed; allowed: {allowed}")
            if key.lower().startswith(("gluekit", "job_", "workflow_")) or key in RESERVED_ARGS:
                raise ValueError(f"parameter name '{key}' is reserved by gluekit or Glue")
        return value


RESERVED_ARGS = frozenset(
    {
        "JOB_NAME",
        "WORKFLOW_NAME",
        "WORKFLOW_RUN_ID",
        "manifest",
        "TempDir",
        # Run properties the bridge and the jobs write: a run property overrides a parameter of
        # the same name (gluekit_glue.parameters), so these cannot be parameters.
        "batch_id",
        "pipeline",
        "file_count",
        "validation_summary",
        "validation_status",
        "published_at",
        "started_by",  # gluekit start / replay
    }
)


# ------------------------------------------------------------------------------ alerts and more
class Alerts(StrictModel):
    emails: tuple[str, ...] = Field((), description="Added to the environment's alert e-mails.")
    expected_every_hours: float = Field(
        24, gt=0, le=24 * 7, description="Alarm when no publish succeeds within this time."
    )

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [e for e in value if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e)]
        if bad:
            raise ValueError(f"not an e-mail address: {bad}")
        return value


class Crawler(StrictModel):
    enabled: bool = Field(False, description="Create a crawler over the pipeline's raw prefix.")


class Compaction(StrictModel):
    schedule: str | None = Field(None, description="EventBridge cron for the compact job.")
    target_file_mb: int = Field(128, ge=16, le=1024, description="Aimed-for Parquet file size.")
    keep_snapshots_days: int = Field(
        7,
        ge=1,
        le=3650,
        description="Days of curated table history (snapshots) kept for time travel and rollback.",
    )

    @field_validator("schedule")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        return None if value is None else validate_cron(value)
