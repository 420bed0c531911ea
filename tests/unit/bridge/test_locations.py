"""Where things go: quarantine copies and reasons, manifests, claim keys, batch ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bridge.claims import claim_key
from bridge.config import BridgeConfig
from bridge.events import ObjectRef
from bridge.manifest import build_manifest, chunks, new_batch_id, run_properties
from bridge.preflight import Rejection
from bridge.quarantine import quarantine_key, reason_document, reason_key

NOW = 1_795_255_200.0  # 2026-11-21T10:00:00Z
RAW = "gluekit-dev-raw-123456789012-us-east-1"


def ref(key: str = "orders/a.csv", version: str | None = "v1", sequencer: str = "01") -> ObjectRef:
    return ObjectRef(RAW, key, version, sequencer, 10, "etag")


def test_quarantine_key_keeps_the_original_key_under_the_day(orders_config: BridgeConfig) -> None:
    key = quarantine_key(orders_config, "orders/2026/a b+c.csv", NOW)
    assert key == "orders/files/2026-11-21/orders/2026/a b+c.csv"
    assert reason_key(key) == key + ".reason.json"


@given(key=st.text(min_size=1, max_size=1024).filter(lambda k: len(k.encode()) <= 1024))
def test_quarantine_key_with_its_reason_suffix_always_fits_s3(key: str) -> None:
    from tests.unit.bridge.conftest import config_of

    copy = quarantine_key(config_of("orders"), key, NOW)
    assert len(reason_key(copy).encode()) <= 1024
    assert copy.startswith("orders/files/2026-11-21/")


def test_too_long_keys_that_differ_get_different_quarantine_keys(
    orders_config: BridgeConfig,
) -> None:
    a = "orders/" + "a" * 1000 + "1.csv"
    b = "orders/" + "b" * 1000 + "1.csv"
    assert quarantine_key(orders_config, a, NOW) != quarantine_key(orders_config, b, NOW)


def test_reason_document_has_the_decided_fields(orders_config: BridgeConfig) -> None:
    document = reason_document(orders_config, ref(), Rejection("zero_bytes", "empty"), NOW)
    assert document == {
        "pipeline": "orders",
        "source_uri": f"s3://{RAW}/orders/a.csv",
        "version_id": "v1",
        "reason": "empty",
        "check": "zero_bytes",
        "detected_by": "bridge",
        "at": "2026-11-21T10:00:00Z",
    }


def test_manifest_and_run_properties(orders_config: BridgeConfig) -> None:
    manifest = build_manifest(orders_config, "b-1", [ref("orders/x y.csv")], NOW)
    assert manifest["files"] == [
        {
            "bucket": RAW,
            "key": "orders/x y.csv",
            "version_id": "v1",
            # the claim's identity on an unversioned bucket: a crashed start is recorded from it
            "sequencer": "01",
            "size": 10,
            "etag": "etag",
            "uri": f"s3://{RAW}/orders/x y.csv",
            "arrived_at": None,  # a claim an older bridge recorded: transform uses LastModified
        }
    ]
    assert run_properties(orders_config, "b-1", 1) == {
        "manifest": "s3://gluekit-dev-artifacts-123456789012-us-east-1/manifests/orders/b-1.json",
        "batch_id": "b-1",
        "pipeline": "orders",
        "file_count": "1",
    }


def test_batch_ids_are_unique_and_start_with_the_time() -> None:
    ids = {new_batch_id(NOW) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("20261121T100000Z-") for i in ids)


def test_chunks_cover_everything_in_order() -> None:
    assert list(chunks(list(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunks([], 3)) == []


def test_claim_key_fits_the_pending_index_sort_key_and_tells_identities_apart() -> None:
    longest = "orders/" + "ü" * 508 + ".csv"
    keys = {
        claim_key("orders", ref(longest)),
        claim_key("orders", ref(longest, version="v2")),
        claim_key("orders", ref(longest, version=None, sequencer="01")),
        claim_key("orders", ref(longest, version=None, sequencer="02")),
        claim_key("events", ref(longest)),
    }
    assert len(keys) == 5
    assert max(len(k.encode()) for k in keys) <= 1024
    assert claim_key("orders", ref("orders/a.csv")) == claim_key("orders", ref("orders/a.csv"))
