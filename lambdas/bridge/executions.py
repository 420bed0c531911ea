"""Step Functions access, for a pipeline whose orchestrator is the state machine.

The same three calls as `bridge.workflow` (start a run, is it still running, find a batch's
run), but the start is idempotent: the execution is named after its batch id, and a Standard
execution's name is unique per state machine for 90 days. Starting the same name again while it
runs (same input) returns the running execution; once it has closed, or with other input, the
call fails with ExecutionAlreadyExists. Either way no second execution exists, so:

- the client retries the start like any other call (botocore's standard retries: throttling,
  5xx, a lost connection) — a retried start can never run the batch twice;
- ExecutionAlreadyExists means "already started": the answer is the execution's ARN;
- a start whose answer was lost altogether (the crash window) is settled by describing the
  execution the batch id names: it exists (started) or it does not (never started). No listing.

The execution's input holds pointers only (gluekit.orchestration.INPUT_KEYS): the manifest's S3
URI, never its files.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from shared.aws import client

# The execution input's keys, as gluekit.orchestration.INPUT_KEYS names them (a test checks).
INPUT_KEYS = ("pipeline", "batch_id", "run_id", "manifest", "file_count")
# An execution in these states still holds one of the pipeline's run slots.
ACTIVE_STATUSES = frozenset({"RUNNING", "PENDING_REDRIVE"})
ALREADY_EXISTS = "ExecutionAlreadyExists"
DOES_NOT_EXIST = "ExecutionDoesNotExist"


def execution_input(properties: dict[str, str]) -> str:
    """The input of a batch's execution: the run properties a workflow run would get, plus the
    run id that names the run's data (the batch id). Canonical JSON: a retried start sends the
    very same input, which is what makes Step Functions return the running execution."""
    document = {**properties, "run_id": properties["batch_id"]}
    missing = [key for key in INPUT_KEYS if not document.get(key)]
    if missing:
        raise ValueError(f"execution input without {', '.join(missing)}")
    return json.dumps({key: document[key] for key in INPUT_KEYS}, separators=(",", ":"))


class StateMachineRuns:
    """The pipeline's executions; a run id here is an execution ARN."""

    def __init__(self, state_machine_arn: str) -> None:
        self.state_machine_arn = state_machine_arn

    def execution_arn(self, batch_id: str) -> str:
        """The ARN the execution named `batch_id` has (or would have): ARNs are not random."""
        prefix = self.state_machine_arn.replace(":stateMachine:", ":execution:", 1)
        return f"{prefix}:{batch_id}"

    def start(self, properties: dict[str, str]) -> str:
        batch_id = properties["batch_id"]
        try:
            response = client("stepfunctions").start_execution(
                stateMachineArn=self.state_machine_arn,
                name=batch_id,
                input=execution_input(properties),
            )
        except ClientError as exc:
            if _code(exc) == ALREADY_EXISTS:
                return self.execution_arn(batch_id)  # started before: the same execution
            raise
        return str(response["executionArn"])

    def is_active(self, run_id: str) -> bool:
        response = client("stepfunctions").describe_execution(executionArn=run_id)
        return str(response.get("status", "")) in ACTIVE_STATUSES

    def find_by_batch_id(self, batch_id: str) -> str | None:
        arn = self.execution_arn(batch_id)
        try:
            client("stepfunctions").describe_execution(executionArn=arn)
        except ClientError as exc:
            if _code(exc) == DOES_NOT_EXIST:
                return None
            raise
        return arn


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
