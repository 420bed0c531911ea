"""The local SparkSession every job of a local run shares (JVM start costs seconds: once).

It carries the Iceberg Spark runtime as Glue's ``--datalake-formats iceberg`` does: the jar comes
from the PyPI package ``snowpark-connect-deps-iceberg`` (dev extra), never from the network.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql._typing import OptionalPrimitiveType

LOG_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"
ICEBERG_PACKAGE = "snowpark_connect_deps_iceberg"
# Iceberg 1.10.2 for Spark 3.5 / Scala 2.12 (Glue 5.1 runs Iceberg 1.10.0). Version 1.0.3 of the
# package is broken (its shaded Jackson is missing): keep the pin at 1.0.2.
ICEBERG_JAR = "iceberg-spark-runtime-3.5_2.12-1.10.2.jar"
ICEBERG_EXTENSIONS = "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"


class IcebergJarMissing(RuntimeError):
    """The local Spark cannot run Iceberg: the jar's package is not installed."""


def iceberg_jar() -> Path:
    spec = importlib.util.find_spec(ICEBERG_PACKAGE)
    jar = (
        Path(next(iter(spec.submodule_search_locations))) / "jars" / ICEBERG_JAR
        if spec and spec.submodule_search_locations
        else None
    )
    if jar is None or not jar.is_file():
        raise IcebergJarMissing(
            f"the Iceberg Spark runtime {ICEBERG_JAR} is not installed: run 'make setup' (it "
            "installs snowpark-connect-deps-iceberg==1.0.2 from the dev extra)"
        )
    return jar


def iceberg_spark_settings() -> dict[str, OptionalPrimitiveType]:
    """Settings a session needs at its start (the jar and the SQL extensions are static)."""
    return {"spark.jars": str(iceberg_jar()), "spark.sql.extensions": ICEBERG_EXTENSIONS}


def local_spark(workdir: Path) -> Any:
    """A small local[2] session; the jobs' own getOrCreate() picks it up."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no hostname lookup warnings
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("gluekit-local")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(workdir / "spark-warehouse"))
        .config("spark.ui.showConsoleProgress", "false")
        .config(
            "spark.driver.extraJavaOptions",
            f"-Dderby.system.home={workdir} -Dlog4j2.configurationFile={LOG_CONFIG.as_uri()} "
            # One GC thread leaves a laptop's cores to Spark's tasks. The JIT keeps its C2
            # tier: capping it at C1 saved seconds of a 40 s demo but cost a quarter of the
            # time of a session that runs for minutes (the test suite's).
            "-XX:+UseSerialGC",
        )
    )
    spark = builder.config(map=iceberg_spark_settings()).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
