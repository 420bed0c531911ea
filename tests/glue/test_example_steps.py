"""Testing a pipeline's own step, the pattern the README documents: a local SparkSession (the
`spark` fixture of tests/glue/conftest.py), a small input frame, the step imported exactly as the
transform job imports it, and the rows it returns."""

from decimal import Decimal
from pathlib import Path

from pyspark.sql import SparkSession

from gluekit_glue.step_code import import_step
from gluekit_glue.steps import StepContext

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
add_tier = import_step(PIPELINES / "customers", "tiers:add_tier")


def test_vip_from_the_vip_revenue_parameter_up(spark: SparkSession) -> None:
    frame = spark.createDataFrame(
        [("C-1", Decimal("99.99")), ("C-2", Decimal("100.00")), ("C-3", Decimal("0.00"))],
        "customer_id string, revenue_eur decimal(14,2)",
    )
    context = StepContext(spark, parameters={"vip_revenue": "100"})

    result = add_tier(frame, context)

    tiers = {row["customer_id"]: row["tier"] for row in result.collect()}
    assert tiers == {"C-1": "regular", "C-2": "vip", "C-3": "regular"}
