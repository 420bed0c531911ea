"""How the transform job reads its files: every column as text, malformed rows kept.

Sources are read with the contract's schema, never with schema inference (which reads the data
twice). Text sources are read as text so that `casts` sees each value as it was written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.config import JobConfig, SourceConfig
from gluekit_glue.contract import CORRUPT_RECORD, parquet_read_schema, text_read_schema

SPARK_ENCODINGS = {"utf-8": "UTF-8", "latin-1": "ISO-8859-1"}
GLOB_CHARACTERS = "\\*?[]{}"
JSON_NUMBER = r"-?(?:0|[1-9][0-9]*)(?:[.][0-9]+)?(?:[eE][+-]?[0-9]+)?"


def read_text_source(
    spark: SparkSession,
    paths: Sequence[str],
    source: SourceConfig,
    source_names: Sequence[str],
    exact_numbers: Sequence[str] = (),
) -> DataFrame:
    """CSV or JSON lines (gzip by file suffix), every column as text, malformed rows kept.

    ``exact_numbers``: JSON keys whose numbers must reach their cast as written (decimal and
    whole-number columns).
    """
    escaped = [escape_glob(p) for p in paths]
    if source.format == "json":
        return _read_json_lines(spark, escaped, source_names, exact_numbers)
    csv = source.csv
    return (
        spark.read.schema(text_read_schema(source_names))
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_RECORD)
        # A corrupt file must fail the read, never vanish (a cluster may default this to true).
        .option("ignoreCorruptFiles", "false")
        .option("encoding", SPARK_ENCODINGS.get(csv.encoding, "UTF-8"))
        .option("header", csv.header)
        .option("sep", csv.delimiter)
        .option("quote", csv.quote)
        # RFC 4180: a quote inside a quoted field is doubled, and a quoted field may hold line
        # breaks. multiLine parses those; its price is that a file is no longer split between
        # tasks (one task reads one file), which gzip files never were anyway.
        .option("escape", csv.quote)
        .option("multiLine", True)
        .csv(escaped)
    )


def _read_json_lines(
    spark: SparkSession,
    paths: Sequence[str],
    source_names: Sequence[str],
    exact_numbers: Sequence[str],
) -> DataFrame:
    """One JSON object per line. Spark's JSON parser turns a number read into a text column
    into a double first ({"amount": 1234567890123456.78} arrives as '1.2345678901234568E15'),
    and no reader option changes that. So the numbers of exact columns are put in quotes on the
    line before parsing: the parser then hands over the digits as written. The record shown in
    a reject is the line as it arrived."""
    lines = (
        spark.read.option("ignoreCorruptFiles", "false")
        .text(list(paths))
        # Spark's JSON reader skips blank lines; so does this one.
        .filter(F.col("value").rlike(r"\S"))
    )
    parsed = F.from_json(
        _quote_numbers(F.col("value"), exact_numbers),
        text_read_schema(source_names),
        {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_RECORD},
    ).alias("_json")
    return lines.select(parsed, F.col("value")).select(
        *[F.col("_json").getField(n).alias(n) for n in source_names],
        F.when(F.col("_json").getField(CORRUPT_RECORD).isNotNull(), F.col("value")).alias(
            CORRUPT_RECORD
        ),
    )


def _quote_numbers(line: Column, keys: Sequence[str]) -> Column:
    """Put quotes around the number that is the value of one of ``keys``.

    In valid JSON, `"key"` followed by ':' is a key, never text inside a string (a quote inside
    a string is escaped, so the closing quote could not follow the key's last character)."""
    if not keys:
        return line
    names = "|".join(_java_literal(json.dumps(k, ensure_ascii=False)[1:-1]) for k in keys)
    pattern = f'("(?:{names})"\\s*:\\s*)({JSON_NUMBER})(\\s*[,}}])'
    return F.regexp_replace(line, pattern, '$1"$2"$3')


def _java_literal(text: str) -> str:
    """A Java regex matching ``text`` literally (a backslash before any non-letter is literal)."""
    return "".join(c if c.isalnum() else "\\" + c for c in text)


def read_parquet_source(spark: SparkSession, paths: Sequence[str], config: JobConfig) -> DataFrame:
    return (
        spark.read.schema(parquet_read_schema(config))
        .option("ignoreCorruptFiles", "false")
        .parquet(*[escape_glob(p) for p in paths])
    )


def escape_glob(path: str) -> str:
    """Spark expands glob patterns in input paths; an S3 key may hold '[', '{', '*' or '?'."""
    return "".join("\\" + c if c in GLOB_CHARACTERS else c for c in path)
