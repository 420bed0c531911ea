"""Reading a message: which messages are deliveries, and decoding the key exactly once."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bridge.config import BridgeConfig
from bridge.events import Delivery, Malformed, ObjectRef, Skip, read_message
from tests.events import load_event
from tests.unit.bridge.conftest import config_of

RAW = "gluekit-dev-raw-123456789012-us-east-1"
ANY_PREFIX = config_of("orders", raw_prefix="")


def created(key: str, **object_fields: Any) -> str:
    """An Object Created event body whose detail.object has `key` as sent (already encoded)."""
    event = load_event("bridge/object_created")
    event["detail"]["object"].update({"key": key, **object_fields})
    return json.dumps(event)


def test_aws_shaped_record_body_reads_as_a_delivery_with_the_decoded_key(
    orders_config: BridgeConfig,
) -> None:
    record = load_event("bridge/sqs_object_created")["Records"][0]

    message = read_message(record["messageId"], record["body"], orders_config)

    assert message == Delivery(
        record["messageId"],
        ObjectRef(
            bucket=RAW,
            key="orders/2026/11/21/orders export (1).csv",
            version_id="Wm9sT3c8vB1u_2kq.Yx7PzRlHq4nUe6T",
            sequencer="00673EF8AF1C3B4D29",
            size=636,
            etag="9b2cf535f27731c974343645a3985328",
            arrived_at="2026-11-21T09:14:07Z",  # the event's time: when the version arrived
        ),
    )


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("orders/a+b.csv", "orders/a b.csv"),
        ("orders/a%2Bb.csv", "orders/a+b.csv"),
        ("orders/100%25.csv", "orders/100%.csv"),
        ("orders/a%20b.csv", "orders/a b.csv"),
        ("orders/M%C3%A4rz%2F%E6%B3%A8%E6%96%87.csv", "orders/März/注文.csv"),
        ("orders%2Fslash-encoded.csv", "orders/slash-encoded.csv"),
    ],
)
def test_key_is_url_decoded_once(orders_config: BridgeConfig, encoded: str, decoded: str) -> None:
    message = read_message("m", created(encoded), orders_config)
    assert isinstance(message, Delivery) and message.obj.key == decoded


key_text = st.text(
    st.one_of(st.sampled_from(" +%/&=?#:"), st.characters(codec="utf-8")),
    max_size=200,
)


@given(name=key_text, safe=st.sampled_from(["/", ""]))
@example(name="a b+c%2Bd%20e", safe="/")
@example(name="%", safe="")
@example(name="ü" * 508, safe="/")
def test_encoding_as_s3_does_then_reading_gives_back_the_key(name: str, safe: str) -> None:
    key = name or "k"
    message = read_message("m", created(quote_plus(key, safe=safe)), ANY_PREFIX)
    assert isinstance(message, Delivery)
    assert message.obj.key == key


def test_percent_twenty_and_plus_both_mean_space_but_percent_two_b_is_a_plus(
    orders_config: BridgeConfig,
) -> None:
    messages = [
        read_message("m", created(encode("orders/a b+c.csv")), orders_config)
        for encode in (quote, quote_plus)
    ]
    assert [m.obj.key for m in messages if isinstance(m, Delivery)] == ["orders/a b+c.csv"] * 2


def test_identity_is_the_version_or_else_the_sequencer(orders_config: BridgeConfig) -> None:
    versioned = read_message("m", created("orders/a.csv"), orders_config)
    unversioned = read_message("m", created("orders/a.csv", **{"version-id": None}), orders_config)
    suspended = read_message("m", created("orders/a.csv", **{"version-id": "null"}), orders_config)
    assert isinstance(versioned, Delivery)
    assert isinstance(unversioned, Delivery) and isinstance(suspended, Delivery)
    assert versioned.obj.identity[2] == "version:Wm9sT3c8vB1u_2kq.Yx7PzRlHq4nUe6T"
    assert unversioned.obj.identity[2] == "sequencer:00673EF8AF1C3B4D29"
    assert suspended.obj.identity == unversioned.obj.identity


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (json.dumps(load_event("bridge/object_deleted")), "not_object_created"),
        (json.dumps(load_event("bridge/glue_job_state_change")), "not_s3_event"),
        (json.dumps(load_event("bridge/s3_test_event")), "not_eventbridge"),
        (json.dumps({"Records": [{"eventSource": "aws:s3"}]}), "not_eventbridge"),
        (created("events/x.jsonl.gz"), "outside_prefix"),
        (created("ORDERS/x.csv"), "outside_prefix"),
        (created("orders/2026/", size=0), "folder_placeholder"),
    ],
)
def test_messages_the_bridge_does_not_act_on_are_skipped(
    orders_config: BridgeConfig, body: str, why: str
) -> None:
    message = read_message("m", body, orders_config)
    assert isinstance(message, Skip) and message.why == why and message.detail


def test_object_in_another_bucket_is_skipped(orders_config: BridgeConfig) -> None:
    event = json.loads(created("orders/a.csv"))
    event["detail"]["bucket"]["name"] = "another-bucket"
    message = read_message("m", json.dumps(event), orders_config)
    assert isinstance(message, Skip) and message.why == "other_bucket"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "{not json",
        "[]",
        json.dumps({**load_event("bridge/object_created"), "detail": "text"}),
        created("orders/a.csv", size="12"),
        created("orders/a.csv", size=-1),
        created(7),  # type: ignore[arg-type]
        created("", **{"version-id": None}),
        created("orders/a.csv", **{"version-id": None, "sequencer": None}),
    ],
    ids=[
        "empty",
        "broken-json",
        "array",
        "detail-text",
        "size-text",
        "size-negative",
        "key-number",
        "key-empty",
        "no-identity",
    ],
)
def test_unreadable_messages_are_malformed(orders_config: BridgeConfig, body: str) -> None:
    assert isinstance(read_message("m", body, orders_config), Malformed)
