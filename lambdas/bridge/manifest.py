"""Batches and their manifests (pure).

A batch is the set of objects one workflow run processes. Its id names the manifest
(`s3://<artifacts>/<manifests_prefix><batch_id>.json`) and travels in the run's properties, which
is how a crashed start is found again among the workflow's runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bridge.config import BridgeConfig
from bridge.events import ObjectRef

T = TypeVar("T")


def new_batch_id(now: float) -> str:
    """Sortable by time, unique without coordination: 20261121T183440Z-<16 hex>."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:16]}"


def iso_time(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest_key(config: BridgeConfig, batch_id: str) -> str:
    return f"{config.manifests_prefix}{batch_id}.json"


def manifest_uri(config: BridgeConfig, batch_id: str) -> str:
    return f"s3://{config.buckets.artifacts}/{manifest_key(config, batch_id)}"


def build_manifest(
    config: BridgeConfig, batch_id: str, objects: Sequence[ObjectRef], now: float
) -> dict[str, Any]:
    return {
        "pipeline": config.pipeline,
        "batch_id": batch_id,
        "created_at": iso_time(now),
        "files": [
            {
                "bucket": obj.bucket,
                "key": obj.key,
                "version_id": obj.version_id,
                "sequencer": obj.sequencer,
                "size": obj.size,
                "etag": obj.etag,
                "uri": obj.uri,
                "arrived_at": obj.arrived_at,
            }
            for obj in objects
        ],
    }


def run_properties(config: BridgeConfig, batch_id: str, file_count: int) -> dict[str, str]:
    return {
        "manifest": manifest_uri(config, batch_id),
        "batch_id": batch_id,
        "pipeline": config.pipeline,
        "file_count": str(file_count),
    }


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
