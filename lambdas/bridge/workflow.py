"""Glue access: start a workflow run, and find a run by the batch id in its run properties.

StartWorkflowRun takes no client token, so a retried request can start a second run. It is
therefore sent on a client without automatic retries; `bridge.launch` decides what may be
retried, and looks for the batch's run before retrying a request whose outcome is unknown.
"""

from __future__ import annotations

from shared.aws import client, single_attempt_client

# How far back a lookup searches: a crashed or timed-out start is at most minutes old, far
# fewer runs than this on a workflow whose concurrency is limited.
RUNS_PAGE_SIZE = 200
RUNS_SEARCHED = 1000


class WorkflowRuns:
    def __init__(self, workflow_name: str) -> None:
        self.workflow_name = workflow_name

    def start(self, properties: dict[str, str]) -> str:
        response = single_attempt_client("glue").start_workflow_run(
            Name=self.workflow_name, RunProperties=properties
        )
        return str(response["RunId"])

    def find_by_batch_id(self, batch_id: str) -> str | None:
        """The id of the recent run started for `batch_id`, or None."""
        request: dict[str, object] = {
            "Name": self.workflow_name,
            "MaxResults": RUNS_PAGE_SIZE,
            "IncludeGraph": False,
        }
        searched = 0
        while searched < RUNS_SEARCHED:
            response = client("glue").get_workflow_runs(**request)
            runs = response.get("Runs", [])
            for run in runs:
                if (run.get("WorkflowRunProperties") or {}).get("batch_id") == batch_id:
                    return str(run["WorkflowRunId"])
            searched += len(runs)
            token = response.get("NextToken")
            if not token or not runs:
                return None
            request["NextToken"] = token
        return None
