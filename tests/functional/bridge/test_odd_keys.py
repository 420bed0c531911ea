"""Keys with spaces, '+', '%', unicode and up to 1,024 bytes: the key S3 encoded into the event is
decoded exactly once, so the manifest names the object that was uploaded."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.functional.bridge.conftest import FOUNDATION, SAMPLES_DIR, World, failed_ids

GOOD_CSV = (SAMPLES_DIR / "orders" / "orders-2026-11-20.csv").read_bytes()
MAX_KEY_BYTES = 1024
PREFIX, SUFFIX = "orders/", ".csv"

name_characters = st.one_of(
    st.sampled_from(" +%/=&?#:;,()[]{}~!$'*@^|\"<>`\\"),
    st.characters(categories=("L", "N", "Zs", "Sm", "So", "Pd")),
)


def fits(stem: str) -> bool:
    key = PREFIX + stem + SUFFIX
    return len(key.encode()) <= MAX_KEY_BYTES and "//" not in key and not stem.startswith("/")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(stem=st.text(name_characters, min_size=1, max_size=300).filter(fits))
@example(stem="a b+c%2Bd%20e")
@example(stem="%")
@example(stem="100% + more")
@example(stem="Bestellungen März/Ünïcödé 注文 📦")
@example(stem="é" * ((MAX_KEY_BYTES - len(PREFIX) - len(SUFFIX)) // 2))
@example(stem="x" * (MAX_KEY_BYTES - len(PREFIX) - len(SUFFIX)))
def test_odd_key_reaches_the_manifest_exactly_as_uploaded(orders: World, stem: str) -> None:
    key = PREFIX + stem + SUFFIX
    obj = orders.upload(key, GOOD_CSV)
    runs_before = len(orders.runs())

    response = orders.deliver(obj)[1]

    assert failed_ids(response) == set()
    runs = orders.runs()
    assert len(runs) == runs_before + 1
    [file] = orders.manifest(runs[-1])["files"]
    assert file["key"] == key
    assert orders.read(FOUNDATION.raw_bucket, file["key"], file["version_id"]) == GOOD_CSV


@pytest.mark.parametrize("key", ["orders/a+b.csv", "orders/a b.csv", "orders/a%2Bb.csv"])
def test_keys_differing_only_in_encoding_are_different_objects(orders: World, key: str) -> None:
    others = {"orders/a+b.csv", "orders/a b.csv", "orders/a%2Bb.csv"} - {key}
    for other in others:
        orders.upload(other, GOOD_CSV)
    obj = orders.upload(key, GOOD_CSV)

    orders.deliver(obj)

    assert orders.manifest_keys() == [key]
