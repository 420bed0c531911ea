"""The pipeline configuration a Glue job receives as `--gluekit_config` (JSON).

`gluekit.render.glue_job_config` produces it at synth time (and in the local runner); this module
parses it into frozen dataclasses with the standard library only, because the Glue job ships
without pydantic or the `gluekit` package. Missing or mistyped keys raise `ConfigError` naming
the key; unknown keys are ignored so that a newer kit may add settings.

Every S3 location a job reads or writes is derived here, in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, TypeVar, cast

from gluekit_glue.rule_config import (
    AcceptedValuesRule,
    DuplicateKeysRule,
    FreshnessRule,
    NullRateRule,
    PartitionCompletenessRule,
    RangeRule,
    RejectRateRule,
    RowCountRule,
    Rule,
    Severity,
    UniqueKeyRule,
)
from gluekit_glue.step_config import StepConfig, UserLogic, parse_user_logic
from gluekit_glue.upstream_config import UpstreamConfig, parse_upstreams

DECIMAL_TYPE = re.compile(r"^decimal\((\d{1,2}),(\d{1,2})\)$")
SIMPLE_TYPES = ("string", "int", "bigint", "double", "boolean", "date", "timestamp")
NUMERIC_TYPES = ("int", "bigint", "double")
TEMPORAL_TYPES = ("date", "timestamp")
TRANSFORMS = ("day", "month", "year", "hour", "identity")
STEPS = ("transform", "validate", "publish", "compact")

T = TypeVar("T")


class ConfigError(ValueError):
    """The `--gluekit_config` JSON is not what this version of the Glue code expects."""


# ------------------------------------------------------------------------------------- pieces
@dataclass(frozen=True)
class CsvOptions:
    header: bool
    delimiter: str
    quote: str
    encoding: str
    # Texts that mean null in any column, compared after trimming spaces.
    null_values: tuple[str, ...] = ("",)


@dataclass(frozen=True)
class SourceConfig:
    format: Literal["csv", "json", "parquet"]
    compression: Literal["none", "gzip"]
    csv: CsvOptions
    # Zone of timestamp text without an offset (an IANA name Java knows too).
    timezone: str = "UTC"
    # What a column or key the contract does not know does: warn, quarantine or fail.
    on_unknown_columns: Literal["warn", "quarantine", "fail"] = "warn"

    @property
    def is_text(self) -> bool:
        return self.format in ("csv", "json")


@dataclass(frozen=True)
class ColumnConfig:
    name: str
    type: str
    nullable: bool
    source: str
    format: str | None
    # Boolean columns: texts meaning true / false, compared trimmed and ignoring case.
    true_values: tuple[str, ...] = ("true",)
    false_values: tuple[str, ...] = ("false",)
    description: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES or self.type.startswith("decimal")

    @property
    def is_temporal(self) -> bool:
        return self.type in TEMPORAL_TYPES

    @property
    def decimal(self) -> tuple[int, int] | None:
        match = DECIMAL_TYPE.match(self.type)
        return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class PartitionConfig:
    name: str
    from_: str
    transform: Literal["day", "month", "year", "hour", "identity"]


@dataclass(frozen=True)
class Buckets:
    raw: str
    curated: str
    quarantine: str
    artifacts: str


@dataclass(frozen=True)
class Prefixes:
    raw: str
    staging: str
    curated: str
    quarantine: str
    reports: str
    manifests: str


# ------------------------------------------------------------------------------------- config
@dataclass(frozen=True)
class JobConfig:
    pipeline: str
    source: SourceConfig
    columns: tuple[ColumnConfig, ...]
    primary_key: tuple[str, ...]
    order_by: str | None
    partition_by: tuple[PartitionConfig, ...]
    validation: tuple[Rule, ...]
    buckets: Buckets
    prefixes: Prefixes
    database: str
    table: str
    metrics_namespace: str
    compaction_target_file_mb: int
    keep_snapshots_days: int = 7
    # When steps change the shape, `columns` is the curated table and these the contract's
    # columns that transform reads and casts; empty when both are the same.
    input_columns: tuple[ColumnConfig, ...] = ()
    logic: UserLogic = field(default_factory=UserLogic)
    # A derived pipeline (spec trigger.after) reads these tables, not files.
    upstreams: tuple[UpstreamConfig, ...] = ()

    @property
    def source_columns(self) -> tuple[ColumnConfig, ...]:
        """The contract's columns: what the source files hold and the casts produce."""
        return self.input_columns or self.columns

    @property
    def steps(self) -> tuple[StepConfig, ...]:
        return self.logic.steps

    def column(self, name: str) -> ColumnConfig:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def partition_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.partition_by)

    # Locations. Every prefix from the config ends in '/'.
    def staged_uri(self, run_id: str) -> str:
        return f"s3://{self.buckets.artifacts}/{self.prefixes.staging}{run_id}/data/"

    def pinned_inputs_uri(self, run_id: str) -> str:
        """Where transform copies a manifest version that is no longer the object's latest."""
        return f"s3://{self.buckets.artifacts}/{self.prefixes.staging}{run_id}/inputs/"

    def row_rejects_uri(self, run_id: str) -> str:
        return f"s3://{self.buckets.quarantine}/{self.prefixes.quarantine}rows/run_id={run_id}/"

    def file_reject_uri(self, run_id: str, key: str) -> str:
        return f"s3://{self.buckets.quarantine}/{self.prefixes.quarantine}files/{run_id}/{key}"

    def report_uri(self, run_id: str) -> str:
        return f"s3://{self.buckets.artifacts}/{self.prefixes.reports}{run_id}.json"

    def summary_uri(self, run_id: str, step: str) -> str:
        return f"s3://{self.buckets.artifacts}/runs/{self.pipeline}/{run_id}/{step}.json"

    @property
    def curated_uri(self) -> str:
        return f"s3://{self.buckets.curated}/{self.prefixes.curated}"


