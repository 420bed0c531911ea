"""Lambda entry point of the bridge (`bridge.handler.lambda_handler`).

Accepts these event shapes; every one ends in `bridge.dispatch`, which starts runs from the
pending set when a slot is free:
- an SQS batch (`{"Records": [...]}`, eventSource "aws:sqs") whose message bodies are S3
  "Object Created" events from EventBridge: records the objects as PENDING and returns a
  partial batch response (`{"batchItemFailures": [...]}`; the event source mapping needs
  ReportBatchItemFailures), then tries a start;
- an EventBridge "Scheduled Event" (source aws.events): the pipeline's tick rule (every minute)
  or, on a scheduled pipeline, its cron flush rule;
- a "Glue Job State Change" (source aws.glue) from the run-end rule: the last job succeeded or
  a job failed, so the run is over and its slot is freed on the event (`bridge.run_end`), even
  while GetWorkflowRun still reads it RUNNING;
- with the state machine as orchestrator, a "Step Functions Execution Status Change" (source
  aws.states) from the run-end rule instead: the execution ended, its slot is freed;
- for a derived pipeline (trigger.after), the same two shapes from an upstream's publish job or
  state machine, SUCCEEDED: the upstream published, a run is requested (`bridge.dispatch`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from bridge import clock, intake
from bridge.config import CONFIG_ENV, BridgeConfig, load_config
from bridge.dispatch import DispatchSummary, Trigger, dispatch
from bridge.run_end import ended_execution_arn, ended_run_id, job_end_of
from bridge.runtime import Gateways, Invocation
from bridge.telemetry import Tally, Waiting, logger, metrics, publish, tracer
from bridge.workflow import WorkflowRuns

EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change"

# Every record failing (say, DynamoDB is unreachable) is a normal partial response: SQS
# redelivers them; it is not an invocation error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class UnsupportedEvent(ValueError):
    """Not an SQS batch, a scheduled event, nor a Glue job state change."""


@cache
def runtime() -> tuple[BridgeConfig, Gateways]:
    """The configuration, parsed once per execution environment, and the gateways built on it."""
    config = load_config(os.environ)
    return config, Gateways.for_config(config)


if CONFIG_ENV in os.environ:
    # Cold start: a broken configuration fails the function's init, before any message is taken.
    runtime()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Mapping[str, Any]:
    config, gateways = runtime()
    invocation = Invocation.begin(context, clock.now())

    def seconds_left() -> float:
        return context.get_remaining_time_in_millis() / 1000

    if is_sqs_event(event):
        verdicts = intake.process_batch(SQSEvent(event).records, config, gateways, invocation)
        tally = verdicts.tally
        if tally.accepted:
            # The records are settled already: whatever happens here fails none of them.
            summary = _start_safely(config, gateways, invocation, seconds_left, Trigger.ARRIVAL)
            tally.add(summary.tally)
        publish(tally, config.pipeline, _waiting(config, gateways, invocation, count=False))
        return process_partial_response(
            event=event, record_handler=verdicts.settle, processor=processor, context=context
        )
    trigger = trigger_of(event, config)
    if trigger is None:
        raise UnsupportedEvent(f"not an event the bridge handles: keys {sorted(event)}")
    ended = _ended_run(event, config, gateways) if trigger is Trigger.RUN_END else None
    summary = dispatch(config, gateways, invocation, seconds_left, trigger, ended)
    publish(summary.tally, config.pipeline, _waiting(config, gateways, invocation, count=True))
    return summary.as_response()


def _ended_run(event: dict[str, Any], config: BridgeConfig, gateways: Gateways) -> str | None:
    """The run a run-end event says is over: an execution ARN, or a workflow run id."""
    if event.get("source") == "aws.states":
        return ended_execution_arn(event, config)
    end = job_end_of(event)
    if end is None or not isinstance(gateways.runs, WorkflowRuns):
        return None  # a Glue job event reaching a state machine's bridge names no slot
    return ended_run_id(end, config, gateways.runs)


def _start_safely(
    config: BridgeConfig,
    gateways: Gateways,
    invocation: Invocation,
    seconds_left: Callable[[], float],
    trigger: Trigger,
) -> DispatchSummary:
    try:
        return dispatch(config, gateways, invocation, seconds_left, trigger)
    except Exception:
        # The objects are PENDING: the tick (within a minute) starts them.
        logger.exception("starting runs after arrival failed; the tick retries")
        summary = DispatchSummary(trigger)
        summary.tally = Tally(start_failures=1)
        return summary


def _waiting(
    config: BridgeConfig, gateways: Gateways, invocation: Invocation, *, count: bool
) -> Waiting:
    """How long the oldest due object has waited (one item read); on ticks, how many wait.

    On a scheduled pipeline objects are due from the flush on, not from their arrival: a file
    that waits for tonight's cron is not late.
    """
    now = invocation.now
    if config.derived:  # what waits is the upstreams' unserved publish, if any
        since = gateways.slots.read().changes_since
        age = 0.0 if since is None else max(0.0, now - since)
        return Waiting(count=int(since is not None) if count else None, oldest_age_seconds=age)
    before = gateways.slots.read().flush_before if config.scheduled else None
    if config.scheduled and before is None:
        oldest = None
    else:
        oldest = next(iter(gateways.claims.waiting(1, before)), None)
    if oldest is None:
        age = 0.0
    else:
        since = before if before is not None else (oldest.accepted_at or now)
        age = max(0.0, now - since)
    total = gateways.claims.count_waiting()[0] if count else None
    return Waiting(count=total, oldest_age_seconds=age)


def trigger_of(event: dict[str, Any], config: BridgeConfig) -> Trigger | None:
    source, detail_type = event.get("source"), event.get("detail-type")
    if source == "aws.events" and detail_type == "Scheduled Event":
        rules = [str(r).rsplit("/", 1)[-1] for r in event.get("resources") or []]
        if config.scheduled and config.tick_rule not in rules:
            return Trigger.FLUSH
        return Trigger.TICK
    detail = event.get("detail") or {}
    if source == "aws.glue" and detail_type == "Glue Job State Change":
        if detail.get("jobName") in {u.publish_job for u in config.upstreams}:
            return Trigger.UPSTREAM if detail.get("state") == "SUCCEEDED" else None
        # The run-end rule's pattern already chose the pipeline's jobs and states.
        return Trigger.RUN_END
    if source == "aws.states" and detail_type == EXECUTION_STATUS_CHANGE:
        machine = str(detail.get("stateMachineArn", "")).rsplit(":", 1)[-1]
        if machine in {u.state_machine for u in config.upstreams}:
            return Trigger.UPSTREAM if detail.get("status") == "SUCCEEDED" else None
        return Trigger.RUN_END
    return None


def is_sqs_event(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return isinstance(records, list) and all(
        isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records
    )
