"""Starting one workflow run for one batch: write its manifest, start, and know the outcome.

StartWorkflowRun has no client token, so the outcome of a request that failed without an answer
(a lost connection, a read timeout, a 5xx, Glue's OperationTimeoutException) is unknown: the run
may exist. Such a failure is not retried: the batch id of the run properties is looked up among
the workflow's runs, and if the run is not (yet) listed the outcome stays unknown. Only a
refusal that Glue answered (4xx: ConcurrentRunsExceededException, throttling, a bad request)
proves that no run started, and only then may the caller return the batch's objects to
PENDING. Nothing is retried here: a refused batch simply waits for the next start (an
arrival, the tick, the end of a run), which is the back-pressure. When the outcome is unknown
the claims are kept, and a later start looks for the batch's run again before it takes the
objects back. A second run is never started on a guess.

With the state machine as orchestrator the same rules hold, and the start itself is idempotent
(`bridge.executions`): an execution named after the batch id is started once at most, its
client retries freely, and "already exists" is an answer that it started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from bridge.config import BridgeConfig
from bridge.events import ObjectRef
from bridge.manifest import build_manifest, manifest_key, run_properties
from bridge.runtime import Gateways, Runs
from bridge.telemetry import logger

THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)
# Answered with a 4xx, yet the request may have been carried out.
UNCERTAIN_CODES = frozenset(
    {"OperationTimeoutException", "RequestTimeout", "RequestTimeoutException"}
)


@dataclass(frozen=True)
class Started:
    run_id: str
    reconciled: bool = False


@dataclass(frozen=True)
class NotStarted:
    reason: str
    # True: Glue refused, no run exists, the claims may be released. False: unknown.
    certain: bool


def launch(
    objects: Sequence[ObjectRef],
    batch_id: str,
    config: BridgeConfig,
    gateways: Gateways,
    now: float,
) -> Started | NotStarted:
    manifest = build_manifest(config, batch_id, objects, now)
    try:
        gateways.objects.put_json(
            config.buckets.artifacts, manifest_key(config, batch_id), manifest
        )
    except (BotoCoreError, ClientError) as exc:
        return NotStarted(f"the manifest could not be written: {exc}", certain=True)
    properties = run_properties(config, batch_id, len(objects))
    return start_run(gateways.runs, properties, batch_id)


def start_run(runs: Runs, properties: dict[str, str], batch_id: str) -> Started | NotStarted:
    try:
        return Started(runs.start(properties))
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in THROTTLING_CODES:
            return NotStarted(f"{code}: Glue throttled StartWorkflowRun", certain=True)
        if 400 <= status < 500 and code not in UNCERTAIN_CODES:
            return NotStarted(f"{code}: {exc}", certain=True)
        return _reconcile_after(runs, batch_id, f"{code or status}: {exc}")
    except BotoCoreError as exc:
        return _reconcile_after(runs, batch_id, f"{type(exc).__name__}: {exc}")


def _reconcile_after(runs: Runs, batch_id: str, reason: str) -> Started | NotStarted:
    """After an answerless failure: did the run start anyway?"""
    try:
        run_id = runs.find_by_batch_id(batch_id)
    except (BotoCoreError, ClientError) as exc:
        return NotStarted(f"{reason}; looking for the run failed too: {exc}", certain=False)
    if run_id is not None:
        logger.info("the failed start did start a run", batch_id=batch_id, run_id=run_id)
        return Started(run_id, reconciled=True)
    return NotStarted(reason, certain=False)
