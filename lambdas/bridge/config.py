"""The bridge's configuration: the JSON of GLUEKIT_BRIDGE_CONFIG, parsed once into frozen values.

The JSON is rendered from the pipeline spec at synth time (`gluekit.render.bridge_config`) and by
the local runner; this module is its only reader inside the Lambda. Services receive a
`BridgeConfig` and never read the environment themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

CONFIG_ENV = "GLUEKIT_BRIDGE_CONFIG"

TriggerMode = Literal["on_arrival", "schedule", "after"]
TRIGGER_MODES = ("on_arrival", "schedule", "after")
SourceFormat = Literal["csv", "json", "parquet"]
Compression = Literal["none", "gzip"]
Orchestrator = Literal["glue-workflow", "step-functions"]
ORCHESTRATORS = ("glue-workflow", "step-functions")


class ConfigError(ValueError):
    """GLUEKIT_BRIDGE_CONFIG is missing or does not have the rendered shape."""


@dataclass(frozen=True)
class Buckets:
    raw: str
    curated: str
    quarantine: str
    artifacts: str


@dataclass(frozen=True)
class CsvOptions:
    header: bool
    delimiter: str
    quote: str
    encoding: str


@dataclass(frozen=True)
class Source:
    format: SourceFormat
    compression: Compression
    csv: CsvOptions


@dataclass(frozen=True)
class Upstream:
    """A pipeline a derived one follows: the names its successful publish is announced by."""

    pipeline: str
    publish_job: str
    state_machine: str


@dataclass(frozen=True)
class BridgeConfig:
    pipeline: str
    workflow_name: str
    buckets: Buckets
    claims_table: str
    raw_prefix: str
    suffixes: tuple[str, ...]
    source: Source
    expected_columns: tuple[str, ...]
    required_fields: tuple[str, ...]
    max_file_bytes: int
    trigger_mode: TriggerMode
    max_files_per_run: int
    max_wait_seconds: int
    max_concurrent_runs: int
    # The workflow's jobs in step order (the last one ends a run) and their MaxRetries.
    job_names: tuple[str, ...]
    job_retries: int
    tick_rule: str
    manifests_prefix: str
    quarantine_prefix: str
    event_source: str
    # Who runs the steps: the Glue workflow, or the state machine (then its ARN is given).
    orchestrator: Orchestrator = "glue-workflow"
    state_machine_arn: str = ""
    upstreams: tuple[Upstream, ...] = ()

    @property
    def scheduled(self) -> bool:
        return self.trigger_mode == "schedule"

    @property
    def derived(self) -> bool:
        """Runs after its upstreams publish (trigger.after): no files, one run per request."""
        return self.trigger_mode == "after"

    @property
    def uses_state_machine(self) -> bool:
        return self.orchestrator == "step-functions"

    @classmethod
    def from_json(cls, text: str) -> BridgeConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{CONFIG_ENV} is not valid JSON: {exc}") from None
        return cls.from_dict(_mapping(data, "(root)"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BridgeConfig:
        buckets = _mapping(data.get("buckets"), "buckets")
        source = _mapping(data.get("source"), "source")
        csv = _mapping(source.get("csv"), "source.csv")
        max_files = _integer(data, "max_files_per_run")
        if max_files < 1:
            raise ConfigError("max_files_per_run must be at least 1")
        # Absent in configurations rendered before the orchestrator choice: the Glue workflow.
        orchestrator = _choice(
            {"orchestrator": "glue-workflow", **data}, "orchestrator", ORCHESTRATORS
        )
        state_machine_arn = data.get("state_machine_arn") or ""
        if orchestrator == "step-functions" and (
            not isinstance(state_machine_arn, str) or ":stateMachine:" not in state_machine_arn
        ):
            raise ConfigError(
                f"state_machine_arn: expected the state machine's ARN, got {state_machine_arn!r}"
            )
        return cls(
            pipeline=_text(data, "pipeline"),
            workflow_name=_text(data, "workflow_name"),
            buckets=Buckets(
                raw=_text(buckets, "raw", "buckets."),
                curated=_text(buckets, "curated", "buckets."),
                quarantine=_text(buckets, "quarantine", "buckets."),
                artifacts=_text(buckets, "artifacts", "buckets."),
            ),
            claims_table=_text(data, "claims_table"),
            raw_prefix=_text(data, "raw_prefix", allow_empty=True),
            suffixes=_texts(data, "suffixes"),
            source=Source(
                format=cast(SourceFormat, _choice(source, "format", ("csv", "json", "parquet"))),
                compression=cast(Compression, _choice(source, "compression", ("none", "gzip"))),
                csv=CsvOptions(
                    header=_flag(csv, "header"),
                    delimiter=_text(csv, "delimiter", "source.csv."),
                    quote=_text(csv, "quote", "source.csv."),
                    encoding=_text(csv, "encoding", "source.csv."),
                ),
            ),
            expected_columns=_texts(data, "expected_columns"),
            required_fields=_texts(data, "required_fields"),
            max_file_bytes=_integer(data, "max_file_bytes"),
            trigger_mode=cast(TriggerMode, _choice(data, "trigger_mode", TRIGGER_MODES)),
            max_files_per_run=max_files,
            max_wait_seconds=_integer(data, "max_wait_seconds"),
            max_concurrent_runs=max(1, _integer(data, "max_concurrent_runs")),
            job_names=_job_names(data),
            job_retries=_integer(data, "job_retries"),
            tick_rule=_text(data, "tick_rule"),
            manifests_prefix=_text(data, "manifests_prefix"),
            quarantine_prefix=_text(data, "quarantine_prefix", allow_empty=True),
            event_source=_text(data, "event_source"),
            orchestrator=cast(Orchestrator, orchestrator),
            state_machine_arn=state_machine_arn,
            upstreams=_upstreams(data),
        )


def load_config(environ: Mapping[str, str]) -> BridgeConfig:
    """Parse the configuration from the function's environment (called once, at cold start)."""
    text = environ.get(CONFIG_ENV)
    if not text:
        raise ConfigError(f"environment variable {CONFIG_ENV} is not set")
    return BridgeConfig.from_json(text)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _text(data: Mapping[str, Any], key: str, where: str = "", allow_empty: bool = False) -> str:
    value = data.get(key)
    if not isinstance(value, str) or (not value and not allow_empty):
        raise ConfigError(f"{where}{key}: expected a non-empty string, got {value!r}")
    return value


