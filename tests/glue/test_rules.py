"""Every validation rule, passing and failing, on tiny staged frames."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from gluekit_glue.config import parse_config
from gluekit_glue.contract import dataset_schema
from gluekit_glue.rules import RuleResult, evaluate_rules, report_status, summary_text
from tests.glue.pipeline_env import rendered_configs

NOW = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
RULES: list[dict[str, Any]] = [
    {"rule": "row_count", "min": 2, "max": 3, "severity": "error"},
    {"rule": "unique_key", "columns": None, "severity": "error"},
    {"rule": "null_rate", "column": "currency", "max": 0.34, "severity": "warn"},
    {"rule": "accepted_values", "column": "status", "values": ["new", "paid"], "severity": "error"},
    {"rule": "range", "column": "amount", "min": 0, "max": 100, "severity": "error"},
    {
        "rule": "range",
        "column": "created_at",
        "min": "2026-11-01T00:00:00Z",
        "max": "2026-11-30",
        "severity": "error",
    },
    {"rule": "freshness", "column": "created_at", "max_age_hours": 48, "severity": "warn"},
    {"rule": "partition_completeness", "partition": None, "min_rows": 1, "severity": "error"},
    {"rule": "reject_rate", "max": 0.01, "severity": "error"},
    {"rule": "duplicate_keys", "max": 0, "max_rows_sharing_key": None, "severity": "error"},
]
LABELS = [
    "row_count",
    "unique_key",
    "null_rate",
    "accepted_values",
    "range(amount)",
    "range(created_at)",
    "freshness",
    "partition_completeness",
    "reject_rate",
    "duplicate_keys",
]
# Transform's step summaries (as transform writes them) for the passing and the failing run.
CLEAN_TRANSFORM: dict[str, Any] = {
    "rows_in": 300,
    "rows_rejected": 3,
    "details": {
        "reject_reasons": [{"reason": "column 'amount': 'x' is not a valid decimal", "rows": 3}],
        "duplicate_keys": {"rows_sharing_key": 2, "keys": 1, "conflicting_keys": 0},
    },
}
BROKEN_TRANSFORM: dict[str, Any] = {
    "rows_in": 100,
    "rows_rejected": 3,
    "details": {
        "reject_reasons": [
            {"reason": "column 'dep_time': 'NA' is not a valid int", "rows": 2},
            {"reason": "column 'status' is empty but required (nullable: false)", "rows": 1},
        ],
        "duplicate_keys": {"rows_sharing_key": 5, "keys": 2, "conflicting_keys": 1},
        "row_rejects": "s3://q/orders/rows/run_id=r/",
    },
}


def orders(spark: SparkSession, rows: list[tuple]) -> DataFrame:
    """Staged orders rows: (order_id, status, amount, currency, created_at, dt)."""
    config = parse_config(rendered_configs()["orders"])
    full = [
        (oid, "C-1", status, Decimal(str(amount)), currency, at, at, dt)
        for oid, status, amount, currency, at, dt in rows
    ]
    return spark.createDataFrame(full, dataset_schema(config))


def evaluate(
    frame: DataFrame,
    transform: dict[str, Any] | None = CLEAN_TRANSFORM,
    curated: DataFrame | None = None,
) -> dict[str, RuleResult]:
    config = copy.deepcopy(rendered_configs()["orders"])
    config["validation"] = RULES
    _, results = evaluate_rules(
        frame, parse_config(config), NOW, transform=transform, curated=curated
    )
    return dict(zip(LABELS, results, strict=True))


@pytest.fixture(scope="module")
def passing(spark: SparkSession) -> dict[str, RuleResult]:
    return evaluate(
        orders(
            spark,
            [
                ("O-1", "new", 10, "EUR", datetime(2026, 11, 20, 8), "2026-11-20"),
                ("O-2", "paid", 0, None, datetime(2026, 11, 21, 9), "2026-11-21"),
                ("O-3", "paid", 100, "USD", datetime(2026, 11, 21, 23), "2026-11-21"),
            ],
        )
    )


@pytest.fixture(scope="module")
def failing(spark: SparkSession) -> dict[str, RuleResult]:
    return evaluate(
        orders(
            spark,
            [
                ("O-1", "refunded", -5, None, datetime(2026, 10, 1, 8), "2026-10-01"),
                ("O-1", "new", 100.01, None, datetime(2026, 10, 3, 9), "2026-10-03"),
                ("O-2", "paid", 1, "EUR", datetime(2026, 10, 3, 9), "2026-10-03"),
                ("O-3", "paid", 1, "EUR", datetime(2026, 10, 3, 9), "2026-10-03"),
            ],
        ),
        BROKEN_TRANSFORM,
    )


@pytest.mark.parametrize("label", LABELS)
def test_rule_passes_on_good_data(passing: dict[str, RuleResult], label: str) -> None:
    assert passing[label].status == "passed", passing[label].message
    assert passing[label].offending_rows == []


@pytest.mark.parametrize("label", LABELS)
def test_rule_fails_on_bad_data(failing: dict[str, RuleResult], label: str) -> None:
    assert failing[label].status == "failed", failing[label].message


def test_failed_rules_observe_what_broke_them(failing: dict[str, RuleResult]) -> None:
    assert failing["row_count"].observed == 4
    assert failing["unique_key"].offending_rows == [{"order_id": "O-1", "rows": 2}]
    assert failing["reject_rate"].observed["rate"] == 0.03
    assert failing["reject_rate"].message.startswith(
        "3 of 100 rows read were rejected (3.00%); at most 1.00% allowed; top reasons: "
        "column 'dep_time': 'NA' is not a valid int (2); column 'status' is empty"
    )
    assert failing["duplicate_keys"].observed["conflicting_keys"] == 1
    assert failing["null_rate"].observed == 0.5
    assert [r["status"] for r in failing["accepted_values"].offending_rows] == ["refunded"]
    assert failing["range(amount)"].observed == {
        "min": -5.0,
        "max": 100.01,
        "below_min": 1,
        "above_max": 1,
    }
    assert failing["range(created_at)"].observed["below_min"] == 4
    assert failing["freshness"].observed["newest"] == "2026-10-03T09:00:00+00:00"
    assert failing["partition_completeness"].observed["missing_days"] == ["2026-10-02"]
    assert failing["partition_completeness"].offending_rows == [{"dt": "2026-10-02", "rows": 0}]


def test_offending_rows_are_json_ready_and_at_most_five(spark: SparkSession) -> None:
    at = datetime(2026, 11, 21, 8)
    frame = orders(spark, [(f"O-{i}", "bad", 1, "EUR", at, "2026-11-21") for i in range(9)])

    result = evaluate(frame)["accepted_values"]

    assert result.observed == 9
    assert len(result.offending_rows) == 5
    assert result.offending_rows[0]["created_at"] == "2026-11-21T08:00:00.000Z"
    assert result.offending_rows[0]["amount"] == 1.0


def test_partition_completeness_counts_rows_per_day(spark: SparkSession) -> None:
    config = copy.deepcopy(rendered_configs()["orders"])
    config["validation"] = [{"rule": "partition_completeness", "min_rows": 2, "severity": "error"}]
    at = datetime(2026, 11, 21, 8)
    frame = orders(
        spark,
        [
            ("O-1", "new", 1, "E", at, "2026-11-20"),
            ("O-2", "new", 1, "E", at, "2026-11-21"),
            ("O-3", "new", 1, "E", at, "2026-11-21"),
        ],
    )

    _, [result] = evaluate_rules(frame, parse_config(config), NOW)

    assert result.status == "failed"
    assert result.observed["days_below_min_rows"] == {"2026-11-20": 1}


def test_freshness_of_a_date_column_counts_from_the_end_of_the_day(spark: SparkSession) -> None:
    config = copy.deepcopy(rendered_configs()["orders"])
    config["columns"][5]["type"] = "date"
    config["validation"] = [
        {"rule": "freshness", "column": "created_at", "max_age_hours": 1, "severity": "error"}
    ]
    parsed = parse_config(config)
    frame = spark.createDataFrame(
        [("O-1", "C", "new", Decimal(1), None, date(2026, 11, 21), datetime(2026, 11, 21), "d")],
        dataset_schema(parsed),
    )

    _, [result] = evaluate_rules(frame, parsed, NOW)

    assert result.status == "passed"
    assert result.observed["age_hours"] == 0.0


def test_an_empty_run_fails_only_row_count_and_freshness(spark: SparkSession) -> None:
    results = evaluate(orders(spark, []))

    assert [label for label, r in results.items() if r.failed] == ["row_count", "freshness"]


def test_summary_and_status_follow_severity(failing: dict[str, RuleResult]) -> None:
    results = list(failing.values())
    warn_only = [r for r in results if r.severity == "warn"]

    assert report_status(results) == "failed"
    assert report_status(warn_only) == "passed"
    assert summary_text(warn_only) == (
        "0 of 2 rules passed; 2 warnings: null_rate(currency), freshness(created_at)"
    )
    text = summary_text(results)
    assert text.startswith("8 of 10 rules failed: row_count, unique_key(order_id), accepted_values")
    assert text.endswith("; 2 warnings: null_rate(currency), freshness(created_at)")
    assert summary_text([]) == "all 0 rules passed"


def test_an_empty_run_is_judged_by_row_count_not_by_the_reject_rule(spark: SparkSession) -> None:
    results = evaluate(orders(spark, []), {"rows_in": 0, "rows_rejected": 0, "details": {}})

    assert results["reject_rate"].status == "passed"


@pytest.mark.parametrize("summary", [None, {"rows_in": 5, "rows_rejected": 0, "details": {}}])
def test_rules_on_transform_counts_without_the_counts_are_not_measured_never_passed(
    spark: SparkSession, summary: dict[str, Any] | None
) -> None:
    at = datetime(2026, 11, 21, 8)
    results = evaluate(orders(spark, [("O-1", "new", 1, "EUR", at, "2026-11-21")]), summary)

    assert results["duplicate_keys"].status == "not_measured"
    assert results["duplicate_keys"].message.startswith("not measured: ")
    expected = "not_measured" if summary is None else "passed"
    assert results["reject_rate"].status == expected
    assert "not measured" in summary_text(list(results.values()))
    assert report_status([results["duplicate_keys"]]) == "passed"


def test_unique_key_passes_when_a_key_moves_partition_because_the_merge_moves_it(
    spark: SparkSession,
) -> None:
    # O-1 was published on 2026-11-20; this run dates it 2026-11-21: the MERGE on the primary
    # key replaces the old row wherever it is, so the table keeps one row for O-1.
    curated = orders(spark, [("O-1", "new", 1, "EUR", datetime(2026, 11, 20, 8), "2026-11-20")])
    staged = orders(spark, [("O-1", "paid", 1, "EUR", datetime(2026, 11, 21, 8), "2026-11-21")])

    result = evaluate(staged, curated=curated)["unique_key"]

    assert result.status == "passed"
    assert result.observed == {"repeated_keys_after_merge": 0, "repeated_keys_in_run": 0}


def test_unique_key_fails_when_the_table_already_repeats_a_key(spark: SparkSession) -> None:
    # GIVEN a curated table holding O-9 twice (a write that bypassed the kit); this run does
    # not touch O-9, so its merge cannot repair it
    at = datetime(2026, 11, 20, 8)
    curated = orders(
        spark,
        [
            ("O-9", "new", 1, "EUR", at, "2026-11-20"),
            ("O-9", "paid", 2, "EUR", at, "2026-11-20"),
        ],
    )
    staged = orders(spark, [("O-1", "paid", 1, "EUR", datetime(2026, 11, 21, 8), "2026-11-21")])

    result = evaluate(staged, curated=curated)["unique_key"]

    assert result.status == "failed"
    assert result.observed == {"repeated_keys_after_merge": 1, "repeated_keys_in_run": 0}
    assert result.offending_rows == [{"order_id": "O-9", "rows": 2}]
    assert "repeat in the curated table as it will be after this run's merge" in result.message


def test_unique_key_on_other_columns_fails_on_repeats_in_the_run(spark: SparkSession) -> None:
    config = copy.deepcopy(rendered_configs()["orders"])
    config["validation"] = [{"rule": "unique_key", "columns": ["customer_id"], "severity": "error"}]
    at = datetime(2026, 11, 21, 8)
    frame = orders(
        spark,
        [("O-1", "new", 1, "EUR", at, "2026-11-21"), ("O-2", "new", 1, "EUR", at, "2026-11-21")],
    )

    _, [result] = evaluate_rules(frame, parse_config(config), NOW)

    assert result.status == "failed"
    assert result.offending_rows == [{"customer_id": "C-1", "rows": 2}]


def test_null_rate_counts_nulls_over_every_staged_row(spark: SparkSession) -> None:
    at = datetime(2026, 11, 21, 8)
    frame = orders(
        spark,
        [(f"O-{i}", "new", 1, None if i < 3 else "EUR", at, "2026-11-21") for i in range(40)],
    )

    result = evaluate(frame)["null_rate"]

    assert result.observed == 0.075
    assert result.status == "passed"
    assert result.message.startswith("3 of 40 staged rows have no value (7.50%)")
