"""The bridge's own modules, pointed at a deployed pipeline: its configuration as rendered at
synth (`gluekit.render.bridge_config`), its claim store and slot semaphore, and what waits.

The commands never write the claims table themselves: every write goes through the bridge's
claim store and slot store (`bridge.claim_store`, `bridge.slots`), so a manual start obeys
the same conditional transitions as the deployed function.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.ops.errors import OpsError, explain
from gluekit.ops.session import Pipeline
from gluekit.render import bridge_config as render_bridge_config

if TYPE_CHECKING:
    from bridge.config import BridgeConfig
    from bridge.runtime import Gateways


def bridge_config(pipeline: Pipeline) -> BridgeConfig:
    from bridge.config import BridgeConfig

    machine = pipeline.state_machine_arn if pipeline.spec.orchestrator == "step-functions" else None
    return BridgeConfig.from_dict(
        render_bridge_config(pipeline.spec, pipeline.target.foundation, machine)
    )


def gateways(pipeline: Pipeline) -> Gateways:
    """The bridge's data-access gateways (clients from the target's session, made default)."""
    from bridge.runtime import Gateways

    quiet_bridge_logs()
    return Gateways.for_config(bridge_config(pipeline))


def quiet_bridge_logs() -> None:
    """The bridge logs JSON to stdout for CloudWatch; here only its errors, and on stderr."""
    from bridge.telemetry import logger

    logger.setLevel(logging.ERROR)
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.stream = _CURRENT_STDERR  # not setStream: that flushes the old stream


class _CurrentStderr:
    """Whatever sys.stderr is when a line is written (it may be replaced after this is set)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_CURRENT_STDERR = _CurrentStderr()


@dataclass(frozen=True)
class Pending:
    """Files accepted by the bridge and waiting for a run."""

    count: int
    complete: bool  # False: more than the count wait (the count stopped at its page cap)
    oldest_accepted_at: float | None

    def oldest_age(self, now: float) -> float | None:
        return None if self.oldest_accepted_at is None else max(0.0, now - self.oldest_accepted_at)


def pending(pipeline: Pipeline) -> Pending:
    try:
        store = gateways(pipeline).claims
        total, complete = store.count_waiting()
        oldest = next(iter(store.waiting(1)), None)
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(
            explain(
                exc,
                f"reading the claims table {pipeline.target.foundation.claims_table}",
                deploy_hint=pipeline.target.deploy_command(pipeline.target.foundation.stack),
            )
        ) from None
    return Pending(total, complete, oldest.accepted_at if oldest else None)
