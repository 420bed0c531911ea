"""The Step Functions orchestrator's plan, in plain Python: one source for CDK and the local runner.

A pipeline with ``orchestrator: step-functions`` runs the same three Glue jobs as the Glue
workflow, but a Standard state machine calls them (``glue:startJobRun.sync``). What the machine
does is decided here, as data: the execution's input, each step's job arguments, the retries,
the timeouts and the alert a caught failure sends. ``infra/constructs/pipeline_state_machine.py``
turns the plan into CDK L2 states; ``gluekit.local.executions`` plays it on local Spark. Neither
decides anything of its own, so what runs on a laptop is what is deployed.

The execution input (written by the bridge, ``lambdas/bridge/executions.py``) holds pointers only
(the manifest's S3 URI, never the file list): a Step Functions payload is limited to 256 KB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gluekit.naming import STEPS
from gluekit.spec import PipelineSpec

GLUE_WORKFLOW = "glue-workflow"
STEP_FUNCTIONS = "step-functions"

# The execution input's keys. The bridge writes them (lambdas/bridge/executions.py keeps the same
# names; a test checks), a resume or replay started by hand writes them too.
INPUT_KEYS = ("pipeline", "batch_id", "run_id", "manifest", "file_count")
# Optional: the step a resumed execution starts at (validate or publish; default transform).
START_AT_KEY = "start_at"
RESUMABLE_STEPS = ("validate", "publish")

# Every step job gets the run id that names the run's data (staged/<run_id>/, the report) and
# the manifest. A job started outside a Glue workflow reads exactly these (gluekit_glue.arguments).
STEP_ARGUMENTS = {"--run_id": "$.run_id", "--manifest": "$.manifest"}

# Glue's own job timeout fires first, so a slow run ends as a TIMEOUT job run with Glue's
# message; the task's TimeoutSeconds is the backstop for a job run Glue never reports on.
TASK_TIMEOUT_MARGIN_SECONDS = 300
# Calls that return at once: starting the raw crawler, invoking the notifier.
QUICK_TASK_TIMEOUT_SECONDS = 60
QUICK_TASK_MAX_ATTEMPTS = 3  # Lambda's own service-exception retries (CDK's default retrier)

# Glue refused to start the job: no job run exists, so trying again later is safe. Busy Glue
# (another run of the job holds its concurrency) and throttling are waited out with backoff and
# full jitter, so concurrent executions do not retry in step. A start Glue may have carried out
# (OperationTimeout, 5xx) is not retried: StartJobRun has no idempotency token.
BUSY_ERRORS = ("Glue.ConcurrentRunsExceededException",)
THROTTLING_ERRORS = ("Glue.ThrottlingException", "Glue.ResourceNumberLimitExceededException")
# A failed, timed-out or stopped job run fails its task with States.TaskFailed, the job run
# (state, error message) as the cause. Retried only when the spec asks for job.retries.
JOB_RUN_FAILED = "States.TaskFailed"
CRAWLER_RUNNING = "Glue.CrawlerRunningException"

# The alert a caught failure sends: the notifier reads it like the EventBridge events it gets
# (lambdas/notifier/execution_events.py keeps the same names; a test checks).
STEP_FAILED_SOURCE = "gluekit.orchestrator"
STEP_FAILED_DETAIL_TYPE = "Pipeline Step Failed"
# The machine ends with this error after the alert went out; any other error in a FAILED
# execution (the alert itself failed) is the notifier's cue to alert from the execution's end.
STEP_FAILED_ERROR = "gluekit.StepFailed"
ALERT_NOT_SENT_ERROR = "gluekit.AlertNotSent"
# Where a Catch puts the error (Error, Cause), and where each step's Pass state names the step.
ERROR_PATH = "$.error"
FAILED_STEP_PATH = "$.failed_step"


@dataclass(frozen=True)
class RetryPolicy:
    errors: tuple[str, ...]
    interval_seconds: int
    backoff_rate: float
    max_attempts: int
    max_delay_seconds: int
    jitter: bool = True

    def worst_wait_seconds(self) -> int:
        """The longest the retries of one task can wait in all (before jitter shortens them)."""
        waits = (
            min(self.interval_seconds * self.backoff_rate**attempt, self.max_delay_seconds)
            for attempt in range(self.max_attempts)
        )
        return int(sum(waits))


BUSY_RETRY = RetryPolicy(
    errors=(*BUSY_ERRORS, *THROTTLING_ERRORS),
    interval_seconds=30,
    backoff_rate=2.0,
    max_attempts=6,
    max_delay_seconds=600,
)


def step_retries(spec: PipelineSpec) -> tuple[RetryPolicy, ...]:
    """The retriers of every step task, in the order Step Functions tries them.

    The busy retrier comes first: States.TaskFailed matches every error but States.Timeout, so
    in front it would count Glue's refusals against job.retries.
    """
    policies = [BUSY_RETRY]
    if spec.job.retries:
        policies.append(
            RetryPolicy(
                errors=(JOB_RUN_FAILED,),
                interval_seconds=60,
                backoff_rate=2.0,
                max_attempts=spec.job.retries,
                max_delay_seconds=900,
            )
        )
    return tuple(policies)


def task_timeout_seconds(spec: PipelineSpec) -> int:
    """TimeoutSeconds of one step's task (per attempt)."""
    return spec.job.timeout_minutes * 60 + TASK_TIMEOUT_MARGIN_SECONDS


