"""Your own transformation logic in a spec: `steps` (SQL or Python) and the `lookups` they join.

Steps run inside the transform job, after the contract's casts and before dedupe and partitions.
A SQL step refers to a job parameter as a Spark named parameter marker, ``:min_amount``; Spark
binds the value (`spark.sql(text, args=...)`), so a value is never pasted into the SQL text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from gluekit.spec.base import StrictModel
from gluekit.spec.patterns import COLUMN_PATTERN, NAME_PATTERN

if TYPE_CHECKING:
    from gluekit.spec.models import PipelineSpec

# module:function, the module dotted below the pipeline's code folder (pipelines/<name>/).
PYTHON_REFERENCE = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*)$")
TABLE_REFERENCE = re.compile(r"^([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)$")
S3_LOCATION = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([A-Za-z0-9_.~/=-]*/)?$")
# What Spark's parser skips when it looks for parameter markers: quoted text and comments.
_QUOTED_OR_COMMENT = re.compile(
    r"'(?:\\.|''|[^'\\])*'|\"(?:\\.|\"\"|[^\"\\])*\"|`(?:``|[^`])*`|--[^\n]*|/\*.*?\*/",
    re.DOTALL,
)
# ':name', but not the second half of '::' (a cast in Spark 4) nor 'a:b'.
_MARKER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
INPUT_VIEW = "input"


def sql_parameters(sql: str) -> list[str]:
    """The parameter markers (``:name``) of a SQL text, in order of first use."""
    code = _QUOTED_OR_COMMENT.sub(" ", sql)
    return list(dict.fromkeys(_MARKER.findall(code)))


class Step(StrictModel):
    sql: str | None = Field(
        None,
        min_length=1,
        description=(
            "Spark SQL over the view 'input' (the rows so far) and the lookups; ':name' is the "
            "job parameter 'name'. The query's result is the next step's input."
        ),
    )
    python: str | None = Field(
        None,
        description=(
            "'module:function' in the pipeline's code folder (pipelines/<name>/), called as "
            "function(frame, context) and returning a DataFrame."
        ),
    )
    description: str = Field("", description="What the step does; shown in errors and logs.")

    @field_validator("python")
    @classmethod
    def _python_reference(cls, value: str | None) -> str | None:
        if value is not None and not PYTHON_REFERENCE.match(value):
            raise ValueError(
                f"'{value}' is not 'module:function' (e.g. 'enrich:add_tier' for the function "
                "add_tier in pipelines/<name>/enrich.py)"
            )
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        if (self.sql is None) == (self.python is None):
            raise ValueError("give exactly one of 'sql' or 'python'")
        return self

    @property
    def kind(self) -> Literal["sql", "python"]:
        return "sql" if self.sql is not None else "python"

    @property
    def module(self) -> str | None:
        """The Python step's module, dotted ('enrich' or 'pkg.enrich')."""
        match = PYTHON_REFERENCE.match(self.python or "")
        return match.group(1) if match else None

    @property
    def function(self) -> str | None:
        match = PYTHON_REFERENCE.match(self.python or "")
        return match.group(2) if match else None


