"""Compares the raw crawler's tables with the contract's source columns. Pure functions.

Names are compared ignoring case: the Data Catalog keeps column names in lower case. Types are
compared only by kind, and only where the kinds cannot both be right: a crawler guesses types
from samples (CSV dates and booleans often read as string), so only a contract column that is
numeric, date/time or boolean seen as a kind its values can never be cast from is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from notifier.config import RawSchema

_GENERIC_NAME = re.compile(r"^col\d+$")  # what a crawler calls the columns of a CSV without header


@dataclass(frozen=True)
class CatalogTable:
    """A crawler table as the Data Catalog has it (data columns only, not partition keys)."""

    name: str
    location: str
    columns: tuple[tuple[str, str], ...]  # (name, Glue type)


@dataclass(frozen=True)
class TypeConflict:
    column: str
    contract_type: str
    crawler_type: str


@dataclass(frozen=True)
class TableDrift:
    """How one raw table differs from the contract."""

    table: str
    location: str
    missing: tuple[str, ...]  # contract source columns the table does not have
    unknown: tuple[tuple[str, str], ...]  # table columns the contract does not know, with type
    conflicts: tuple[TypeConflict, ...]
    header_not_read: bool  # every column is colN although the source has a header row


def crawler_tables(schema: RawSchema, tables: Iterable[CatalogTable]) -> list[CatalogTable]:
    """The tables of this pipeline's crawler: its name prefix and under its S3 target.

    The prefix alone is not enough: pipeline `orders-flex` has tables `raw_orders_flex_*`, which
    begin with `raw_orders_` too.
    """
    target = schema.location.rstrip("/") + "/"
    return sorted(
        (
            t
            for t in tables
            if t.name.startswith(schema.table_prefix)
            and (t.location.rstrip("/") + "/").startswith(target)
        ),
        key=lambda t: t.name,
    )


def compare(schema: RawSchema, table: CatalogTable) -> TableDrift | None:
    """The table's difference from the contract, or None when they agree."""
    if schema.by_position:
        pairs = [
            (contract, table.columns[i] if i < len(table.columns) else None)
            for i, contract in enumerate(schema.columns)
        ]
        missing = [name for (name, _), seen in pairs if seen is None]
        unknown = list(table.columns[len(schema.columns) :])
        matched = [(contract, seen) for contract, seen in pairs if seen is not None]
    else:
        seen_by_name = {name.casefold(): (name, kind) for name, kind in table.columns}
        known = {name.casefold() for name, _ in schema.columns}
        missing = [name for name, _ in schema.columns if name.casefold() not in seen_by_name]
        unknown = [(n, k) for n, k in table.columns if n.casefold() not in known]
        matched = [
            ((name, kind), seen_by_name[name.casefold()])
            for name, kind in schema.columns
            if name.casefold() in seen_by_name
        ]
    conflicts = [
        TypeConflict(name, contract_type, crawler_type)
        for (name, contract_type), (_, crawler_type) in matched
        if incompatible(contract_type, crawler_type)
    ]
    if not (missing or unknown or conflicts):
        return None
    return TableDrift(
        table=table.name,
        location=table.location,
        missing=tuple(missing),
        unknown=tuple(unknown),
        conflicts=tuple(conflicts),
        header_not_read=not schema.by_position
        and bool(table.columns)
        and all(_GENERIC_NAME.match(n) for n, _ in table.columns),
    )


def kind(glue_or_contract_type: str) -> str:
    """numeric, text, boolean, temporal, nested, or other (never flagged)."""
    t = glue_or_contract_type.strip().lower()
    if t in {"tinyint", "smallint", "int", "integer", "bigint", "float", "double"}:
        return "numeric"
    if t.startswith("decimal"):
        return "numeric"
    if t == "string" or t.startswith(("char", "varchar")):
        return "text"
    if t == "boolean":
        return "boolean"
    if t in {"date", "timestamp"}:
        return "temporal"
    if t.startswith(("struct", "array", "map")):
        return "nested"
    return "other"


# Contract kind → crawler kinds its values can never be cast from. Text accepts anything; a
# crawler's `string` is a legitimate reading of CSV dates, booleans with custom values, etc.
_CONFLICTS = {
    "numeric": {"text", "boolean", "temporal", "nested"},
    "temporal": {"numeric", "boolean", "nested"},
    "boolean": {"temporal", "nested"},
}


def incompatible(contract_type: str, crawler_type: str) -> bool:
    return kind(crawler_type) in _CONFLICTS.get(kind(contract_type), set())
