"""The notifier of a pipeline run by the state machine: the Catch path's step failure and the
execution ends no Catch sees, as readable alerts with the state machine's next steps."""

from __future__ import annotations

import json
import shlex
from typing import Any

import pytest

from gluekit import orchestration
from notifier import handler
from notifier.config import CONFIG_ENV
from tests.events import load_event
from tests.functional.notifier.conftest import World
from tests.functional.notifier.test_handler import failing_report

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:gluekit-dev-orders"
BATCH = "20261121T100000Z-0a1b2c3d4e5f6a7b"
EXECUTION = f"arn:aws:states:us-east-1:123456789012:execution:gluekit-dev-orders:{BATCH}"


@pytest.fixture
def machine_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    world.config = {**world.config, "orchestrator": "step-functions"}
    monkeypatch.setenv(CONFIG_ENV, json.dumps(world.config))
    handler.settings.cache_clear()
    world.put_manifest(
        BATCH,
        [
            {"uri": f"s3://{world.raw}/orders/a.csv", "size": 120},
            {"uri": f"s3://{world.raw}/orders/b.csv", "size": 80},
        ],
    )
    return world


def step_failed(step: str, error: str, cause: str) -> dict[str, Any]:
    event = load_event("states/step_failed")
    event["detail"].update({"step": step, "error": {"Error": error, "Cause": cause}})
    return event


def input_of(command: str) -> dict[str, Any]:
    words = shlex.split(command)
    return dict(json.loads(words[words.index("--input") + 1]))


def test_a_caught_validate_failure_reads_like_the_workflows_with_a_resume_at_validate(
    machine_world: World, invoke: Any
) -> None:
    report_uri = machine_world.put_report(BATCH, failing_report(BATCH))

    result = invoke(load_event("states/step_failed"))

    alert = machine_world.only_alert()
    assert result["status"] == "published"
    assert alert.subject == (
        "[gluekit-dev-orders] validate FAILED: 2 rules failed: range(amount), "
        "accepted_values(status)"
    )
    assert alert.text.startswith("Step validate of pipeline orders FAILED: 2 validation rules")
    assert "Step:      validate (Glue job gluekit-dev-orders-validate)" in alert.text
    assert f"Execution: {BATCH}" in alert.text
    assert f"Batch:     {BATCH}, 2 files" in alert.text
    assert f"Validation: 2 rules failed, 1 warning (1,234 rows; report {report_uri}):" in alert.text
    assert f"  s3://{machine_world.raw}/orders/a.csv (120 bytes)" in alert.text
    resume = alert.data["commands"]["resume"]
    assert resume in alert.text and resume.startswith("aws stepfunctions start-execution")
    assert f"--state-machine-arn {MACHINE}" in resume
    assert f"--name {BATCH}-resume-validate-20261121T101231" in resume
    assert input_of(resume) == {
        "pipeline": "orders",
        "batch_id": BATCH,
        "run_id": BATCH,  # the same run id: validate reads the run's staged data
        "manifest": f"s3://{machine_world.artifacts}/manifests/orders/{BATCH}.json",
        "file_count": "2",
        "start_at": "validate",
    }
    replay = input_of(alert.data["commands"]["replay"])
    assert replay["run_id"] != BATCH and "start_at" not in replay
    assert alert.attributes == {
        "pipeline": "orders",
        "kind": "job_run_ended",
        "step": "validate",
        "state": "FAILED",
    }
    assert "Could not look up" not in alert.text


def test_glue_refusing_every_retry_says_so_without_a_job_run(
    machine_world: World, invoke: Any
) -> None:
    cause = (
        "Concurrent runs exceeded for gluekit-dev-orders-transform (Service: AWSGlue; Status "
        "Code: 400; Error Code: ConcurrentRunsExceededException)"
    )
    invoke(step_failed("transform", "Glue.ConcurrentRunsExceededException", cause))

    alert = machine_world.only_alert()
    assert alert.text.startswith(
        "Step transform of pipeline orders could not start: Glue refused the job run through "
        "every retry (Glue.ConcurrentRunsExceededException)"
    )
    assert "Job run:   none: no job run was started" in alert.text
    assert "Look for runs of this job started outside the pipeline" in " ".join(alert.text.split())
    assert "start_at" not in input_of(alert.data["commands"]["resume"])  # from transform
    assert alert.data["kind"] == "step_failed"


def test_the_event_the_plan_describes_is_the_event_the_notifier_reads(
    machine_world: World, invoke: Any
) -> None:
    """CDK writes the plan's template as the Lambda task's payload; this is what it resolves
    to at run time (the local runner sends exactly this)."""
    state = {
        "pipeline": "orders",
        "batch_id": BATCH,
        "run_id": BATCH,
        "manifest": f"s3://{machine_world.artifacts}/manifests/orders/{BATCH}.json",
        "file_count": "2",
        "error": {"Error": "States.Timeout", "Cause": ""},
        "failed_step": "publish",
    }
    context = {
        "Execution": {"Id": EXECUTION, "Name": BATCH},
        "StateMachine": {"Id": MACHINE},
        "State": {"EnteredTime": "2026-11-21T11:00:00.000Z"},
    }

    invoke(orchestration.failure_event("orders", state, context))

    alert = machine_world.only_alert()
    assert alert.text.startswith("Step publish of pipeline orders timed out in the state machine")
    assert input_of(alert.data["commands"]["resume"])["start_at"] == "publish"


def test_an_execution_that_timed_out_alerts_with_a_replay(
    machine_world: World, invoke: Any
) -> None:
    event = load_event("states/execution_status_change")
    event["detail"].update({"status": "TIMED_OUT", "error": "States.Timeout"})

    invoke(event)

    alert = machine_world.only_alert()
    assert alert.subject == f"[gluekit-dev-orders] execution TIMED_OUT: {BATCH}"
    assert alert.text.startswith(f"Execution {BATCH} of pipeline orders timed out")
    assert input_of(alert.data["commands"]["replay"])["manifest"].endswith(f"{BATCH}.json")
    assert f"Batch:     {BATCH}, 2 files" in alert.text


@pytest.mark.parametrize(
    ("error", "alerted"),
    [("gluekit.StepFailed", False), ("gluekit.AlertNotSent", True), ("States.Runtime", True)],
)
def test_a_failed_execution_alerts_only_when_its_step_did_not(
    machine_world: World, invoke: Any, error: str, alerted: bool
) -> None:
    event = load_event("states/execution_status_change")
    event["detail"].update({"status": "FAILED", "error": error, "cause": "step x failed"})

    result = invoke(event)

    assert (result["status"] == "published") is alerted
    assert len(machine_world.published()) == int(alerted)


def test_another_pipelines_state_machine_is_skipped(machine_world: World, invoke: Any) -> None:
    event = load_event("states/step_failed")
    event["detail"]["state_machine_arn"] = MACHINE.replace("gluekit-dev-orders", "gluekit-dev-x")

    result = invoke(event)

    assert result["status"] == "skipped" and "is not this pipeline's" in result["reason"]
    assert machine_world.published() == []


def test_the_notifier_knows_the_plans_event_names() -> None:
    from notifier import execution_events

    assert execution_events.STEP_FAILED_SOURCE == orchestration.STEP_FAILED_SOURCE
    assert execution_events.STEP_FAILED_DETAIL_TYPE == orchestration.STEP_FAILED_DETAIL_TYPE
    assert execution_events.STEP_FAILED_ERROR == orchestration.STEP_FAILED_ERROR
