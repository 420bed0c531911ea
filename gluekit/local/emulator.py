"""An emulated AWS (moto) holding one pipeline's resources, named as the CDK app names them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any
from unittest import mock

import boto3

from gluekit.local.aws_events import ACCOUNT, REGION
from gluekit.naming import (
    CLAIMS_PARTITION_KEY,
    CLAIMS_PENDING_INDEX,
    CLAIMS_PENDING_KEY,
    CLAIMS_PENDING_SORT_KEY,
    CLAIMS_TTL_ATTRIBUTE,
    STEPS,
    FoundationNames,
    PipelineNames,
)
from gluekit.orchestration import STEP_FUNCTIONS
from gluekit.render import (
    BRIDGE_EVENT_SOURCE,
    QUARANTINE_DETAIL_TYPE,
    glue_job_arguments,
)
from gluekit.spec import PipelineSpec

REPO = Path(__file__).resolve().parents[2]
GLUE_SCRIPTS = REPO / "glue_scripts"
JOB_ROLE = f"arn:aws:iam::{ACCOUNT}:role/gluekit-local-glue"


@dataclass(frozen=True)
class Emulated:
    """Handles on what the runner reads back: the captured alerts and announcements."""

    foundation: FoundationNames
    names: PipelineNames
    alerts_topic_arn: str
    alerts_capture_url: str
    announcements_capture_url: str
    bridge_queue_arn: str
    flush_rule_arn: str
    state_machine_arn: str | None = None  # orchestrator step-functions


def provision(spec: PipelineSpec, prefix: str, code_dir: Path | None = None) -> Emulated:
    """Create the foundation's and the pipeline's resources inside the running moto.

    ``code_dir`` is the pipeline's code folder (Python steps): the jobs get it as Glue gets the
    deployed zip, in their default arguments."""
    foundation = FoundationNames(prefix, ACCOUNT, REGION)
    names = PipelineNames(prefix, spec.name)
    s3 = boto3.client("s3", region_name=REGION)
    for zone in ("raw", "curated", "quarantine", "artifacts"):
        s3.create_bucket(Bucket=foundation.bucket(zone))
    s3.put_bucket_versioning(
        Bucket=foundation.raw_bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    create_claims_table(foundation.claims_table)
    _catalog(spec, foundation, names)
    _glue_jobs(spec, foundation, names, code_dir)
    state_machine_arn = None
    if spec.orchestrator == STEP_FUNCTIONS:
        state_machine_arn = _state_machine(names)
    else:
        _glue_workflow(spec, names)

    sqs = boto3.client("sqs", region_name=REGION)
    bridge_queue = sqs.create_queue(QueueName=names.bridge_queue)["QueueUrl"]
    bridge_queue_arn = sqs.get_queue_attributes(QueueUrl=bridge_queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]

    # The alerts topic with a queue subscribed, so the runner can show what was sent.
    sns = boto3.client("sns", region_name=REGION)
    topic_arn = sns.create_topic(Name=foundation.alerts_topic)["TopicArn"]
    alerts_url, alerts_arn = _capture_queue(sqs, f"{names.base}-alerts-capture")
    # Not raw delivery: the SNS envelope carries the subject the notifier chose.
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=alerts_arn)

    # The bridge's quarantine announcements, routed as the notifier's rule would route them.
    events = boto3.client("events", region_name=REGION)
    announcements_url, announcements_arn = _capture_queue(sqs, f"{names.base}-announcements")
    events.put_rule(
        Name=names.quarantine_rule,
        EventPattern=json.dumps(
            {
                "source": [BRIDGE_EVENT_SOURCE],
                "detail-type": [QUARANTINE_DETAIL_TYPE],
                "detail": {"pipeline": [spec.name]},
            }
        ),
    )
    events.put_targets(
        Rule=names.quarantine_rule, Targets=[{"Id": "capture", "Arn": announcements_arn}]
    )
    return Emulated(
        foundation=foundation,
        names=names,
        alerts_topic_arn=topic_arn,
        alerts_capture_url=alerts_url,
        announcements_capture_url=announcements_url,
        bridge_queue_arn=bridge_queue_arn,
        flush_rule_arn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{names.flush_rule}",
        state_machine_arn=state_machine_arn,
    )


@contextlib.contextmanager
def workflow_concurrency_enforced() -> Iterator[None]:
    """Make moto refuse a workflow start beyond MaxConcurrentRuns, as Glue does.

    moto keeps every started run RUNNING and never refuses one (FIELD_NOTES); Glue answers
    ConcurrentRunsExceededException, the path the bridge must survive without losing files.
    """
    from moto.glue.exceptions import ConcurrentRunsExceededException
    from moto.glue.models import FakeWorkflow

    original = FakeWorkflow.start_run

    def start_run(self: Any, properties: dict[str, str] | None = None) -> str:
        running = sum(1 for run in self.runs.values() if run.status == "RUNNING")
        if self.max_concurrent_runs and running >= self.max_concurrent_runs:
            raise ConcurrentRunsExceededException(
                f"Concurrent runs exceeded for workflow: {self.name}"
            )
        return str(original(self, properties))

    with mock.patch.object(FakeWorkflow, "start_run", start_run):
        yield


@contextlib.contextmanager
def measured_job_runs() -> Iterator[None]:
    """Make moto's job runs report what the local run measured, not its constant 123 s.

    The notifier prints a failed run's ExecutionTime and state from get_job_run; moto answers
    ExecutionTime 123 and SUCCEEDED for every run. `record_job_run` stores the real ones.
    """
    from moto.glue.models import FakeJobRun

    original = FakeJobRun.as_dict

    def as_dict(self: Any) -> dict[str, Any]:
        data = dict(original(self))
        measured = getattr(self, "gluekit_measured", None)
        if measured is not None:
            data.update(measured)
        return data

    with mock.patch.object(FakeJobRun, "as_dict", as_dict):
        yield


def record_job_run(job_name: str, job_run_id: str, seconds: float, state: str, error: str) -> None:
    from moto.glue.models import glue_backends

    run = glue_backends[ACCOUNT][REGION].get_job_run(job_name, job_run_id)
    run.__dict__["gluekit_measured"] = {
        "ExecutionTime": max(1, round(seconds)),  # Glue reports whole seconds
        "JobRunState": state,
        **({"ErrorMessage": error} if error else {}),
    }


def complete_workflow_run(workflow: str, run_id: str) -> None:
    """Mark a played run COMPLETED, as Glue does when its last node has finished."""
    from moto.glue.models import glue_backends

    run = glue_backends[ACCOUNT][REGION].workflows[workflow].runs[run_id]
    run.status = "COMPLETED"


def _state_machine(names: PipelineNames) -> str:
    """The pipeline's state machine in moto, which never runs it: gluekit.local.executions plays
    its executions from gluekit.orchestration, the plan CDK builds the deployed machine from."""
    definition = {
        "Comment": "played locally by gluekit.local.executions",
        "StartAt": "Played",
        "States": {"Played": {"Type": "Pass", "End": True}},
    }
    response = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name=names.state_machine,
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/gluekit-local-states",
        type="STANDARD",
    )
    return str(response["stateMachineArn"])


def complete_execution(execution_arn: str, status: str, error: str = "", cause: str = "") -> None:
    """Close a played execution as Step Functions does (moto leaves it RUNNING)."""
    from moto.stepfunctions.models import stepfunctions_backends

    from gluekit.local.clock import utc_now

    execution = stepfunctions_backends[ACCOUNT][REGION].describe_execution(execution_arn)
    execution.status = status
    execution.stop_date = utc_now()
    execution.error = error or None
    execution.cause = cause or None


def _capture_queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def drain(queue_url: str) -> list[str]:
    """Every message body waiting in a capture queue."""
    sqs = boto3.client("sqs", region_name=REGION)
    bodies: list[str] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def create_claims_table(name: str) -> None:
    """The claims table as the foundation stack deploys it (tests and benchmarks use it too)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": CLAIMS_PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": CLAIMS_PENDING_KEY, "AttributeType": "S"},
            {"AttributeName": CLAIMS_PENDING_SORT_KEY, "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": CLAIMS_PARTITION_KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": CLAIMS_PENDING_INDEX,
                "KeySchema": [
                    {"AttributeName": CLAIMS_PENDING_KEY, "KeyType": "HASH"},
                    {"AttributeName": CLAIMS_PENDING_SORT_KEY, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": CLAIMS_TTL_ATTRIBUTE},
    )


def _catalog(spec: PipelineSpec, foundation: FoundationNames, names: PipelineNames) -> None:
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": foundation.database})
    # No curated table: the first transform creates it (an Iceberg table, in the catalog).


def _glue_jobs(
    spec: PipelineSpec, foundation: FoundationNames, names: PipelineNames, code_dir: Path | None
) -> None:
    glue = boto3.client("glue", region_name=REGION)
    arguments = glue_job_arguments(spec, foundation)
    if code_dir is not None:
        arguments["--gluekit_local_code"] = str(code_dir.resolve())
    in_machine = spec.orchestrator == STEP_FUNCTIONS
    for step in (*STEPS, "compact"):
        glue.create_job(
            Name=names.job(step),
            Role=JOB_ROLE,
            Command={
                "Name": "glueetl",
                "PythonVersion": "3",
                "ScriptLocation": str(GLUE_SCRIPTS / step / "job.py"),
            },
            DefaultArguments=arguments,
            GlueVersion=spec.job.glue_version,
            # As deployed: under the state machine, the machine retries its steps.
            MaxRetries=0 if in_machine and step in STEPS else spec.job.retries,
            Timeout=spec.job.timeout_minutes,
            ExecutionProperty={"MaxConcurrentRuns": spec.job.max_concurrent_runs},
        )


def _glue_workflow(spec: PipelineSpec, names: PipelineNames) -> None:
    glue = boto3.client("glue", region_name=REGION)
    glue.create_workflow(Name=names.workflow, MaxConcurrentRuns=spec.job.max_concurrent_runs)
    glue.create_trigger(
        Name=names.start_trigger,
        WorkflowName=names.workflow,
        Type="ON_DEMAND",
        Actions=[{"JobName": names.job("transform")}],
    )
    for previous, following in pairwise(STEPS):
        glue.create_trigger(
            Name=names.after_trigger(previous),
            WorkflowName=names.workflow,
            Type="CONDITIONAL",
            StartOnCreation=True,
            # moto needs `Logical` even for one condition (FIELD_NOTES).
            Predicate={
                "Logical": "ANY",
                "Conditions": [
                    {
                        "LogicalOperator": "EQUALS",
                        "JobName": names.job(previous),
                        "State": "SUCCEEDED",
                    }
                ],
            },
            Actions=[{"JobName": names.job(following)}],
        )
