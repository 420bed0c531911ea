"""Whole-file checks from a file's first bytes, before Spark reads it."""

from __future__ import annotations

import gzip

from gluekit_glue.config import CsvOptions, SourceConfig
from gluekit_glue.preflight import check_parquet_file, check_text_file
from tests.glue.pipeline_env import SAMPLES

ORDERS_COLUMNS = [
    "order_id",
    "customer_id",
    "status",
    "amount",
    "currency",
    "created_at",
    "last_modified",
]
CSV = SourceConfig("csv", "none", CsvOptions(True, ",", '"', "utf-8"))
CSV_GZ = SourceConfig("csv", "gzip", CsvOptions(True, ",", '"', "utf-8"))
JSON_GZ = SourceConfig("json", "gzip", CsvOptions(True, ",", '"', "utf-8"))


def check(data: bytes, source: SourceConfig = CSV, head: int = 65536):
    return check_text_file(data[:head], len(data), source, ORDERS_COLUMNS)


def test_header_in_any_order_passes_and_tells_the_order() -> None:
    header = "status,order_id,customer_id,amount,currency,created_at,last_modified\n"

    result = check(header.encode() + b"paid,O-1,C-1,1.00,EUR,2026-11-20T00:00:00Z,x\n")

    assert result.ok
    assert result.header is not None and result.header[:2] == ("status", "order_id")


def test_header_mismatch_names_the_missing_columns() -> None:
    result = check(b"order_id,customer,status,amount,currency,created_at,last_modified,x\n1\n")

    assert not result.ok
    assert "missing ['customer_id']" in str(result.reason)


def test_extra_header_columns_pass_with_the_whole_header_for_the_drift_check() -> None:
    header = b"order_id,customer_id,status,amount,currency,created_at,last_modified,coupon\n"

    result = check(header + b"O-1,C-1,new,1,EUR,x,y,SAVE\n")

    assert result.ok
    assert result.header is not None and result.header[-1] == "coupon"


def test_wrong_delimiter_is_a_header_mismatch_with_a_hint() -> None:
    data = (SAMPLES / "orders" / "bad" / "orders-wrong-header.csv").read_bytes()
    semicolons = b";".join(ORDERS_COLUMNS[i].encode() for i in range(7)) + b"\nO-1;C;new\n"

    assert "header does not match the contract" in str(check(data).reason)
    reason = str(check(semicolons).reason)
    assert "header does not match the contract" in reason
    assert "wrong delimiter?" in reason


def test_empty_files_are_refused_but_a_header_only_file_is_not() -> None:
    header_only = (",".join(ORDERS_COLUMNS) + "\n").encode()

    assert check(b"").reason == "empty file (0 bytes)"
    assert check(gzip.compress(b""), CSV_GZ).reason == "empty file (no records)"
    assert check(b"\n\n").reason == "empty file (no records)"
    assert check(header_only).ok


def test_utf8_byte_order_mark_does_not_break_the_header() -> None:
    assert check(b"\xef\xbb\xbf" + ",".join(ORDERS_COLUMNS).encode() + b"\r\n").ok


def test_compression_must_match_the_contract() -> None:
    csv = (",".join(ORDERS_COLUMNS) + "\n").encode()

    assert "not gzip data" in str(check(csv, CSV_GZ).reason)
    assert "gzip-compressed, but" in str(check(gzip.compress(csv), CSV).reason)


def test_small_truncated_gzip_is_caught_without_spark() -> None:
    whole = gzip.compress((",".join(ORDERS_COLUMNS) + "\n").encode() * 50)

    assert check(whole, CSV_GZ).ok
    assert "truncated gzip" in str(check(whole[:-10], CSV_GZ).reason)


def test_json_lines_must_start_with_an_object() -> None:
    assert check(gzip.compress(b'{"id": "e-1"}\n'), JSON_GZ).ok
    assert "not a JSON object" in str(check(gzip.compress(b"[1, 2]\n"), JSON_GZ).reason)
    assert "not JSON" in str(check(gzip.compress(b"id,type\n"), JSON_GZ).reason)


def test_a_long_first_line_beyond_the_probe_is_not_a_line_based_file() -> None:
    assert "no line break" in str(check(b"x" * 70000, head=65536).reason)


def test_parquet_needs_its_magic_at_both_ends() -> None:
    assert check_parquet_file(b"PAR1", b"PAR1", 100).ok
    assert not check_parquet_file(b"PAR1", b"xxxx", 100).ok
    assert check_parquet_file(b"", b"", 0).reason == "empty file (0 bytes)"