def machine_timeout_seconds(spec: PipelineSpec) -> int:
    """TimeoutSeconds of the whole execution: every step's worst case, plus the quick tasks.

    A step's worst case is each attempt running into its task timeout, plus every retry wait.
    """
    attempts = 1 + spec.job.retries
    per_step = attempts * task_timeout_seconds(spec) + sum(
        policy.worst_wait_seconds() for policy in step_retries(spec)
    )
    quick = 2 * QUICK_TASK_MAX_ATTEMPTS * QUICK_TASK_TIMEOUT_SECONDS  # crawler start, alert
    return len(STEPS) * per_step + quick


def execution_input(
    pipeline: str,
    batch_id: str,
    manifest_uri: str,
    file_count: int,
    *,
    run_id: str | None = None,
    start_at: str | None = None,
) -> dict[str, str]:
    """An execution's input: the bridge's start, or a resume / replay by hand (runbook)."""
    document = {
        "pipeline": pipeline,
        "batch_id": batch_id,
        "run_id": run_id or batch_id,
        "manifest": manifest_uri,
        "file_count": str(file_count),
    }
    if start_at is not None:
        if start_at not in RESUMABLE_STEPS:
            raise ValueError(f"start_at must be one of {', '.join(RESUMABLE_STEPS)}")
        document[START_AT_KEY] = start_at
    return document


def step_arguments(execution: dict[str, Any]) -> dict[str, str]:
    """The job arguments a step task passes, resolved against an execution's input."""
    return {name: str(execution[path.removeprefix("$.")]) for name, path in STEP_ARGUMENTS.items()}


def steps_from(start_at: str | None) -> tuple[str, ...]:
    """The steps an execution runs, in order, from its optional start_at."""
    if start_at in RESUMABLE_STEPS:
        return STEPS[STEPS.index(start_at) :]
    return STEPS


# The notifier's event, field by field: literal values, or paths into the state (``$.``) and
# the context object (``$$.``). CDK writes these as the Lambda task's payload; the local runner
# resolves them with `failure_event`.
def failure_event_template(pipeline: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "$$.Execution.Name",
        "source": STEP_FAILED_SOURCE,
        "detail-type": STEP_FAILED_DETAIL_TYPE,
        "time": "$$.State.EnteredTime",
        "detail": {
            "pipeline": pipeline,
            "step": FAILED_STEP_PATH,
            "execution_arn": "$$.Execution.Id",
            "state_machine_arn": "$$.StateMachine.Id",
            "batch_id": "$.batch_id",
            "run_id": "$.run_id",
            "manifest": "$.manifest",
            # The whole caught error {Error, Cause}: a path to a Cause that is absent (a task
            # timeout may carry none) would fail the alert's own task.
            "error": ERROR_PATH,
        },
    }


def failure_event(pipeline: str, state: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """The template resolved as Step Functions resolves it (used by the local runner)."""

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        if not isinstance(value, str) or not value.startswith("$"):
            return value
        source, path = (context, value[3:]) if value.startswith("$$.") else (state, value[2:])
        found: Any = source
        for part in path.split("."):
            found = found[part]
        return found

    resolved: dict[str, Any] = resolve(failure_event_template(pipeline))
    return resolved
