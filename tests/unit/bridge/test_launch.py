"""Starting a run: nothing is retried, an answerless failure is looked up, and only a refusal
Glue answered lets the objects go back to PENDING."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from bridge.launch import NotStarted, Started, start_run
from bridge.workflow import WorkflowRuns


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": code},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "StartWorkflowRun")


@dataclass
class FakeRuns(WorkflowRuns):
    """Glue's answers in order; `listed` is what a lookup by batch id finds."""

    answers: list[str | Exception] = field(default_factory=list)
    listed: str | None = None
    starts: int = 0
    lookups: int = 0

    def __post_init__(self) -> None:
        super().__init__("wf")

    def start(self, properties: dict[str, str]) -> str:
        self.starts += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def find_by_batch_id(self, batch_id: str) -> str | None:
        self.lookups += 1
        return self.listed


def test_a_start_that_answers_is_started() -> None:
    runs = FakeRuns(answers=["wr_1"])
    assert start_run(runs, {}, "b") == Started("wr_1")
    assert runs.lookups == 0


def test_concurrent_runs_exceeded_is_a_certain_refusal_and_not_retried() -> None:
    runs = FakeRuns(answers=[client_error("ConcurrentRunsExceededException", 400)])
    outcome = start_run(runs, {}, "b")
    assert isinstance(outcome, NotStarted) and outcome.certain
    assert "ConcurrentRunsExceededException" in outcome.reason
    assert runs.starts == 1


def test_throttling_is_a_certain_refusal_and_not_retried() -> None:
    # The objects wait for the next start (arrival, tick, run end): that is the backoff.
    runs = FakeRuns(answers=[client_error("ThrottlingException", 400), "wr_never"])
    outcome = start_run(runs, {}, "b")
    assert isinstance(outcome, NotStarted) and outcome.certain
    assert runs.starts == 1


@pytest.mark.parametrize(
    "error",
    [
        client_error("InternalServiceException", 500),
        client_error("OperationTimeoutException", 400),
        EndpointConnectionError(endpoint_url="https://glue.us-east-1.amazonaws.com"),
    ],
    ids=["5xx", "operation-timeout", "connection"],
)
def test_answerless_failure_is_looked_up_and_never_retried(error: Exception) -> None:
    lost = FakeRuns(answers=[error, "wr_never"], listed="wr_found")
    assert start_run(lost, {}, "b") == Started("wr_found", reconciled=True)

    unknown = FakeRuns(answers=[error, "wr_never"], listed=None)
    outcome = start_run(unknown, {}, "b")
    assert isinstance(outcome, NotStarted) and not outcome.certain
    assert unknown.starts == 1 and unknown.lookups == 1
