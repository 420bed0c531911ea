"""A moto world for the notifier: the orders pipeline's Glue jobs and workflow, its buckets, and
the alerts topic with an SQS queue subscribed to read back what was published."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from gluekit.naming import FoundationNames
from gluekit.render import notifier_config
from gluekit.spec import load_spec_file
from notifier import handler
from notifier.config import CONFIG_ENV
from shared.aws import client, reset_clients

ACCOUNT = "123456789012"
REGION = "us-east-1"
PREFIX = "gluekit-dev"
PIPELINE_SPEC = Path(__file__).resolve().parents[3] / "pipelines" / "orders.yaml"
FOUNDATION = FoundationNames(PREFIX, ACCOUNT, REGION)
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{FOUNDATION.alerts_topic}"
WORKFLOW = f"{PREFIX}-orders"
JOB_TIMEOUT_MINUTES = 30


@dataclass(frozen=True)
class Published:
    subject: str
    text: str
    data: dict[str, Any]
    attributes: dict[str, str]


@dataclass
class LambdaContext:
    function_name: str = f"{PREFIX}-orders-notifier"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-orders-notifier"
    )
    aws_request_id: str = "6f1c1a4e-0c59-4f0d-9d1c-5a0e6d4b7c21"


class World:
    """The AWS side of one test, with helpers that seed it the way the kit's runtime would."""

    def __init__(self) -> None:
        self.config = notifier_config(
            load_spec_file(PIPELINE_SPEC, PREFIX).spec, FOUNDATION, TOPIC_ARN
        )
        # The handler's own cached clients (region from tests/conftest.py): built once a test.
        self.glue, self.s3, self.sns = client("glue"), client("s3"), client("sns")
        self.sqs = client("sqs")
        self.s3.create_bucket(Bucket=self.artifacts)  # the only bucket the notifier reads
        self.glue.create_workflow(Name=WORKFLOW)
        self.jobs_created: set[str] = set()
        self.sns.create_topic(Name=FOUNDATION.alerts_topic)
        self.queue_url = self.subscribe_queue("alerts-reader")

    @property
    def artifacts(self) -> str:
        return str(self.config["buckets"]["artifacts"])

    @property
    def raw(self) -> str:
        return str(self.config["buckets"]["raw"])

    def job_name(self, step: str) -> str:
        return str(self.config["job_names"][step])

    def subscribe_queue(self, name: str, filter_policy: dict[str, Any] | None = None) -> str:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
        self.sns.subscribe(TopicArn=TOPIC_ARN, Protocol="sqs", Endpoint=arn, Attributes=attributes)
        return str(url)

    def put_json(self, bucket: str, key: str, document: Any) -> str:
        self.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())
        return f"s3://{bucket}/{key}"

    def put_manifest(self, batch_id: str, files: list[dict[str, Any]]) -> str:
        key = f"{self.config['manifests_prefix']}{batch_id}.json"
        return self.put_json(self.artifacts, key, {"batch_id": batch_id, "files": files})

    def put_report(self, run_id: str, report: dict[str, Any]) -> str:
        key = f"{self.config['reports_prefix']}{run_id}.json"
        return self.put_json(self.artifacts, key, report)

    def start_workflow_run(self, properties: dict[str, str]) -> str:
        return str(self.glue.start_workflow_run(Name=WORKFLOW, RunProperties=properties)["RunId"])

    def start_job_run(self, step: str, workflow_run_id: str | None) -> str:
        if step not in self.jobs_created:
            self.glue.create_job(
                Name=self.job_name(step),
                Role=f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}-orders-glue",
                Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/job.py"},
                ExecutionProperty={"MaxConcurrentRuns": 100},
                Timeout=JOB_TIMEOUT_MINUTES,
            )
            self.jobs_created.add(step)
        arguments = (
            {"--WORKFLOW_NAME": WORKFLOW, "--WORKFLOW_RUN_ID": workflow_run_id}
            if workflow_run_id
            else {}
        )
        response = self.glue.start_job_run(JobName=self.job_name(step), Arguments=arguments)
        return str(response["JobRunId"])

    def published(self, queue_url: str | None = None) -> list[Published]:
        """Every alert the queue received (SNS envelope: Subject, attributes, JSON document)."""
        messages = self.sqs.receive_message(
            QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10
        ).get("Messages", [])
        result = []
        for message in messages:
            envelope = json.loads(message["Body"])
            data = json.loads(envelope["Message"])
            attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
            result.append(Published(envelope.get("Subject", ""), data["text"], data, attributes))
        return result

    def only_alert(self) -> Published:
        alerts = self.published()
        assert len(alerts) == 1, f"expected one alert, got {len(alerts)}"
        return alerts[0]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # Keeping boto3's default session keeps botocore's parsed service models between tests
    # (moto otherwise replaces the session at each start: 3x slower). Clients stay per test.
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        reset_clients()
        world = World()
        monkeypatch.setenv(CONFIG_ENV, json.dumps(world.config))
        handler.settings.cache_clear()
        yield world
    reset_clients()
    handler.settings.cache_clear()


@pytest.fixture
def invoke() -> Any:
    def _invoke(event: Any) -> dict[str, str]:
        return handler.lambda_handler(event, LambdaContext())

    return _invoke


def with_job(event: dict[str, Any], job_name: str, run_id: str) -> dict[str, Any]:
    """A hand-written job event pointed at a job run that exists in this test's moto."""
    return {**event, "detail": {**event["detail"], "jobName": job_name, "jobRunId": run_id}}
