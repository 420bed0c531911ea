"""The pure DataFrame steps of transform on tiny frames: casts, rejects, dedupe, partitions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import pytest
from pyspark.sql import DataFrame, SparkSession

from gluekit_glue.config import ColumnConfig, PartitionConfig
from gluekit_glue.contract import CORRUPT_RECORD
from gluekit_glue.datasets import escape_path_name
from gluekit_glue.transform import (
    REASON,
    RECORD,
    SOURCE_FILE,
    check_rows,
    derive_partitions,
    keep_latest,
)

AMOUNT = "(a number with at most 10 digits before the decimal point and 2 after it)"
INT = "(a whole number from -2147483648 to 2147483647)"
Transform = Literal["day", "month", "year", "hour", "identity"]


def column(name: str, type_: str, nullable: bool = True, fmt: str | None = None) -> ColumnConfig:
    return ColumnConfig(name=name, type=type_, nullable=nullable, source=name, format=fmt)


def text_frame(spark: SparkSession, names: list[str], rows: list[tuple]) -> DataFrame:
    """Rows as the CSV/JSON reader yields them: text columns, corrupt record, source file."""
    schema = ", ".join(f"`{n}` string" for n in [*names, CORRUPT_RECORD, SOURCE_FILE])
    return spark.createDataFrame(rows, schema)


def test_text_values_cast_to_every_contract_type(spark: SparkSession) -> None:
    columns = [
        column("amount", "decimal(12,2)"),
        column("n", "int"),
        column("big", "bigint"),
        column("ratio", "double"),
        column("flag", "boolean"),
        column("day", "date"),
        column("at", "timestamp"),
        column("eu_day", "date", fmt="dd/MM/yyyy"),
        column("local_at", "timestamp", fmt="yyyy-MM-dd HH:mm"),
    ]
    names = [c.name for c in columns]
    raw = text_frame(
        spark,
        names,
        [
            (
                "19.99",
                " 42 ",
                "9000000000",
                "0.5",
                "true",
                "2026-11-20",
                "2026-11-20T08:15:00Z",
                "21/11/2026",
                "2026-11-20 23:59",
                None,
                "f.csv",
            )
        ],
    )

    row = check_rows(raw, columns, text=True).first()

    assert row is not None
    assert row[REASON] is None
    assert [row[n] for n in names] == [
        Decimal("19.99"),
        42,
        9_000_000_000,
        0.5,
        True,
        date(2026, 11, 20),
        datetime(2026, 11, 20, 8, 15),
        date(2026, 11, 21),
        datetime(2026, 11, 20, 23, 59),
    ]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (("abc", "1", "O-1"), f"column 'amount': 'abc' is not a valid decimal(12,2) {AMOUNT}"),
        (
            ("19.999", "1", "O-1"),
            f"column 'amount': '19.999' is not a valid decimal(12,2) {AMOUNT}",
        ),
        (("1.00", "12.5", "O-1"), f"column 'n': '12.5' is not a valid int {INT}"),
        (("1.00", "1", None), "column 'id' is empty but required (nullable: false)"),
        (("1.00", "1", "O-\ufffd"), "invalid UTF-8 (bytes that decode to U+FFFD)"),
    ],
)
def test_a_row_that_does_not_fit_is_rejected_with_its_reason(
    spark: SparkSession, values: tuple, reason: str
) -> None:
    columns = [column("amount", "decimal(12,2)"), column("n", "int"), column("id", "string", False)]
    raw = text_frame(spark, ["amount", "n", "id"], [(*values, None, "file:/r/orders/a.csv")])

    row = check_rows(raw, columns, text=True).first()

    assert row is not None
    assert row[REASON] == reason
    assert row[SOURCE_FILE] == "file:/r/orders/a.csv"


def test_a_malformed_record_is_rejected_with_the_raw_line(spark: SparkSession) -> None:
    columns = [column("id", "string", False), column("n", "int")]
    raw = text_frame(spark, ["id", "n"], [("O-1", None, "O-1", "f.csv")])

    row = check_rows(raw, columns, text=True).first()

    assert row is not None
    assert str(row[REASON]).startswith("malformed record")
    assert row[RECORD] == "O-1"


def test_rejected_row_keeps_the_record_as_text(spark: SparkSession) -> None:
    columns = [column("id", "string"), column("n", "int")]
    raw = text_frame(spark, ["id", "n"], [("O-1", "x", None, "f.csv")])

    row = check_rows(raw, columns, text=True).first()

    assert row is not None and row[RECORD] == '{"id":"O-1","n":"x"}'


def test_empty_text_is_null_not_a_failed_cast(spark: SparkSession) -> None:
    columns = [column("n", "int"), column("note", "string")]
    raw = text_frame(spark, ["n", "note"], [("  ", "", None, "f.csv")])

    row = check_rows(raw, columns, text=True).first()

    assert row is not None
    assert (row["n"], row["note"], row[REASON]) == (None, "", None)


def test_null_partition_source_is_rejected_not_sent_to_a_default_partition(
    spark: SparkSession,
) -> None:
    columns = [column("id", "string"), column("at", "timestamp")]
    raw = text_frame(spark, ["id", "at"], [("O-1", None, None, "f.csv")])

    row = check_rows(
        raw, columns, text=True, partitions=[PartitionConfig("dt", "at", "day")]
    ).first()

    assert row is not None
    assert row[REASON] == "column 'at' is empty but partition 'dt' is derived from it"


def test_dedupe_keeps_the_latest_row_per_key(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        [("O-1", "new", 1), ("O-1", "paid", 3), ("O-1", "shipped", 2), ("O-2", "new", None)],
        "id string, status string, version int",
    )

    kept = sorted(tuple(r) for r in keep_latest(frame, ["id"], "version").collect())

    assert kept == [("O-1", "paid", 3), ("O-2", "new", None)]


def test_dedupe_without_order_by_keeps_the_same_row_whatever_the_input_order(
    spark: SparkSession,
) -> None:
    rows = [("e-4", "click", 480), ("e-4", "view", 480), ("e-4", "click", 10)]
    schema = "id string, type string, ms int"

    forwards = keep_latest(spark.createDataFrame(rows, schema), ["id"], None).collect()
    backwards = keep_latest(spark.createDataFrame(rows[::-1], schema), ["id"], None).collect()

    assert len(forwards) == 1
    assert forwards == backwards


def test_exact_duplicate_rows_collapse_to_one(spark: SparkSession) -> None:
    frame = spark.createDataFrame([("e-4", 1), ("e-4", 1)], "id string, n int")

    assert keep_latest(frame, ["id"], None).count() == 1


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        ("day", "2026-11-20"),
        ("month", "2026-11"),
        ("year", "2026"),
        ("hour", "2026-11-20-23"),
        ("identity", "2026-11-20 23:59:59"),
    ],
)
def test_partition_values_are_derived_in_utc(
    spark: SparkSession, transform: Transform, expected: str
) -> None:
    frame = spark.sql("SELECT TIMESTAMP'2026-11-20T23:59:59Z' AS at")

    row = derive_partitions(frame, [PartitionConfig("p", "at", transform)]).first()

    assert row is not None and row["p"] == expected


def test_partition_directory_names_are_escaped_as_spark_escapes_them(spark: SparkSession) -> None:
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    spark_escape = jvm.org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.escapePathName

    for value in ["2026-11-20", "a b/c:d=e%f", "x#y?z*[1]{2}^'\"\\", "tab\there"]:
        assert escape_path_name(value) == spark_escape(value)
