"""A finished raw crawl on moto: the crawler's tables in the Data Catalog against the contract."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gluekit.render import notifier_config
from gluekit.spec import load_spec_file
from gluekit.spec.models import Crawler
from notifier import handler
from notifier.config import CONFIG_ENV
from tests.events import load_event
from tests.functional.notifier.conftest import FOUNDATION, PIPELINE_SPEC, TOPIC_ARN, World

DATABASE = FOUNDATION.database
TABLE = "raw_orders_orders"
CONFORMING = [
    ("order_id", "string"),
    ("customer_id", "string"),
    ("status", "string"),
    ("amount", "double"),
    ("currency", "string"),
    ("created_at", "string"),
    ("last_modified", "string"),
]


@pytest.fixture
def crawler_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """The orders pipeline with its raw crawler on, and the kit's database."""
    spec = load_spec_file(PIPELINE_SPEC, FOUNDATION.prefix).spec
    spec = spec.model_copy(update={"crawler": Crawler(enabled=True)})
    world.config = notifier_config(spec, FOUNDATION, TOPIC_ARN)
    monkeypatch.setenv(CONFIG_ENV, json.dumps(world.config))
    handler.settings.cache_clear()
    world.glue.create_database(DatabaseInput={"Name": DATABASE})
    return world


def crawled(world: World, columns: list[tuple[str, str]], name: str = TABLE,
            prefix: str = "orders/") -> None:  # fmt: skip
    """A table as the crawler leaves it: data columns, partition keys, its parameters."""
    world.glue.create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": name,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv", "UPDATED_BY_CRAWLER": "gluekit-dev-orders-raw"},
            "PartitionKeys": [{"Name": f"partition_{i}", "Type": "string"} for i in range(3)],
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in columns],
                "Location": f"s3://{world.raw}/{prefix}",
            },
        },
    )


def test_crawl_that_finds_an_extra_and_a_missing_column_sends_one_alert_naming_them(
    crawler_world: World, invoke: Any
) -> None:
    columns = [c for c in CONFORMING if c[0] != "currency"] + [("discount_code", "string")]
    crawled(crawler_world, columns)

    result = invoke(load_event("notifier/crawler_succeeded"))

    alert = crawler_world.only_alert()
    assert result["status"] == "published"
    assert alert.subject == (
        "[gluekit-dev-orders] raw schema drift: 1 not in the contract, 1 missing in "
        "raw_orders_orders"
    )
    assert "discount_code (string)" in alert.text
    assert "Missing from the source (the contract expects them):\n    currency" in alert.text
    assert f"Table raw_orders_orders (s3://{crawler_world.raw}/orders/)" in alert.text
    assert alert.attributes == {"pipeline": "orders", "kind": "raw_schema_drift"}


def test_crawl_that_matches_the_contract_sends_nothing(crawler_world: World, invoke: Any) -> None:
    crawled(crawler_world, [(n.upper(), t) for n, t in CONFORMING])

    result = invoke(load_event("notifier/crawler_succeeded"))

    assert result == {"status": "checked", "reason": "raw_orders_orders match the contract"}
    assert crawler_world.published() == []


def test_tables_of_another_pipeline_with_the_same_prefix_are_not_compared(
    crawler_world: World, invoke: Any
) -> None:
    crawled(crawler_world, CONFORMING)
    crawled(crawler_world, [("other", "string")], "raw_orders_flex_orders_flex", "orders-flex/")

    result = invoke(load_event("notifier/crawler_succeeded"))

    assert result["status"] == "checked"
    assert crawler_world.published() == []


def test_another_crawlers_event_is_skipped(crawler_world: World, invoke: Any) -> None:
    crawled(crawler_world, [("other", "string")])
    event = load_event("notifier/crawler_succeeded")
    event["detail"]["crawlerName"] = "gluekit-dev-events-raw"

    result = invoke(event)

    assert result["status"] == "skipped"
    assert "is not the crawler of pipeline 'orders'" in result["reason"]
    assert crawler_world.published() == []


def test_first_crawl_without_tables_sends_nothing(crawler_world: World, invoke: Any) -> None:
    result = invoke(load_event("notifier/crawler_succeeded"))

    assert result["status"] == "checked"
    assert "has no table raw_orders_* yet" in result["reason"]
    assert crawler_world.published() == []


def test_catalog_that_cannot_be_read_alerts_that_nothing_was_checked(
    world: World, invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = load_spec_file(PIPELINE_SPEC, FOUNDATION.prefix).spec
    spec = spec.model_copy(update={"crawler": Crawler(enabled=True)})
    monkeypatch.setenv(CONFIG_ENV, json.dumps(notifier_config(spec, FOUNDATION, TOPIC_ARN)))
    handler.settings.cache_clear()  # no database created: GetTables says EntityNotFound

    invoke(load_event("notifier/crawler_succeeded"))

    alert = world.only_alert()
    assert alert.subject.startswith("[gluekit-dev-orders] raw schema not checked: ")
    assert "EntityNotFoundException" in alert.text