def parse_config(text: str | Mapping[str, Any]) -> JobConfig:
    """Parse the `--gluekit_config` JSON (or an already decoded mapping)."""
    if isinstance(text, str):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--gluekit_config is not valid JSON: {exc}") from None
    else:
        data = text
    reader = _Reader(data, "gluekit_config")
    columns = tuple(_column(r) for r in reader.items("columns"))
    if not columns:
        raise ConfigError("gluekit_config.columns: the contract needs at least one column")
    known = {c.name for c in columns}
    primary_key = tuple(reader.text_list("primary_key"))
    partition_by = tuple(_partition(r) for r in reader.items("partition_by"))
    for name in primary_key + tuple(p.from_ for p in partition_by):
        if name not in known:
            raise ConfigError(f"gluekit_config: column '{name}' is not in the contract columns")
    order_by = reader.optional_text("order_by")
    config = JobConfig(
        pipeline=reader.text("pipeline"),
        source=_source(reader.child("source")),
        columns=columns,
        primary_key=primary_key,
        order_by=order_by,
        partition_by=partition_by,
        validation=(),
        buckets=Buckets(**{z: reader.child("buckets").text(z) for z in _fields(Buckets)}),
        prefixes=Prefixes(**{p: reader.child("prefixes").text(p) for p in _fields(Prefixes)}),
        database=reader.text("database"),
        table=reader.text("table"),
        metrics_namespace=reader.text("metrics_namespace"),
        compaction_target_file_mb=reader.integer("compaction_target_file_mb"),
        keep_snapshots_days=reader.optional_integer("keep_snapshots_days") or 7,
        input_columns=tuple(_column(r) for r in reader.items("source_columns"))
        if "source_columns" in reader.data
        else (),
        logic=parse_user_logic(reader),
        upstreams=parse_upstreams(reader.data.get("upstreams")),
    )
    rules = tuple(_rule(r, config) for r in reader.items("validation"))
    return replace(config, validation=rules)


# ------------------------------------------------------------------------------------ helpers
def _fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _source(r: _Reader) -> SourceConfig:
    fmt = r.choice("format", ("csv", "json", "parquet"))
    compression = r.choice("compression", ("none", "gzip"))
    drift = r.choice("on_unknown_columns", ("warn", "quarantine", "fail"))
    csv = r.child("csv")
    return SourceConfig(
        format=cast(Literal["csv", "json", "parquet"], fmt),
        compression=cast(Literal["none", "gzip"], compression),
        csv=CsvOptions(
            header=csv.flag("header"),
            delimiter=csv.text("delimiter"),
            quote=csv.text("quote"),
            encoding=csv.text("encoding"),
            null_values=_or_default(csv.optional_text_list("null_values"), ("",)),
        ),
        timezone=r.optional_text("timezone") or "UTC",
        on_unknown_columns=cast(Literal["warn", "quarantine", "fail"], drift),
    )


