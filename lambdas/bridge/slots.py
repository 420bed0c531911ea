"""The per-pipeline starter item of the claims table: who may start runs now, and which runs
hold the workflow's slots.

One item, `slots#<pipeline>`, moved by conditional writes:
- `holder` / `lease_until`: the one invocation that may start runs for the pipeline (single
  flight). Taken when absent or expired; an invocation that finds it taken sets `rerun`, and the
  holder makes one more pass before it lets go, so objects that arrived meanwhile are not left
  waiting for the next tick.
- `runs`: a map batch id -> {run_id, since, settled}. A batch is entered *before* its run is
  started, under the condition that the holder still holds the lease and fewer than
  max_concurrent_runs batches are entered: that write is the semaphore. An entry without a
  run id is a start whose outcome is not known yet; `settled` says its claims are recorded.
  Entries leave when their run is seen finished (`bridge.dispatch`).
- `flush_before`: scheduled pipelines: objects accepted up to this time are due.
- `changes_since`: derived pipelines (trigger.after): an upstream published at this time and no
  run has been started for it yet. Publishes while it is set coalesce into the one request; the
  holder takes it (conditional on the lease) when it starts the run, and puts it back when Glue
  refuses the start or the start turns out never to have happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from bridge.claims import PARTITION_KEY
from shared.aws import client

CONDITION_FAILED = "ConditionalCheckFailedException"


def slots_key(pipeline: str) -> str:
    return f"slots#{pipeline}"


@dataclass(frozen=True)
class ActiveRun:
    batch_id: str
    run_id: str | None
    since: float
    settled: bool
    # A derived pipeline's batch: when the upstream request it took was made (see take_changes).
    requested_at: float | None = None


@dataclass(frozen=True)
class Slots:
    runs: dict[str, ActiveRun] = field(default_factory=dict)
    flush_before: float | None = None
    changes_since: float | None = None


class DynamoSlotStore:
    def __init__(self, table: str, pipeline: str) -> None:
        self.table = table
        self.key = {PARTITION_KEY: {"S": slots_key(pipeline)}}

    def acquire(self, holder: str, lease_until: float, now: float) -> Slots | None:
        """Take the starter lease; None (and a rerun requested) when someone holds it."""
        for attempt in range(2):
            try:
                response = client("dynamodb").update_item(
                    TableName=self.table,
                    Key=self.key,
                    UpdateExpression="SET holder = :me, lease_until = :lease, rerun = :no, "
                    "runs = if_not_exists(runs, :empty)",
                    ConditionExpression="attribute_not_exists(holder) OR lease_until <= :now",
                    ExpressionAttributeValues={
                        ":me": {"S": holder},
                        ":lease": {"N": str(math.ceil(lease_until))},
                        ":no": {"BOOL": False},
                        ":empty": {"M": {}},
                        ":now": {"N": str(int(now))},
                    },
                    ReturnValues="ALL_NEW",
                )
                return to_slots(response["Attributes"])
            except ClientError as exc:
                if _code(exc) != CONDITION_FAILED:
                    raise
            if attempt == 0:
                # Ask the holder for one more pass, then try once more: if it let go between
                # our two writes, nobody would see the request, but the lease is free again.
                self._update("SET rerun = :yes", {":yes": {"BOOL": True}})
        return None

    def read(self) -> Slots:
        response = client("dynamodb").get_item(
            TableName=self.table, Key=self.key, ConsistentRead=True
        )
        return to_slots(response.get("Item") or {})

    def release(self, holder: str) -> bool:
        """Let go of the lease; False when a rerun was requested (the holder passes again)."""
        if self._update(
            "REMOVE holder, lease_until",
            {":me": {"S": holder}, ":no": {"BOOL": False}},
            "holder = :me AND (attribute_not_exists(rerun) OR rerun = :no)",
        ):
            return True
        # A rerun was requested (or the lease is lost: then the reset fails and we stop).
        return not self._update(
            "SET rerun = :no", {":me": {"S": holder}, ":no": {"BOOL": False}}, "holder = :me"
        )

    def give_up(self, holder: str) -> None:
        """Let go whatever was requested: out of time, the next tick takes over."""
        self._update("REMOVE holder, lease_until", {":me": {"S": holder}}, "holder = :me")

    def reserve(
        self,
        holder: str,
        batch_id: str,
        now: float,
        limit: int,
        requested_at: float | None = None,
    ) -> bool:
        """Enter a batch before its start: the semaphore's conditional write. ``requested_at``:
        the time of the upstream request a derived pipeline's batch serves (kept with the entry,
        so that a start that never happened reopens the request as it was)."""
        entry: dict[str, Any] = {"since": {"N": str(int(now))}, "settled": {"BOOL": False}}
        if requested_at is not None:
            entry["requested_at"] = {"N": str(int(requested_at))}
        return self._update(
            "SET runs.#b = :entry",
            {
                ":me": {"S": holder},
                ":limit": {"N": str(limit)},
                ":entry": {"M": entry},
            },
            "holder = :me AND size(runs) < :limit",
            names={"#b": batch_id},
        )

    def record_run(self, batch_id: str, run_id: str, *, settled: bool = False) -> bool:
        return self._update(
            "SET runs.#b.run_id = :run, runs.#b.settled = :settled",
            {":run": {"S": run_id}, ":settled": {"BOOL": settled}},
            "attribute_exists(runs.#b)",
            names={"#b": batch_id},
        )

    def free(self, batch_id: str) -> None:
        self._update("REMOVE runs.#b", {}, None, names={"#b": batch_id})

    def free_ended(self, batch_id: str, run_id: str) -> bool:
        """Free the slot of a run known to be over, if its claims are recorded.

        No lease needed: removing a finished run's entry only makes room, and `reserve` checks
        the count itself. An unsettled entry stays for the lease holder, which records its
        claims first (freed unsettled, they would look like a crashed start's and be taken
        into a second run).
        """
        return self._update(
            "REMOVE runs.#b",
            {":run": {"S": run_id}, ":yes": {"BOOL": True}},
            "runs.#b.run_id = :run AND runs.#b.settled = :yes",
            names={"#b": batch_id},
        )

    def request_flush(self, now: float) -> None:
        """Scheduled pipelines: everything accepted until now is due."""
        self._update(
            "SET flush_before = :now, runs = if_not_exists(runs, :empty)",
            {":now": {"N": str(int(now))}, ":empty": {"M": {}}},
        )

    def request_changes(self, now: float) -> None:
        """Derived pipelines: an upstream published; the oldest unserved request's time stays."""
        self._update(
            "SET changes_since = if_not_exists(changes_since, :now), "
            "runs = if_not_exists(runs, :empty)",
            {":now": {"N": str(int(now))}, ":empty": {"M": {}}},
        )

    def take_changes(self, holder: str, since: float) -> bool:
        """The lease holder takes the request it read, to start a run for it."""
        return self._update(
            "REMOVE changes_since",
            {":me": {"S": holder}, ":since": {"N": str(int(since))}},
            "holder = :me AND changes_since = :since",
        )

    def restore_changes(self, since: float) -> None:
        """A start that did not happen: the request is open again, with its original time
        (unless a newer request is open already, which then covers it)."""
        self._update(
            "SET changes_since = if_not_exists(changes_since, :since)",
            {":since": {"N": str(int(since))}},
        )

    def _update(
        self,
        update: str,
        values: dict[str, Any],
        condition: str | None = None,
        names: dict[str, str] | None = None,
    ) -> bool:
        request: dict[str, Any] = {
            "TableName": self.table,
            "Key": self.key,
            "UpdateExpression": update,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        if names:
            request["ExpressionAttributeNames"] = names
        if condition:
            request["ConditionExpression"] = condition
        try:
            client("dynamodb").update_item(**request)
        except ClientError as exc:
            if _code(exc) == CONDITION_FAILED:
                return False
            raise
        return True


def to_slots(item: dict[str, Any]) -> Slots:
    runs: dict[str, ActiveRun] = {}
    for batch_id, value in (item.get("runs", {}).get("M") or {}).items():
        entry = value.get("M", {})
        runs[batch_id] = ActiveRun(
            batch_id=batch_id,
            run_id=entry["run_id"]["S"] if "run_id" in entry else None,
            since=float(entry.get("since", {}).get("N", 0)),
            settled=bool(entry.get("settled", {}).get("BOOL", False)),
            requested_at=float(entry["requested_at"]["N"]) if "requested_at" in entry else None,
        )
    flush = item.get("flush_before")
    changes = item.get("changes_since")
    return Slots(
        runs=runs,
        flush_before=float(flush["N"]) if flush else None,
        changes_since=float(changes["N"]) if changes else None,
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
