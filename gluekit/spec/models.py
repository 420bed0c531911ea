"""Typed model of one pipeline spec (`pipelines/<name>.yaml`).

This is the single source of truth: the CDK app, the `gluekit` CLI, the Lambdas' and Glue jobs'
rendered configuration and the local runner all read these models. Every model forbids unknown
keys so that a typo is an error, never a silently ignored setting.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from gluekit.spec.base import StrictModel
from gluekit.spec.operations import Alerts, Compaction, Crawler, Job
from gluekit.spec.patterns import (
    COLUMN_PATTERN,
    NAME_PATTERN,
)
from gluekit.spec.rules import (
    DEFAULT_DUPLICATE_KEYS,
    DEFAULT_REJECT_RATE,
    DuplicateKeysRule,
    FreshnessRule,
    PartitionCompletenessRule,
    RangeRule,
    Rule,
    UniqueKeyRule,
)
from gluekit.spec.source import Source
from gluekit.spec.steps import Lookup, Step, step_problems
from gluekit.spec.triggers import Trigger, default_trigger, derived_problems

DECIMAL_PATTERN = re.compile(r"^decimal\((\d{1,2}),\s*(\d{1,2})\)$")
SIMPLE_TYPES = ("string", "int", "bigint", "double", "boolean", "date", "timestamp")
NUMERIC_TYPES = ("int", "bigint", "double")
TEMPORAL_TYPES = ("date", "timestamp")


# ------------------------------------------------------------------------------------- contract
def known_type(value: str) -> str:
    """A contract type in its one spelling ('DECIMAL(12, 2)' → 'decimal(12,2)'), or an error."""
    value = value.strip().lower()
    if value in SIMPLE_TYPES:
        return value
    match = DECIMAL_PATTERN.match(value)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 1 <= precision <= 38 or scale > precision:
            raise ValueError("decimal(p,s) needs 1 <= p <= 38 and s <= p")
        return f"decimal({precision},{scale})"
    raise ValueError(f"unknown type '{value}'; allowed: {', '.join(SIMPLE_TYPES)}, decimal(p,s)")


class TypedColumn(StrictModel):
    """What the rules ask of a column's type, for source and output columns alike."""

    type: str

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES or self.type.startswith("decimal")

    @property
    def is_temporal(self) -> bool:
        return self.type in TEMPORAL_TYPES


