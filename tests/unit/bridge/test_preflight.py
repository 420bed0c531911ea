"""Pre-flight checks on bytes: what each check accepts and what it rejects, with its name."""

from __future__ import annotations

import gzip

import pytest

from bridge.config import BridgeConfig
from bridge.preflight import TEXT_LIMIT, Head, Rejection, check_content, check_listing
from tests.unit.bridge.conftest import SAMPLES_DIR, config_of

ORDERS_CSV = (SAMPLES_DIR / "orders" / "orders-2026-11-20.csv").read_bytes()
EVENTS_GZ = (SAMPLES_DIR / "events" / "app-events-2026-11-21.jsonl.gz").read_bytes()
HEADER = b"order_id,customer_id,status,amount,currency,created_at,last_modified"


def whole(data: bytes, tail: bytes = b"") -> Head:
    return Head(data=data, complete=True, tail=tail)


def check(data: bytes, config: BridgeConfig, head: Head | None = None) -> str | None:
    rejection = check_content(head or whole(data, data[-4:]), len(data), config)
    return rejection.check if rejection else None


# ------------------------------------------------------------------------------------ listing
@pytest.mark.parametrize(
    ("key", "size", "expected"),
    [
        ("orders/a.csv", 10, None),
        ("orders/a.CSV", 10, "suffix"),
        ("orders/a.csv.gz", 10, "suffix"),
        ("orders/a.csv", 0, "zero_bytes"),
        ("orders/a.txt", 0, "suffix"),
        ("orders/a.csv", 5 * 1024**3, None),
        ("orders/a.csv", 5 * 1024**3 + 1, "max_size"),
    ],
)
def test_listing_checks_suffix_then_emptiness_then_size(
    orders_config: BridgeConfig, key: str, size: int, expected: str | None
) -> None:
    rejection = check_listing(key, size, orders_config)
    assert (rejection.check if rejection else None) == expected


def test_rejection_reasons_name_what_was_expected(orders_config: BridgeConfig) -> None:
    suffix = check_listing("orders/a.txt", 5, orders_config)
    size = check_listing("orders/a.csv", 5 * 1024**3 + 1, orders_config)
    assert suffix == Rejection("suffix", "the key ends in none of the accepted suffixes ['.csv']")
    assert size is not None and "5368709120" in size.reason


# ---------------------------------------------------------------------------------------- csv
def test_sample_orders_export_passes(orders_config: BridgeConfig) -> None:
    assert check(ORDERS_CSV, orders_config) is None


@pytest.mark.parametrize(
    "data",
    [
        HEADER + b"\r\nO-1,C-1,new,1.00,EUR,2026-11-21T00:00:00Z,2026-11-21T00:00:00Z\r\n",
        b"\xef\xbb\xbf" + HEADER + b"\n",  # UTF-8 byte order mark
        HEADER.replace(b",", b" , ") + b"\n",  # spaces around names
        b'"order_id","customer_id","status","amount","currency","created_at","last_modified"\n',
        HEADER,  # a header-only file without a line break
        b"customer_id,order_id,status,amount,currency,created_at,last_modified\n",
    ],
    ids=["crlf", "bom", "padded", "quoted", "header-only", "reordered"],
)
def test_csv_header_variants_that_fit_the_contract_pass(
    orders_config: BridgeConfig, data: bytes
) -> None:
    assert check(data, orders_config) is None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ((SAMPLES_DIR / "orders" / "bad" / "orders-wrong-header.csv").read_bytes(), "missing"),
        (HEADER.replace(b"last_modified", b"updated_at") + b"\n", "missing ['last_modified']"),
        (HEADER.replace(b",currency", b"") + b"\n", "missing ['currency']"),
        (HEADER + b",status\n", "repeated ['status']"),
        (HEADER.replace(b",", b";") + b"\n", "delimiter ','"),
        (b"\n" + HEADER + b"\n", "empty"),
        (HEADER.replace(b"status", b"st\xe4tus") + b"\n", "not valid utf-8"),
    ],
    ids=["sample", "renamed", "missing", "repeated", "semicolons", "blank-first", "latin-1"],
)
def test_csv_header_off_contract_is_rejected_with_a_reason(
    orders_config: BridgeConfig, data: bytes, words: str
) -> None:
    rejection = check_content(whole(data), len(data), orders_config)
    assert rejection is not None and rejection.check == "csv_header"
    assert words in rejection.reason


