"""Reading and writing the kit's Parquet datasets (a run's staged data) the same way everywhere.

The curated table is Iceberg (gluekit_glue.iceberg), written only by MERGE into a run's branch
(gluekit_glue.wap), fast-forwards and maintenance.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession

from gluekit_glue.config import JobConfig
from gluekit_glue.contract import dataset_schema

# Hive's (and Spark's) escaping of partition values in paths: ExternalCatalogUtils.charToEscape.
PATH_ESCAPED = frozenset([chr(c) for c in range(0x01, 0x20)] + list("\"#%'*/:=?\\\x7f{[]^"))


def read_dataset(spark: SparkSession, path: str, config: JobConfig) -> DataFrame:
    """With the schema given, partition values stay text and an empty dataset reads as empty."""
    return spark.read.schema(dataset_schema(config)).parquet(path)


def write_dataset(
    frame: DataFrame,
    path: str,
    partition_names: Sequence[str],
    *,
    dynamic: bool,
    max_records_per_file: int | None = None,
) -> None:
    """Overwrite ``path``; with ``dynamic`` only the partitions present in ``frame``.

    Dynamic partition overwrite is set on the writer, so no cluster-wide setting is needed.
    """
    writer = frame.write.mode("overwrite").option(
        "partitionOverwriteMode", "dynamic" if dynamic else "static"
    )
    if max_records_per_file:
        writer = writer.option("maxRecordsPerFile", max_records_per_file)
    if partition_names:
        writer = writer.partitionBy(*partition_names)
    writer.parquet(path)


def rebalanced(frame: DataFrame, partition_names: Sequence[str]) -> DataFrame:
    """Rows grouped by output partition, with adaptive execution splitting big groups and merging
    small ones: few, reasonably sized files per partition instead of one per task."""
    columns = ", ".join(f"`{name}`" for name in partition_names)
    hint = f"REBALANCE({columns})" if columns else "REBALANCE"
    return frame.sparkSession.sql(f"SELECT /*+ {hint} */ * FROM {{frame}}", frame=frame)


def escape_path_name(value: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in PATH_ESCAPED else c for c in value)
