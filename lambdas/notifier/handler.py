"""Lambda entry point: EventBridge (Glue job/crawler state changes, bridge quarantines) → SNS."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from notifier.config import CONFIG_ENV, NotifierConfig, parse_config
from notifier.service import notify
from notifier.telemetry import logger, metrics, tracer


@cache
def settings() -> NotifierConfig:
    """Parsed once per execution environment; a bad value fails loudly on the first event."""
    return parse_config(os.environ.get(CONFIG_ENV))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return notify(event, settings()).as_dict()
