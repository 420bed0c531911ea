"""Pure DataFrame steps of the transform job: read as text, cast to the contract, reject, dedupe,
derive partitions.

Sources are read with the contract's schema, every column as text, never with schema inference
(which reads the data twice). Each value is then cast to its contract type. A row that cannot be
cast, misses a required value, is malformed or holds invalid UTF-8 is never dropped: it gets a
reason and leaves through `rejected_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from gluekit_glue.config import ColumnConfig, JobConfig, PartitionConfig, SourceConfig
from gluekit_glue.contract import (
    CORRUPT_RECORD,
    INGESTED_AT,
    SOURCE_URI,
    SOURCE_VERSION,
    parquet_read_schema,
    text_read_schema,
)

SOURCE_FILE = "_source_file"  # the file's path as Spark reports it (URL-encoded)
REASON = "_reject_reason"
RECORD = "_record"
REPLACEMENT_CHARACTER = "\ufffd"  # what a UTF-8 decoder puts in place of invalid bytes
SPARK_ENCODINGS = {"utf-8": "UTF-8", "latin-1": "ISO-8859-1"}
PARTITION_PATTERNS = {
    "day": "yyyy-MM-dd",
    "month": "yyyy-MM",
    "year": "yyyy",
    "hour": "yyyy-MM-dd-HH",
}
GLOB_CHARACTERS = "\\*?[]{}"
MAX_VALUE_IN_REASON = 100


# ------------------------------------------------------------------------------------- read
def read_text_source(
    spark: SparkSession, paths: Sequence[str], source: SourceConfig, source_names: Sequence[str]
) -> DataFrame:
    """CSV or JSON lines (gzip by file suffix), every column as text, malformed rows kept."""
    reader = (
        spark.read.schema(text_read_schema(source_names))
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
        # A corrupt file must fail the read, never vanish (a cluster may default this to true).
        .option("ignoreCorruptFiles", "false")
        .option("encoding", SPARK_ENCODINGS.get(source.csv.encoding, "UTF-8"))
    )
    escaped = [escape_glob(p) for p in paths]
    if source.format == "csv":
        csv = source.csv
        frame = (
            reader.option("header", csv.header)
            .option("sep", csv.delimiter)
            .option("quote", csv.quote)
            # RFC 4180: a quote inside a quoted field is doubled.
            .option("escape", csv.quote)
            .csv(escaped)
        )
    else:
        frame = reader.json(escaped)
    return frame


def read_parquet_source(spark: SparkSession, paths: Sequence[str], config: JobConfig) -> DataFrame:
    frame = (
        spark.read.schema(parquet_read_schema(config))
        .option("ignoreCorruptFiles", "false")
        .parquet(*[escape_glob(p) for p in paths])
    )
    return frame


def escape_glob(path: str) -> str:
    """Spark expands glob patterns in input paths; an S3 key may hold '[', '{', '*' or '?'."""
    return "".join("\\" + c if c in GLOB_CHARACTERS else c for c in path)


# ------------------------------------------------------------------------------------ check
def check_rows(
    raw: DataFrame,
    columns: Sequence[ColumnConfig],
    *,
    text: bool,
    check_utf8: bool = True,
    partitions: Sequence[PartitionConfig] = (),
) -> DataFrame:
    """Typed contract columns plus REASON (null for a good row), RECORD and SOURCE_FILE.

    ``raw`` holds the source columns (by source name): as text when ``text``, else already typed
    (Parquet). Columns are renamed to their contract names here. SOURCE_FILE is the file Spark
    read the row from, unless ``raw`` already has that column.
    """
    has_corrupt = CORRUPT_RECORD in raw.columns
    corrupt = F.col(CORRUPT_RECORD) if has_corrupt else F.lit(None).cast("string")
    # Two projections: the first casts each value once (_v), the second only refers to the
    # results, so no cast runs twice per row. Spark keeps them apart because a cast is not cheap
    # and is referenced twice; and input_file_name(), being nondeterministic, stops a later
    # filter on REASON from being pushed below the casts (and inlining them again).
    # Internal names keep SQL safe whatever the source names are.
    source_file = F.col(SOURCE_FILE) if SOURCE_FILE in raw.columns else F.input_file_name()
    casts: list[Column] = []
    for i, column in enumerate(columns):
        source = F.col(_quoted(column.source))
        plan = cast_text(column.source, column) if text else CastPlan(source, F.lit(False))
        casts += [source.alias(f"_s{i}"), plan.value.alias(f"_v{i}"), plan.present.alias(f"_p{i}")]
        casts.append((plan.full if plan.full is not None else F.lit(None)).alias(f"_w{i}"))
    typed = raw.select(*casts, corrupt.alias(CORRUPT_RECORD), source_file.alias(SOURCE_FILE))

    reasons: list[Column] = []
    for i, column in enumerate(columns):
        value, full = F.col(f"_v{i}"), F.col(f"_w{i}")
        failed = F.col(f"_p{i}") & (
            value.isNull()
            | (full.isNotNull() & (full != value) if column.decimal else F.lit(False))
        )
        empty = value.isNull() & ~failed
        reasons.append(
            F.when(
                failed,
                F.concat(
                    F.lit(f"column '{column.name}': '"),
                    F.substring(F.col(f"_s{i}").cast("string"), 1, MAX_VALUE_IN_REASON),
                    F.lit(f"' is not a valid {column.type}"),
                ),
            )
        )
        if not column.nullable:
            message = f"column '{column.name}' is empty but required (nullable: false)"
            reasons.append(F.when(empty, F.lit(message)))
        for partition in partitions:
            if partition.from_ == column.name and column.nullable:
                message = (
                    f"column '{column.name}' is empty but partition '{partition.name}' "
                    "is derived from it"
                )
                reasons.append(F.when(empty, F.lit(message)))
    if text and check_utf8:
        texts = [F.col(f"_s{i}") for i in range(len(columns))] + [F.col(CORRUPT_RECORD)]
        invalid = reduce(
            lambda a, b: a | b,
            [F.coalesce(F.instr(t, REPLACEMENT_CHARACTER) > 0, F.lit(False)) for t in texts],
        )
        reasons.insert(0, F.when(invalid, F.lit("invalid UTF-8 (bytes that decode to U+FFFD)")))
    malformed = F.when(
        F.col(CORRUPT_RECORD).isNotNull(),
        F.lit("malformed record: wrong number of fields, bad quoting or not a JSON object"),
    )
    reason = F.coalesce(malformed, F.nullif(F.concat_ws("; ", *reasons), F.lit("")))
    record = F.coalesce(
        F.col(CORRUPT_RECORD),
        F.to_json(F.struct(*[F.col(f"_s{i}").alias(c.source) for i, c in enumerate(columns)])),
    )
    return typed.select(
        *[F.col(f"_v{i}").alias(c.name) for i, c in enumerate(columns)],
        reason.alias(REASON),
        record.alias(RECORD),
        F.col(SOURCE_FILE),
    )


@dataclass(frozen=True)
class CastPlan:
    value: Column  # the typed value, null when the text does not cast
    present: Column  # the text holds a value (not null, not blank)
    full: Column | None = None  # decimal only: the value at full precision, to detect rounding


def cast_text(source: str, column: ColumnConfig) -> CastPlan:
    """How the text column named ``source`` becomes its contract type.

    Uses the try_ functions, which return null instead of raising whatever spark.sql.ansi.enabled
    is, and which refuse '12.5' as an int instead of truncating it. Blank text is null.
    """
    text = F.col(_quoted(source))
    if column.type == "string":
        return CastPlan(text, F.lit(False))
    trimmed = F.nullif(F.trim(text), F.lit(""))
    # Column.try_cast arrives in PySpark 4; the SQL function exists since Spark 3.2.
    trimmed_sql = f"nullif(trim({_quoted(source)}), '')"
    if column.is_temporal and column.format:
        parsed = F.try_to_timestamp(trimmed, F.lit(column.format))
        value = parsed.cast("date") if column.type == "date" else parsed
    else:
        value = F.expr(f"try_cast({trimmed_sql} AS {column.type})")
    decimal = column.decimal
    full = None
    if decimal is not None and decimal[0] - decimal[1] <= 20:
        # try_cast rounds 19.999 to 20.00 for decimal(12,2); losing digits is a failed cast.
        full = F.expr(f"try_cast({trimmed_sql} AS decimal(38,18))")
    return CastPlan(value, trimmed.isNotNull(), full)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


# --------------------------------------------------------------------------------- outcomes
def valid_rows(checked: DataFrame, columns: Sequence[ColumnConfig]) -> DataFrame:
    """The good rows: contract columns and SOURCE_FILE (for their lineage)."""
    return checked.filter(F.col(REASON).isNull()).select(*[c.name for c in columns], SOURCE_FILE)


def rejected_rows(checked: DataFrame, file_uris: Mapping[str, str]) -> DataFrame:
    """source_file (the manifest's URI), reason and the raw record as text."""
    source_file = F.col(SOURCE_FILE)
    if file_uris:
        mapping = F.create_map(*[F.lit(x) for pair in file_uris.items() for x in pair])
        source_file = F.coalesce(mapping[F.col(SOURCE_FILE)], F.col(SOURCE_FILE))
    return checked.filter(F.col(REASON).isNotNull()).select(
        source_file.alias("source_file"),
        F.col(REASON).alias("reason"),
        F.col(RECORD).alias("record"),
    )


def keep_latest(frame: DataFrame, primary_key: Sequence[str], order_by: str | None) -> DataFrame:
    """One row per primary key: the greatest ``order_by``; ties and no ``order_by`` are broken
    by the row's values, so the same input always keeps the same row, in any file order."""
    if not primary_key:
        return frame
    order = [F.col(order_by).desc_nulls_last()] if order_by else []
    if INGESTED_AT in frame.columns:  # then the version that arrived last
        order.append(F.col(INGESTED_AT).desc_nulls_last())
    order += [F.col(c).asc_nulls_first() for c in frame.columns if c not in primary_key]
    window = Window.partitionBy(*primary_key).orderBy(*order)
    return (
        frame.withColumn("_row", F.row_number().over(window))
        .filter(F.col("_row") == 1)
        .drop("_row")
    )


def partition_value(column: Column, transform: str) -> Column:
    if transform == "identity":
        return column.cast("string")
    return F.date_format(column, PARTITION_PATTERNS[transform])


def derive_partitions(frame: DataFrame, partitions: Sequence[PartitionConfig]) -> DataFrame:
    for partition in partitions:
        frame = frame.withColumn(
            partition.name, partition_value(F.col(partition.from_), partition.transform)
        )
    return frame


def partition_path(partitions: Sequence[PartitionConfig]) -> Column:
    """'dt=2026-11-20' (or 'a=1/b=2'): how a row's partition is named in summaries."""
    if not partitions:
        return F.lit("")
    return F.concat_ws("/", *[F.concat(F.lit(f"{p.name}="), F.col(p.name)) for p in partitions])


@dataclass(frozen=True)
class Lineage:
    """Where a file's rows came from: the manifest's object version and its arrival time."""

    uri: str
    version_id: str | None
    arrived_at: datetime | None


def with_lineage(frame: DataFrame, lineage: Mapping[str, Lineage]) -> DataFrame:
    """SOURCE_FILE (Spark's URL-encoded path) → the lineage columns of its object version.

    ``lineage`` is keyed by `storage.given_path` of the path Spark was given; the reported path
    is decoded the same way (percent escapes only: '+' is a literal plus in a path).
    """
    decoded = F.expr(f"url_decode(replace({SOURCE_FILE}, '+', '%2B'))")
    key = F.regexp_replace(decoded, "^file:/*", "/")
    columns: dict[str, Column] = {SOURCE_URI: F.lit(None), SOURCE_VERSION: F.lit(None)}
    columns[INGESTED_AT] = F.lit(None)
    if lineage:

        def lookup(values: Mapping[str, object]) -> Column:
            return F.create_map(*[F.lit(x) for pair in values.items() for x in pair])[key]

        columns = {
            SOURCE_URI: lookup({k: v.uri for k, v in lineage.items()}),
            SOURCE_VERSION: lookup({k: v.version_id for k, v in lineage.items()}),
            INGESTED_AT: lookup({k: v.arrived_at for k, v in lineage.items()}),
        }
    return frame.select(
        *[c for c in frame.columns if c != SOURCE_FILE],
        columns[SOURCE_URI].cast("string").alias(SOURCE_URI),
        columns[SOURCE_VERSION].cast("string").alias(SOURCE_VERSION),
        columns[INGESTED_AT].cast("timestamp").alias(INGESTED_AT),
    )


def staged_rows(
    valid: DataFrame, config: JobConfig, lineage: Mapping[str, Lineage] | None = None
) -> DataFrame:
    """One row per key with partitions derived, and lineage when ``valid`` has SOURCE_FILE."""
    if SOURCE_FILE in valid.columns:
        valid = with_lineage(valid, lineage or {})
    latest = keep_latest(valid, config.primary_key, config.order_by)
    derived = derive_partitions(latest, config.partition_by)
    lineage_columns = [c for c in (SOURCE_URI, SOURCE_VERSION, INGESTED_AT) if c in derived.columns]
    return derived.select(
        *[c.name for c in config.columns], *config.partition_names, *lineage_columns
    )
