"""Which spec changes the curated table takes and which it refuses (gluekit_glue.evolution)."""

from __future__ import annotations

import json

import pytest

from gluekit_glue.evolution import (
    CONTRACT_PROPERTY,
    Contract,
    ContractColumn,
    Evolution,
    SchemaEvolutionError,
    TableState,
    Widening,
    plan,
    refusal_message,
    widens,
)
from tests.unit.spec.evolution_fixtures import COLUMNS, config_of, metadata_of, replace_column

TABLE = TableState.from_metadata(metadata_of(config_of()))


def evolution(
    columns: list[str] | None = None,
    primary_key: str = "[order_id]",
    partition_by: str = "[{name: dt, from: created_at}]",
) -> Evolution:
    """The spec with these contract parts against the table the base spec created."""
    return plan(config_of(columns, primary_key, partition_by), TABLE)


# ---------------------------------------------------------------------------------- allowed
def test_the_spec_the_table_was_built_for_changes_nothing() -> None:
    result = evolution()
    assert result == Evolution() and not result.changes and not result.breaking
    assert result.describe() == "no change"


def test_reordered_columns_and_new_descriptions_are_no_contract_change() -> None:
    reordered = [COLUMNS[3], COLUMNS[0], COLUMNS[2], COLUMNS[1].replace("}", ", description: n}")]
    assert evolution(reordered) == Evolution()


def test_a_new_nullable_column_is_added() -> None:
    result = evolution([*COLUMNS, "{name: note, type: string}"])
    assert result.added == (ContractColumn("note", "string", True),)
    assert result.changes and not result.breaking
    assert result.describe() == "adds column note (string)"


def test_int_widens_to_bigint() -> None:
    result = evolution(replace_column("quantity", "{name: quantity, type: bigint}"))
    assert result.widened == (Widening("quantity", "int", "bigint"),)
    assert result.describe() == "widens quantity int → bigint" and not result.breaking


def test_a_decimal_widens_with_more_precision_and_the_same_scale() -> None:
    result = evolution(replace_column("amount", '{name: amount, type: "decimal(14,2)"}'))
    assert result.widened == (Widening("amount", "decimal(12,2)", "decimal(14,2)"),)
    assert not result.breaking


def test_a_required_column_may_become_nullable() -> None:
    result = evolution(replace_column("created_at", "{name: created_at, type: timestamp}"))
    assert result.relaxed == ("created_at",) and not result.breaking
    assert result.describe() == "makes created_at nullable"


def test_float_widens_to_double_on_a_table_without_a_recorded_contract() -> None:
    # GIVEN a table made outside the kit's record, whose schema has a float column `weight`
    extra = {"id": 90, "name": "weight", "required": False, "type": "float"}
    table = TableState.from_metadata(metadata_of(config_of(), record=False, extra_fields=[extra]))

    # WHEN the spec declares it as double (the contract has no float type)
    result = plan(config_of([*COLUMNS, "{name: weight, type: double}"]), table)

    # THEN it widens, judged against the table's own schema
    assert result.widened == (Widening("weight", "float", "double"),) and not result.breaking


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        ("int", "bigint", True),
        ("float", "double", True),
        ("decimal(12,2)", "decimal(38,2)", True),
        ("bigint", "int", False),
        ("double", "float", False),
        ("int", "double", False),  # Iceberg has no such promotion
        ("decimal(12,2)", "decimal(12,2)", False),
        ("decimal(12,2)", "decimal(10,2)", False),
        ("decimal(12,2)", "decimal(14,3)", False),
        ("date", "timestamp", False),
        ("string", "int", False),
    ],
)
def test_widening_is_only_what_iceberg_can_promote(old: str, new: str, allowed: bool) -> None:
    assert widens(old, new) is allowed