class Column(TypedColumn):
    name: str = Field(..., pattern=COLUMN_PATTERN, max_length=128, description="Curated name.")
    type: str = Field(
        ...,
        description=("string, int, bigint, double, decimal(p,s), boolean, date or timestamp."),
    )
    nullable: bool = Field(True, description="False: a null value rejects the row.")
    description: str = Field("", description="Shown in the Data Catalog.")
    source: str | None = Field(
        None, min_length=1, description="Name in the source file when it differs."
    )
    format: str | None = Field(
        None,
        description=(
            "Spark datetime pattern for date/timestamp text, e.g. 'dd/MM/yyyy'. Default: ISO 8601."
        ),
    )
    true_values: tuple[str, ...] | None = Field(
        None,
        min_length=1,
        description="Boolean columns: texts that mean true (any case). Default: ['true'].",
    )
    false_values: tuple[str, ...] | None = Field(
        None,
        min_length=1,
        description="Boolean columns: texts that mean false (any case). Default: ['false'].",
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return known_type(value)

    @model_validator(mode="after")
    def _boolean_values_fit(self) -> Column:
        given = self.true_values is not None or self.false_values is not None
        if given and self.type != "boolean":
            raise ValueError(
                f"column '{self.name}': true_values and false_values apply to boolean columns "
                f"only; this one is {self.type}"
            )
        trues = {v.strip().lower() for v in self.true_values or ("true",)}
        falses = {v.strip().lower() for v in self.false_values or ("false",)}
        both = sorted(trues & falses)
        if both:
            raise ValueError(
                f"column '{self.name}': {both} cannot mean both true and false "
                "(values are compared ignoring case and surrounding spaces)"
            )
        if "" in trues | falses:
            raise ValueError(f"column '{self.name}': a blank text means null, not true or false")
        return self

    @property
    def source_name(self) -> str:
        return self.source or self.name


class Partition(StrictModel):
    name: str = Field(..., pattern=COLUMN_PATTERN, description="Partition column, e.g. dt.")
    from_: str = Field(..., alias="from", description="Contract column it is derived from.")
    transform: Literal["day", "month", "year", "hour", "identity"] = Field(
        "day",
        description=(
            "day (yyyy-MM-dd), month (yyyy-MM), year (yyyy), hour (yyyy-MM-dd-HH) or identity."
        ),
    )


class Contract(StrictModel):
    columns: tuple[Column, ...] = Field(..., min_length=1, description="Columns, in order.")
    primary_key: tuple[str, ...] = Field(
        (), description="Columns that identify a row; one row per key is kept."
    )
    order_by: str | None = Field(
        None, description="On duplicate keys keep the row with the greatest value of this column."
    )
    partition_by: tuple[Partition, ...] = Field(
        (), description="Partition columns of the curated table, derived from contract columns."
    )

    @model_validator(mode="after")
    def _references_exist(self) -> Contract:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"column names must be unique; repeated: {duplicates}")
        known = set(names)
        missing = [k for k in self.primary_key if k not in known]
        if missing:
            raise ValueError(
                f"primary_key column(s) {missing} are not in the contract; columns: {names}"
            )
        nullable_keys = [k for k in self.primary_key if self.column(k).nullable]
        if nullable_keys:
            raise ValueError(
                f"primary_key column(s) {nullable_keys} must be 'nullable: false' "
                "(rows without a key cannot be told apart)"
            )
        if self.order_by is not None and self.order_by not in known:
            raise ValueError(f"order_by column '{self.order_by}' is not in the contract")
        by_name = {c.name: c for c in self.columns}
        for part in self.partition_by:
            if part.from_ not in known:
                raise ValueError(
                    f"partition '{part.name}' is derived from '{part.from_}', "
                    f"which is not in the contract; columns: {names}"
                )
            if part.name in known:
                raise ValueError(
                    f"partition '{part.name}' has the name of a contract column; choose another"
                )
            if part.transform != "identity" and not by_name[part.from_].is_temporal:
                raise ValueError(
                    f"partition '{part.name}' uses transform '{part.transform}', which needs a "
                    f"date or timestamp column; '{part.from_}' is {by_name[part.from_].type}"
                )
        return self

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# --------------------------------------------------------------------------------------- output
class OutputColumn(TypedColumn):
    """A curated column that steps produce: no source name or text format, the steps made it."""

    name: str = Field(..., pattern=COLUMN_PATTERN, max_length=128, description="Curated name.")
    type: str = Field(
        ..., description="string, int, bigint, double, decimal(p,s), boolean, date or timestamp."
    )
    nullable: bool = Field(True, description="False: a step that leaves it null fails the run.")
    description: str = Field("", description="Shown in the Data Catalog.")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        return known_type(value)


class Output(Contract):
    """The curated table when steps change the shape: its columns, key and partitions. The key,
    order and partition checks are the contract's."""

    columns: tuple[OutputColumn, ...] = Field(  # type: ignore[assignment]
        ..., min_length=1, description="Curated columns, in order, as the last step returns them."
    )


