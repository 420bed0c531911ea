"""DynamoDB access for the claims table: every transition of `bridge.claims` as one conditional
write. A write whose condition fails returns False (someone else moved the claim first); any
other error propagates.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from bridge.claims import (
    PARTITION_KEY,
    PENDING_INDEX,
    PENDING_INDEX_PARTITION_KEY,
    PENDING_INDEX_SORT_KEY,
    RETENTION_SECONDS,
    TTL_ATTRIBUTE,
    Claim,
    State,
)
from bridge.events import ObjectRef
from shared.aws import client

CONDITION_FAILED = "ConditionalCheckFailedException"
Item = dict[str, Any]


class DynamoClaimStore:
    def __init__(self, table: str, pipeline: str) -> None:
        self.table = table
        self.pipeline = pipeline

    # ----------------------------------------------------------------------------- transitions
    def create(
        self, pk: str, obj: ObjectRef, batch_id: str, lease_until: float, now: float
    ) -> Claim | None:
        item: Item = {
            PARTITION_KEY: _s(pk),
            "state": _s(State.CLAIMED.value),
            "pipeline": _s(self.pipeline),
            "bucket": _s(obj.bucket),
            "key": _s(obj.key),
            "size": _n(obj.size),
            "etag": _s(obj.etag),
            "batch_id": _s(batch_id),
            "lease_until": _n(math.ceil(lease_until)),
            "claimed_at": _n(int(now)),
            TTL_ATTRIBUTE: _n(int(now) + RETENTION_SECONDS),
        }
        if obj.version_id:
            item["version_id"] = _s(obj.version_id)
        if obj.sequencer:
            item["sequencer"] = _s(obj.sequencer)
        if obj.arrived_at:
            item["arrived_at"] = _s(obj.arrived_at)
        try:
            client("dynamodb").put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PARTITION_KEY},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _code(exc) != CONDITION_FAILED:
                raise
            returned: Item | None = exc.response.get("Item")
            old = returned or self._get(pk)
            if old is None:  # released between the write and the read: claim again
                return self.create(pk, obj, batch_id, lease_until, now)
            return to_claim(old)
        return None

    def take_over(self, old: Claim, batch_id: str, lease_until: float, now: float) -> bool:
        return self._update(
            old.pk,
            "SET batch_id = :batch, lease_until = :lease, claimed_at = :now",
            {":batch": _s(batch_id), ":lease": _n(math.ceil(lease_until)), ":now": _n(int(now))},
            _held_by(old),
        )

    def mark_started(self, claim_pk: str, batch_id: str, run_id: str, now: float) -> bool:
        return self._update(
            claim_pk,
            "SET #state = :started, run_id = :run, started_at = :now, #ttl = :expires "
            "REMOVE lease_until, pending_pipeline",
            {
                ":started": _s(State.STARTED.value),
                ":run": _s(run_id),
                ":now": _n(int(now)),
                ":expires": _n(int(now) + RETENTION_SECONDS),
            },
            _held_by_batch(batch_id),
        )

    def mark_quarantined(
        self, claim_pk: str, batch_id: str, quarantine_uri: str, check: str, now: float
    ) -> bool:
        return self._update(
            claim_pk,
            "SET #state = :quarantined, quarantine_uri = :uri, #check = :check, "
            "quarantined_at = :now, #ttl = :expires REMOVE lease_until, pending_pipeline",
            {
                ":quarantined": _s(State.QUARANTINED.value),
                ":uri": _s(quarantine_uri),
                ":check": _s(check),
                ":now": _n(int(now)),
                ":expires": _n(int(now) + RETENTION_SECONDS),
            },
            _held_by_batch(batch_id),
            names={"#check": "check"},
        )

    def park(self, claim_pk: str, batch_id: str, now: float) -> bool:
        """CLAIMED -> PENDING: wait for a run (no TTL while waiting; a refused start keeps
        the first `accepted_at`, so the object keeps its place at the front)."""
        return self._update(
            claim_pk,
            "SET #state = :pending, pending_pipeline = :pipeline, "
            "accepted_at = if_not_exists(accepted_at, :now) "
            "REMOVE batch_id, lease_until, #ttl",
            {
                ":pending": _s(State.PENDING.value),
                ":pipeline": _s(self.pipeline),
                ":now": _n(int(now)),
            },
            _held_by_batch(batch_id),
        )

    def claim_pending(self, old: Claim, batch_id: str, lease_until: float, now: float) -> bool:
        """PENDING (or a crashed start's expired CLAIMED) -> CLAIMED for a start's batch."""
        if old.state is State.PENDING:
            condition: tuple[str, Item] = ("#state = :was", {":was": _s(State.PENDING.value)})
        else:
            condition = _held_by(old)
        return self._update(
            old.pk,
            "SET #state = :claimed, batch_id = :batch, lease_until = :lease, claimed_at = :now",
            {
                ":claimed": _s(State.CLAIMED.value),
                ":batch": _s(batch_id),
                ":lease": _n(math.ceil(lease_until)),
                ":now": _n(int(now)),
            },
            condition,
        )

    def release(self, claim_pk: str, batch_id: str) -> bool:
        """Forget a claim whose batch could not start, so that the retry claims afresh."""
        expression, values = _held_by_batch(batch_id)
        try:
            client("dynamodb").delete_item(
                TableName=self.table,
                Key={PARTITION_KEY: _s(claim_pk)},
                ConditionExpression=expression,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _code(exc) == CONDITION_FAILED:
                return False
            raise
        return True

    # -------------------------------------------------------------------------------- reading
    def waiting(self, page_size: int, accepted_before: float | None = None) -> Iterator[Claim]:
        """Accepted objects of this pipeline, oldest first (PENDING, or CLAIMED by a start).

        Read lazily, one page of the `waiting` index at a time: a start that needs 20 objects
        reads about 20 items however long the backlog is. The index is eventually consistent,
        so an item may show a state it has just left; every transition is conditional anyway.
        """
        key_condition = "#p = :p"
        values: Item = {":p": _s(self.pipeline)}
        if accepted_before is not None:
            key_condition += " AND #at <= :before"
            values[":before"] = _n(int(accepted_before))
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": PENDING_INDEX,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeNames": {
                "#p": PENDING_INDEX_PARTITION_KEY,
                **({"#at": PENDING_INDEX_SORT_KEY} if accepted_before is not None else {}),
            },
            "ExpressionAttributeValues": values,
            "ScanIndexForward": True,
            "Limit": page_size,
        }
        while True:
            page = client("dynamodb").query(**request)
            for item in page.get("Items", []):
                yield to_claim(item)
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def count_waiting(self, max_pages: int = 50) -> tuple[int, bool]:
        """(how many objects wait, whether that is all of them): COUNT pages, capped."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": PENDING_INDEX,
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": PENDING_INDEX_PARTITION_KEY},
            "ExpressionAttributeValues": {":p": _s(self.pipeline)},
            "Select": "COUNT",
        }
        total = 0
        for _ in range(max_pages):
            page = client("dynamodb").query(**request)
            total += int(page.get("Count", 0))
            last = page.get("LastEvaluatedKey")
            if not last:
                return total, True
            request["ExclusiveStartKey"] = last
        return total, False

    def get(self, claim_pk: str) -> Claim | None:
        item = self._get(claim_pk)
        return None if item is None else to_claim(item)

    # ------------------------------------------------------------------------------- plumbing
    def _get(self, claim_pk: str) -> Item | None:
        response = client("dynamodb").get_item(
            TableName=self.table, Key={PARTITION_KEY: _s(claim_pk)}, ConsistentRead=True
        )
        item: Item | None = response.get("Item")
        return item

    def _update(
        self,
        claim_pk: str,
        update: str,
        values: Item,
        condition: tuple[str, Item],
        names: Mapping[str, str] | None = None,
    ) -> bool:
        condition_expression, condition_values = condition
        attribute_names = {"#state": "state", **(names or {})}
        if "#ttl" in update:
            attribute_names["#ttl"] = TTL_ATTRIBUTE
        try:
            client("dynamodb").update_item(
                TableName=self.table,
                Key={PARTITION_KEY: _s(claim_pk)},
                UpdateExpression=update,
                ConditionExpression=condition_expression,
                ExpressionAttributeNames=attribute_names,
                ExpressionAttributeValues={**values, **condition_values},
            )
        except ClientError as exc:
            if _code(exc) == CONDITION_FAILED:
                return False
            raise
        return True


