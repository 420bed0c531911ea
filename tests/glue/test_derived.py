"""A derived pipeline (daily-revenue, ``trigger.after: [orders]``) on local Spark and Iceberg: it
reads what changed in orders since its last publish, and records that position with its publish
commit, never apart from it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import functions as F

from gluekit_glue.jobs.common import JobFailed, ValidationFailed
from gluekit_glue.upstream_config import POSITION_PREFIX
from tests.glue.pipeline_env import PipelineEnv

HEADER = "order_id,customer_id,status,amount,currency,created_at,last_modified\n"
POSITION = f"{POSITION_PREFIX}gluekit_dev.orders"


def orders_csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def publish_orders(env: PipelineEnv, name: str, body: bytes) -> str:
    run_id = env.batch("orders", {name: body}, f"b-{name}")
    assert [s.status for s in env.run_pipeline("orders", run_id)] == ["succeeded"] * 3
    return run_id


def derive(env: PipelineEnv, batch_id: str) -> list[Any]:
    """What the bridge does after an orders publish: an empty manifest, one workflow run."""
    manifest = env.put_manifest("daily-revenue", [], batch_id)
    run_id = env.start_workflow_run("daily-revenue", manifest, batch_id)
    return env.run_pipeline("daily-revenue", run_id)


def revenue(env: PipelineEnv) -> dict[tuple[str, str], tuple[int, Decimal]]:
    return {(str(r[0]), r[1]): (r[2], r[3]) for r in env.curated("daily-revenue")}


def position(env: PipelineEnv) -> str | None:
    table = env.curated_table("daily-revenue")
    rows = env.spark.sql(f"SHOW TBLPROPERTIES {table.name}").collect()
    return {r["key"]: r["value"] for r in rows}.get(POSITION)


def metadata_versions(env: PipelineEnv) -> list[dict[str, Any]]:
    """Every metadata file the derived table has had, oldest first."""
    folder = env.root / env.config("daily-revenue").buckets.curated
    files = sorted(
        (folder / "gluekit_dev" / "daily_revenue" / "metadata").glob("v*.metadata.json"),
        key=lambda p: int(p.name[1:].split(".")[0]),
    )
    return [json.loads(Path(f).read_text()) for f in files]


def test_a_derived_run_reads_only_what_changed_and_records_where_it_stopped(
    env: PipelineEnv,
) -> None:
    publish_orders(
        env,
        "o1.csv",
        orders_csv(
            "o-1,c-1,paid,10.00,EUR,2026-11-20T09:00:00Z,2026-11-20T09:00:00Z",
            "o-2,c-2,paid,5.50,EUR,2026-11-20T10:00:00Z,2026-11-20T10:00:00Z",
            "o-3,c-1,paid,7.00,USD,2026-11-21T08:00:00Z,2026-11-21T08:00:00Z",
        ),
    )
    first = env.main_snapshot_id("orders")
    transform, _, publish = derive(env, "d1")
    assert transform.details["upstreams"][0]["since"] is None  # the first run reads it all
    assert transform.rows_in == 3 and publish.status == "succeeded"
    assert revenue(env) == {
        ("2026-11-20", "EUR"): (2, Decimal("15.50")),
        ("2026-11-21", "USD"): (1, Decimal("7.00")),
    }
    assert position(env) == str(first)

    # o-2 and o-3 are cancelled, o-4 is new: only those three rows changed.
    publish_orders(
        env,
        "o2.csv",
        orders_csv(
            "o-2,c-2,cancelled,5.50,EUR,2026-11-20T10:00:00Z,2026-11-21T12:00:00Z",
            "o-4,c-3,paid,1.25,EUR,2026-11-20T11:00:00Z,2026-11-21T12:00:00Z",
            "o-3,c-1,cancelled,7.00,USD,2026-11-21T08:00:00Z,2026-11-21T12:00:00Z",
        ),
    )
    second = env.main_snapshot_id("orders")
    transform, _, _ = derive(env, "d2")
    read = transform.details["upstreams"][0]
    assert (read["since"], read["snapshot_id"]) == (str(first), str(second))
    assert transform.rows_in == 3  # not the 4 rows orders now holds
    assert revenue(env) == {
        ("2026-11-20", "EUR"): (2, Decimal("11.25")),  # recomputed over every order of the day
        ("2026-11-21", "USD"): (0, Decimal("0.00")),  # its only order cancelled: written as 0
    }
    assert position(env) == str(second)
    lineage = env.curated_frame("daily-revenue").filter(F.col("day") == "2026-11-20").first()
    assert lineage["_source_uri"] == "iceberg://gluekit_dev.orders"
    assert lineage["_source_version"] == str(second)

    # No metadata version ever had the new main without the new position, or the reverse.
    published_head = env.main_snapshot_id("daily-revenue")
    for version in metadata_versions(env):
        main = version.get("refs", {}).get("main", {}).get("snapshot-id")
        at_second = version.get("properties", {}).get(POSITION) == str(second)
        assert (main == published_head) == at_second, version["last-updated-ms"]

    # Nothing new in orders: an empty run, main unchanged, the position stays.
    transform, _, publish = derive(env, "d3")
    assert transform.rows_in == 0
    assert publish.details["outcome"].startswith("nothing newer")
    assert env.main_snapshot_id("daily-revenue") == published_head
    assert position(env) == str(second)


def test_an_order_that_moved_to_another_day_and_currency_is_taken_off_the_old_one(
    env: PipelineEnv,
) -> None:
    day, later = "2026-11-20T09:00:00Z", "2026-11-22T09:00:00Z"
    publish_orders(
        env,
        "o1.csv",
        orders_csv(f"o-1,c-1,paid,10.00,EUR,{day},{day}", f"o-2,c-2,paid,4.00,EUR,{day},{day}"),
    )
    derive(env, "d1")
    assert revenue(env) == {("2026-11-20", "EUR"): (2, Decimal("14.00"))}

    # o-2 was entered with the wrong day and currency: the export corrects it.
    publish_orders(env, "o2.csv", orders_csv(f"o-2,c-2,paid,4.00,USD,{later},{later}"))
    transform, _, _ = derive(env, "d2")

    assert transform.rows_in == 1  # only o-2 changed; its old version came as input_before
    assert revenue(env) == {
        ("2026-11-20", "EUR"): (1, Decimal("10.00")),  # the old day no longer counts it
        ("2026-11-22", "USD"): (1, Decimal("4.00")),
    }


def test_a_run_that_fails_validation_leaves_the_position_so_the_next_reads_the_changes_again(
    env: PipelineEnv,
) -> None:
    publish_orders(
        env,
        "o1.csv",
        orders_csv("o-1,c-1,paid,10.00,EUR,2026-11-20T09:00:00Z,2026-11-20T09:00:00Z"),
    )
    derive(env, "d1")
    before = position(env)
    publish_orders(
        env, "o2.csv", orders_csv("o-5,c-1,paid,3.00,EUR,2026-11-22T09:00:00Z,2026-11-22T09:00:00Z")
    )
    rules = env.configs["daily-revenue"]["validation"]
    env.configs["daily-revenue"]["validation"] = [
        *rules,
        {"rule": "row_count", "min": 100, "severity": "error"},
    ]
    manifest = env.put_manifest("daily-revenue", [], "d2")
    run_id = env.start_workflow_run("daily-revenue", manifest, "d2")
    assert env.run("transform", "daily-revenue", run_id).rows_in == 1
    with pytest.raises(ValidationFailed, match="row_count"):
        env.run("validate", "daily-revenue", run_id)
    with pytest.raises(JobFailed, match="not publishing"):
        env.run("publish", "daily-revenue", run_id)
    assert position(env) == before  # main and the position both kept

    env.configs["daily-revenue"]["validation"] = rules
    transform, _, publish = derive(env, "d3")
    assert transform.rows_in == 1 and publish.status == "succeeded"  # the same change, again
    assert revenue(env)[("2026-11-22", "EUR")] == (1, Decimal("3.00"))
    assert position(env) == str(env.main_snapshot_id("orders"))


def test_an_older_run_published_after_a_later_one_is_refused_and_a_rollback_rereads_all(
    env: PipelineEnv,
) -> None:
    day = "2026-11-20T09:00:00Z"
    publish_orders(env, "o1.csv", orders_csv(f"o-1,c-1,paid,10.00,EUR,{day},{day}"))
    derive(env, "d1")
    first_publish = env.main_snapshot_id("daily-revenue")
    publish_orders(env, "o2.csv", orders_csv(f"o-2,c-1,paid,2.00,EUR,{day},{day}"))
    # Run "late" reads the change and passes validation, but its publish waits (a crash, say).
    manifest = env.put_manifest("daily-revenue", [], "late")
    late = env.start_workflow_run("daily-revenue", manifest, "late")
    env.run("transform", "daily-revenue", late)
    env.run("validate", "daily-revenue", late)
    publish_orders(env, "o3.csv", orders_csv(f"o-3,c-1,paid,5.00,EUR,{day},{day}"))
    derive(env, "d3")  # a later run reads both changes and publishes
    assert revenue(env)[("2026-11-20", "EUR")] == (3, Decimal("17.00"))
    latest = position(env)

    # WHEN the late run's publish is run after all (a resume)
    with pytest.raises(JobFailed, match="a later run published, or a rollback reset it"):
        env.run("publish", "daily-revenue", late)

    # THEN its older rows and position did not overwrite the later run's
    assert revenue(env)[("2026-11-20", "EUR")] == (3, Decimal("17.00"))
    assert position(env) == latest

    # A rollback of the derived table clears the positions: the next run reads everything.
    env.run(
        "compact",
        "daily-revenue",
        "rb-1",
        "--rollback_to_snapshot",
        str(first_publish),
        workflow=False,
    )
    assert position(env) is None
    assert revenue(env)[("2026-11-20", "EUR")] == (1, Decimal("10.00"))
    transform, _, _ = derive(env, "d4")
    assert transform.details["upstreams"][0]["since"] is None and transform.rows_in == 3
    assert revenue(env)[("2026-11-20", "EUR")] == (3, Decimal("17.00"))
