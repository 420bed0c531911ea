"""A step-functions pipeline's runs (spec ``orchestrator: step-functions``), read as the
commands show a Glue workflow's runs (`gluekit.ops.glue_runs.RunView`).

A run is an execution of the pipeline's state machine, named after its batch id: the run id the
commands take is that name. Its input holds what a workflow run's properties hold (manifest,
batch id, file count) and the run id naming its data. The steps are Glue job runs the machine
started with ``--run_id``: each step's latest such run is found among its job's runs (Step
Functions' history is not needed, and keeps only 90 days).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.naming import STEPS
from gluekit.ops.errors import OpsError, error_code
from gluekit.ops.glue_runs import DATA_RUN_ID, MAX_RUNS_LISTED, GlueRuns, RunView, job_run_view
from gluekit.ops.session import Pipeline

ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
# Job runs looked at per step: GetJobRuns lists a job's runs newest first in practice, but does
# not say so; a run's steps are among the latest few hundred of each job.
MAX_JOB_RUNS = 500


class ExecutionRuns(GlueRuns):
    """The same views and artifacts as `GlueRuns`, from the state machine and the jobs."""

    def __init__(self, pipeline: Pipeline) -> None:
        super().__init__(pipeline)
        self.stepfunctions = pipeline.client("stepfunctions")
        self.machine_arn = pipeline.state_machine_arn

    def execution_arn(self, run_id: str) -> str:
        """An execution's ARN from its name (the run id the commands show)."""
        if run_id.startswith("arn:"):
            return run_id
        return self.machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{run_id}"

    # ------------------------------------------------------------------------------- runs
    def run(self, run_id: str) -> RunView:
        arn = self.execution_arn(run_id)
        try:
            execution = self.stepfunctions.describe_execution(executionArn=arn)
        except ClientError as exc:
            if error_code(exc) in ("ExecutionDoesNotExist", "StateMachineDoesNotExist"):
                raise OpsError(
                    f"no execution {run_id} of state machine {self.pipeline.names.state_machine} "
                    f"(list the recent ones with: gluekit status {self.pipeline.name}); if the "
                    f"machine itself is missing, deploy it: {self.pipeline.deploy_command}"
                ) from None
            raise OpsError(self._explain(exc, f"reading execution {run_id}")) from None
        except BotoCoreError as exc:
            raise OpsError(self._explain(exc, f"reading execution {run_id}")) from None
        properties = _input_properties(execution.get("input"))
        data_run_id = properties.get(DATA_RUN_ID) or run_id
        return RunView(
            run_id=str(execution.get("name") or run_id),
            status=str(execution.get("status") or "-"),
            started=execution.get("startDate"),
            completed=execution.get("stopDate"),
            properties=properties,
            steps=self._steps(data_run_id),
            error_message=_execution_error(execution),
        )

    def listing(self) -> list[Mapping[str, Any]]:
        """The executions, newest first, in the shape the workflow listing has (its run id and
        start; the properties are in each execution's input, read by `run`)."""
        listed: list[Mapping[str, Any]] = []
        request: dict[str, Any] = {"stateMachineArn": self.machine_arn, "maxResults": 100}
        try:
            while len(listed) < MAX_RUNS_LISTED:
                page = self.stepfunctions.list_executions(**request)
                for execution in page.get("executions") or []:
                    listed.append(
                        {
                            "WorkflowRunId": execution["name"],
                            "Status": execution.get("status"),
                            "StartedOn": execution.get("startDate"),
                            "CompletedOn": execution.get("stopDate"),
                            "WorkflowRunProperties": {},
                        }
                    )
                token = page.get("nextToken")
                if not token:
                    break
                request["nextToken"] = token
        except (BotoCoreError, ClientError) as exc:
            raise OpsError(self._explain(exc, "listing the state machine's executions")) from None
        return sorted(listed, key=_started, reverse=True)

    def last_published(self, listing: list[Mapping[str, Any]]) -> datetime | None:
        """publish is the machine's last step: the latest execution that succeeded."""
        ended = [r.get("CompletedOn") for r in listing if r.get("Status") == "SUCCEEDED"]
        moments = [m for m in ended if isinstance(m, datetime)]
        return max(moments) if moments else None

    def _steps(self, data_run_id: str) -> dict[str, Any]:
        steps = {}
        for step in STEPS:
            found = self._job_runs(self.pipeline.names.job(step), data_run_id)
            if found:
                latest = max(found, key=lambda r: (int(r.get("Attempt") or 0), _started(r)))
                steps[step] = job_run_view(step, latest)
        return steps

    def _job_runs(self, job_name: str, data_run_id: str) -> list[Mapping[str, Any]]:
        """The job's runs started for this run (their --run_id argument)."""
        found: list[Mapping[str, Any]] = []
        request: dict[str, Any] = {"JobName": job_name, "MaxResults": 200}
        seen = 0
        try:
            while seen < MAX_JOB_RUNS:
                page = self.glue.get_job_runs(**request)
                runs = page.get("JobRuns") or []
                seen += len(runs)
                found += [
                    r for r in runs if (r.get("Arguments") or {}).get("--run_id") == data_run_id
                ]
                token = page.get("NextToken")
                if not token or not runs:
                    break
                request["NextToken"] = token
        except ClientError as exc:
            if error_code(exc) == "EntityNotFoundException":
                return []
            raise OpsError(self._explain(exc, f"listing the runs of job {job_name}")) from None
        except BotoCoreError as exc:
            raise OpsError(self._explain(exc, f"listing the runs of job {job_name}")) from None
        return found


def runs_of(pipeline: Pipeline) -> GlueRuns:
    """The pipeline's runs, whoever orchestrates them."""
    from gluekit.orchestration import STEP_FUNCTIONS

    if pipeline.spec.orchestrator == STEP_FUNCTIONS:
        return ExecutionRuns(pipeline)
    return GlueRuns(pipeline)


def _input_properties(text: Any) -> dict[str, str]:
    """The execution input as run properties; its run id is the data's (DATA_RUN_ID)."""
    try:
        document = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        return {}
    properties = {k: str(v) for k, v in document.items() if k != "run_id" and v is not None}
    if document.get("run_id"):
        properties[DATA_RUN_ID] = str(document["run_id"])
    return properties


def _execution_error(execution: Mapping[str, Any]) -> str | None:
    error, cause = execution.get("error"), execution.get("cause")
    if not error and not cause:
        return None
    return ": ".join(str(part) for part in (error, cause) if part)


def _started(item: Mapping[str, Any]) -> float:
    started = item.get("StartedOn")
    return started.timestamp() if isinstance(started, datetime) else 0.0
