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
# Lineage of every staged and curated row. The leading '_' keeps them apart from contract
# columns, whose names must start with a letter.
SOURCE_URI = "_source_uri"
SOURCE_VERSION = "_source_version"
INGESTED_AT = "_ingested_at"
RUN_ID = "_run_id"
LINEAGE_COLUMNS = (
    (SOURCE_URI, "string", "The raw object the row came from (s3://bucket/key)"),
    (SOURCE_VERSION, "string", "The raw object's version id (null in an unversioned bucket)"),
    (INGESTED_AT, "timestamp", "When that object version arrived in S3 (its LastModified)"),
    (RUN_ID, "string", "The gluekit run that published the row"),
)
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
    return StructType([StructField(c.source, spark_type(c), True) for c in config.source_columns])


def dataset_schema(config: JobConfig) -> StructType:
    """Staged and curated data: contract columns, then the partition columns (text)."""
    fields = [StructField(c.name, spark_type(c), True) for c in config.columns]
    fields += [StructField(p.name, StringType(), True) for p in config.partition_by]
    return StructType(fields)


def lineage_fields() -> list[StructField]:
    kinds = {"string": StringType(), "timestamp": TimestampType()}
    return [StructField(name, kinds[kind], True) for name, kind, _ in LINEAGE_COLUMNS]


def staged_schema(config: JobConfig) -> StructType:
    """Staged data as publish reads it: `dataset_schema` plus the lineage transform records
    (the run id is added by publish)."""
    fields = [f for f in lineage_fields() if f.name != RUN_ID]
    return StructType([*dataset_schema(config).fields, *fields])
