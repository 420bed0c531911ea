"""Choosing what the compact job rewrites: ``--partitions`` as Iceberg filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from gluekit_glue.config import PartitionConfig

MIB = 1024 * 1024
# A partition value as the spec names it (transform → text) → the instant it starts at.
VALUE_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y", "hour": "%Y-%m-%d-%H"}


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


def partition_where(specs: Sequence[dict[str, str]], partitions: Sequence[PartitionConfig]) -> str:
    """The ``where`` of rewrite_data_files: partitions are hidden, so a day partition
    'dt=2026-11-20' is the range of its source column that the day covers."""
    by_name = {p.name: p for p in partitions}
    terms = []
    for spec in specs:
        parts = [_condition(by_name[name], value) for name, value in spec.items()]
        terms.append("(" + " AND ".join(parts) + ")")
    return " OR ".join(terms)


def _condition(partition: PartitionConfig, value: str) -> str:
    column = f"`{partition.from_}`"
    if partition.transform == "identity":
        return f"{column} = '{value.replace(chr(39), '')}'"
    try:
        start = datetime.strptime(value, VALUE_FORMATS[partition.transform])
    except ValueError:
        raise ValueError(
            f"'{partition.name}={value}' is not a {partition.transform} partition "
            f"(expected {VALUE_FORMATS[partition.transform]})"
        ) from None
    end = _next(start, partition.transform)
    return (
        f"{column} >= TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' "
        f"AND {column} < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'"
    )


def _next(start: datetime, transform: str) -> datetime:
    if transform == "hour":
        return start + timedelta(hours=1)
    if transform == "day":
        return start + timedelta(days=1)
    if transform == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start.replace(year=start.year + 1)
