"""Pre-flight of one claimed object, and what happens to an object that fails it: a copy in
quarantine, a reason file beside it, an announcement for the notifier, the claim closed.

The raw version is only read (a range of its first and, for Parquet, last bytes; the source of
the copy): the kit never deletes or modifies raw data.
"""

from __future__ import annotations

from bridge.config import BridgeConfig
from bridge.events import ObjectRef
from bridge.preflight import (
    HEAD_BYTES,
    PARQUET_TAIL_BYTES,
    Rejection,
    check_content,
    check_listing,
    needs_tail,
)
from bridge.quarantine import announcement, quarantine_key, reason_document, reason_key
from bridge.runtime import Gateways
from bridge.storage import SINGLE_COPY_LIMIT
from bridge.telemetry import logger

# One CopyObject request (up to 5 GiB) fits an invocation; a multipart copy of more may not.
COPY_IN_INVOCATION_LIMIT = SINGLE_COPY_LIMIT


def inspect(obj: ObjectRef, config: BridgeConfig, gateways: Gateways) -> Rejection | None:
    rejection = check_listing(obj.key, obj.size, config)
    if rejection is not None:
        return rejection
    tail = PARQUET_TAIL_BYTES if needs_tail(config) else 0
    head = gateways.objects.read_head(obj, HEAD_BYTES, tail)
    return check_content(head, obj.size, config)


def quarantine(
    obj: ObjectRef,
    pk: str,
    rejection: Rejection,
    batch_id: str,
    config: BridgeConfig,
    gateways: Gateways,
    now: float,
    message_id: str,
) -> None:
    """Copy, explain, announce, then close the claim (a duplicate will not do it again)."""
    bucket = config.buckets.quarantine
    copy_key = quarantine_key(config, obj.key, now)
    document = reason_document(config, obj, rejection, now)
    if obj.size <= COPY_IN_INVOCATION_LIMIT:
        gateways.objects.copy(obj, bucket, copy_key)
        quarantine_uri = f"s3://{bucket}/{copy_key}"
    else:
        # A copy this large would outlast the invocation and fail the whole batch with it; the
        # raw version is never deleted, so the reason file points there instead.
        quarantine_uri = obj.uri
        document["not_copied"] = (
            f"larger than {COPY_IN_INVOCATION_LIMIT // 1024**3} GiB: the raw version is the copy"
        )
    reason_uri = gateways.objects.put_json(bucket, reason_key(copy_key), document)
    gateways.announcer.object_quarantined(
        announcement(config, obj, rejection, quarantine_uri, reason_uri)
    )
    gateways.claims.mark_quarantined(pk, batch_id, quarantine_uri, rejection.check, now)
    logger.warning(
        "object quarantined",
        message_id=message_id,
        uri=obj.uri,
        version_id=obj.version_id,
        check=rejection.check,
        reason=rejection.reason,
        quarantine_uri=quarantine_uri,
    )