def test_csv_header_with_an_extra_column_is_left_to_the_glue_job(
    orders_config: BridgeConfig,
) -> None:
    # Source drift: transform reports the column with its file and applies on_unknown_columns.
    data = HEADER + b",coupon\nO-1,C-1,new,1,EUR,x,y,SAVE10\n"
    assert check(data, orders_config) is None


def test_latin1_header_is_read_as_latin1_when_the_spec_says_so() -> None:
    config = config_of("orders", csv={"encoding": "latin-1"})
    assert check(HEADER + b"\nO-1,C-\xe4,new,1,EUR,x,y\n", config) is None


def test_csv_without_header_checks_the_field_count() -> None:
    config = config_of("orders", csv={"header": False})
    row = b"O-1,C-1,new,1.00,EUR,2026-11-21T00:00:00Z,2026-11-21T00:00:00Z\n"
    assert check(row, config) is None
    assert check(b"O-1,C-1,new\n", config) == "csv_header"


def test_header_longer_than_the_window_is_rejected(orders_config: BridgeConfig) -> None:
    data = b"a" * TEXT_LIMIT
    head = Head(data=data, complete=False)
    rejection = check_content(head, 10 * TEXT_LIMIT, orders_config)
    assert rejection is not None and rejection.check == "csv_header"


def test_gzip_where_plain_csv_is_expected_is_a_compression_rejection(
    orders_config: BridgeConfig,
) -> None:
    assert check(gzip.compress(ORDERS_CSV), orders_config) == "compression"


# --------------------------------------------------------------------------------- json, gzip
def test_sample_events_file_passes(events_config: BridgeConfig) -> None:
    assert check(EVENTS_GZ, events_config) is None


def test_first_json_record_only_needs_the_required_fields(events_config: BridgeConfig) -> None:
    record = b'\n\n{"id": "e-1", "userId": 7, "type": "view", "ts": "2026-11-21T00:00:00Z"}\n'
    assert check(gzip.compress(record), events_config) is None


@pytest.mark.parametrize(
    ("text", "expected", "words"),
    [
        (b'{"id": "e-1", "type": "click"}\n', "json_record", "['userId', 'ts']"),
        (b'{"id": "e-1", "userId": null, "type": "v", "ts": "t"}\n', "json_record", "userId"),
        (b'[{"id": "e-1"}]\n', "json_record", "list"),
        (b"id,userId,type,ts\n", "json_record", "not JSON"),
        (b"\n\n  \n", "zero_bytes", "no records"),
        (b"", "zero_bytes", "no data"),
    ],
    ids=["missing", "null", "array", "csv", "blank", "empty-stream"],
)
def test_first_json_record_off_contract_is_rejected(
    events_config: BridgeConfig, text: bytes, expected: str, words: str
) -> None:
    data = gzip.compress(text)
    rejection = check_content(whole(data), len(data), events_config)
    assert rejection is not None and rejection.check == expected
    assert words in rejection.reason


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (gzip.decompress(EVENTS_GZ), "not gzip-compressed"),
        (EVENTS_GZ[: len(EVENTS_GZ) // 2], "truncated"),
        (gzip.compress(b"x")[:10] + b"\xff" * 40, "cannot be read"),
    ],
    ids=["plain", "truncated", "corrupt"],
)
def test_unreadable_gzip_is_a_compression_rejection(
    events_config: BridgeConfig, data: bytes, words: str
) -> None:
    rejection = check_content(whole(data), len(data), events_config)
    assert rejection is not None and rejection.check == "compression"
    assert words in rejection.reason


def test_gzip_read_in_part_is_not_called_truncated(events_config: BridgeConfig) -> None:
    big = gzip.compress(
        b"".join(
            b'{"id": "e-%d", "userId": 1, "type": "view", "ts": "t"}\n' % i for i in range(50_000)
        )
    )
    head = Head(data=big[:4096], complete=False)
    assert check_content(head, len(big), events_config) is None


# ------------------------------------------------------------------------------------ parquet
PARQUET = config_of("orders", source={"format": "parquet"}, suffixes=[".parquet"])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PAR1" + b"\x15\x04" * 10 + b"\x08\x00\x00\x00PAR1", None),
        (b"PAR0" + b"\x15\x04" * 10 + b"PAR1", "parquet_magic"),
        (b"PAR1" + b"\x15\x04" * 10 + b"PAR0", "parquet_magic"),
        (b"PAR1PAR1", "parquet_magic"),
        (ORDERS_CSV, "parquet_magic"),
    ],
    ids=["valid", "bad-head", "bad-tail", "too-small", "csv"],
)
def test_parquet_needs_magic_bytes_at_both_ends(data: bytes, expected: str | None) -> None:
    assert check(data, PARQUET) == expected
