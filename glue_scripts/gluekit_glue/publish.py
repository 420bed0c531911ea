"""Registering published partitions in the Data Catalog."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from gluekit_glue.datasets import partition_dir

BATCH_LIMIT = 100  # BatchCreatePartition takes at most 100 partitions per call


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
