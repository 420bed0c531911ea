"""How the publish path applies an allowed change and refuses a breaking one, before it writes
(gluekit_glue.table_evolution; Spark's SQL is replaced by a recorder)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from gluekit_glue.config import JobConfig
from gluekit_glue.evolution import (
    CONTRACT_PROPERTY,
    BreakingSchemaChange,
    Contract,
    TableState,
    plan,
)
from gluekit_glue.table_evolution import evolve, pending_statements, record_statement
from tests.unit.spec.evolution_fixtures import COLUMNS, config_of, metadata_of, replace_column

NAME = "glue_catalog.gluekit_dev.orders"
ALTER = f"ALTER TABLE {NAME}"
EVOLVED = [
    "{name: note, type: string, description: Free text}",  # first: FIRST
    COLUMNS[0],
    "{name: quantity, type: bigint}",
    COLUMNS[2],
    "{name: created_at, type: timestamp}",  # made nullable
    "{name: channel, type: string}",  # after created_at
]


class Recorder:
    """Spark's ``sql`` for `evolve`: records statements, fails the ones it is told to."""

    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        self.statements: list[str] = []
        self.failing = failing

    def __call__(self, statement: str) -> None:
        self.statements.append(statement)
        if any(text in statement for text in self.failing):
            raise RuntimeError("AnalysisException: Cannot add column, name already exists")


def states(*metadata: dict[str, Any]) -> Callable[[], TableState]:
    """Reads of the table, one per call: the table as it is at each read."""
    pending = [TableState.from_metadata(m) for m in metadata]
    return lambda: pending.pop(0) if len(pending) > 1 else pending[0]


def recorded(statement: str) -> tuple[Contract, str]:
    """The contract and version a SET TBLPROPERTIES statement records."""
    assert statement.startswith(f"{ALTER} SET TBLPROPERTIES (")
    body = statement[statement.index("(") + 1 : -1]
    pairs = dict(
        (k.strip().strip("'"), v.strip().strip("'"))
        for k, v in (p.split(" = ") for p in body.split(", '"))
    )
    return Contract.from_json(pairs[CONTRACT_PROPERTY]), pairs["gluekit.contract-version"]


def test_each_allowed_change_becomes_iceberg_ddl_in_the_specs_place() -> None:
    config = config_of(EVOLVED)
    table = TableState.from_metadata(metadata_of(config_of()))

    statements = pending_statements(config, NAME, table, plan(config, table))

    assert statements == [
        f"{ALTER} ADD COLUMN `note` string COMMENT 'Free text' FIRST",
        f"{ALTER} ADD COLUMN `channel` string AFTER `created_at`",
        f"{ALTER} ALTER COLUMN `quantity` TYPE bigint",
        f"{ALTER} ALTER COLUMN `created_at` DROP NOT NULL",
    ]


def test_an_allowed_change_is_applied_then_recorded_as_the_next_version() -> None:
    config = config_of(EVOLVED)
    sql = Recorder()

    result = evolve(config, NAME, states(metadata_of(config_of(), version=2)), sql)

    assert result.changes and len(sql.statements) == 5
    contract, version = recorded(sql.statements[-1])
    assert (contract, version) == (Contract.of(config), "3")


def test_descriptions_follow_the_spec_without_a_new_contract_version() -> None:
    # GIVEN a spec that describes `amount` and rewords `order_id`
    columns = [
        "{name: order_id, type: string, nullable: false, description: It's the order number}",
        COLUMNS[1],
        '{name: amount, type: "decimal(12,2)", description: Gross amount}',
        COLUMNS[3],
    ]
    sql = Recorder()

    evolve(config_of(columns), NAME, states(metadata_of(config_of())), sql)

    # THEN only the comments change (quoted), and the contract is not recorded again
    assert sql.statements == [
        f"{ALTER} ALTER COLUMN `order_id` COMMENT 'It\\'s the order number'",
        f"{ALTER} ALTER COLUMN `amount` COMMENT 'Gross amount'",
    ]


