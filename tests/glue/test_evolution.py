"""Schema evolution on a real Iceberg table: an allowed change evolves it, a refused one does not
touch it (the rules themselves are unit-tested in tests/unit/spec/test_evolution*.py)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from gluekit_glue.evolution import CONTRACT_PROPERTY, BreakingSchemaChange, Contract, TableState
from gluekit_glue.iceberg import CuratedTable, ensure_table
from gluekit_glue.table_evolution import table_metadata
from tests.glue.pipeline_env import PipelineEnv, rendered_configs

HEADER = "order_id,customer_id,status,amount,currency,created_at,last_modified,quantity"


def with_quantity(env: PipelineEnv) -> dict[str, Any]:
    """The example orders spec plus an int column `quantity`: the table's first contract."""
    config = copy.deepcopy(rendered_configs()["orders"])
    config["columns"].append(
        {"name": "quantity", "type": "int", "nullable": True, "source": "quantity"}
    )
    return config


def publish_run(env: PipelineEnv, csv: str, batch_id: str) -> None:
    run_id = env.batch("orders", {f"{batch_id}.csv": csv.encode()}, batch_id)
    env.run_pipeline("orders", run_id)


def first_table(env: PipelineEnv) -> CuratedTable:
    """The table as a first publish of `with_quantity` leaves it, holding order O-1 (written
    directly: a whole pipeline run would only cost time here)."""
    env.configs["orders"] = with_quantity(env)
    table = env.curated_table("orders")
    ensure_table(env.spark, env.config("orders"), table)
    at = datetime(2026, 11, 20, 8, 0)
    values = {
        **dict(order_id="O-1", customer_id="C-1", status="new", amount=Decimal("10.25")),
        **dict(currency="EUR", created_at=at, updated_at=at, quantity=7),
        **dict(_source_uri="s3://raw/orders/b1.csv", _ingested_at=at, _run_id="r1"),
    }
    schema = env.spark.table(table.name).schema
    row = tuple(values.get(f.name) for f in schema.fields)
    env.spark.createDataFrame([row], schema).writeTo(table.name).append()
    return table


def properties(env: PipelineEnv) -> dict[str, str]:
    table = env.curated_table("orders").name
    return {r["key"]: r["value"] for r in env.spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}


def all_rows(env: PipelineEnv) -> list[tuple[Any, ...]]:
    frame = env.curated_frame("orders")
    assert frame is not None
    return sorted(tuple(r) for r in frame.collect())


def test_an_allowed_change_evolves_the_table_and_old_rows_read_null(env: PipelineEnv) -> None:
    # GIVEN a table first published with quantity int and amount decimal(12,2)
    first_table(env)
    assert properties(env)["gluekit.contract-version"] == "1"

    # WHEN the spec adds a nullable `note` after `currency`, widens quantity to bigint and amount
    # to decimal(14,2), describes `status`, and the next run publishes
    evolved = with_quantity(env)
    columns = {c["name"]: c for c in evolved["columns"]}
    columns["quantity"]["type"] = "bigint"
    columns["amount"]["type"] = "decimal(14,2)"
    columns["status"]["description"] = "Order status"
    at = [c["name"] for c in evolved["columns"]].index("currency") + 1
    note = {"name": "note", "type": "string", "nullable": True, "source": "note"}
    evolved["columns"].insert(at, note)
    # and lists quantity second (a new order only: the table matches columns by name)
    evolved["columns"].insert(1, evolved["columns"].pop(-1))
    # (amounts now go past the spec's range rule, which is not what this test is about)
    evolved["validation"] = [r for r in evolved["validation"] if r["rule"] != "range"]
    env.configs["orders"] = evolved
    big = 2**40
    publish_run(
        env,
        f"{HEADER},note\nO-2,C-2,paid,123456789012.34,EUR,2026-11-20T09:00:00Z,"
        f"2026-11-20T09:00Z,{big},gift\n",
        "b2",
    )

    # THEN the old row reads null in the new column, its widened values intact; the new row fits
    frame = env.curated_frame("orders")
    assert frame is not None
    rows = {r["order_id"]: r for r in frame.collect()}
    old = rows["O-1"]
    assert (old["note"], old["quantity"], old["amount"]) == (None, 7, Decimal("10.25"))
    assert (rows["O-2"]["note"], rows["O-2"]["quantity"]) == ("gift", big)
    assert rows["O-2"]["amount"] == Decimal("123456789012.34")  # needs 14 digits
    # the column sits where the spec puts it, before the lineage; types and comment follow the spec
    assert frame.columns.index("note") == frame.columns.index("currency") + 1
    fields = {f.name: f for f in frame.schema.fields}
    assert fields["quantity"].dataType.simpleString() == "bigint"
    assert fields["amount"].dataType.simpleString() == "decimal(14,2)"
    assert fields["status"].metadata.get("comment") == "Order status"
    # and the table records the spec's contract as version 2, read back as the CLI reads it
    assert properties(env)["gluekit.contract-version"] == "2"
    config = env.config("orders")
    state = TableState.from_metadata(table_metadata(env.spark, env.curated_table("orders")))
    assert state.recorded == Contract.of(config)
    # without the record, the table's own schema and partition spec say the same (its order
    # aside: quantity stays where it was)
    own = replace(state, recorded=None).baseline(config.primary_key)
    assert own.columns[-1].name == "quantity"
    assert sorted(own.columns, key=str) == sorted(Contract.of(config).columns, key=str)
    assert own.partition_by == Contract.of(config).partition_by


def test_a_refused_change_leaves_the_table_untouched(env: PipelineEnv) -> None:
    # GIVEN a published table with quantity int
    table = first_table(env)
    before = table_metadata(env.spark, table)
    rows_before = all_rows(env)

    # WHEN the spec drops `quantity` and narrows amount to decimal(10,2), and a run publishes
    broken = copy.deepcopy(rendered_configs()["orders"])
    next(c for c in broken["columns"] if c["name"] == "amount")["type"] = "decimal(10,2)"
    env.configs["orders"] = broken
    with pytest.raises(BreakingSchemaChange) as refused:
        # what every publish does before it writes (the publish job's first step on the table)
        ensure_table(env.spark, env.config("orders"), table)

    # THEN it is refused with what to do, and the table has not changed at all
    message = str(refused.value)
    assert "column 'quantity' is no longer in the spec" in message
    assert "changes type from decimal(12,2) to decimal(10,2)" in message
    assert "new pipeline name" in message and "migrate this table explicitly" in message
    after = table_metadata(env.spark, table)
    assert after["metadata-log"] == before["metadata-log"]
    assert after.get("current-snapshot-id") == before.get("current-snapshot-id")
    assert after["properties"][CONTRACT_PROPERTY] == before["properties"][CONTRACT_PROPERTY]
    assert all_rows(env) == rows_before