def _held_by_batch(batch_id: str) -> tuple[str, Item]:
    return (
        "#state = :held AND batch_id = :holder",
        {":held": _s(State.CLAIMED.value), ":holder": _s(batch_id)},
    )


def _held_by(old: Claim) -> tuple[str, Item]:
    """The exact claim `old` (same batch, same lease): nobody moved it since it was read."""
    return (
        "#state = :held AND batch_id = :holder AND lease_until = :held_until",
        {
            ":held": _s(State.CLAIMED.value),
            ":holder": _s(old.batch_id or ""),
            ":held_until": _n(math.ceil(old.lease_until or 0)),
        },
    )


def to_claim(item: Mapping[str, Any]) -> Claim:
    def text(name: str) -> str | None:
        value = item.get(name)
        return None if value is None else str(value["S"])

    def number(name: str) -> float | None:
        value = item.get(name)
        return None if value is None else float(value["N"])

    size = number("size")
    return Claim(
        pk=str(item[PARTITION_KEY]["S"]),
        state=State(item["state"]["S"]),
        obj=ObjectRef(
            bucket=text("bucket") or "",
            key=text("key") or "",
            version_id=text("version_id"),
            sequencer=text("sequencer"),
            size=int(size or 0),
            etag=text("etag") or "",
            arrived_at=text("arrived_at"),
        ),
        batch_id=text("batch_id"),
        lease_until=number("lease_until"),
        run_id=text("run_id"),
        accepted_at=number("accepted_at"),
        pending=PENDING_INDEX_PARTITION_KEY in item,
    )


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
