"""The user's steps (spec ``steps``): SQL and Python, chained, inside the transform job.

They run after the contract's casts and before dedupe and partitions, on the rows that passed
the casts, with their lineage columns (``_source_uri``, ``_source_version``, ``_ingested_at``:
keep them, e.g. ``SELECT *`` or ``o.*``, and publish can tell which version of a row is newer).

- A SQL step is Spark SQL over the view ``input`` (the rows so far) and one view per lookup;
  ``:name`` is the job parameter ``name``, bound by Spark as a string literal.
- A Python step is ``module:function`` from the pipeline's code folder, called as
  ``function(frame, context)`` with a `StepContext`; it returns a DataFrame.

The last step's result must be the curated table's shape (``output``, else the contract): every
declared column with its declared type and no other column than the lineage ones. Anything else
is an error naming the step, before validate ever sees the rows. A ``nullable: false`` column
that a step leaves null fails the run when the row is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.aws import get_run_properties
from gluekit_glue.config import JobConfig
from gluekit_glue.contract import INGESTED_AT, SOURCE_URI, SOURCE_VERSION, spark_type
from gluekit_glue.lookups import LookupMissing, read_lookups
from gluekit_glue.parameters import resolve_parameters
from gluekit_glue.step_code import StepCodeError, StepFunction, load_function
from gluekit_glue.step_config import StepConfig
from gluekit_glue.transform import SOURCE_FILE, Lineage, with_lineage

if TYPE_CHECKING:
    from gluekit_glue.jobs.common import JobContext

log = logging.getLogger(__name__)
INPUT_VIEW = "input"
ADAPTIVE_EXCLUDED_RULES = "spark.sql.adaptive.optimizer.excludedRules"
AQE_EMPTY_RELATION_RULE = "org.apache.spark.sql.execution.adaptive.AQEPropagateEmptyRelation"
LINEAGE_TYPES = {SOURCE_URI: "string", SOURCE_VERSION: "string", INGESTED_AT: "timestamp"}


class StepFailed(RuntimeError):
    """A step could not run, or returned what the curated table cannot take; says which."""


@dataclass(frozen=True)
class StepContext:
    """What a Python step receives beside its DataFrame."""

    spark: SparkSession
    parameters: Mapping[str, str] = field(default_factory=dict)
    lookups: Mapping[str, DataFrame] = field(default_factory=dict)
    pipeline: str = ""
    run_id: str = ""

    def parameter(self, name: str) -> str:
        """A job parameter's value for this run (always text: convert it where you use it)."""
        if name not in self.parameters:
            declared = ", ".join(sorted(self.parameters)) or "none"
            raise KeyError(f"'{name}' is not a job parameter (declared: {declared})")
        return self.parameters[name]

    def lookup(self, name: str) -> DataFrame:
        """A lookup table by its spec name."""
        if name not in self.lookups:
            known = ", ".join(sorted(self.lookups)) or "none"
            raise KeyError(f"'{name}' is not a lookup of this pipeline (lookups: {known})")
        return self.lookups[name]


FunctionLoader = Callable[[StepConfig], StepFunction]


# ------------------------------------------------------------------------------- transform job
def apply_steps(
    job: JobContext,
    valid: DataFrame,
    lineage: Mapping[str, Lineage],
    snapshots: Mapping[str, int] | None = None,
    views: Mapping[str, DataFrame] | None = None,
) -> DataFrame:
    """The transform job's call: the rows that passed the casts → the steps → the curated shape.

    Without steps, ``valid`` comes back as it is (its lineage is added later, as before).
    ``snapshots``: lookups of these tables (``catalog.db.table``) are read at that snapshot, so
    that a derived pipeline joins the upstream as it read its changes. ``views``: more frames the
    steps read like lookups (a derived pipeline's ``input_before``).
    """
    config = job.config
    if not config.steps:
        return valid
    options = job.options
    parameters = run_parameters(job)
    log.info("steps run with parameters %s", parameters)
    try:
        lookups = read_lookups(job.spark, config, options.local_root, snapshots or {})
    except LookupMissing as exc:
        raise StepFailed(str(exc)) from exc
    context = StepContext(
        job.spark,
        MappingProxyType(parameters),
        {**lookups, **(views or {})},
        config.pipeline,
        job.run_id,
    )
    folder = options.local_code

    def load(step: StepConfig) -> StepFunction:
        assert config.logic.code_package is not None  # parse_config checks
        # Locally the folder is the package, and executors are other processes: by value.
        return load_function(
            config.logic.code_package,
            str(step.python),
            folder=Path(folder) if folder else None,
            by_value=folder is not None,
        )

    # Files' rows name their file (SOURCE_FILE) until here; a derived pipeline's have no file.
    rows = with_lineage(valid, lineage) if SOURCE_FILE in valid.columns else valid
    result = run_steps(rows, config.steps, context, load)
    # A step may filter every row out. Adaptive execution would then replace the plan after the
    # dedupe's shuffle by an empty relation, and the Observation the job reads its counts from
    # would never be filled (FIELD_NOTES): keep the plan as it is in that case.
    job.spark.conf.set(ADAPTIVE_EXCLUDED_RULES, AQE_EMPTY_RELATION_RULE)
    return conform_to_curated(result, config, config.steps[-1].label)


