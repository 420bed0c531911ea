"""Python steps of the customers pipeline (see customers.yaml).

A step is a function (frame, context) -> DataFrame. `context.parameter(name)` is a job
parameter's value for the run, as text; `context.lookup(name)` a lookup table.
tests/glue/test_example_steps.py tests this step on a hand-made frame.
"""

from decimal import Decimal

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluekit_glue.steps import StepContext


def add_tier(frame: DataFrame, context: StepContext) -> DataFrame:
    """tier: 'vip' from the job parameter vip_revenue (EUR) up, else 'regular'."""
    threshold = Decimal(context.parameter("vip_revenue"))
    vip = F.col("revenue_eur") >= F.lit(threshold)
    return frame.withColumn("tier", F.when(vip, "vip").otherwise("regular"))