# ------------------------------------------------------------------------------------- pipeline
class PipelineSpec(StrictModel):
    """One pipeline: where files land, what they contain, how and when they are processed."""

    schema_: str | None = Field(None, alias="$schema", description="Editor hint; ignored.")
    name: str = Field(..., pattern=NAME_PATTERN, description="Lowercase letters, digits, '-'.")
    description: str = Field("", description="One line on what the pipeline is for.")
    tags: dict[str, str] = Field(default_factory=dict, description="Cost-attribution tags.")
    source: Source = Field(
        default_factory=lambda: Source(format="parquet"),
        description="Where the files land and how they are read. Required, except with "
        "trigger.after (a derived pipeline reads tables).",
    )
    contract: Contract
    trigger: Trigger = Field(default_factory=default_trigger)
    validation: tuple[Rule, ...] = Field((), description="Dataset rules checked before publish.")
    job: Job = Field(default_factory=Job)
    alerts: Alerts = Field(default_factory=Alerts)
    crawler: Crawler = Field(default_factory=Crawler)
    compaction: Compaction = Field(default_factory=Compaction)
    steps: tuple[Step, ...] = Field(
        (), description="Your SQL and Python logic, run in order after the contract's casts."
    )
    lookups: tuple[Lookup, ...] = Field((), description="Tables the steps may read and join.")
    output: Output | None = Field(
        None, description="The curated table's columns when the steps change the shape."
    )
    orchestrator: Literal["glue-workflow", "step-functions"] = Field(
        "glue-workflow",
        description=(
            "Who runs transform → validate → publish: a Glue workflow (console resume, simplest) "
            "or a Step Functions state machine (retries with backoff, timeouts, a catch on "
            "every step)."
        ),
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if key.lower().startswith(("aws:", "gluekit:")):
                raise ValueError(f"tag key '{key}' is reserved")
        return value

    @model_validator(mode="after")
    def _source_fits_trigger(self) -> PipelineSpec:
        problems = derived_problems(self, "source" in self.model_fields_set)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _steps_fit(self) -> PipelineSpec:
        problems = step_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _rules_fit_contract(self) -> PipelineSpec:
        contract = self.curated
        shape = "output" if self.output else "the contract"
        known = {c.name: c for c in contract.columns}
        partitions = {p.name: p for p in contract.partition_by}
        kinds = [rule.rule for rule in self.validation]
        for kind in ("reject_rate", "duplicate_keys"):
            if kinds.count(kind) > 1:
                raise ValueError(f"validation: give at most one '{kind}' rule")
        for index, rule in enumerate(self.validation):
            where = f"validation[{index}] ({rule.rule})"
            if isinstance(rule, DuplicateKeysRule) and not contract.primary_key:
                raise ValueError(f"{where}: {shape} has no primary_key to count keys of")
            column = getattr(rule, "column", None)
            if column is not None and column not in known:
                raise ValueError(f"{where}: column '{column}' is not in {shape}")
            if isinstance(rule, UniqueKeyRule):
                cols = rule.columns or contract.primary_key
                if not cols:
                    raise ValueError(f"{where}: give columns, or a contract primary_key")
                missing = [c for c in cols if c not in known]
                if missing:
                    raise ValueError(f"{where}: columns {missing} are not in {shape}")
            if isinstance(rule, FreshnessRule) and not known[rule.column].is_temporal:
                raise ValueError(f"{where}: '{rule.column}' must be a date or timestamp column")
            if isinstance(rule, RangeRule):
                col = known[rule.column]
                if not (col.is_numeric or col.is_temporal):
                    raise ValueError(f"{where}: '{rule.column}' must be numeric, date or timestamp")
            if isinstance(rule, PartitionCompletenessRule):
                if not partitions:
                    raise ValueError(f"{where}: {shape} has no partition_by")
                name = rule.partition or contract.partition_by[0].name
                if name not in partitions:
                    raise ValueError(f"{where}: '{name}' is not a partition")
                if partitions[name].transform != "day":
                    raise ValueError(f"{where}: '{name}' must be a day partition")
        return self

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules validate checks: the spec's, plus the defaults it does not override.

        reject_rate is always checked. duplicate_keys is added for a primary key without
        order_by: then nothing but the row's values decides which of two rows is kept.
        """
        kinds = {rule.rule for rule in self.validation}
        implicit: list[Rule] = []
        if "reject_rate" not in kinds:
            implicit.append(DEFAULT_REJECT_RATE)
        contract = self.curated
        if "duplicate_keys" not in kinds and contract.primary_key and not contract.order_by:
            implicit.append(DEFAULT_DUPLICATE_KEYS)
        return (*self.validation, *implicit)

    @property
    def curated(self) -> Contract:
        """The curated table's shape: `output` when steps change it, else the contract."""
        return self.output or self.contract

    @property
    def is_derived(self) -> bool:
        """Runs after other pipelines publish (trigger.after), on their tables: no raw files."""
        return self.trigger.after is not None

    @property
    def upstreams(self) -> tuple[str, ...]:
        return self.trigger.upstreams

    @property
    def drift_alarmed(self) -> bool:
        """The pipeline has the unknown-columns alarm: it reads files, and drift in them is
        otherwise silent (`Source.drift_alarmed`)."""
        return not self.is_derived and self.source.drift_alarmed

    @property
    def python_steps(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.python is not None)

    @property
    def raw_prefix(self) -> str:
        return self.source.prefix or f"{self.name}/"

    @property
    def table_name(self) -> str:
        return self.name.replace("-", "_")
