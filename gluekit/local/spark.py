"""The local SparkSession every job of a local run shares (JVM start costs seconds: once)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

LOG_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"


def local_spark(workdir: Path) -> Any:
    """A small local[2] session; the jobs' own getOrCreate() picks it up."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no hostname lookup warnings
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("gluekit-local")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(workdir / "spark-warehouse"))
        .config("spark.ui.showConsoleProgress", "false")
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.system.home={workdir} -Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}",
        )
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark
