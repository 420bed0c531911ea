"""What a service call needs besides the configuration: the data-access gateways, and the
invocation's time frame (when it started, when Lambda will stop it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bridge.announcements import Announcer
from bridge.claim_store import DynamoClaimStore
from bridge.claims import LEASE_MARGIN_SECONDS
from bridge.config import BridgeConfig
from bridge.executions import StateMachineRuns
from bridge.slots import DynamoSlotStore
from bridge.storage import ObjectStore
from bridge.workflow import WorkflowRuns

# Without a Lambda context (local runner, benchmarks) an invocation may last Lambda's maximum.
DEFAULT_REMAINING_SECONDS = 900.0


class RemainingTime(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class Runs(Protocol):
    """Who runs a batch: the Glue workflow (`bridge.workflow`) or the state machine
    (`bridge.executions`). A run id is a workflow run id or an execution ARN."""

    def start(self, properties: dict[str, str]) -> str: ...

    def is_active(self, run_id: str) -> bool: ...

    def find_by_batch_id(self, batch_id: str) -> str | None: ...


@dataclass(frozen=True)
class Gateways:
    claims: DynamoClaimStore
    slots: DynamoSlotStore
    objects: ObjectStore
    runs: Runs
    announcer: Announcer

    @classmethod
    def for_config(cls, config: BridgeConfig) -> Gateways:
        return cls(
            claims=DynamoClaimStore(config.claims_table, config.pipeline),
            slots=DynamoSlotStore(config.claims_table, config.pipeline),
            objects=ObjectStore(),
            runs=(
                StateMachineRuns(config.state_machine_arn)
                if config.uses_state_machine
                else WorkflowRuns(config.workflow_name)
            ),
            announcer=Announcer(config.event_source),
        )


@dataclass(frozen=True)
class Invocation:
    now: float
    deadline: float

    @classmethod
    def begin(cls, context: RemainingTime | None, now: float) -> Invocation:
        remaining = (
            context.get_remaining_time_in_millis() / 1000
            if context is not None
            else DEFAULT_REMAINING_SECONDS
        )
        return cls(now=now, deadline=now + remaining)

    @property
    def lease_until(self) -> float:
        """Claims taken now are this invocation's until Lambda has certainly stopped it."""
        return self.deadline + LEASE_MARGIN_SECONDS
