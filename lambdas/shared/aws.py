"""AWS clients, created lazily in one place so tests and the local runner can swap them.

botocore's standard retry mode retries throttling and transient errors with backoff; the
clients are built on first use, after moto (in tests) has started.

A retry resends the request, which is harmless only for idempotent calls. For a call that is
not (glue StartWorkflowRun has no client token: a retry after a lost response starts a second
run), use `single_attempt_client` and decide about retries in the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})
SINGLE_ATTEMPT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1})
# boto3's stubs type `client` per service-name literal; the kit passes names as plain strings.
_new_client: Callable[..., Any] = boto3.client


@cache
def client(service: str) -> Any:
    return _new_client(service, config=RETRY_CONFIG)


@cache
def single_attempt_client(service: str) -> Any:
    """A client that sends each request once: botocore never retries it."""
    return _new_client(service, config=SINGLE_ATTEMPT_CONFIG)


def reset_clients() -> None:
    """Forget cached clients (tests start a fresh moto per test)."""
    client.cache_clear()
    single_attempt_client.cache_clear()
