"""Comparing the raw crawler's tables with the contract, and the alert a difference sends."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from gluekit.render import notifier_config
from gluekit.spec import load_spec_file
from gluekit.spec.models import Crawler
from notifier.config import NotifierConfig, RawSchema, parse_config
from notifier.drift_message import drift_notification, unchecked_notification
from notifier.events import CrawlerSucceeded, Skipped, parse_event
from notifier.raw_schema import CatalogTable, compare, crawler_tables, incompatible
from tests.events import load_event
from tests.unit.notifier.conftest import FOUNDATION, PIPELINE_SPEC

LOCATION = f"s3://{FOUNDATION.raw_bucket}/orders/"
# The orders contract as a crawler reads a conforming CSV export: lower case, guessed types.
CONFORMING = (
    ("order_id", "string"),
    ("customer_id", "string"),
    ("status", "string"),
    ("amount", "double"),
    ("currency", "string"),
    ("created_at", "string"),
    ("last_modified", "string"),
)


@pytest.fixture(scope="module")
def crawler_config() -> NotifierConfig:
    spec = load_spec_file(PIPELINE_SPEC, FOUNDATION.prefix).spec
    spec = spec.model_copy(update={"crawler": Crawler(enabled=True)})
    topic = "arn:aws:sns:eu-west-1:123456789012:gluekit-dev-alerts"
    return parse_config(json.dumps(notifier_config(spec, FOUNDATION, topic)))


@pytest.fixture(scope="module")
def schema(crawler_config: NotifierConfig) -> RawSchema:
    assert crawler_config.raw_schema is not None
    return crawler_config.raw_schema


def table(columns: tuple[tuple[str, str], ...], name: str = "raw_orders_orders") -> CatalogTable:
    return CatalogTable(name=name, location=LOCATION, columns=columns)


def succeeded() -> CrawlerSucceeded:
    return CrawlerSucceeded(
        event_id="e-1",
        time="2026-05-04T03:05:40Z",
        crawler_name="gluekit-dev-orders-raw",
        log_link=None,
    )


def test_rendered_raw_schema_carries_source_names_and_the_crawlers_prefix(
    schema: RawSchema,
) -> None:
    assert schema.database == "gluekit_dev"
    assert schema.table_prefix == "raw_orders_"
    assert schema.location == LOCATION
    assert schema.by_position is False
    assert ("last_modified", "timestamp") in schema.columns  # the source name, not updated_at


def test_conforming_table_has_no_drift_whatever_the_case_and_guessed_types(
    schema: RawSchema,
) -> None:
    upper = tuple((name.upper(), kind) for name, kind in CONFORMING)

    assert compare(schema, table(CONFORMING)) is None
    assert compare(schema, table(upper)) is None


def test_extra_and_missing_columns_are_named(schema: RawSchema) -> None:
    columns = (*(c for c in CONFORMING if c[0] != "currency"), ("discount_code", "string"))

    drift = compare(schema, table(columns))

    assert drift is not None
    assert drift.missing == ("currency",)
    assert drift.unknown == (("discount_code", "string"),)
    assert drift.conflicts == ()


def test_numeric_contract_column_read_as_string_is_a_type_conflict(schema: RawSchema) -> None:
    columns = tuple((n, "string" if n == "amount" else k) for n, k in CONFORMING)

    drift = compare(schema, table(columns))

    assert drift is not None
    [conflict] = drift.conflicts
    assert (conflict.column, conflict.contract_type, conflict.crawler_type) == (
        "amount", "decimal(12,2)", "string"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("contract", "crawler", "flagged"),
    [
        ("decimal(12,2)", "string", True),
        ("bigint", "struct<a:int>", True),
        ("int", "double", False),  # both numeric: the casts decide per value
        ("timestamp", "string", False),  # CSV timestamps are text to a crawler
        ("timestamp", "bigint", True),
        ("boolean", "string", False),  # true_values such as yes/no
        ("string", "array<string>", False),  # text accepts anything
        ("date", "unknown", False),
    ],
)
def test_only_clearly_incompatible_kinds_are_flagged(
    contract: str, crawler: str, flagged: bool
) -> None:
    assert incompatible(contract, crawler) is flagged


def test_header_less_csv_is_compared_by_position(schema: RawSchema) -> None:
    by_position = replace(schema, by_position=True)
    generic = tuple((f"col{i}", k) for i, (_, k) in enumerate(CONFORMING))

    assert compare(by_position, table(generic)) is None
    drift = compare(by_position, table((*generic, ("col7", "string"))))
    assert drift is not None
    assert drift.unknown == (("col7", "string"),)
    assert drift.missing == ()


def test_tables_of_a_pipeline_sharing_the_prefix_are_not_this_crawlers(
    schema: RawSchema,
) -> None:
    own = table(CONFORMING)
    flex = CatalogTable(
        "raw_orders_flex_orders_flex", f"s3://{FOUNDATION.raw_bucket}/orders-flex/", CONFORMING
    )
    partition_folder = CatalogTable("raw_orders_2026", f"{LOCATION}2026", CONFORMING)

    assert crawler_tables(schema, [flex, partition_folder, own]) == [partition_folder, own]


def test_crawler_succeeded_is_checked_only_with_a_raw_schema(
    crawler_config: NotifierConfig, config: NotifierConfig
) -> None:
    event = load_event("notifier/crawler_succeeded")

    assert isinstance(parse_event(event, crawler_config), CrawlerSucceeded)
    assert isinstance(parse_event(event, config), Skipped)  # crawler off: nothing to compare


def test_drift_alert_names_columns_table_and_what_to_do(
    crawler_config: NotifierConfig, schema: RawSchema
) -> None:
    columns = (*(c for c in CONFORMING if c[0] != "currency"), ("discount_code", "string"))
    drift = compare(schema, table(columns))
    assert drift is not None

    note = drift_notification(crawler_config, succeeded(), [drift])

    assert note.subject == (
        "[gluekit-dev-orders] raw schema drift: 1 not in the contract, 1 missing in "
        "raw_orders_orders"
    )
    assert note.text.startswith(
        "The raw files of pipeline orders no longer match its contract: 1 not in the "
        "contract, 1 missing (columns of raw_orders_orders)."
    )
    assert f"Table raw_orders_orders ({LOCATION}):" in note.text
    assert "  Not in the contract (new in the source):\n    discount_code (string)" in note.text
    assert "  Missing from the source (the contract expects them):\n    currency" in note.text
    assert "update the contract" in note.text
    assert "have the export fixed" in note.text
    assert (
        "aws glue get-table --region eu-west-1 --database-name gluekit_dev --name "
        "raw_orders_orders --query Table.StorageDescriptor.Columns"
    ) in note.text
    assert "colN" not in note.text
    assert note.attributes == {"pipeline": "orders", "kind": "raw_schema_drift"}
    assert note.data["tables"][0]["unknown"] == [{"name": "discount_code", "type": "string"}]
    assert note.data["tables"][0]["missing"] == ["currency"]


def test_drift_alert_explains_a_header_the_crawler_did_not_read(
    crawler_config: NotifierConfig, schema: RawSchema
) -> None:
    generic = tuple((f"col{i}", "string") for i in range(7))
    drift = compare(schema, table(generic))
    assert drift is not None and drift.header_not_read

    note = drift_notification(crawler_config, succeeded(), [drift])

    assert "Every column is named colN: the crawler did not recognise the header row" in (
        " ".join(note.text.split())
    )


def test_long_column_lists_are_capped(crawler_config: NotifierConfig, schema: RawSchema) -> None:
    wide = (*CONFORMING, *((f"extra_{i}", "string") for i in range(100)))
    drift = compare(schema, table(wide))
    assert drift is not None

    note = drift_notification(crawler_config, succeeded(), [drift])

    assert "... and 70 more" in note.text
    assert len(note.data["tables"][0]["unknown"]) == 30


def test_comparison_that_could_not_run_says_why(crawler_config: NotifierConfig) -> None:
    note = unchecked_notification(
        crawler_config, succeeded(), "the raw tables could not be read: AccessDeniedException"
    )

    assert note.subject.startswith("[gluekit-dev-orders] raw schema not checked: ")
    assert "Tables:   gluekit_dev.raw_orders_*" in note.text
    assert note.attributes["kind"] == "raw_schema_unchecked"
