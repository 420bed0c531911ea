"""An object too large for one CopyObject is quarantined without a copy that could outlast the
invocation: the reason file points at the raw version, which the kit never deletes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.functional.bridge.conftest import FOUNDATION, World, failed_ids, pipeline_config

SIX_GIB = 6 * 1024**3


def test_object_over_5_gib_is_quarantined_by_reason_only(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an upload S3 reports as 6 GiB, over the pipeline's size limit
    world.use(pipeline_config("orders", max_file_bytes=1024), monkeypatch)
    obj = dataclasses.replace(world.upload("orders/huge.csv", b"order_id\n1\n"), size=SIX_GIB)

    # WHEN its event arrives
    response = world.deliver(obj)[1]

    # THEN it is quarantined at once: a reason file, no copy, the announcement names raw
    assert failed_ids(response) == set()
    reason_key = "orders/files/2026-11-21/orders/huge.csv.reason.json"
    assert world.quarantine_keys() == [reason_key]
    reason = json.loads(world.read(FOUNDATION.quarantine_bucket, reason_key))
    assert reason["check"] == "max_size"
    assert "the raw version is the copy" in reason["not_copied"]
    [announced] = world.announcements()
    assert announced["detail"]["quarantine_uri"] == f"s3://{FOUNDATION.raw_bucket}/orders/huge.csv"
    assert world.runs() == []
