"""AWS clients, created lazily in one place so tests and the local runner can swap them.

botocore's standard retry mode retries throttling and transient errors with backoff; the
clients are built on first use, after moto (in tests) has started.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=RETRY_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests start a fresh moto per test)."""
    client.cache_clear()
