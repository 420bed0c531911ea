"""The spec's steps on local Spark: SQL and Python chained, parameters bound, lookups joined, and
the curated shape enforced. Tiny frames on the shared session."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.config import parse_config
from gluekit_glue.iceberg import curated_table
from gluekit_glue.lookups import LookupMissing, read_lookups
from gluekit_glue.parameters import resolve_parameters
from gluekit_glue.step_config import StepConfig
from gluekit_glue.steps import StepContext, StepFailed, conform_to_curated, run_steps
from tests.glue.pipeline_env import SAMPLES, PipelineEnv, rendered_configs

CONFIGS = rendered_configs()
LINEAGE = "_source_uri string, _source_version string, _ingested_at timestamp"


def customers_frame(spark: SparkSession) -> DataFrame:
    """Rows of the customers contract, with lineage, as the steps receive them."""
    return spark.createDataFrame(
        [
            ("C-1", "Ana", "PT", datetime(2024, 3, 2).date(), "s3://raw/c.csv", "v1", None),
            ("C-2", "Ben", "DE", datetime(2023, 1, 5).date(), "s3://raw/c.csv", "v1", None),
        ],
        f"customer_id string, name string, country string, signed_up_on date, {LINEAGE}",
    )


def never_loaded(step: StepConfig) -> Any:
    raise AssertionError(f"{step.label} is not a Python step")


# -------------------------------------------------------------------------------- the steps
def test_sql_and_python_steps_chain_in_order_with_parameters_bound(spark: SparkSession) -> None:
    steps = (
        StepConfig(0, sql="SELECT * FROM input WHERE country <> :skip_country"),
        StepConfig(1, python="m:shout"),
        StepConfig(2, sql="SELECT customer_id, loud FROM input WHERE loud LIKE :prefix"),
    )

    def shout(frame: DataFrame, context: StepContext) -> DataFrame:
        return frame.withColumn("loud", F.upper(F.col("name")))

    context = StepContext(spark, {"skip_country": "DE", "prefix": "A%"})
    result = run_steps(customers_frame(spark), steps, context, lambda step: shout)

    assert [tuple(r) for r in result.collect()] == [("C-1", "ANA")]
    assert not spark.catalog.tableExists("input")  # the steps' views are gone again


def test_a_sql_step_that_does_not_analyse_names_the_step(spark: SparkSession) -> None:
    steps = (StepConfig(0, sql="SELECT *"), StepConfig(1, sql="SELECT colour FROM input"))
    context = StepContext(spark)

    with pytest.raises(StepFailed) as caught:
        run_steps(customers_frame(spark), steps, context, never_loaded)

    assert str(caught.value).startswith("steps[1] (sql): [UNRESOLVED_COLUMN")
    assert "colour" in str(caught.value)


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (
            lambda frame, context: frame.count(),
            "steps[0] (python m:f) returned int, not a DataFrame",
        ),
        (
            lambda frame, context: context.parameter("vip_revenue"),
            "steps[0] (python m:f) raised KeyError: \"'vip_revenue' is not a job parameter "
            '(declared: min_amount)"',
        ),
    ],
)
def test_a_python_step_that_fails_or_returns_no_frame_is_named(
    spark: SparkSession, function: Any, message: str
) -> None:
    context = StepContext(spark, {"min_amount": "0"})

    with pytest.raises(StepFailed) as caught:
        run_steps(
            customers_frame(spark), (StepConfig(0, python="m:f"),), context, lambda s: function
        )

    assert str(caught.value) == message


# ------------------------------------------------------------------------------ curated shape
def test_output_that_breaks_the_curated_contract_is_one_error_naming_the_step(
    spark: SparkSession,
) -> None:
    config = parse_config(CONFIGS["customers"])
    # no tier, revenue_eur as a double, and a column the output does not declare
    frame = customers_frame(spark).selectExpr(
        "*",
        "CAST(1 AS BIGINT) AS orders",
        "CAST(1.5 AS DOUBLE) AS revenue_eur",
        "CAST(NULL AS TIMESTAMP) AS last_order_at",
        "'x' AS scratch",
    )

    with pytest.raises(StepFailed) as caught:
        conform_to_curated(frame, config, "steps[1] (python tiers:add_tier)")

    assert str(caught.value) == (
        "steps[1] (python tiers:add_tier) returned the wrong shape: "
        "no column 'tier' (output.columns has it, string); "
        "column 'revenue_eur' is double, output.columns says decimal(14,2) (CAST it in the step); "
        "column(s) 'scratch' that output.columns does not have (drop them, or declare them)"
    )


def test_the_curated_shape_comes_in_declared_order_and_a_missing_value_fails_the_write(
    spark: SparkSession,
) -> None:
    config = parse_config(CONFIGS["customers"])
    frame = customers_frame(spark).selectExpr(
        "'vip' AS tier",
        "*",
        "CAST(2 AS BIGINT) AS orders",
        "CAST(IF(customer_id = 'C-2', NULL, 9.5) AS DECIMAL(14,2)) AS revenue_eur",
        "CAST(NULL AS TIMESTAMP) AS last_order_at",
    )

    conformed = conform_to_curated(frame, config, "steps[1] (python tiers:add_tier)")

    assert conformed.columns == [c.name for c in config.columns] + [
        "_source_uri",
        "_source_version",
        "_ingested_at",
    ]
    assert conformed.filter("customer_id = 'C-1'").first()["revenue_eur"] == Decimal("9.50")
    with pytest.raises(
        Exception,
        match="steps\\[1\\] \\(python tiers:add_tier\\): column "
        "'revenue_eur' is null in a row, but it is declared nullable: false",
    ):
        conformed.collect()


# ------------------------------------------------------------------------------------ lookups
def test_a_lookup_is_the_local_catalogs_table_and_steps_join_it(
    spark: SparkSession, tmp_path: Path
) -> None:
    customers, orders = parse_config(CONFIGS["customers"]), parse_config(CONFIGS["orders"])
    root = str(tmp_path / "root")
    with pytest.raises(
        LookupMissing,
        match=r"lookups: 'orders' reads gluekit_dev\.orders, which is not in the local catalog",
    ):
        read_lookups(spark, customers, root)
    table = curated_table(spark, orders, root)
    spark.sql(f"CREATE TABLE {table.name} (customer_id STRING, amount DECIMAL(12,2)) USING iceberg")
    spark.sql(f"INSERT INTO {table.name} VALUES ('C-1', 10.00), ('C-1', 2.50), ('C-9', 1.00)")

    lookups = read_lookups(spark, customers, root)
    step = StepConfig(
        0,
        sql="SELECT c.customer_id, sum(o.amount) AS spent FROM input c "
        "LEFT JOIN orders o USING (customer_id) GROUP BY c.customer_id ORDER BY 1",
    )
    result = run_steps(
        customers_frame(spark), (step,), StepContext(spark, {}, lookups), never_loaded
    )

    assert [tuple(r) for r in result.collect()] == [("C-1", Decimal("12.50")), ("C-2", None)]


# --------------------------------------------------------------------------------- parameters
def test_a_run_property_beats_a_job_argument_which_beats_the_specs_default() -> None:
    declared = {"min_amount": "0", "mode": "full", "day": "today"}

    values = resolve_parameters(
        declared,
        {"min_amount": "5", "mode": "fast", "JOB_RUN_ID": "jr_1"},
        {"min_amount": "50", "manifest": "s3://a/m.json"},
    )

    assert values == {"min_amount": "50", "mode": "fast", "day": "today"}


def test_overrides_from_job_arguments_and_run_properties_reach_the_steps(
    env: PipelineEnv,
) -> None:
    # orders-2026-11-21.csv: 8.99, 19.99, 42.00, 45.10, 75.00 and 310.25
    export = SAMPLES / "orders" / "orders-2026-11-21.csv"
    manual = env.put_manifest("orders", [env.put_raw("orders", "a.csv", export)], "manual")

    by_argument = env.run(
        "transform", "orders", "m-1", "--manifest", manual, "--min_amount", "50", workflow=False
    )
    run_id = env.batch("orders", {"b.csv": export}, "b-1")
    env.glue.put_workflow_run_properties(
        Name=env.workflow("orders"), RunId=run_id, RunProperties={"min_amount": "300"}
    )
    by_property = env.run("transform", "orders", run_id, "--min_amount", "50")

    assert (by_argument.rows_out, by_argument.details["parameters"]) == (2, {"min_amount": "50"})
    assert (by_property.rows_out, by_property.details["parameters"]) == (1, {"min_amount": "300"})
    assert by_property.details["rows_after_steps"] == 1


def test_a_step_that_filters_out_every_row_stages_nothing_and_returns(env: PipelineEnv) -> None:
    # Adaptive execution turns the plan after an empty shuffle into an empty relation, which
    # leaves the job's Observation unfilled; the job must still finish (apply_steps sees to it).
    export = SAMPLES / "orders" / "orders-2026-11-21.csv"
    manifest = env.put_manifest("orders", [env.put_raw("orders", "a.csv", export)], "none")
    done: dict[str, Any] = {}
    job = threading.Thread(
        target=lambda: done.update(
            summary=env.run(
                "transform",
                "orders",
                "m-0",
                "--manifest",
                manifest,
                "--min_amount",
                "1000000",
                workflow=False,
            )
        ),
        daemon=True,  # a hung job must not keep the test run from ending
    )
    job.start()
    job.join(timeout=120)

    assert "summary" in done, "transform did not finish"
    summary = done["summary"]
    assert (summary.rows_in, summary.rows_out, summary.details["rows_after_steps"]) == (6, 0, 0)
    assert env.staged("orders", "m-0") == []
