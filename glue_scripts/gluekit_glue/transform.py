"""Pure DataFrame steps of the transform job: cast to the contract, reject, dedupe, derive
partitions.

Sources are read as text (`sources`); each value is then cast to its contract type (`casts`).
A row that cannot be cast, misses a required value, is malformed or holds invalid UTF-8 is never
dropped: it gets a reason and leaves through `rejected_rows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from pyspark.sql import Column, DataFrame, Observation, Window
from pyspark.sql import functions as F

from gluekit_glue.casts import CastPlan, cast_text, prepared_text, sql_name
from gluekit_glue.config import ColumnConfig, JobConfig, PartitionConfig
from gluekit_glue.contract import CORRUPT_RECORD, INGESTED_AT, SOURCE_URI, SOURCE_VERSION

SOURCE_FILE = "_source_file"  # the file's path as Spark reports it (URL-encoded)
REASON = "_reject_reason"
REASON_KINDS = "_reject_kinds"  # each reason of the row without its value, so reasons group
MALFORMED = "malformed record: wrong number of fields, bad quoting or not a JSON object"
RECORD = "_record"
KEY_ROWS, KEY_CONFLICT = "_key_rows", "_key_conflict"
REPLACEMENT_CHARACTER = "\ufffd"  # what a UTF-8 decoder puts in place of invalid bytes
PARTITION_PATTERNS = {
    "day": "yyyy-MM-dd",
    "month": "yyyy-MM",
    "year": "yyyy",
    "hour": "yyyy-MM-dd-HH",
}
MAX_VALUE_IN_REASON = 100


# ------------------------------------------------------------------------------------ check
def check_rows(
    raw: DataFrame,
    columns: Sequence[ColumnConfig],
    *,
    text: bool,
    check_utf8: bool = True,
    partitions: Sequence[PartitionConfig] = (),
    null_values: tuple[str, ...] = (),
    timezone: str = "UTC",
) -> DataFrame:
    """Typed contract columns plus REASON (null for a good row), REASON_KINDS, RECORD (rejected
    rows only) and SOURCE_FILE.

    ``raw`` holds the source columns (by source name): as text when ``text``, else already typed
    (Parquet). Columns are renamed to their contract names here. ``null_values`` are the texts
    that mean null (CSV's markers), applied before any cast. SOURCE_FILE is the file Spark read
    the row from, unless ``raw`` already has that column.
    """
    has_corrupt = CORRUPT_RECORD in raw.columns
    corrupt = F.col(CORRUPT_RECORD) if has_corrupt else F.lit(None).cast("string")
    source_file = F.col(SOURCE_FILE) if SOURCE_FILE in raw.columns else F.input_file_name()
    # Three projections: the raw and prepared text (_s, _t), then each cast once (_v) with its
    # checks, then the reasons that only refer to those results, so no cast runs twice per row.
    # input_file_name(), being nondeterministic, stops a later filter on REASON from being
    # pushed below the casts (and inlining them again). Internal names keep SQL safe whatever
    # the source names are.
    texts: list[Column] = []
    for i, column in enumerate(columns):
        source = F.col(sql_name(column.source))
        texts.append(source.alias(f"_s{i}"))
        if text:
            texts.append(prepared_text(source, column, null_values).alias(f"_t{i}"))
    prepared = raw.select(*texts, corrupt.alias(CORRUPT_RECORD), source_file.alias(SOURCE_FILE))
    casts: list[Column] = []
    expected: list[str] = []
    for i, column in enumerate(columns):
        if text:
            plan = cast_text(f"_t{i}", column, timezone)
        else:
            plan = CastPlan(F.col(f"_s{i}"), F.lit(False), F.lit(True), column.type)
        # A text the type's rule refuses has no value, even where Spark's cast would give one.
        value = F.when(F.coalesce(plan.valid, F.lit(False)), plan.value)
        failed = plan.present & value.isNull()
        casts += [F.col(f"_s{i}"), value.alias(f"_v{i}"), failed.alias(f"_f{i}")]
        expected.append(plan.expected)
    typed = prepared.select(*casts, F.col(CORRUPT_RECORD), F.col(SOURCE_FILE))

    reasons: list[tuple[Column, Column, str]] = []  # (when, reason with the value, its kind)
    for i, column in enumerate(columns):
        value, failed = F.col(f"_v{i}"), F.col(f"_f{i}")
        empty = value.isNull() & ~failed
        wanted = f"a valid {column.type} ({expected[i]})"
        kind = f"column '{column.name}': not {wanted}"
        quoted_value = _shown_value(F.col(f"_s{i}").cast("string"))
        reasons.append(
            (
                failed,
                F.concat(
                    F.lit(f"column '{column.name}': "),
                    quoted_value,
                    F.lit(f" is not {wanted}"),
                ),
                kind,
            )
        )
        if not column.nullable:
            message = f"column '{column.name}' is empty but required (nullable: false)"
            reasons.append((empty, F.lit(message), message))
        for partition in partitions:
            if partition.from_ == column.name and column.nullable:
                message = (
                    f"column '{column.name}' is empty but partition '{partition.name}' "
                    "is derived from it"
                )
                reasons.append((empty, F.lit(message), message))
    if text and check_utf8:
        raw_texts = [F.col(f"_s{i}") for i in range(len(columns))] + [F.col(CORRUPT_RECORD)]
        invalid = reduce(
            lambda a, b: a | b,
            [F.coalesce(F.instr(t, REPLACEMENT_CHARACTER) > 0, F.lit(False)) for t in raw_texts],
        )
        message = "invalid UTF-8 (bytes that decode to U+FFFD)"
        reasons.insert(0, (invalid, F.lit(message), message))
    malformed = F.col(CORRUPT_RECORD).isNotNull()
    reason = F.when(malformed, F.lit(MALFORMED)).otherwise(
        F.nullif(F.concat_ws("; ", *[F.when(c, r) for c, r, _ in reasons]), F.lit(""))
    )
    kinds = F.when(malformed, F.array(F.lit(MALFORMED))).otherwise(
        F.array_compact(F.array(*[F.when(c, F.lit(k)) for c, _, k in reasons]))
    )
    record = F.coalesce(
        F.col(CORRUPT_RECORD),
        F.to_json(F.struct(*[F.col(f"_s{i}").alias(c.source) for i, c in enumerate(columns)])),
    )
    checked = typed.select(
        *[F.col(f"_v{i}").alias(c.name) for i, c in enumerate(columns)],
        reason.alias(REASON),
        kinds.alias(REASON_KINDS),
        F.col(CORRUPT_RECORD),
        *[F.col(f"_s{i}") for i in range(len(columns))],
        F.col(SOURCE_FILE),
    )
    # The raw record is kept for rejected rows only: a cached batch need not hold it twice.
    return checked.select(
        *[c.name for c in columns],
        REASON,
        REASON_KINDS,
        F.when(F.col(REASON).isNotNull(), record).alias(RECORD),
        SOURCE_FILE,
    )


def _shown_value(value: Column) -> Column:
    """The offending text in quotes, cut (by characters, never mid-character) when long."""
    cut = F.substring(value, 1, MAX_VALUE_IN_REASON)
    suffix = F.when(F.length(value) > MAX_VALUE_IN_REASON, F.lit("…")).otherwise(F.lit(""))
    return F.concat(F.lit("'"), cut, suffix, F.lit("'"))


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


def keep_latest(
    frame: DataFrame,
    primary_key: Sequence[str],
    order_by: str | None,
    *,
    key_stats: bool = False,
) -> DataFrame:
    """One row per primary key: the greatest ``order_by``; ties and no ``order_by`` are broken
    by the row's values, so the same input always keeps the same row, in any file order.

    ``key_stats`` adds KEY_ROWS (rows that had the kept row's key) and KEY_CONFLICT (those rows
    differ in some non-key column), computed in the same windows as the dedupe: no extra shuffle.
    """
    if not primary_key:
        if key_stats:
            return frame.withColumn(KEY_ROWS, F.lit(1)).withColumn(KEY_CONFLICT, F.lit(False))
        return frame
    # Lineage differs between files by nature: only the contract's values make a conflict.
    lineage = (SOURCE_URI, SOURCE_VERSION, INGESTED_AT)
    others = [c for c in frame.columns if c not in primary_key and c not in lineage]
    order = [F.col(order_by).desc_nulls_last()] if order_by else []
    if INGESTED_AT in frame.columns:  # then the version that arrived last
        order.append(F.col(INGESTED_AT).desc_nulls_last())
    order += [F.col(c).asc_nulls_first() for c in others]
    if SOURCE_URI in frame.columns:  # identical rows from two files: keep one the same way
        order.append(F.col(SOURCE_URI).asc_nulls_first())
    window = Window.partitionBy(*primary_key).orderBy(*order)
    numbered = frame.withColumn("_row", F.row_number().over(window))
    if key_stats:
        whole_key = Window.partitionBy(*primary_key)
        values = F.struct(*[F.col(c) for c in others]) if others else F.lit(True)
        # A key conflicts when some row differs from the first (null-safe on every field).
        numbered = (
            numbered.withColumn("_first", F.first(values).over(window))
            .withColumn("_differs", (~values.eqNullSafe(F.col("_first"))).cast("int"))
            .withColumn(KEY_ROWS, F.count(F.lit(1)).over(whole_key))
            .withColumn(KEY_CONFLICT, F.max("_differs").over(whole_key) == 1)
            .drop("_first", "_differs")
        )
    return numbered.filter(F.col("_row") == 1).drop("_row")


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
    valid: DataFrame,
    config: JobConfig,
    observation: Observation | None = None,
    lineage: Mapping[str, Lineage] | None = None,
) -> DataFrame:
    """Deduplicated rows with their partition columns, and lineage when ``valid`` has
    SOURCE_FILE. ``observation`` (if given) receives rows_out, partitions (JSON list) and the
    batch's duplicate key counts; only pass one when ``valid`` holds rows (an Observation on a
    plan that turns out empty is never filled)."""
    if SOURCE_FILE in valid.columns:
        valid = with_lineage(valid, lineage or {})
    latest = keep_latest(
        valid, config.primary_key, config.order_by, key_stats=observation is not None
    )
    derived = derive_partitions(latest, config.partition_by)
    if observation is not None:
        shared = F.col(KEY_ROWS) > 1
        derived = derived.observe(
            observation,
            F.count(F.lit(1)).alias("rows_out"),
            F.to_json(F.array_sort(F.collect_set(partition_path(config.partition_by)))).alias(
                "partitions"
            ),
            F.sum(F.when(shared, F.col(KEY_ROWS)).otherwise(0)).alias("rows_sharing_key"),
            F.sum(F.when(shared, 1).otherwise(0)).alias("keys"),
            F.sum(F.when(F.col(KEY_CONFLICT), 1).otherwise(0)).alias("conflicting_keys"),
        )
    lineage_columns = [c for c in (SOURCE_URI, SOURCE_VERSION, INGESTED_AT) if c in derived.columns]
    return derived.select(
        *[c.name for c in config.columns], *config.partition_names, *lineage_columns
    )
