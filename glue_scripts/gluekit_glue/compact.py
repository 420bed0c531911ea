"""Choosing what the compact job rewrites, and how many rows go into each file."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pyspark.sql import Column
from pyspark.sql import functions as F

MIB = 1024 * 1024


def parse_partition_specs(text: str, partition_names: Sequence[str]) -> list[dict[str, str]]:
    """'dt=2026-11-20,dt=2026-11-21' → [{'dt': '2026-11-20'}, {'dt': '2026-11-21'}].

    Several partition columns: 'month=2026-11/dt=2026-11-20'. A spec may name leading columns
    only ('month=2026-11' selects every dt of that month).
    """
    specs = []
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        spec: dict[str, str] = {}
        for part in item.split("/"):
            name, has_value, value = part.partition("=")
            if not has_value or not name or not value:
                raise ValueError(f"partition '{item}' is not name=value[/name=value]")
            if name not in partition_names:
                raise ValueError(
                    f"'{name}' is not a partition column; the table has {list(partition_names)}"
                )
            spec[name] = value
        specs.append(spec)
    if not specs:
        raise ValueError("--partitions is empty; leave it out to compact every partition")
    return specs


def partition_filter(specs: Sequence[dict[str, str]]) -> Column:
    condition = F.lit(False)
    for spec in specs:
        match = F.lit(True)
        for name, value in spec.items():
            match = match & (F.col(name) == F.lit(value))
        condition = condition | match
    return condition


def records_per_file(total_bytes: int, total_rows: int, target_file_mb: int) -> int:
    """Rows per output file so that each file is about ``target_file_mb`` (Parquet compresses
    similarly before and after, so today's bytes per row predict tomorrow's)."""
    if total_rows <= 0 or total_bytes <= 0:
        return max(total_rows, 1)
    bytes_per_row = total_bytes / total_rows
    return max(1, math.floor(target_file_mb * MIB / bytes_per_row))
