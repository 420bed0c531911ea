"""The step-functions orchestrator as synthesized: a fixture spec (orders on the state machine,
with the raw crawler and job retries) beside the example specs, which stay on the Glue workflow.

The synth runs cdk-nag (it raises on any unacknowledged finding) and the template passes
cfn-lint: so synth covers both orchestrators.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Match, Template

from gluekit import orchestration as plan
from gluekit.environments import load_environment
from gluekit.spec import LoadedSpec, PipelineSpec
from infra.kit import build_kit, feature_flags
from tests.infra.conftest import Synthesized, cfn_lint

ORDERS = Path(__file__).resolve().parents[2] / "pipelines" / "orders.yaml"
STEP_STATES = ("Transform", "Validate", "Publish")


def machine_spec() -> PipelineSpec:
    data = yaml.safe_load(ORDERS.read_text())
    data.update(name="orders-sfn", orchestrator="step-functions", crawler={"enabled": True})
    data["source"]["prefix"] = "orders-sfn/"
    data["job"]["retries"] = 2
    return PipelineSpec.model_validate(data)


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("machine")


@pytest.fixture(scope="module")
def template(outdir: Path) -> Template:
    context = {**feature_flags(), "aws:cdk:enable-path-metadata": True}  # for cfn-lint
    app = cdk.App(context=context, outdir=str(outdir))
    stacks = build_kit(
        app, environment=load_environment("dev"), specs=[LoadedSpec(ORDERS, machine_spec())]
    )
    app.synth()  # cdk-nag runs here: the state machine and its grants pass it
    return Template.from_stack(stacks.pipelines["orders-sfn"])


@pytest.fixture(scope="module")
def definition(template: Template) -> dict[str, Any]:
    [machine] = template.find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return dict(json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts)))


def states_of(definition: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in definition["States"].items() if s["Type"] == kind}


def test_a_standard_machine_with_its_own_timeout_traced_and_logging_everything(
    template: Template, definition: dict[str, Any]
) -> None:
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineName": "gluekit-dev-orders-sfn",
            "StateMachineType": "STANDARD",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": {
                "Level": "ALL",
                "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": Match.any_value()}}],
            },
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": "/aws/vendedlogs/states/gluekit-dev-orders-sfn",
            "KmsKeyId": Match.any_value(),
        },
    )
    assert definition["TimeoutSeconds"] == plan.machine_timeout_seconds(machine_spec())
    # three steps, each up to 3 attempts of 35 min plus its retry waits, and the quick tasks
    assert definition["TimeoutSeconds"] == 3 * (3 * 2100 + 1530 + 180) + 360


def test_every_task_has_a_timeout_and_the_jobs_keep_their_own(definition: dict[str, Any]) -> None:
    tasks = states_of(definition, "Task")
    assert set(STEP_STATES) <= set(tasks) and len(tasks) == 6  # + crawler, two alerts
    assert all(isinstance(t.get("TimeoutSeconds"), int) for t in tasks.values())
    for name in STEP_STATES:
        task = tasks[name]
        assert task["Resource"].endswith(":states:::glue:startJobRun.sync")
        assert task["TimeoutSeconds"] == 30 * 60 + plan.TASK_TIMEOUT_MARGIN_SECONDS
        # No Timeout argument: the job run keeps the job's 30 minutes, which end it first.
        assert "Timeout" not in task["Parameters"]


def test_steps_pass_the_run_id_and_the_manifest_uri_and_keep_little_state(
    definition: dict[str, Any],
) -> None:
    for name in STEP_STATES:
        task = definition["States"][name]
        assert task["Parameters"]["Arguments"] == {
            "--run_id.$": "$.run_id",
            "--manifest.$": "$.manifest",
        }
        assert task["ResultSelector"] == {"job_run_id.$": "$.Id", "state.$": "$.JobRunState"}


def test_busy_glue_and_throttling_are_retried_with_backoff_and_jitter_before_job_retries(
    definition: dict[str, Any],
) -> None:
    for name in STEP_STATES:
        busy, failed = definition["States"][name]["Retry"]
        assert busy == {
            "ErrorEquals": [
                "Glue.ConcurrentRunsExceededException",
                "Glue.ThrottlingException",
                "Glue.ResourceNumberLimitExceededException",
            ],
            "IntervalSeconds": 30,
            "MaxAttempts": 6,
            "BackoffRate": 2,
            "MaxDelaySeconds": 600,
            "JitterStrategy": "FULL",
        }
        # job.retries: 2, for a job run that failed (the machine retries, not Glue)
        assert failed["ErrorEquals"] == ["States.TaskFailed"]
        assert (failed["MaxAttempts"], failed["JitterStrategy"]) == (2, "FULL")


def test_every_task_catches_everything_into_one_alert_path(definition: dict[str, Any]) -> None:
    states = definition["States"]
    for name in STEP_STATES:
        [catch] = states[name]["Catch"]
        assert (catch["ErrorEquals"], catch["ResultPath"]) == (["States.ALL"], "$.error")
        named = states[catch["Next"]]
        assert (named["Type"], named["Result"], named["ResultPath"]) == (
            "Pass",
            name.lower(),
            "$.failed_step",
        )
        assert named["Next"] == "NotifyFailure"
    notify = states["NotifyFailure"]
    assert notify["Next"] == "Failed"
    assert notify["Catch"][0]["Next"] == "AlertNotSent"
    assert states["Failed"]["Error"] == plan.STEP_FAILED_ERROR
    assert states["AlertNotSent"]["Error"] == plan.ALERT_NOT_SENT_ERROR
    # The crawler's start never holds the batch up: running is fine, anything else alerts.
    running, other = states["StartRawCrawler"]["Catch"]
    assert (running["ErrorEquals"], running["Next"]) == (
        ["Glue.CrawlerRunningException"],
        "Transform",
    )
    assert other["ErrorEquals"] == ["States.ALL"]
    assert states["NotifyCrawlerNotStarted"]["Next"] == "Transform"


def test_the_alert_is_the_plans_event(definition: dict[str, Any]) -> None:
    def as_payload(template: Any) -> Any:
        if isinstance(template, dict):
            return {
                (f"{k}.$" if isinstance(v, str) and v.startswith("$") else k): as_payload(v)
                for k, v in template.items()
            }
        return template

    payload = definition["States"]["NotifyFailure"]["Parameters"]["Payload"]
    assert payload == as_payload(plan.failure_event_template("orders-sfn"))


def test_a_resume_starts_at_its_step(definition: dict[str, Any]) -> None:
    start = definition["States"][definition["StartAt"]]
    assert start["Type"] == "Choice"
    targets = {c["And"][1]["StringEquals"]: c["Next"] for c in start["Choices"]}
    assert targets == {"validate": "Validate", "publish": "Publish"}
    assert start["Default"] == "StartRawCrawler"


def test_no_workflow_and_the_machine_retries_the_step_jobs(template: Template) -> None:
    template.resource_count_is("AWS::Glue::Workflow", 0)
    template.resource_count_is("AWS::Glue::Trigger", 0)
    retries = {
        job["Properties"]["Name"].rsplit("-", 1)[-1]: job["Properties"]["MaxRetries"]
        for job in template.find_resources("AWS::Glue::Job").values()
    }
    assert retries == {"transform": 0, "validate": 0, "publish": 0, "compact": 2}


def test_the_bridge_starts_executions_only_and_frees_slots_on_their_end(
    template: Template,
) -> None:
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert "states:StartExecution" in policies and "states:DescribeExecution" in policies
    assert "glue:StartWorkflowRun" not in policies
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": "gluekit-dev-orders-sfn-run-ended",
            "EventPattern": {
                "source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {
                    "stateMachineArn": [Match.any_value()],
                    "status": ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
                },
            },
        },
    )


def test_the_notifier_hears_what_no_catch_sees_and_glue_only_outside_the_machine(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": "gluekit-dev-orders-sfn-exec-ended",
            "EventPattern": {
                "source": ["aws.states"],
                "detail": {
                    "stateMachineArn": [Match.any_value()],
                    "$or": [
                        {"status": ["TIMED_OUT", "ABORTED"]},
                        {"status": ["FAILED"], "error": [{"anything-but": "gluekit.StepFailed"}]},
                    ],
                },
            },
        },
    )
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": "gluekit-dev-orders-sfn-job-failed",
            "EventPattern": Match.object_like(
                {
                    "detail": {
                        "jobName": ["gluekit-dev-orders-sfn-compact"],
                        "state": Match.any_value(),
                    }
                }
            ),
        },
    )


def test_alarms_and_dashboard_follow_the_orchestrator(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "gluekit-dev-orders-sfn-execution-failures",
            "Metrics": Match.array_with(
                [Match.object_like({"Expression": "failed + timedOut + aborted"})]
            ),
            "AlarmActions": [Match.any_value()],
        },
    )
    [dashboard] = template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    assert "ExecutionsFailed" in body and "Execution time (ms)" in body


def test_the_machine_template_passes_cfn_lint(template: Template, outdir: Path) -> None:
    result = cfn_lint([str(outdir / "gluekit-dev-orders-sfn.template.json")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_specs_stay_on_the_glue_workflow(dev: Synthesized) -> None:
    for name in dev.stacks.pipelines:
        dev.template(name).resource_count_is("AWS::StepFunctions::StateMachine", 0)
        dev.template(name).resource_count_is("AWS::Glue::Workflow", 1)
