"""Exact and strict casts on tiny frames: null markers, decimals at every precision, whole dates,
time zones, booleans, int ranges and readable reasons. Each case here was once loaded wrongly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.config import ColumnConfig
from gluekit_glue.contract import CORRUPT_RECORD
from gluekit_glue.transform import REASON, REASON_KINDS, SOURCE_FILE, check_rows


def column(name: str, type_: str, fmt: str | None = None, **extra: Any) -> ColumnConfig:
    return ColumnConfig(name=name, type=type_, nullable=True, source=name, format=fmt, **extra)


def checked(
    spark: SparkSession, col: ColumnConfig, values: list[str | None], **options: Any
) -> DataFrame:
    """One text column as the CSV/JSON reader yields it, checked against ``col``."""
    schema = ", ".join(f"`{n}` string" for n in [col.source, CORRUPT_RECORD, SOURCE_FILE])
    raw = spark.createDataFrame([(v, None, "f.csv") for v in values], schema)
    return check_rows(raw, [col], text=True, **options)


def outcomes(spark: SparkSession, col: ColumnConfig, values: list[str | None], **options: Any):
    """value → (typed value, reason) in input order."""
    rows = checked(spark, col, values, **options).collect()
    return {v: (r[col.name], r[REASON]) for v, r in zip(values, rows, strict=True)}


@pytest.fixture
def new_york_session(spark: SparkSession) -> Iterator[SparkSession]:
    """A session whose time zone is not the source's: results must not depend on it."""
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    yield spark
    spark.conf.set("spark.sql.session.timeZone", str(before))


def test_null_markers_are_null_in_every_column_before_casting(spark: SparkSession) -> None:
    # GIVEN a source that writes missing values as NA (R, pandas exports)
    columns = [column("dep_time", "int"), column("tailnum", "string")]
    schema = f"dep_time string, tailnum string, {CORRUPT_RECORD} string, {SOURCE_FILE} string"
    raw = spark.createDataFrame(
        [("NA", " NA ", None, "f"), ("517", "N14228", None, "f"), ("", "", None, "f")], schema
    )

    # WHEN the rows are checked with the markers "" and NA
    rows = check_rows(raw, columns, text=True, null_values=("", "NA")).collect()

    # THEN NA (trimmed) is null in the int and the string column alike, and nothing is rejected
    assert [(r["dep_time"], r["tailnum"], r[REASON]) for r in rows] == [
        (None, None, None),
        (517, "N14228", None),
        (None, None, None),
    ]


def test_without_the_marker_na_is_rejected_naming_column_value_and_expectation(
    spark: SparkSession,
) -> None:
    [row] = checked(spark, column("dep_time", "int"), ["NA"]).collect()

    assert row[REASON] == (
        "column 'dep_time': 'NA' is not a valid int (a whole number from -2147483648 to 2147483647)"
    )
    assert row[REASON_KINDS] == [
        "column 'dep_time': not a valid int (a whole number from -2147483648 to 2147483647)"
    ]


def test_a_long_value_is_cut_in_the_reason_and_marked(spark: SparkSession) -> None:
    [row] = checked(spark, column("n", "int"), ["é" * 300]).collect()

    assert row[REASON].startswith("column 'n': '" + "é" * 100 + "…' is not a valid int")


@pytest.mark.parametrize(
    ("type_", "text", "expected"),
    [
        ("decimal(38,2)", "1.005", None),  # try_cast rounds it to 1.01
        ("decimal(38,2)", "1234567890123456789012345678901234567.8", None),  # 37 digits > 36
        (
            "decimal(38,2)",
            "123456789012345678901234567890123456.78",
            Decimal("123456789012345678901234567890123456.78"),
        ),
        (
            "decimal(38,2)",
            "12345678901234567890123456789012345.67",
            Decimal("12345678901234567890123456789012345.67"),
        ),
        (
            "decimal(38,0)",
            "12345678901234567890123456789012345678",
            Decimal("12345678901234567890123456789012345678"),
        ),
        ("decimal(38,0)", "1.5", None),
        ("decimal(18,2)", "1234567890123456.78", Decimal("1234567890123456.78")),
        ("decimal(18,2)", "12345678901234567.8", None),
        ("decimal(12,2)", "19.999", None),
        ("decimal(12,2)", "19.990", Decimal("19.99")),
        ("decimal(12,2)", "1.5e2", Decimal("150.00")),
        ("decimal(12,2)", "1234E-4", None),
        ("decimal(12,2)", "100e-2", Decimal("1.00")),
        ("decimal(12,2)", "-.5", Decimal("-0.50")),
        ("decimal(12,2)", "1e99999", None),
        ("decimal(12,2)", "12,5", None),
    ],
)
def test_decimals_are_exact_at_every_precision(
    spark: SparkSession, type_: str, text: str, expected: Decimal | None
) -> None:
    [(value, reason)] = outcomes(spark, column("amount", type_), [text]).values()

    assert value == expected if expected is not None else reason is not None
    if expected is None:
        assert f"'{text}' is not a valid {type_}" in reason


