"""Schema evolution of the curated table as a controlled event: what a spec change may do to it.

The table records the contract it was built for in two Iceberg table properties, written when the
table is created and again in the commit that ends each evolution: ``gluekit.contract`` (a compact
JSON of the columns with their types and nullability, the primary key and the partitioning) and
``gluekit.contract-version`` (1, then one more per evolution). A spec is compared with that
record, never with the previous spec file, so what counts is what the table really took.

Allowed, applied by the next run: a new nullable column, a widened type (int → bigint,
float → double, a decimal with more precision and the same scale), a required column made
nullable. Refused, before anything is written: a dropped or renamed column, a narrowed or
otherwise changed type, a column made required or added as required, another primary key,
another partitioning. Column descriptions are comments, not contract: they follow the spec.

A table that records no contract (made by an older kit, or whose record was removed after an
explicit migration) is compared with its own current schema and partition spec instead; the
primary key, which no Iceberg schema here records, is then taken from the spec.

Pure logic on plain data (the table's metadata JSON, the job's config): the Glue job
(`gluekit_glue.table_evolution`) and ``gluekit validate`` (`gluekit.table_check`) both use it,
and neither needs Spark or AWS to decide.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gluekit_glue.config import JobConfig

CONTRACT_PROPERTY = "gluekit.contract"
VERSION_PROPERTY = "gluekit.contract-version"
# Iceberg's type promotions that the contract's types can express (Iceberg v2 allows no others).
WIDENINGS = {("int", "bigint"), ("float", "double")}
DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
# Iceberg's name of a primitive type → the contract's, where they differ. Spark's TIMESTAMP (with
# the session zone) is Iceberg's timestamptz; Iceberg's plain timestamp has no zone, a type the
# contract does not have.
ICEBERG_TYPES = {"long": "bigint", "timestamptz": "timestamp", "timestamp": "timestamp_ntz"}


class SchemaEvolutionError(ValueError):
    """The spec and the curated table cannot be reconciled; the message says what to do."""


class BreakingSchemaChange(SchemaEvolutionError):
    """The spec changes the table in a way that old rows or readers would not survive."""


# -------------------------------------------------------------------------------- contract
@dataclass(frozen=True)
class ContractColumn:
    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class Partition:
    name: str
    source: str
    transform: str

    def __str__(self) -> str:
        if self.transform == "identity":
            return f"{self.name} = {self.source}"
        return f"{self.name} = {self.transform}({self.source})"


@dataclass(frozen=True)
class Contract:
    """What the table's shape promises: columns (type, nullability), key and partitioning."""

    columns: tuple[ContractColumn, ...]
    primary_key: tuple[str, ...]
    partition_by: tuple[Partition, ...]

    @classmethod
    def of(cls, config: JobConfig) -> Contract:
        return cls(
            columns=tuple(ContractColumn(c.name, c.type, c.nullable) for c in config.columns),
            primary_key=config.primary_key,
            partition_by=tuple(
                Partition(p.name, p.from_, p.transform) for p in config.partition_by
            ),
        )

    def to_json(self) -> str:
        data = {
            "columns": [
                {"name": c.name, "type": c.type, "nullable": c.nullable} for c in self.columns
            ],
            "primary_key": list(self.primary_key),
            "partition_by": [
                {"name": p.name, "from": p.source, "transform": p.transform}
                for p in self.partition_by
            ],
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Contract:
        try:
            data = json.loads(text)
            return cls(
                columns=tuple(
                    ContractColumn(str(c["name"]), str(c["type"]), bool(c["nullable"]))
                    for c in data["columns"]
                ),
                primary_key=tuple(str(k) for k in data["primary_key"]),
                partition_by=tuple(
                    Partition(str(p["name"]), str(p["from"]), str(p["transform"]))
                    for p in data["partition_by"]
                ),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise SchemaEvolutionError(
                f"the table property '{CONTRACT_PROPERTY}' is not a contract gluekit can read "
                f"({type(exc).__name__}: {exc}); remove it (ALTER TABLE … UNSET TBLPROPERTIES "
                f"('{CONTRACT_PROPERTY}')) to compare the spec with the table's own schema"
            ) from None


def contract_properties(config: JobConfig, version: int = 1) -> dict[str, str]:
    """The table properties that record ``config``'s contract as version ``version``."""
    return {CONTRACT_PROPERTY: Contract.of(config).to_json(), VERSION_PROPERTY: str(version)}


# ----------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class TableColumn:
    """A column of the table's current Iceberg schema, its type in the contract's spelling."""

    name: str
    type: str
    nullable: bool
    comment: str


@dataclass(frozen=True)
class TableState:
    """What the table is now, from its Iceberg metadata JSON."""

    recorded: Contract | None
    version: int  # of the recorded contract; 0 when none was ever recorded
    columns: tuple[TableColumn, ...]  # lineage columns included
    partition_by: tuple[Partition, ...]

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> TableState:
        properties = metadata.get("properties") or {}
        record = properties.get(CONTRACT_PROPERTY)
        version = str(properties.get(VERSION_PROPERTY, "0"))
        schema = _current(metadata, "schemas", "current-schema-id", "schema-id")
        fields = schema.get("fields", [])
        columns = tuple(
            TableColumn(
                str(f["name"]), iceberg_type(f["type"]), not f["required"], f.get("doc") or ""
            )
            for f in fields
        )
        names = {f["id"]: str(f["name"]) for f in fields}
        spec = _current(metadata, "partition-specs", "default-spec-id", "spec-id")
        partitions = tuple(
            Partition(str(p["name"]), names.get(p["source-id"], "?"), str(p["transform"]))
            for p in spec.get("fields", [])
        )
        return cls(
            recorded=Contract.from_json(record) if record else None,
            version=int(version) if version.isdigit() else 0,
            columns=columns,
            partition_by=partitions,
        )

    def column(self, name: str) -> TableColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def baseline(self, primary_key: tuple[str, ...]) -> Contract:
        """The contract to compare a spec with: the recorded one, else the table's own shape
        (contract columns only: names starting with '_' are the kit's lineage)."""
        if self.recorded is not None:
            return self.recorded
        return Contract(
            columns=tuple(
                ContractColumn(c.name, c.type, c.nullable)
                for c in self.columns
                if not c.name.startswith("_")
            ),
            primary_key=primary_key,
            partition_by=self.partition_by,
        )


def iceberg_type(kind: Any) -> str:
    """An Iceberg metadata JSON type as the contract spells it ('long' → 'bigint')."""
    if isinstance(kind, Mapping):  # struct, list, map: never a contract type
        return str(kind.get("type", "nested"))
    text = str(kind).replace(" ", "")
    return ICEBERG_TYPES.get(text, text)


def _current(metadata: Mapping[str, Any], items: str, current: str, key: str) -> Mapping[str, Any]:
    for item in metadata.get(items) or []:
        if item.get(key) == metadata.get(current):
            return dict(item)
    return {}


# ----------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class Widening:
    column: str
    old: str
    new: str


@dataclass(frozen=True)
class Evolution:
    """How a spec's contract differs from the table's: what the next run does or refuses."""

    added: tuple[ContractColumn, ...] = ()
    widened: tuple[Widening, ...] = ()
    relaxed: tuple[str, ...] = ()  # required columns the spec makes nullable
    refused: tuple[str, ...] = ()

    @property
    def breaking(self) -> bool:
        return bool(self.refused)

    @property
    def changes(self) -> bool:
        return bool(self.added or self.widened or self.relaxed)

    def describe(self) -> str:
        """'adds column note (string); widens quantity int → bigint', or 'no change'."""
        parts = [f"adds column {c.name} ({c.type})" for c in self.added]
        parts += [f"widens {w.column} {w.old} → {w.new}" for w in self.widened]
        parts += [f"makes {name} nullable" for name in self.relaxed]
        return "; ".join(parts) or "no change"


def widens(old: str, new: str) -> bool:
    if (old, new) in WIDENINGS:
        return True
    old_decimal, new_decimal = DECIMAL.match(old), DECIMAL.match(new)
    if old_decimal and new_decimal:
        (old_p, old_s), (new_p, new_s) = (map(int, m.groups()) for m in (old_decimal, new_decimal))
        return new_s == old_s and new_p > old_p
    return False


def compare(table: Contract, spec: Contract) -> Evolution:
    """What turning ``table``'s contract into ``spec``'s would take, and what it may not."""
    before = {c.name: c for c in table.columns}
    wanted = {c.name: c for c in spec.columns}
    dropped = [c for c in table.columns if c.name not in wanted]
    new = [c for c in spec.columns if c.name not in before]
    refused: list[str] = []
    for column in dropped:
        twins = [c.name for c in new if c.type == column.type]
        guess = f" (renamed to '{twins[0]}'?)" if len(dropped) == 1 and len(twins) == 1 else ""
        refused.append(
            f"column '{column.name}' is no longer in the spec{guess}: dropping or renaming a "
            "column loses what the table holds and breaks its readers"
        )
    added = []
    for column in new:
        if column.nullable:
            added.append(column)
        else:
            refused.append(
                f"new column '{column.name}' is nullable: false, but the rows already in the "
                "table have no value for it: add it as nullable"
            )
    widened, relaxed = [], []
    for column in spec.columns:
        old = before.get(column.name)
        if old is None:
            continue
        if old.type != column.type:
            if widens(old.type, column.type):
                widened.append(Widening(column.name, old.type, column.type))
            else:
                refused.append(
                    f"column '{column.name}' changes type from {old.type} to {column.type}: only "
                    "int → bigint, float → double and a decimal with more precision and the "
                    "same scale are allowed"
                )
        if old.nullable and not column.nullable:
            refused.append(
                f"column '{column.name}' becomes nullable: false, but rows already in the table "
                "may hold nulls"
            )
        elif not old.nullable and column.nullable:
            relaxed.append(column.name)
    if set(table.primary_key) != set(spec.primary_key):
        refused.append(
            f"the primary key changes from {_listing(table.primary_key)} to "
            f"{_listing(spec.primary_key)}: the table's rows are unique by the old one"
        )
    if table.partition_by != spec.partition_by:
        refused.append(
            f"the partitioning changes from {_listing(table.partition_by)} to "
            f"{_listing(spec.partition_by)}"
        )
    return Evolution(tuple(added), tuple(widened), tuple(relaxed), tuple(refused))


def _listing(items: tuple[object, ...]) -> str:
    return "[" + ", ".join(str(i) for i in items) + "]" if items else "none"


def refusal_message(pipeline: str, table: str, state: TableState, evolution: Evolution) -> str:
    """One line that says what is refused and what to do instead (job and CLI alike)."""
    recorded = (
        f"its recorded contract v{state.version}"
        if state.recorded is not None
        else "its own schema (no contract recorded)"
    )
    return (
        f"{pipeline}: the spec breaks the curated table {table}, compared with {recorded}: "
        + "; ".join(evolution.refused)
        + ". The table is left as it is. Either keep the table's shape in the spec, or write to a "
        f"new table (a new pipeline name, e.g. '{pipeline}-v2', gets its own table; replay the "
        "raw files into it), or migrate this table explicitly and remove its recorded contract "
        "(README: Curated data, Schema evolution)"
    )


def plan(config: JobConfig, state: TableState) -> Evolution:
    """The spec ``config`` against the table as ``state`` describes it."""
    return compare(state.baseline(config.primary_key), Contract.of(config))