def _texts(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
    return tuple(value)


def _upstreams(data: Mapping[str, Any]) -> tuple[Upstream, ...]:
    value = data.get("upstreams") or []  # absent before trigger.after
    if not isinstance(value, list):
        raise ConfigError(f"upstreams: expected a list, got {value!r}")
    upstreams = []
    for index, item in enumerate(value):
        entry = _mapping(item, f"upstreams[{index}]")
        where = f"upstreams[{index}]."
        upstreams.append(
            Upstream(
                pipeline=_text(entry, "pipeline", where),
                publish_job=_text(entry, "publish_job", where),
                state_machine=_text(entry, "state_machine", where),
            )
        )
    if data.get("trigger_mode") == "after" and not upstreams:
        raise ConfigError("upstreams: trigger_mode 'after' needs the pipelines it follows")
    return tuple(upstreams)


def _job_names(data: Mapping[str, Any]) -> tuple[str, ...]:
    names = _texts(data, "job_names")
    if not names:
        raise ConfigError("job_names: expected the workflow's jobs, got none")
    return names


def _integer(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    return value


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise ConfigError(f"source.csv.{key}: expected true or false, got {value!r}")
    return value


def _choice(data: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = data.get(key)
    if value not in allowed:
        raise ConfigError(f"{key}: expected one of {', '.join(allowed)}, got {value!r}")
    return cast(str, value)