def test_whole_numbers_out_of_range_are_rejected_not_wrapped(spark: SparkSession) -> None:
    ints = outcomes(spark, column("n", "int"), ["2147483647", "2147483648", "-2147483649", "12.0"])
    bigints = outcomes(spark, column("n", "bigint"), ["9223372036854775807", "9223372036854775808"])

    assert ints["2147483647"] == (2147483647, None)
    assert all(ints[v][1] is not None for v in ("2147483648", "-2147483649", "12.0"))
    assert bigints["9223372036854775807"] == (9223372036854775807, None)
    assert bigints["9223372036854775808"][1] is not None


def test_partial_dates_are_rejected_by_default(spark: SparkSession) -> None:
    found = outcomes(
        spark,
        column("day", "date"),
        ["2026-11-21", "2026", "2026-11", "2026-11-21T10:00", "2026-2-3"],
    )

    assert found["2026-11-21"] == (date(2026, 11, 21), None)
    for text in ("2026", "2026-11", "2026-11-21T10:00", "2026-2-3"):
        value, reason = found[text]
        assert value is None and "a date written yyyy-MM-dd" in reason


def test_a_date_format_must_match_the_whole_text(spark: SparkSession) -> None:
    found = outcomes(
        spark, column("day", "date", "dd/MM/yyyy"), ["21/11/2026", "21/11/2026 10:00", "11/2026"]
    )

    assert found["21/11/2026"] == (date(2026, 11, 21), None)
    assert found["21/11/2026 10:00"][1] is not None and found["11/2026"][1] is not None


def test_partial_timestamps_are_rejected(spark: SparkSession) -> None:
    texts = ["2026", "2026-11", "2026-11-21", "2026-11-21T10", "2026-11-21T10:00:00.1234567Z"]
    found = outcomes(spark, column("at", "timestamp"), texts)

    assert all(value is None and reason is not None for value, reason in found.values())


def epochs(frame: DataFrame, name: str) -> list[int | None]:
    """Seconds since the epoch: comparable whatever the session's time zone."""
    return [r[0] for r in frame.select(F.col(name).cast("long")).collect()]


def test_timestamps_without_offset_are_read_in_the_source_time_zone(
    new_york_session: SparkSession,
) -> None:
    # GIVEN a session in New York and a source in Paris (UTC+1 in November)
    texts = [
        "2026-11-21T10:00:00",
        "2026-11-21 10:00",
        "2026-11-21T10:00Z",
        "2026-11-21T10:00:00+02:00",
        "2026-11-21T10:00:00.250-0500",
    ]
    frame = checked(new_york_session, column("at", "timestamp"), texts, timezone="Europe/Paris")

    # THEN text without an offset is Paris time, offsets are honoured; New York plays no part
    ten_utc = 1795255200  # 2026-11-21T10:00:00Z
    assert epochs(frame, "at") == [
        ten_utc - 3600,
        ten_utc - 3600,
        ten_utc,
        ten_utc - 7200,
        ten_utc + 5 * 3600,
    ]
    assert [r[REASON] for r in frame.collect()] == [None] * 5


def test_a_timestamp_format_without_zone_is_read_in_the_source_time_zone(
    new_york_session: SparkSession,
) -> None:
    col = column("at", "timestamp", "dd/MM/yyyy HH:mm")
    frame = checked(
        new_york_session, col, ["21/11/2026 10:00", "21/11/2026"], timezone="Europe/Paris"
    )

    assert epochs(frame, "at") == [1795255200 - 3600, None]
    assert frame.collect()[1][REASON] is not None


def test_booleans_accept_true_and_false_in_any_case_only(spark: SparkSession) -> None:
    found = outcomes(spark, column("flag", "boolean"), ["true", " FALSE ", "True", "yes", "1", "t"])

    assert [found[v][0] for v in ("true", " FALSE ", "True")] == [True, False, True]
    for text in ("yes", "1", "t"):
        assert found[text][0] is None
        assert "one of 'true', 'false' (any case)" in found[text][1]


def test_booleans_take_the_columns_own_values(spark: SparkSession) -> None:
    col = column("flag", "boolean", true_values=("Y", "1"), false_values=("N", "0"))

    found = outcomes(spark, col, ["y", "1", "N", "0", "true"])

    assert [found[v][0] for v in ("y", "1", "N", "0")] == [True, True, False, False]
    assert found["true"][1] is not None
