"""`gluekit resume PIPELINE RUN_ID`: rerun a run's failed steps, and the steps after them.

Glue's ResumeWorkflowRun works only on a COMPLETED run (Glue marks a run COMPLETED even when a
node failed) and needs the graph node ids of the nodes to rerun: they are read from
GetWorkflowRun(IncludeGraph=True), whose job nodes carry their job runs. A run that is still
running, or in which no step failed, is refused with the reason. The resumed run gets a new run
id; validate and publish find the original run's data through the `gluekit_run_id` property.

A resumed run is a workflow run like any other: it takes one of the pipeline's run slots
(`gluekit.ops.run_slots`), so the bridge never starts more runs than the workflow admits.

With ``orchestrator: step-functions`` the run is an execution: Step Functions' RedriveExecution
restarts a FAILED, TIMED_OUT or ABORTED one (within 14 days) from the step that did not succeed,
as the same execution, which takes a run slot again until its end event frees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.naming import STEPS
from gluekit.ops import bridge_state, clock
from gluekit.ops.errors import OpsError, error_code, error_message, explain
from gluekit.ops.execution_runs import ExecutionRuns
from gluekit.ops.glue_runs import GlueRuns, RunView
from gluekit.ops.output import Printer, fields
from gluekit.ops.run_slots import holding, starter_lease
from gluekit.ops.session import Pipeline
from gluekit.orchestration import STEP_FUNCTIONS

LEASE_SECONDS = 120.0
REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")


def failed_steps(run: RunView, pipeline: str) -> list[str]:
    """The steps to resume from, or a refusal naming why there are none."""
    if run.status != "COMPLETED":
        raise OpsError(
            f"run {run.run_id} is {run.status}: Glue resumes only COMPLETED runs; wait until it "
            f"has finished (gluekit runs {pipeline} {run.run_id} shows its steps)"
        )
    failed = [step for step in STEPS if step in run.steps and run.steps[step].failed]
    if failed:
        return failed
    if all(run.step_state(step) == "SUCCEEDED" for step in STEPS):
        raise OpsError(
            f"every step of run {run.run_id} succeeded: there is nothing to resume (to run its "
            f"files again: gluekit replay {pipeline} --run {run.run_id})"
        )
    states = ", ".join(f"{step} {run.step_state(step)}" for step in STEPS)
    raise OpsError(
        f"no step of run {run.run_id} failed ({states}): Glue resumes only steps that ran and "
        "failed"
    )


def resume(pipeline: Pipeline, run_id: str, printer: Printer, *, dry_run: bool) -> int:
    if pipeline.spec.orchestrator == STEP_FUNCTIONS:
        return _redrive(pipeline, run_id, printer, dry_run=dry_run)
    run = GlueRuns(pipeline).run(run_id)
    steps = failed_steps(run, pipeline.name)
    node_ids = [run.node_ids.get(step, "") for step in steps]
    if not all(node_ids):
        raise OpsError(f"the graph of run {run_id} names no node for {', '.join(steps)}")
    document: dict[str, Any] = {
        "pipeline": pipeline.name,
        "run_id": run_id,
        "resume_from": steps,
        "node_ids": node_ids,
        "dry_run": dry_run,
        "new_run_id": None,
    }
    if not dry_run:
        document["new_run_id"] = _resume_in_a_slot(
            pipeline, lambda: _call_resume(pipeline, run_id, node_ids)
        )
    printer.emit(document, lambda: _lines(document, run))
    return 0


def _redrive(pipeline: Pipeline, run_id: str, printer: Printer, *, dry_run: bool) -> int:
    runs = ExecutionRuns(pipeline)
    run = runs.run(run_id)
    if run.status not in REDRIVABLE:
        if run.status == "SUCCEEDED":
            raise OpsError(
                f"every step of run {run_id} succeeded: there is nothing to resume (to run its "
                f"files again: gluekit replay {pipeline.name} --run {run_id})"
            )
        raise OpsError(
            f"execution {run_id} is {run.status}: Step Functions redrives only a FAILED, "
            f"TIMED_OUT or ABORTED execution; wait until it has ended "
            f"(gluekit runs {pipeline.name} {run_id} shows its steps)"
        )
    failed = [s for s in STEPS if s in run.steps and run.steps[s].failed]
    unfinished = [s for s in STEPS if run.step_state(s) != "SUCCEEDED"]
    arn = runs.execution_arn(run_id)
    document: dict[str, Any] = {
        "pipeline": pipeline.name,
        "run_id": run_id,
        "resume_from": failed or unfinished[:1],
        "node_ids": [],
        "execution_arn": arn,
        "dry_run": dry_run,
        "new_run_id": None,
    }
    if not dry_run:
        _resume_in_a_slot(pipeline, lambda: _call_redrive(pipeline, arn))
        document["new_run_id"] = run_id  # the same execution runs again
    printer.emit(document, lambda: _lines(document, run))
    return 0


def _call_redrive(pipeline: Pipeline, arn: str) -> str:
    try:
        pipeline.client("stepfunctions").redrive_execution(executionArn=arn)
    except ClientError as exc:
        if error_code(exc) == "ExecutionNotRedrivable":
            raise OpsError(
                f"Step Functions refused to redrive {arn}: {error_message(exc)}"
            ) from None
        raise OpsError(explain(exc, f"redriving execution {arn}")) from None
    except BotoCoreError as exc:
        raise OpsError(explain(exc, f"redriving execution {arn}")) from None
    return arn  # what the bridge's slot entries name an execution by


def _resume_in_a_slot(pipeline: Pipeline, call: Callable[[], str]) -> str:
    from bridge.manifest import new_batch_id

    gateways = bridge_state.gateways(pipeline)
    limit = bridge_state.bridge_config(pipeline).max_concurrent_runs
    now = clock.epoch()
    entry = f"resume-{new_batch_id(now)}"  # a slot entry of its own, as a batch's
    holder = f"start-{entry}"
    try:
        with starter_lease(gateways, holder, now + LEASE_SECONDS, now) as slots:
            if slots is None:
                raise OpsError(
                    "the bridge is starting runs for this pipeline right now: retry in a minute"
                )
            if len(holding(gateways, slots)) >= limit:
                raise OpsError(
                    f"all {limit} run slot(s) of the pipeline are taken: resume once a run has "
                    f"ended (gluekit status {pipeline.name} shows the runs)"
                )
            if not gateways.slots.reserve(holder, entry, now, limit):
                raise OpsError("the run slots filled meanwhile: retry in a minute")
            try:
                new_run_id = call()
            except Exception:
                gateways.slots.free(entry)
                raise
            gateways.slots.record_run(entry, new_run_id, settled=True)
    except (BotoCoreError, ClientError) as exc:
        raise OpsError(explain(exc, "reserving a run slot in the claims table")) from None
    return new_run_id


def _call_resume(pipeline: Pipeline, run_id: str, node_ids: list[str]) -> str:
    try:
        response = pipeline.client("glue").resume_workflow_run(
            Name=pipeline.names.workflow, RunId=run_id, NodeIds=node_ids
        )
    except ClientError as exc:
        code = error_code(exc)
        if code == "ConcurrentRunsExceededException":
            raise OpsError(
                "Glue refused: the workflow runs as many runs as it may; resume once one has ended"
            ) from None
        if code == "IllegalWorkflowStateException":
            raise OpsError(f"Glue refused to resume run {run_id}: {error_message(exc)}") from None
        raise OpsError(explain(exc, f"resuming run {run_id}")) from None
    except BotoCoreError as exc:
        raise OpsError(explain(exc, f"resuming run {run_id}")) from None
    return str(response["RunId"])


def _lines(document: dict[str, Any], run: RunView) -> list[str]:
    steps = document["resume_from"]
    after = [s for s in STEPS if STEPS.index(s) > STEPS.index(steps[0])]
    rerun = ", ".join([*steps, *(s for s in after if s not in steps)])
    head = f"Would resume run {run.run_id}" if document["dry_run"] else f"Resumed run {run.run_id}"
    who = (
        "Step Functions redrives the execution from"
        if document.get("execution_arn")
        else "Glue reruns"
    )
    lines = [f"{head} of {document['pipeline']}: {who} {rerun}."]
    lines += fields(
        [
            ("Failed", ", ".join(f"{s} ({run.step_state(s)})" for s in steps)),
            ("Node ids", " ".join(document["node_ids"]) or "-"),
            ("New run", document["new_run_id"] or "-"),
        ]
    )
    if document["new_run_id"]:
        lines.append(
            f"Follow it with: gluekit runs {document['pipeline']} {document['new_run_id']}"
        )
    return lines
