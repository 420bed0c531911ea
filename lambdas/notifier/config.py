"""The notifier's configuration: the JSON that `gluekit.render.notifier_config` renders at synth."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

CONFIG_ENV = "GLUEKIT_NOTIFIER_CONFIG"


class ConfigError(ValueError):
    """The configuration is missing or malformed: a deployment fault, never an event's."""


@dataclass(frozen=True)
class RawSchema:
    """The raw crawler's tables and the contract's source columns they should show."""

    database: str
    table_prefix: str
    location: str  # s3://raw-bucket/raw-prefix/: tables of other pipelines' crawlers lie elsewhere
    by_position: bool
    columns: tuple[tuple[str, str], ...]  # (source name, contract type), in contract order


@dataclass(frozen=True)
class NotifierConfig:
    pipeline: str
    topic_arn: str
    region: str
    workflow_name: str
    job_names: Mapping[str, str]  # step → Glue job name
    crawler_name: str
    buckets: Mapping[str, str]  # zone (raw, curated, quarantine, artifacts) → bucket name
    reports_prefix: str
    manifests_prefix: str
    raw_schema: RawSchema | None = None  # None: the pipeline has no raw crawler
    # Who runs the steps; with the state machine its executions' alerts come from it.
    orchestrator: str = "glue-workflow"
    state_machine_name: str = ""
    # The kit's environment (`--env`) its commands in the alerts name; None: the default one.
    environment: str | None = None
    # Follows other pipelines (trigger.after): a run reads tables, there are no files to replay.
    derived: bool = False

    def step_of(self, job_name: str) -> str | None:
        """The pipeline step a Glue job runs, or None for a job of another pipeline."""
        for step, name in self.job_names.items():
            if name == job_name:
                return step
        return None

    @property
    def artifacts_bucket(self) -> str:
        return self.buckets["artifacts"]

    def owns_state_machine(self, arn: str) -> bool:
        """Is `arn` this pipeline's state machine (arn:...:stateMachine:<name>)?"""
        return bool(self.state_machine_name) and arn.endswith(
            f":stateMachine:{self.state_machine_name}"
        )


def parse_config(raw: str | None) -> NotifierConfig:
    """Parse the rendered JSON; raise ConfigError naming what is wrong."""
    if not raw:
        raise ConfigError(f"environment variable {CONFIG_ENV} is not set")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{CONFIG_ENV} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{CONFIG_ENV} must be a JSON object")
    buckets = _str_map(data, "buckets")
    if "artifacts" not in buckets:
        raise ConfigError(f"{CONFIG_ENV}: buckets.artifacts is missing")
    return NotifierConfig(
        pipeline=_str(data, "pipeline"),
        topic_arn=_str(data, "topic_arn"),
        region=_str(data, "region"),
        workflow_name=_str(data, "workflow_name"),
        job_names=_str_map(data, "job_names"),
        crawler_name=_str(data, "crawler_name"),
        buckets=buckets,
        reports_prefix=_str(data, "reports_prefix"),
        manifests_prefix=_str(data, "manifests_prefix"),
        raw_schema=_raw_schema(data.get("raw_schema")),
        orchestrator=str(data.get("orchestrator") or "glue-workflow"),
        state_machine_name=str(data.get("state_machine_name") or ""),
        environment=_optional_str(data, "environment"),
        derived=data.get("derived") is True,
    )


def _raw_schema(value: Any) -> RawSchema | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{CONFIG_ENV}: 'raw_schema' must be an object or null")
    columns = value.get("columns")
    if (
        not isinstance(columns, list)
        or not columns
        or not all(
            isinstance(c, list) and len(c) == 2 and all(isinstance(x, str) and x for x in c)
            for c in columns
        )
    ):
        raise ConfigError(f"{CONFIG_ENV}: 'raw_schema.columns' must be [name, type] pairs")
    by_position = value.get("by_position")
    if not isinstance(by_position, bool):
        raise ConfigError(f"{CONFIG_ENV}: 'raw_schema.by_position' must be true or false")
    return RawSchema(
        database=_str(value, "database"),
        table_prefix=_str(value, "table_prefix"),
        location=_str(value, "location"),
        by_position=by_position,
        columns=tuple((name, kind) for name, kind in columns),
    )


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{CONFIG_ENV}: '{key}' must be a non-empty string")
    return value


def _optional_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{CONFIG_ENV}: '{key}' must be a non-empty string or absent")
    return value


def _str_map(data: dict[str, Any], key: str) -> Mapping[str, str]:
    value = data.get(key)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{CONFIG_ENV}: '{key}' must be an object of strings")
    return MappingProxyType(dict(value))
