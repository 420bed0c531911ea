"""Reading a pipeline's workflow runs as the commands show them.

One run is `GetWorkflowRun(IncludeGraph=True)`: its status, properties (the bridge's `manifest`,
`batch_id`, `file_count`; transform's `gluekit_run_id`; validate's `validation_summary`;
publish's `published_at`) and graph, whose job nodes carry each step's job runs. What the steps
did (rows, rejects, the report) is in the artifacts the jobs write, found through the jobs' own
location functions (`gluekit_glue.config.JobConfig`), so the paths cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.naming import STEPS
from gluekit.ops.errors import OpsError, error_code, explain
from gluekit.ops.session import Pipeline
from gluekit.render import glue_job_config
from gluekit_glue.config import JobConfig, parse_config

# Run property names the bridge and the jobs write (lambdas/bridge/manifest.py, gluekit_glue.jobs).
DATA_RUN_ID = "gluekit_run_id"
FAILED_STATES = frozenset({"FAILED", "TIMEOUT", "STOPPED", "ERROR"})
LIST_PAGE = 100
# Glue does not document the order of GetWorkflowRuns: this many are read and sorted by start.
MAX_RUNS_LISTED = 1000
# DPUs of one worker, by worker type (Glue pricing: a G.1X worker is 1 DPU).
WORKER_DPUS = {
    "Standard": 1.0,
    "G.025X": 0.25,
    "G.1X": 1.0,
    "G.2X": 2.0,
    "G.4X": 4.0,
    "G.8X": 8.0,
    "G.12X": 12.0,
    "G.16X": 16.0,
    "R.1X": 1.0,
    "R.2X": 2.0,
    "R.4X": 4.0,
    "R.8X": 8.0,
    "Z.2X": 2.0,
}
BILLED_MINIMUM_SECONDS = 60  # Glue 2.0 and later bill per second, with a one-minute minimum


@dataclass(frozen=True)
class JobRunView:
    """One step's (latest) job run."""

    step: str
    job_name: str
    run_id: str
    state: str
    started: datetime | None
    completed: datetime | None
    seconds: int | None
    dpu_seconds: float | None
    error: str | None
    attempt: int
    execution_class: str

    @property
    def failed(self) -> bool:
        return self.state in FAILED_STATES

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "job_name": self.job_name,
            "job_run_id": self.run_id,
            "state": self.state,
            "started": self.started,
            "completed": self.completed,
            "seconds": self.seconds,
            "dpu_seconds": self.dpu_seconds,
            "error": self.error,
            "attempt": self.attempt,
        }


@dataclass(frozen=True)
class RunView:
    run_id: str
    status: str
    started: datetime | None
    completed: datetime | None
    properties: Mapping[str, str]
    previous_run_id: str | None = None
    statistics: Mapping[str, int] = field(default_factory=dict)
    steps: Mapping[str, JobRunView] = field(default_factory=dict)
    node_ids: Mapping[str, str] = field(default_factory=dict)  # step -> graph node id
    error_message: str | None = None

    @property
    def data_run_id(self) -> str:
        """The run id naming the run's data (a resumed run works on the original's)."""
        return self.properties.get(DATA_RUN_ID) or self.run_id

    @property
    def file_count(self) -> int | None:
        text = self.properties.get("file_count")
        return int(text) if text and text.isdigit() else None

    def step_state(self, step: str) -> str:
        run = self.steps.get(step)
        return run.state if run else "-"


def dpu_seconds(job_run: Mapping[str, Any]) -> float | None:
    """DPU-seconds of a job run: Glue's own DPUSeconds (auto scaling and flex runs report it),
    else the execution time (billed at least a minute) times the run's DPUs."""
    reported = job_run.get("DPUSeconds")
    if isinstance(reported, int | float):
        return float(reported)
    seconds = job_run.get("ExecutionTime")
    if not isinstance(seconds, int):
        return None
    workers, kind = job_run.get("NumberOfWorkers"), job_run.get("WorkerType")
    if isinstance(workers, int) and kind in WORKER_DPUS:
        dpus = workers * WORKER_DPUS[kind]
    elif isinstance(job_run.get("MaxCapacity"), int | float):
        dpus = float(job_run["MaxCapacity"])
    else:
        return None
    return max(seconds, BILLED_MINIMUM_SECONDS) * dpus


def job_run_view(step: str, job_run: Mapping[str, Any]) -> JobRunView:
    seconds = job_run.get("ExecutionTime")
    return JobRunView(
        step=step,
        job_name=str(job_run.get("JobName") or ""),
        run_id=str(job_run.get("Id") or ""),
        state=str(job_run.get("JobRunState") or "-"),
        started=job_run.get("StartedOn"),
        completed=job_run.get("CompletedOn"),
        seconds=seconds if isinstance(seconds, int) else None,
        dpu_seconds=dpu_seconds(job_run),
        error=job_run.get("ErrorMessage") or None,
        attempt=int(job_run.get("Attempt") or 0),
        execution_class=str(job_run.get("ExecutionClass") or "STANDARD"),
    )


