"""Plays Glue's scheduler for one workflow run: follows the triggers, runs the real job scripts.

Glue would start the ON_DEMAND trigger's jobs, then each CONDITIONAL trigger whose condition
(job SUCCEEDED) is met. Here each job's real entrypoint runs in this process on local Spark,
with the arguments Glue passes: --JOB_NAME, --JOB_RUN_ID, --WORKFLOW_NAME, --WORKFLOW_RUN_ID and
the job's default arguments, plus --gluekit_local_root so S3 locations map to a local folder.
"""

from __future__ import annotations

import contextlib
import runpy
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3

from gluekit.local.aws_events import REGION


@dataclass
class StepResult:
    job_name: str
    job_run_id: str
    state: str  # SUCCEEDED or FAILED
    seconds: float
    error: str = ""


StepListener = Callable[[str, StepResult | None], None]


class LocalScheduler:
    def __init__(
        self,
        workflow: str,
        local_root: Path,
        on_step: StepListener,
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.workflow = workflow
        self.local_root = local_root
        self.on_step = on_step
        # A run's own values for the pipeline's job parameters, as StartJobRun Arguments.
        self.overrides = {f"--{k}": v for k, v in (overrides or {}).items()}
        self.glue = boto3.client("glue", region_name=REGION)

    def run(self, run_id: str) -> list[StepResult]:
        """Run every job the workflow's triggers reach from its start, in order."""
        triggers = [
            self.glue.get_trigger(Name=name)["Trigger"]
            for name in self.glue.list_triggers()["TriggerNames"]
        ]
        mine = [t for t in triggers if t.get("WorkflowName") == self.workflow]
        pending = [a["JobName"] for t in mine if t["Type"] == "ON_DEMAND" for a in t["Actions"]]
        results: list[StepResult] = []
        while pending:
            job_name = pending.pop(0)
            result = self._run_job(job_name, run_id)
            results.append(result)
            if result.state != "SUCCEEDED":
                continue
            for trigger in mine:
                conditions = trigger.get("Predicate", {}).get("Conditions", [])
                if any(
                    c.get("JobName") == job_name and c.get("State") == "SUCCEEDED"
                    for c in conditions
                ):
                    pending.extend(a["JobName"] for a in trigger["Actions"])
        return results

    def _run_job(self, job_name: str, run_id: str) -> StepResult:
        glue_arguments = {"--WORKFLOW_NAME": self.workflow, "--WORKFLOW_RUN_ID": run_id}
        return self.run_job(job_name, glue_arguments)

    def run_job(self, job_name: str, glue_arguments: dict[str, str]) -> StepResult:
        """One job run with the arguments its caller passes (a workflow's, or a state
        machine task's --run_id and --manifest), the real script on local Spark."""
        job = self.glue.get_job(JobName=job_name)["Job"]
        job_run_id = self.glue.start_job_run(JobName=job_name, Arguments=glue_arguments)["JobRunId"]
        arguments = {
            **job.get("DefaultArguments", {}),
            **self.overrides,
            "--JOB_NAME": job_name,
            "--JOB_RUN_ID": job_run_id,
            **glue_arguments,
            "--gluekit_local_root": str(self.local_root),
        }
        argv = [job["Command"]["ScriptLocation"]]
        for key, value in arguments.items():
            argv.extend([key, value])
        self.on_step(job_name, None)
        started = time.perf_counter()
        try:
            with _argv(argv):
                runpy.run_path(argv[0], run_name="__main__")
            state, error = "SUCCEEDED", ""
        except SystemExit as exc:
            state = "SUCCEEDED" if exc.code in (0, None) else "FAILED"
            error = "" if state == "SUCCEEDED" else f"exited with status {exc.code}"
        except Exception as exc:  # a failed job: Glue would mark the run FAILED with the error
            state, error = "FAILED", f"{type(exc).__name__}: {exc}"
        result = StepResult(job_name, job_run_id, state, time.perf_counter() - started, error)
        self.on_step(job_name, result)
        return result


@contextlib.contextmanager
def _argv(argv: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved
