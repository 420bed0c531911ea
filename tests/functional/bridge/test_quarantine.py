"""Pre-flight rejections: each one is copied to quarantine with a reason file, announced to the
notifier and counted, while the raw object stays exactly as it was."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.functional.bridge.conftest import (
    FOUNDATION,
    SAMPLES_DIR,
    World,
    failed_ids,
    pipeline_config,
)

GOOD_CSV = (SAMPLES_DIR / "orders" / "orders-2026-11-20.csv").read_bytes()
GOOD_EVENTS = (SAMPLES_DIR / "events" / "app-events-2026-11-21.jsonl.gz").read_bytes()
DAY = "2026-11-21"


@dataclass(frozen=True)
class Case:
    pipeline: str
    key: str
    body: bytes
    check: str
    overrides: tuple[tuple[str, Any], ...] = ()


CASES = {
    "zero-byte file": Case("orders", "orders/empty.csv", b"", "zero_bytes"),
    "wrong suffix": Case("orders", "orders/orders.xlsx", b"PK\x03\x04" + b"\0" * 40, "suffix"),
    "larger than max_file_bytes": Case(
        "orders", "orders/big.csv", GOOD_CSV, "max_size", (("max_file_bytes", 100),)
    ),
    "csv header off contract": Case(
        "orders",
        "orders/orders-wrong-header.csv",
        (SAMPLES_DIR / "orders" / "bad" / "orders-wrong-header.csv").read_bytes(),
        "csv_header",
    ),
    "gzip where plain csv expected": Case(
        "orders", "orders/packed.csv", gzip.compress(GOOD_CSV), "compression"
    ),
    "plain text where gzip expected": Case(
        "events", "events/app.jsonl.gz", gzip.decompress(GOOD_EVENTS), "compression"
    ),
    "truncated gzip": Case(
        "events", "events/cut.jsonl.gz", GOOD_EVENTS[: len(GOOD_EVENTS) // 2], "compression"
    ),
    "first json record lacks required fields": Case(
        "events",
        "events/partial.jsonl.gz",
        gzip.compress(b'{"id": "e-1", "type": "click"}\n'),
        "json_record",
    ),
    "parquet without magic bytes": Case(
        "orders",
        "orders/table.parquet",
        b"PAR0" + b"\x15\x00" * 20 + b"PAR1",
        "parquet_magic",
        (("source", {"format": "parquet"}), ("suffixes", [".parquet"])),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_rejected_object_is_quarantined_announced_and_raw_left_untouched(
    world: World, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    # GIVEN a pipeline and an object that breaks its contract
    world.use(pipeline_config(case.pipeline, **dict(case.overrides)), monkeypatch)
    obj = world.upload(case.key, case.body)

    # WHEN its event arrives
    response = world.deliver(obj)[1]

    # THEN the record succeeds, nothing starts or waits, and the object is quarantined
    assert failed_ids(response) == set()
    assert world.runs() == []
    assert world.pending() == []
    copy_key = f"{case.pipeline}/files/{DAY}/{case.key}"
    assert world.quarantine_keys() == sorted([copy_key, f"{copy_key}.reason.json"])
    assert world.read(FOUNDATION.quarantine_bucket, copy_key) == case.body
    reason = json.loads(world.read(FOUNDATION.quarantine_bucket, f"{copy_key}.reason.json"))
    assert reason == {
        "pipeline": case.pipeline,
        "source_uri": f"s3://{FOUNDATION.raw_bucket}/{case.key}",
        "version_id": obj.version_id,
        "reason": reason["reason"],
        "check": case.check,
        "detected_by": "bridge",
        "at": f"{DAY}T10:00:00Z",
    }
    assert reason["reason"]
    # AND the raw object is unchanged: same single version, same bytes
    [version] = world.raw_versions(case.key)
    assert version["VersionId"] == obj.version_id
    assert world.read(FOUNDATION.raw_bucket, case.key, obj.version_id) == case.body
    # AND the notifier hears of it
    [announced] = world.announcements()
    assert announced["source"] == "gluekit.bridge"
    assert announced["detail-type"] == "Object Quarantined"
    assert announced["detail"] == {
        "pipeline": case.pipeline,
        "bucket": FOUNDATION.raw_bucket,
        "key": case.key,
        "version_id": obj.version_id,
        "size": len(case.body),
        "reason": reason["reason"],
        "check": case.check,
        "quarantine_uri": f"s3://{FOUNDATION.quarantine_bucket}/{copy_key}",
        "reason_uri": f"s3://{FOUNDATION.quarantine_bucket}/{copy_key}.reason.json",
    }
    [claim] = world.claims()
    assert (claim["state"], claim["check"]) == ("QUARANTINED", case.check)


def test_quarantined_object_delivered_again_is_not_announced_twice(orders: World) -> None:
    obj = orders.upload("orders/empty.csv", b"")
    orders.deliver(obj)
    assert len(orders.announcements()) == 1

    orders.clock.advance(hours=3)
    response = orders.deliver(obj)[1]

    assert failed_ids(response) == set()
    assert orders.announcements() == []
    assert len(orders.quarantine_keys()) == 2


def test_longest_key_is_quarantined_under_a_shortened_key(orders: World) -> None:
    # GIVEN a rejected object whose key has the 1,024 bytes S3 allows
    stem = "orders/" + "ü" * 400
    key = stem + "x" * (1024 - len(stem.encode()) - len(".csv")) + ".csv"
    assert len(key.encode()) == 1024
    obj = orders.upload(key, b"")

    response = orders.deliver(obj)[1]

    # THEN the copy and its reason file fit S3's limit and keep the end of the name
    assert failed_ids(response) == set()
    copy_key, reason_key = orders.quarantine_keys()
    assert reason_key == copy_key + ".reason.json"
    assert len(reason_key.encode()) <= 1024
    assert copy_key.startswith(f"orders/files/{DAY}/") and copy_key.endswith("x.csv")
    reason = json.loads(orders.read(FOUNDATION.quarantine_bucket, reason_key))
    assert reason["source_uri"] == f"s3://{FOUNDATION.raw_bucket}/{key}"


def test_quarantine_failure_fails_the_record_and_releases_the_claim(
    orders: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the quarantine bucket is unreachable (here: it does not exist)
    orders.s3.delete_bucket(Bucket=FOUNDATION.quarantine_bucket)
    obj = orders.upload("orders/empty.csv", b"")

    event, response = orders.deliver(obj)

    # THEN the record is redelivered later, with nothing announced and nothing claimed
    assert failed_ids(response) == {event["Records"][0]["messageId"]}
    assert orders.announcements() == []
    assert orders.claims() == []
