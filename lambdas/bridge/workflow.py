"""Glue access: start a workflow run, and find a run by the batch id in its run properties.

StartWorkflowRun takes no client token, so a retried request can start a second run. It is
therefore sent on a client without automatic retries; `bridge.launch` decides what may be
retried, and looks for the batch's run before retrying a request whose outcome is unknown.
"""

from __future__ import annotations

from typing import Any

from shared.aws import client, single_attempt_client

# The largest page GetWorkflowRuns serves.
RUNS_PAGE_SIZE = 1000
# A run in these states still holds one of the workflow's concurrent-run slots.
ACTIVE_STATES = frozenset({"RUNNING", "STOPPING"})


class WorkflowRuns:
    def __init__(self, workflow_name: str) -> None:
        self.workflow_name = workflow_name

    def start(self, properties: dict[str, str]) -> str:
        response = single_attempt_client("glue").start_workflow_run(
            Name=self.workflow_name, RunProperties=properties
        )
        return str(response["RunId"])

    def is_active(self, run_id: str) -> bool:
        response = client("glue").get_workflow_run(
            Name=self.workflow_name, RunId=run_id, IncludeGraph=False
        )
        return str(response["Run"].get("Status", "")) in ACTIVE_STATES

    def job_run(self, job_name: str, job_run_id: str) -> dict[str, Any]:
        """GetJobRun's JobRun: its arguments name the workflow run that started it."""
        response = client("glue").get_job_run(
            JobName=job_name, RunId=job_run_id, PredecessorsIncluded=False
        )
        run: dict[str, Any] = response["JobRun"]
        return run

    def find_by_batch_id(self, batch_id: str) -> str | None:
        """The id of the run started for `batch_id`, or None.

        Every page is read: Glue does not document the order in which it lists runs, so
        stopping early could miss the run. Only a crashed or answerless start asks this.
        """
        request: dict[str, object] = {
            "Name": self.workflow_name,
            "MaxResults": RUNS_PAGE_SIZE,
            "IncludeGraph": False,
        }
        while True:
            response = client("glue").get_workflow_runs(**request)
            runs = response.get("Runs", [])
            for run in runs:
                if (run.get("WorkflowRunProperties") or {}).get("batch_id") == batch_id:
                    return str(run["WorkflowRunId"])
            token = response.get("NextToken")
            if not token or not runs:
                return None
            request["NextToken"] = token
