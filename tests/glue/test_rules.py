"""Every validation rule, passing and failing, on tiny frames of the table as it will be."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from gluekit_glue.audit import AuditView
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
    "rows_out": 3,
    "rows_rejected": 3,
    "details": {
        "reject_reasons": [{"reason": "column 'amount': 'x' is not a valid decimal", "rows": 3}],
        "duplicate_keys": {"rows_sharing_key": 2, "keys": 1, "conflicting_keys": 0},
    },
}
BROKEN_TRANSFORM: dict[str, Any] = {
    "rows_in": 100,
    "rows_out": 4,
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
    """Orders rows with their partition: (order_id, status, amount, currency, created_at, dt)."""
    config = parse_config(rendered_configs()["orders"])
    full = [
        (oid, "C-1", status, Decimal(str(amount)), currency, at, at, dt)
        for oid, status, amount, currency, at, dt in rows
    ]
    return spark.createDataFrame(full, dataset_schema(config))


def view(
    run_rows: DataFrame, others: DataFrame | None = None, replaced: DataFrame | None = None
) -> AuditView:
    """The table as it will be: the run's rows, plus ``others`` the table keeps."""
    table = run_rows if others is None else others.unionByName(run_rows)
    return AuditView(table=table, run_rows=run_rows, replaced=replaced)


def evaluate(
    frame: DataFrame | AuditView, transform: dict[str, Any] | None = CLEAN_TRANSFORM
) -> dict[str, RuleResult]:
    config = copy.deepcopy(rendered_configs()["orders"])
    config["validation"] = RULES
    audited = frame if isinstance(frame, AuditView) else view(frame)
    _, results = evaluate_rules(audited, parse_config(config), NOW, transform=transform)
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

    _, [result] = evaluate_rules(view(frame), parse_config(config), NOW)

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

    _, [result] = evaluate_rules(view(frame), parsed, NOW)

    assert result.status == "passed"
    assert result.observed["age_hours"] == 0.0


def test_an_empty_run_fails_only_row_count_and_freshness(spark: SparkSession) -> None:
    results = evaluate(orders(spark, []), {**CLEAN_TRANSFORM, "rows_out": 0})

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


def test_unique_key_counts_repeats_over_the_whole_table_as_it_will_be(
    spark: SparkSession,
) -> None:
    # GIVEN a table holding O-9 twice (a write that bypassed the kit); this run does not touch
    # O-9, so its merge cannot repair it
    at = datetime(2026, 11, 20, 8)
    others = orders(
        spark,
        [
            ("O-9", "new", 1, "EUR", at, "2026-11-20"),
            ("O-9", "paid", 2, "EUR", at, "2026-11-20"),
        ],
    )
    run = orders(spark, [("O-1", "paid", 1, "EUR", datetime(2026, 11, 21, 8), "2026-11-21")])

    result = evaluate(view(run, others))["unique_key"]

    assert result.status == "failed"
    assert result.observed == {"repeated_keys": 1, "rows": 2}
    assert result.offending_rows == [{"order_id": "O-9", "rows": 2}]
    assert "repeat in the table as it will be after publish" in result.message


def test_unique_key_on_other_columns_fails_on_repeats_in_the_table(spark: SparkSession) -> None:
    config = copy.deepcopy(rendered_configs()["orders"])
    config["validation"] = [{"rule": "unique_key", "columns": ["customer_id"], "severity": "error"}]
    at = datetime(2026, 11, 21, 8)
    others = orders(spark, [("O-1", "new", 1, "EUR", at, "2026-11-21")])
    run = orders(spark, [("O-2", "new", 1, "EUR", at, "2026-11-21")])

    _, [result] = evaluate_rules(view(run, others), parse_config(config), NOW)

    assert result.status == "failed"
    assert result.offending_rows == [{"customer_id": "C-1", "rows": 2}]


def test_row_level_rules_judge_the_runs_rows_not_the_tables_others(spark: SparkSession) -> None:
    # GIVEN the table keeps an older row with a status outside the accepted values
    others = orders(spark, [("O-8", "refunded", -1, "EUR", datetime(2026, 11, 21), "2026-11-21")])
    run = orders(spark, [("O-1", "new", 1, "EUR", datetime(2026, 11, 21, 8), "2026-11-21")])

    results = evaluate(view(run, others))

    assert results["accepted_values"].status == "passed"
    assert results["range(amount)"].status == "passed"


def test_partition_completeness_spans_the_touched_days_in_the_table_as_it_will_be(
    spark: SparkSession,
) -> None:
    # GIVEN a late update of 2026-11-18 beside today's 2026-11-21, the days between in the table
    at = datetime(2026, 11, 19, 8)
    others = orders(
        spark,
        [("O-7", "new", 1, "EUR", at, "2026-11-19"), ("O-8", "new", 1, "EUR", at, "2026-11-20")],
    )
    run = orders(
        spark,
        [
            ("O-1", "paid", 1, "EUR", datetime(2026, 11, 18, 8), "2026-11-18"),
            ("O-2", "new", 1, "EUR", datetime(2026, 11, 21, 8), "2026-11-21"),
        ],
    )

    result = evaluate(view(run, others))["partition_completeness"]

    # THEN complete: the run alone misses two days, the table does not
    assert result.status == "passed", result.message
    assert (result.observed["days_touched"], result.observed["days"]) == (2, 4)


def test_partition_completeness_sees_a_day_inside_the_span_that_a_moved_key_leaves_empty(
    spark: SparkSession,
) -> None:
    # GIVEN O-1, alone on 2026-11-20, moves to 2026-11-21 while the run also writes 2026-11-19
    run = orders(
        spark,
        [
            ("O-1", "paid", 1, "EUR", datetime(2026, 11, 21, 8), "2026-11-21"),
            ("O-2", "new", 1, "EUR", datetime(2026, 11, 19, 8), "2026-11-19"),
        ],
    )
    before = orders(spark, [("O-1", "new", 1, "EUR", datetime(2026, 11, 20, 8), "2026-11-20")])

    result = evaluate(view(run, replaced=before))["partition_completeness"]
    alone = evaluate(view(run.filter("order_id = 'O-1'"), replaced=before))

    # THEN the emptied day inside the span is a hole; outside it (the data moved on) it is not
    assert result.status == "failed"
    assert result.observed["missing_days"] == ["2026-11-20"]
    assert alone["partition_completeness"].status == "passed"


def test_null_rate_counts_nulls_over_every_row_of_the_run(spark: SparkSession) -> None:
    at = datetime(2026, 11, 21, 8)
    frame = orders(
        spark,
        [(f"O-{i}", "new", 1, None if i < 3 else "EUR", at, "2026-11-21") for i in range(40)],
    )

    result = evaluate(frame)["null_rate"]

    assert result.observed == 0.075
    assert result.status == "passed"
    assert result.message.startswith("3 of the run's 40 rows have no value (7.50%)")