def run_parameters(job: JobContext) -> dict[str, str]:
    """The declared job parameters' values for this run (`gluekit_glue.parameters`)."""
    declared = job.config.logic.parameters
    if not declared:
        return {}
    properties = get_run_properties(job.aws, job.options)
    return resolve_parameters(declared, job.options.extra, properties)


# ----------------------------------------------------------------------------------- the steps
def run_steps(
    frame: DataFrame,
    steps: tuple[StepConfig, ...],
    context: StepContext,
    load: FunctionLoader,
) -> DataFrame:
    """Each step on the previous one's result. Lookups are views for SQL while the steps run
    (a query's plan holds what it read, so the views can go afterwards)."""
    spark = context.spark
    views = [INPUT_VIEW, *context.lookups]
    for name, lookup in context.lookups.items():
        lookup.createOrReplaceTempView(name)
    try:
        for step in steps:
            frame = _run_step(frame, step, context, load)
    finally:
        for name in views:
            spark.catalog.dropTempView(name)
    return frame


def _run_step(
    frame: DataFrame, step: StepConfig, context: StepContext, load: FunctionLoader
) -> DataFrame:
    if step.sql is not None:
        frame.createOrReplaceTempView(INPUT_VIEW)
        try:
            # Spark binds ':name' markers to these values; unused ones are ignored.
            return context.spark.sql(step.sql, args=dict(context.parameters) or None)
        except Exception as exc:  # AnalysisException, ParseException: the query's own words
            raise StepFailed(f"{step.label}: {_first_line(exc)}") from exc
    try:
        function = load(step)
    except StepCodeError as exc:
        raise StepFailed(f"{step.label}: {exc}") from exc
    try:
        result = function(frame, context)
    except Exception as exc:
        log.exception("%s failed", step.label)
        raise StepFailed(f"{step.label} raised {type(exc).__name__}: {_first_line(exc)}") from exc
    if not isinstance(result, DataFrame):
        raise StepFailed(f"{step.label} returned {type(result).__name__}, not a DataFrame")
    return result


# ------------------------------------------------------------------------------ curated shape
def conform_to_curated(frame: DataFrame, config: JobConfig, label: str) -> DataFrame:
    """The steps' result in the curated columns' order, or StepFailed naming what differs."""
    declared = "output.columns" if config.input_columns else "the contract's columns"
    expected = {c.name: spark_type(c).simpleString() for c in config.columns}
    returned = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    problems = [
        f"no column '{name}' ({declared} has it, {kind})"
        for name, kind in expected.items()
        if name not in returned
    ]
    problems += [
        f"column '{name}' is {returned[name]}, {declared} says {kind} (CAST it in the step)"
        for name, kind in {**expected, **LINEAGE_TYPES}.items()
        if name in returned and returned[name] != kind
    ]
    extra = [n for n in returned if n not in expected and n not in LINEAGE_TYPES]
    if extra:
        problems.append(
            f"column(s) {', '.join(repr(n) for n in extra)} that {declared} does not have "
            "(drop them, or declare them)"
        )
    if problems:
        raise StepFailed(f"{label} returned the wrong shape: " + "; ".join(problems))
    columns = [
        _required(c.name, label) if not c.nullable else F.col(c.name) for c in config.columns
    ]
    lineage = [F.col(name) for name in LINEAGE_TYPES if name in returned]
    return frame.select(*columns, *lineage)


def _required(name: str, label: str) -> Column:
    """The column, failing the write of a row that holds no value (no extra pass over the data)."""
    message = f"{label}: column '{name}' is null in a row, but it is declared nullable: false"
    return (
        F.when(F.col(name).isNull(), F.raise_error(F.lit(message)))
        .otherwise(F.col(name))
        .alias(name)
    )


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
