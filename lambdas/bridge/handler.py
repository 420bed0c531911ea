"""Lambda entry point of the bridge (`bridge.handler.lambda_handler`).

Accepts two event shapes:
- an SQS batch (`{"Records": [...]}`, eventSource "aws:sqs") whose message bodies are S3
  "Object Created" events from EventBridge: returns a partial batch response
  (`{"batchItemFailures": [...]}`; the event source mapping needs ReportBatchItemFailures);
- an EventBridge "Scheduled Event" (`{"source": "aws.events", "detail-type": "Scheduled
  Event"}`) from the pipeline's flush rule: starts runs for everything pending.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from bridge import clock, flush, intake
from bridge.config import CONFIG_ENV, BridgeConfig, load_config
from bridge.runtime import Gateways, Invocation
from bridge.telemetry import logger, metrics, publish, tracer

# A start that fails fails every record of the batch; that is a normal partial response, not an
# invocation error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class UnsupportedEvent(ValueError):
    """Neither an SQS batch nor a scheduled event."""


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
    if is_scheduled_event(event):
        summary = flush.flush_pending(
            config, gateways, invocation, lambda: context.get_remaining_time_in_millis() / 1000
        )
        publish(summary.tally, config.pipeline)
        summary.raise_if_incomplete()
        return summary.as_response()
    if not is_sqs_event(event):
        raise UnsupportedEvent(f"not an SQS batch nor a scheduled event: keys {sorted(event)}")
    verdicts = intake.process_batch(SQSEvent(event).records, config, gateways, invocation)
    publish(verdicts.tally, config.pipeline)
    return process_partial_response(
        event=event, record_handler=verdicts.settle, processor=processor, context=context
    )


def is_scheduled_event(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def is_sqs_event(event: dict[str, Any]) -> bool:
    records = event.get("Records")
    return isinstance(records, list) and all(
        isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records
    )