class Lookup(StrictModel):
    name: str = Field(
        ...,
        pattern=COLUMN_PATTERN,
        description="The view (SQL) or key (Python: context.lookup(name)) the steps read it by.",
    )
    pipeline: str | None = Field(
        None,
        pattern=NAME_PATTERN,
        description="Another pipeline of this kit: its curated Iceberg table.",
    )
    table: str | None = Field(
        None, description="A Data Catalog table 'database.table' (not one of the kit's)."
    )
    location: str | None = Field(
        None,
        description=(
            "With table: its data's S3 location, s3://bucket/prefix/ (the jobs may read only "
            "there)."
        ),
    )
    format: Literal["hive", "iceberg"] | None = Field(
        None,
        description=(
            "With table: hive (the default: Parquet, CSV or JSON files, as crawlers and Athena "
            "create them) or iceberg."
        ),
    )

    @field_validator("name")
    @classmethod
    def _not_input(cls, value: str) -> str:
        if value == INPUT_VIEW:
            raise ValueError("'input' is the steps' own view of the rows; choose another name")
        return value

    @field_validator("table")
    @classmethod
    def _table_reference(cls, value: str | None) -> str | None:
        if value is not None and not TABLE_REFERENCE.match(value):
            raise ValueError(f"'{value}' is not 'database.table' (letters, digits and '_')")
        return value

    @field_validator("location")
    @classmethod
    def _s3_location(cls, value: str | None) -> str | None:
        if value is not None and not S3_LOCATION.match(value):
            raise ValueError(
                f"'{value}' is not an S3 location such as s3://bucket/prefix/ (ending in '/')"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Lookup:
        if (self.pipeline is None) == (self.table is None):
            raise ValueError(f"lookup '{self.name}': give exactly one of 'pipeline' or 'table'")
        if self.table is not None and self.location is None:
            raise ValueError(
                f"lookup '{self.name}': a catalog table needs its 'location' "
                "(s3://bucket/prefix/), so that the jobs may read exactly that"
            )
        if self.pipeline is not None and (self.location is not None or self.format is not None):
            raise ValueError(
                f"lookup '{self.name}': 'location' and 'format' are for a catalog table; a "
                "pipeline's curated table is the kit's own Iceberg table"
            )
        return self

    @property
    def database(self) -> str | None:
        """The catalog table's database (a pipeline's table is in the kit's database)."""
        return self.table.split(".")[0] if self.table else None

    @property
    def table_name(self) -> str | None:
        return self.table.split(".")[1] if self.table else None

    @property
    def table_format(self) -> Literal["hive", "iceberg"]:
        return "iceberg" if self.pipeline is not None else self.format or "hive"

    @property
    def bucket(self) -> str | None:
        match = S3_LOCATION.match(self.location or "")
        return match.group(1) if match else None

    @property
    def key_prefix(self) -> str:
        match = S3_LOCATION.match(self.location or "")
        return (match.group(2) or "") if match else ""


def step_label(index: int, step: Step) -> str:
    """How errors name a step: ``steps[1] (python enrich:add_tier)``."""
    what = f"python {step.python}" if step.python else "sql"
    return f"steps[{index}] ({what})"


def step_problems(spec: PipelineSpec) -> list[str]:
    """What does not fit between the steps, the lookups, the output and the job parameters."""
    problems: list[str] = []
    if spec.output is not None:
        if not spec.steps:
            problems.append(
                "output: the curated columns of 'output' come from steps, and there are none "
                "(add steps, or remove output)"
            )
        contract = spec.contract
        for key, value in (
            ("primary_key", contract.primary_key),
            ("order_by", contract.order_by),
            ("partition_by", contract.partition_by),
        ):
            if value:
                problems.append(
                    f"contract.{key}: with 'output' the curated table's {key} is "
                    f"output.{key} (the contract describes the source files)"
                )
    declared = sorted(spec.job.parameters)
    for index, step in enumerate(spec.steps):
        unknown = [p for p in sql_parameters(step.sql or "") if p not in spec.job.parameters]
        if unknown:
            markers = ", ".join(f":{p}" for p in unknown)
            problems.append(
                f"steps[{index}].sql: {markers} is not a job parameter; declare it in "
                f"job.parameters (declared: {', '.join(declared) or 'none'})"
            )
    names = [lookup.name for lookup in spec.lookups]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"lookups: names must be unique; repeated: {repeated}")
    for index, lookup in enumerate(spec.lookups):
        if lookup.pipeline == spec.name:
            problems.append(
                f"lookups[{index}].pipeline: '{spec.name}' is this pipeline; a step reads its own "
                "rows as 'input'"
            )
    if spec.lookups and not spec.steps:
        problems.append("lookups: only steps read lookups, and there are none")
    return problems