def _or_default(values: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """An older rendered config lacks the key: the spec's default applies."""
    return default if values is None else tuple(values)


def _column(r: _Reader) -> ColumnConfig:
    name = r.text("name")
    type_ = r.text("type").replace(" ", "").lower()
    if type_ not in SIMPLE_TYPES and not DECIMAL_TYPE.match(type_):
        raise ConfigError(f"{r.where}.type: unknown type '{type_}'")
    return ColumnConfig(
        name=name,
        type=type_,
        nullable=r.flag("nullable"),
        source=r.optional_text("source") or name,
        format=r.optional_text("format"),
        true_values=tuple(r.optional_text_list("true_values") or ["true"]),
        false_values=tuple(r.optional_text_list("false_values") or ["false"]),
        description=r.optional_text("description") or "",
    )


def _partition(r: _Reader) -> PartitionConfig:
    transform = r.choice("transform", TRANSFORMS)
    return PartitionConfig(
        name=r.text("name"),
        from_=r.text("from"),
        transform=cast(Literal["day", "month", "year", "hour", "identity"], transform),
    )


def _rule(r: _Reader, config: JobConfig) -> Rule:
    kind = r.text("rule")
    severity = cast(Severity, r.choice("severity", ("error", "warn")))
    known = {c.name for c in config.columns}

    def column() -> str:
        name = r.text("column")
        if name not in known:
            raise ConfigError(f"{r.where}.column: '{name}' is not in the contract")
        return name

    if kind == "row_count":
        return RowCountRule(severity, r.integer("min"), r.optional_integer("max"))
    if kind == "null_rate":
        return NullRateRule(severity, column(), r.number("max"))
    if kind == "unique_key":
        columns = tuple(r.optional_text_list("columns") or config.primary_key)
        if not columns:
            raise ConfigError(f"{r.where}: unique_key needs columns or a primary key")
        return UniqueKeyRule(severity, columns)
    if kind == "freshness":
        return FreshnessRule(severity, column(), r.number("max_age_hours"))
    if kind == "accepted_values":
        return AcceptedValuesRule(severity, column(), tuple(r.array("values")))
    if kind == "range":
        return RangeRule(severity, column(), r.bound("min"), r.bound("max"))
    if kind == "reject_rate":
        return RejectRateRule(severity, r.number("max"))
    if kind == "duplicate_keys":
        if not config.primary_key:
            raise ConfigError(f"{r.where}: duplicate_keys needs a primary key")
        return DuplicateKeysRule(
            severity, r.integer("max"), r.optional_integer("max_rows_sharing_key")
        )
    if kind == "partition_completeness":
        partition = r.optional_text("partition")
        if partition is None:
            if not config.partition_by:
                raise ConfigError(f"{r.where}: the contract has no partition_by")
            partition = config.partition_by[0].name
        if partition not in config.partition_names:
            raise ConfigError(f"{r.where}.partition: '{partition}' is not a partition column")
        return PartitionCompletenessRule(severity, partition, r.integer("min_rows"))
    raise ConfigError(f"{r.where}.rule: unknown rule '{kind}'")


class _Reader:
    """Typed access to one JSON object, with errors that name the key's path."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a JSON object, got {type(data).__name__}")
        self.data = data
        self.where = where

    def _get(self, key: str, types: tuple[type, ...], *, optional: bool = False) -> Any:
        if key not in self.data or (optional and self.data[key] is None):
            if optional:
                return None
            raise ConfigError(f"{self.where}.{key}: missing")
        value = self.data[key]
        # bool is an int in Python; never accept one for the other.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = "/".join(t.__name__ for t in types)
            raise ConfigError(f"{self.where}.{key}: expected {names}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        return cast(str, self._get(key, (str,)))

    def optional_text(self, key: str) -> str | None:
        return cast("str | None", self._get(key, (str,), optional=True))

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise ConfigError(f"{self.where}.{key}: '{value}' is not one of {list(allowed)}")
        return value

    def flag(self, key: str) -> bool:
        return cast(bool, self._get(key, (bool,)))

    def integer(self, key: str) -> int:
        return cast(int, self._get(key, (int,)))

    def optional_integer(self, key: str) -> int | None:
        return cast("int | None", self._get(key, (int,), optional=True))

    def number(self, key: str) -> float:
        return float(self._get(key, (int, float)))

    def bound(self, key: str) -> float | str | None:
        value = self._get(key, (int, float, str), optional=True)
        return value if value is None or isinstance(value, str) else float(value)

    def array(self, key: str) -> list[Any]:
        return cast(list[Any], self._get(key, (list,)))

    def text_list(self, key: str) -> list[str]:
        values = self.array(key)
        if not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{self.where}.{key}: expected a list of strings")
        return values

    def optional_text_list(self, key: str) -> list[str] | None:
        if self.data.get(key) is None:
            return None
        return self.text_list(key)

    def child(self, key: str) -> _Reader:
        return _Reader(self._get(key, (Mapping,)), f"{self.where}.{key}")

    def items(self, key: str) -> list[_Reader]:
        return [_Reader(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(self.array(key))]