class GlueRuns:
    """A pipeline's runs and their artifacts, read through the target's clients."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.glue = pipeline.client("glue")
        self.s3 = pipeline.client("s3")
        self.steps = {pipeline.names.job(step): step for step in STEPS}

    @cached_property
    def locations(self) -> JobConfig:
        """Where the jobs write summaries, reports and rejects (their own functions)."""
        return parse_config(glue_job_config(self.pipeline.spec, self.pipeline.target.foundation))

    # ------------------------------------------------------------------------------- runs
    def run(self, run_id: str) -> RunView:
        try:
            response = self.glue.get_workflow_run(
                Name=self.pipeline.names.workflow, RunId=run_id, IncludeGraph=True
            )
        except ClientError as exc:
            if error_code(exc) == "EntityNotFoundException":
                raise OpsError(
                    f"no run {run_id} of workflow {self.pipeline.names.workflow} (list the "
                    f"recent ones with: gluekit status {self.pipeline.name}); if the workflow "
                    f"itself is missing, deploy it: {self.pipeline.deploy_command}"
                ) from None
            raise OpsError(self._explain(exc, f"reading run {run_id}")) from None
        except BotoCoreError as exc:
            raise OpsError(self._explain(exc, f"reading run {run_id}")) from None
        return self.view(response["Run"])

    def recent(self, limit: int) -> list[RunView]:
        """The `limit` latest runs, newest first, each read with its graph."""
        return [self.run(str(r["WorkflowRunId"])) for r in self.listing()[:limit]]

    def listing(self) -> list[Mapping[str, Any]]:
        """The workflow's runs as GetWorkflowRuns lists them (properties, no graph), newest
        first; at most MAX_RUNS_LISTED."""
        listed: list[Mapping[str, Any]] = []
        request: dict[str, Any] = {
            "Name": self.pipeline.names.workflow,
            "MaxResults": LIST_PAGE,
            "IncludeGraph": False,
        }
        try:
            while len(listed) < MAX_RUNS_LISTED:
                page = self.glue.get_workflow_runs(**request)
                listed.extend(page.get("Runs") or [])
                token = page.get("NextToken")
                if not token or not page.get("Runs"):
                    break
                request["NextToken"] = token
        except (BotoCoreError, ClientError) as exc:
            raise OpsError(self._explain(exc, "listing the workflow's runs")) from None
        return sorted(listed, key=_started, reverse=True)

    def view(self, run: Mapping[str, Any]) -> RunView:
        steps: dict[str, JobRunView] = {}
        node_ids: dict[str, str] = {}
        for node in (run.get("Graph") or {}).get("Nodes") or []:
            step = self.steps.get(str(node.get("Name")))
            if node.get("Type") != "JOB" or step is None:
                continue
            node_ids[step] = str(node.get("UniqueId") or "")
            job_runs = (node.get("JobDetails") or {}).get("JobRuns") or []
            if job_runs:
                latest = max(job_runs, key=lambda r: (int(r.get("Attempt") or 0), _started(r)))
                steps[step] = job_run_view(step, latest)
        return RunView(
            run_id=str(run["WorkflowRunId"]),
            status=str(run.get("Status") or "-"),
            started=run.get("StartedOn"),
            completed=run.get("CompletedOn"),
            properties=dict(run.get("WorkflowRunProperties") or {}),
            previous_run_id=run.get("PreviousRunId") or None,
            statistics=dict(run.get("Statistics") or {}),
            steps=steps,
            node_ids=node_ids,
            error_message=run.get("ErrorMessage") or None,
        )

    def last_published(self, listing: list[Mapping[str, Any]]) -> datetime | None:
        """The latest publish among the listed runs: publish's ``published_at`` run property."""
        latest: datetime | None = None
        for run in listing:
            text = (run.get("WorkflowRunProperties") or {}).get("published_at")
            if not text:
                continue
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                continue
            if latest is None or moment > latest:
                latest = moment
        return latest

    # ------------------------------------------------------------------------- artifacts
    def summary(self, data_run_id: str, step: str) -> dict[str, Any] | None:
        return self.document(self.locations.summary_uri(data_run_id, step))

    def report(self, data_run_id: str) -> dict[str, Any] | None:
        return self.document(self.locations.report_uri(data_run_id))

    def document(self, uri: str) -> dict[str, Any] | None:
        """A JSON document the bridge or a job wrote, or None when there is none (yet)."""
        bucket, key = split_uri(uri)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise OpsError(self._explain(exc, f"reading {uri}")) from None
        except BotoCoreError as exc:
            raise OpsError(self._explain(exc, f"reading {uri}")) from None
        try:
            document = json.loads(body)
        except ValueError:
            raise OpsError(f"{uri} is not JSON: was it written by gluekit?") from None
        return document if isinstance(document, dict) else None

    def _explain(self, exc: BaseException, doing: str) -> str:
        return explain(exc, doing, deploy_hint=self.pipeline.deploy_command)


def split_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise OpsError(f"not an s3://bucket/key URI: {uri}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def _started(job_run: Mapping[str, Any]) -> float:
    started = job_run.get("StartedOn")
    return started.timestamp() if isinstance(started, datetime) else 0.0
