"""Spark schemas derived from the contract: how sources are read and how datasets are stored."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from gluekit_glue.config import ColumnConfig, JobConfig

CORRUPT_RECORD = "_corrupt_record"
SIMPLE: dict[str, DataType] = {
    "string": StringType(),
    "int": IntegerType(),
    "bigint": LongType(),
    "double": DoubleType(),
    "boolean": BooleanType(),
    "date": DateType(),
    "timestamp": TimestampType(),
}


def spark_type(column: ColumnConfig) -> DataType:
    decimal = column.decimal
    if decimal is not None:
        return DecimalType(*decimal)
    return SIMPLE[column.type]


def text_read_schema(source_names: Sequence[str]) -> StructType:
    """Every source column as text, plus the column Spark fills with malformed records."""
    fields = [StructField(name, StringType(), True) for name in source_names]
    return StructType([*fields, StructField(CORRUPT_RECORD, StringType(), True)])


def parquet_read_schema(config: JobConfig) -> StructType:
    return StructType([StructField(c.source, spark_type(c), True) for c in config.columns])


def dataset_schema(config: JobConfig) -> StructType:
    """Staged and curated data: contract columns, then the partition columns (text)."""
    fields = [StructField(c.name, spark_type(c), True) for c in config.columns]
    fields += [StructField(p.name, StringType(), True) for p in config.partition_by]
    return StructType(fields)
