"""Merging a run into the curated table, and registering its partitions in the Data Catalog."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from gluekit_glue.datasets import partition_dir

BATCH_LIMIT = 100  # BatchCreatePartition takes at most 100 partitions per call
_FROM_RUN = "_gluekit_from_run"


def merge_into_curated(
    curated: DataFrame, staged: DataFrame, primary_key: Sequence[str], order_by: str | None
) -> DataFrame:
    """The rows the touched partitions hold after this run: an upsert on the primary key.

    A staged row replaces the curated row of its key unless the curated one is newer by
    ``order_by``; on a tie the run's row wins. Without a primary key, rows already published
    are kept and identical rows appear once, so publishing the same run twice changes nothing.
    """
    if not primary_key:
        return curated.unionByName(staged).distinct()
    tagged = curated.withColumn(_FROM_RUN, F.lit(0)).unionByName(
        staged.withColumn(_FROM_RUN, F.lit(1))
    )
    order = [F.col(order_by).desc_nulls_last()] if order_by else []
    window = Window.partitionBy(*primary_key).orderBy(*order, F.col(_FROM_RUN).desc())
    return (
        tagged.withColumn("_row", F.row_number().over(window))
        .filter(F.col("_row") == 1)
        .drop("_row", _FROM_RUN)
    )


def partition_input(
    table: Mapping[str, Any], curated_uri: str, values: Mapping[str, str]
) -> dict[str, Any]:
    """A PartitionInput that inherits the table's storage (format, SerDe, columns)."""
    descriptor = copy.deepcopy(dict(table.get("StorageDescriptor") or {}))
    descriptor["Location"] = curated_uri.rstrip("/") + "/" + partition_dir(values) + "/"
    return {"Values": list(values.values()), "StorageDescriptor": descriptor}


def register_partitions(
    glue: Any,
    database: str,
    table: Mapping[str, Any],
    curated_uri: str,
    partitions: Sequence[Mapping[str, str]],
) -> tuple[int, int]:
    """(created, already registered). Any other per-partition error raises."""
    created = existing = 0
    inputs = [partition_input(table, curated_uri, values) for values in partitions]
    for start in range(0, len(inputs), BATCH_LIMIT):
        batch = inputs[start : start + BATCH_LIMIT]
        response = glue.batch_create_partition(
            DatabaseName=database, TableName=table["Name"], PartitionInputList=batch
        )
        errors = response.get("Errors") or []
        failures = [
            e
            for e in errors
            if e.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException"
        ]
        if failures:
            first = failures[0]
            detail = first.get("ErrorDetail", {})
            raise RuntimeError(
                f"could not register {len(failures)} partition(s) of {database}."
                f"{table['Name']}, e.g. {first.get('PartitionValues')}: "
                f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}"
            )
        existing += len(errors)
        created += len(batch) - len(errors)
    return created, existing