def test_the_spec_the_table_was_built_for_runs_no_statement() -> None:
    sql = Recorder()
    evolve(config_of(), NAME, states(metadata_of(config_of())), sql)
    assert sql.statements == []


def test_a_breaking_change_is_refused_before_any_statement() -> None:
    sql = Recorder()
    config = config_of(replace_column("quantity", "{name: quantity, type: string}"))

    with pytest.raises(BreakingSchemaChange, match="changes type from int to string"):
        evolve(config, NAME, states(metadata_of(config_of())), sql)

    assert sql.statements == []


def test_a_publish_that_crashed_mid_evolution_finishes_it() -> None:
    # GIVEN a crash after `note` was added, before the contract was recorded
    config = config_of(
        [*COLUMNS[:1], "{name: quantity, type: bigint}", *COLUMNS[2:], "{name: note, type: string}"]
    )
    note = {"id": 50, "name": "note", "required": False, "type": "string"}
    sql = Recorder()

    evolve(config, NAME, states(metadata_of(config_of(), extra_fields=[note])), sql)

    # THEN the column is not added again; the widening and the record follow
    assert sql.statements[0] == f"{ALTER} ALTER COLUMN `quantity` TYPE bigint"
    assert recorded(sql.statements[1]) == (Contract.of(config), "2")
    assert len(sql.statements) == 2


def test_of_two_publishes_evolving_at_once_the_later_carries_on() -> None:
    # GIVEN another publish adds `note` between this one's read of the table and its ALTER
    config = config_of([*COLUMNS, "{name: note, type: string}"])
    note = {"id": 50, "name": "note", "required": False, "type": "string"}
    sql = Recorder(failing=("ADD COLUMN `note`",))
    read = states(metadata_of(config_of()), metadata_of(config_of(), extra_fields=[note]))

    evolve(config, NAME, read, sql)

    # THEN its failed ADD COLUMN is found done, and it records the contract
    assert recorded(sql.statements[-1]) == (Contract.of(config), "2")


def test_a_statement_that_fails_for_another_reason_fails_the_publish() -> None:
    config = config_of([*COLUMNS, "{name: note, type: string}"])
    sql = Recorder(failing=("ADD COLUMN `note`",))

    with pytest.raises(RuntimeError, match="Cannot add column"):
        evolve(config, NAME, states(metadata_of(config_of())), sql)

    assert not any("SET TBLPROPERTIES" in s for s in sql.statements)


def test_a_table_that_records_no_contract_gets_the_specs_as_its_next_version() -> None:
    sql = Recorder()
    config = config_of()

    evolve(config, NAME, states(metadata_of(config, record=False, version=4)), sql)

    assert [recorded(s) for s in sql.statements] == [(Contract.of(config), "5")]


def test_the_record_statement_quotes_the_contract_json() -> None:
    config: JobConfig = config_of()
    statement = record_statement(config, NAME, 1)
    assert f"'{CONTRACT_PROPERTY}' = '{Contract.of(config).to_json()}'" in statement
    assert json.loads(Contract.of(config).to_json())["primary_key"] == ["order_id"]


def test_changes_the_table_already_shows_are_not_made_again() -> None:
    # GIVEN a crash after quantity was widened and created_at made nullable, before the record
    config = config_of(EVOLVED)
    metadata = metadata_of(config_of())
    fields = {f["name"]: f for f in metadata["schemas"][0]["fields"]}
    fields["quantity"]["type"] = "long"
    fields["created_at"]["required"] = False
    sql = Recorder()

    evolve(config, NAME, states(metadata), sql)

    # THEN only the columns still missing are added before the record
    assert [s.split(" ")[5] for s in sql.statements[:-1]] == ["`note`", "`channel`"]
    assert recorded(sql.statements[-1]) == (Contract.of(config), "2")