# ---------------------------------------------------------------------------------- refused
@pytest.mark.parametrize(
    ("spec", "refusal"),
    [
        pytest.param(
            {"columns": COLUMNS[:1] + COLUMNS[2:]},
            "column 'quantity' is no longer in the spec: dropping or renaming a column",
            id="dropped column",
        ),
        pytest.param(
            {"columns": replace_column("quantity", "{name: qty, type: int}")},
            "column 'quantity' is no longer in the spec (renamed to 'qty'?)",
            id="renamed column",
        ),
        pytest.param(
            {"columns": replace_column("amount", '{name: amount, type: "decimal(10,2)"}')},
            "column 'amount' changes type from decimal(12,2) to decimal(10,2): only int → bigint",
            id="narrowed decimal",
        ),
        pytest.param(
            {"columns": replace_column("amount", '{name: amount, type: "decimal(14,3)"}')},
            "column 'amount' changes type from decimal(12,2) to decimal(14,3)",
            id="decimal scale changed",
        ),
        pytest.param(
            {"columns": replace_column("quantity", "{name: quantity, type: string}")},
            "column 'quantity' changes type from int to string",
            id="type changed",
        ),
        pytest.param(
            {"columns": replace_column("quantity", "{name: quantity, type: int, nullable: false}")},
            "column 'quantity' becomes nullable: false, but rows already in the table may hold",
            id="column made required",
        ),
        pytest.param(
            {"columns": [*COLUMNS, "{name: note, type: string, nullable: false}"]},
            "new column 'note' is nullable: false, but the rows already in the table have no "
            "value for it: add it as nullable",
            id="required column added",
        ),
        pytest.param(
            {"primary_key": "[order_id, created_at]"},
            "the primary key changes from [order_id] to [order_id, created_at]",
            id="primary key changed",
        ),
        pytest.param(
            {"partition_by": "[{name: dt, from: created_at, transform: month}]"},
            "the partitioning changes from [dt = day(created_at)] to [dt = month(created_at)]",
            id="partition transform changed",
        ),
        pytest.param(
            {"partition_by": "[]"},
            "the partitioning changes from [dt = day(created_at)] to none",
            id="partitioning dropped",
        ),
    ],
)
def test_a_breaking_change_is_refused(spec: dict[str, object], refusal: str) -> None:
    result = evolution(**spec)  # type: ignore[arg-type]
    assert result.breaking
    [reason] = result.refused
    assert reason.startswith(refusal)


def test_the_primary_key_is_a_set_its_order_is_no_change() -> None:
    table = TableState.from_metadata(metadata_of(config_of(primary_key="[order_id, created_at]")))
    assert plan(config_of(primary_key="[created_at, order_id]"), table) == Evolution()


def test_the_refusal_names_every_breaking_change_and_what_to_do() -> None:
    # GIVEN a spec that drops quantity and narrows amount, against contract v3
    table = TableState.from_metadata(metadata_of(config_of(), version=3))
    config = config_of([COLUMNS[0], '{name: amount, type: "decimal(10,2)"}', COLUMNS[3]])
    result = plan(config, table)

    message = refusal_message("orders", "gluekit_dev.orders", table, result)

    assert message.startswith(
        "orders: the spec breaks the curated table gluekit_dev.orders, compared with its "
        "recorded contract v3: column 'quantity' is no longer in the spec"
    )
    assert "; column 'amount' changes type from decimal(12,2) to decimal(10,2)" in message
    assert "The table is left as it is." in message
    assert "a new pipeline name, e.g. 'orders-v2', gets its own table" in message
    assert "migrate this table explicitly and remove its recorded contract" in message
    assert "\n" not in message


# ------------------------------------------------------------------------ the table record
def test_the_contract_record_is_compact_json_that_reads_back() -> None:
    config = config_of()
    text = Contract.of(config).to_json()
    assert " " not in text
    assert json.loads(text)["columns"][1] == {"name": "quantity", "type": "int", "nullable": True}
    assert Contract.from_json(text) == Contract.of(config)
    assert TABLE.recorded == Contract.of(config) and TABLE.version == 1


def test_an_unreadable_record_says_how_to_fall_back_to_the_tables_schema() -> None:
    metadata = metadata_of(config_of())
    metadata["properties"][CONTRACT_PROPERTY] = '{"columns": "?"}'

    with pytest.raises(SchemaEvolutionError) as caught:
        TableState.from_metadata(metadata)

    assert f"the table property '{CONTRACT_PROPERTY}' is not a contract gluekit can read" in str(
        caught.value
    )
    assert "UNSET TBLPROPERTIES ('gluekit.contract')" in str(caught.value)


def test_without_a_record_the_spec_is_compared_with_the_tables_own_schema() -> None:
    # GIVEN a table migrated by hand (quantity renamed to qty) whose record was then removed;
    # its version property stays
    migrated = config_of(replace_column("quantity", "{name: qty, type: int}"))
    table = TableState.from_metadata(metadata_of(migrated, record=False, version=4))

    # THEN the migrated spec passes (lineage columns are no contract columns), the old one not
    baseline = table.baseline(("order_id",))
    assert [c.name for c in baseline.columns] == ["order_id", "qty", "amount", "created_at"]
    assert baseline.partition_by == Contract.of(migrated).partition_by
    assert plan(migrated, table) == Evolution() and table.version == 4
    assert plan(config_of(), table).breaking


def test_a_table_with_no_version_counts_from_zero() -> None:
    table = TableState.from_metadata(metadata_of(config_of(), record=False, version=None))
    assert (table.recorded, table.version) == (None, 0)
