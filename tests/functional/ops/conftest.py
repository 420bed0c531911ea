"""A moto world for the operations commands: the orders pipeline deployed as the CDK app names
it (buckets, claims table, Glue jobs and workflow, bridge queue and DLQ, alarms, stacks), a
fixed clock whose sleeps move it, and `gluekit(...)`, which runs the real CLI and returns what it
printed.

Where moto lacks an API or a field (ResumeWorkflowRun, a run's Graph, StartMessageMoveTask,
DPUSeconds), a test stubs that service's client with botocore's Stubber: `world.stub("glue")`
gives the command a client whose answers the test scripts, in AWS's documented shapes.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from gluekit.cli import main
from gluekit.local.aws_events import ACCOUNT, REGION
from gluekit.local.emulator import complete_workflow_run, create_claims_table
from gluekit.naming import STEPS, FoundationNames, PipelineNames
from gluekit.ops import clock as ops_clock
from gluekit.ops import session as ops_session
from gluekit.render import bridge_config
from gluekit.spec import PipelineSpec, load_spec_file
from shared.aws import reset_clients

PREFIX = "gluekit-dev"
PIPELINES = Path(__file__).resolve().parents[3] / "pipelines"
FOUNDATION = FoundationNames(PREFIX, ACCOUNT, REGION)
ORDERS = PipelineNames(PREFIX, "orders")
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
CSV_HEADER = b"order_id,customer_id,status,amount,currency,created_at,last_modified\n"


def orders_csv(*order_ids: str) -> bytes:
    rows = [
        f"{oid},c1,paid,10.00,EUR,2026-11-20T08:00:00Z,2026-11-20T08:00:00Z\n" for oid in order_ids
    ]
    return CSV_HEADER + "".join(rows).encode()


class FakeTime:
    """The commands' clock; a sleep moves it on and runs the test's hooks (Glue finishing a
    run, say) instead of waiting."""

    def __init__(self, start: datetime = NOW) -> None:
        self.current = start
        self.slept: list[float] = []
        self.on_sleep: list[Callable[[], None]] = []

    def now(self) -> datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += timedelta(seconds=seconds)
        for hook in list(self.on_sleep):
            hook()


@dataclass
class Result:
    status: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class World:
    capsys: pytest.CaptureFixture[str]
    time: FakeTime
    spec: PipelineSpec
    prefix: str = PREFIX
    injected: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.foundation = FoundationNames(self.prefix, ACCOUNT, REGION)
        self.names = PipelineNames(self.prefix, "orders")
        self.s3 = boto3.client("s3", region_name=REGION)
        self.glue = boto3.client("glue", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        # What the commands touch, as deployed (the local emulator provisions more: triggers,
        # topic, rules, all of which cost time here and none of which a command reads).
        for zone in ("raw", "curated", "quarantine", "artifacts"):
            self.s3.create_bucket(Bucket=self.foundation.bucket(zone))
        self.s3.put_bucket_versioning(
            Bucket=self.foundation.raw_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        create_claims_table(self.foundation.claims_table)
        self.glue.create_workflow(
            Name=self.names.workflow, MaxConcurrentRuns=self.spec.job.max_concurrent_runs
        )
        for step in (*STEPS, "compact"):
            self.glue.create_job(
                Name=self.names.job(step),
                Role=f"arn:aws:iam::{ACCOUNT}:role/gluekit-glue",
                Command={"Name": "glueetl", "ScriptLocation": f"s3://scripts/{step}/job.py"},
            )
        self.queue_url = self.sqs.create_queue(QueueName=self.names.bridge_queue)["QueueUrl"]
        self.dlq_url = self.sqs.create_queue(QueueName=self.names.bridge_dlq)["QueueUrl"]

    # ------------------------------------------------------------------------------ running
    def gluekit(self, *argv: str) -> Result:
        self.capsys.readouterr()
        status = main(list(argv))
        captured = self.capsys.readouterr()
        return Result(status, captured.out, captured.err)

    def stub(self, service: str) -> Stubber:
        """The command's `service` client, answered by the test (moto lacks the API)."""
        core = botocore.session.Session()
        core.register_component("data_loader", _SHARED_LOADER)
        stubbed = boto3.Session(botocore_session=core, region_name=REGION).client(service)
        stubber = Stubber(stubbed)
        stubber.activate()
        self.injected[service] = stubbed
        return stubber

    # -------------------------------------------------------------------------------- seeds
    def upload(self, key: str, body: bytes) -> str:
        response = self.s3.put_object(Bucket=self.foundation.raw_bucket, Key=key, Body=body)
        return str(response["VersionId"])

    def set_last_modified(self, key: str, moment: datetime) -> None:
        """S3 stamps uploads with this machine's clock (moto too): move the stamp."""
        from moto.s3.models import s3_backends

        bucket = s3_backends[ACCOUNT]["aws"].buckets[self.foundation.raw_bucket]
        bucket.keys.getlist(key)[-1].last_modified = moment.replace(tzinfo=None)

    def put_json(self, bucket: str, key: str, document: dict[str, Any]) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())

    def summary(self, run_id: str, step: str, **values: Any) -> None:
        """A step summary as the jobs write it (gluekit_glue.summary.StepSummary)."""
        document = {
            "step": step,
            "pipeline": "orders",
            "run_id": run_id,
            "job_name": self.names.job(step),
            "started_at": NOW.isoformat(),
            "status": "succeeded",
            "rows_in": 0,
            "rows_out": 0,
            "rows_rejected": 0,
            "files_rejected": [],
            "partitions": [],
            "finished_at": NOW.isoformat(),
            "error": None,
            "details": {},
            **values,
        }
        self.put_json(
            self.foundation.artifacts_bucket, f"runs/orders/{run_id}/{step}.json", document
        )

    def workflow_runs(self) -> list[dict[str, Any]]:
        return list(self.glue.get_workflow_runs(Name=self.names.workflow, MaxResults=100)["Runs"])

    def finish_runs(self) -> None:
        """Glue finishes every running run (moto never does)."""
        for run in self.workflow_runs():
            if run["Status"] == "RUNNING":
                complete_workflow_run(self.names.workflow, run["WorkflowRunId"])

    def manifest(self, run: dict[str, Any]) -> dict[str, Any]:
        uri = run["WorkflowRunProperties"]["manifest"]
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        return dict(json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()))

    def claims(self) -> dict[str, dict[str, Any]]:
        """Object claims by key: state, run id."""
        items = self.dynamodb.scan(TableName=self.foundation.claims_table)["Items"]
        return {
            item["key"]["S"]: {name: next(iter(v.values())) for name, v in item.items()}
            for item in items
            if item["pk"]["S"].startswith("object#")
        }

    def slots(self) -> dict[str, Any]:
        item = self.dynamodb.get_item(
            TableName=self.foundation.claims_table, Key={"pk": {"S": "slots#orders"}}
        ).get("Item", {})
        return dict(item)

    def alarm(self, key: str, state: str, pipeline: str = "orders") -> None:
        name = PipelineNames(self.prefix, pipeline).alarm(key)
        self.cloudwatch.put_metric_alarm(
            AlarmName=name,
            AlarmDescription=f"gluekit {pipeline}: {key}",
            MetricName="RowsRejected",
            Namespace="gluekit",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        self.cloudwatch.set_alarm_state(
            AlarmName=name, StateValue=state, StateReason=f"{key} went {state}"
        )

    def arrive(self, key: str, body: bytes, monkeypatch: pytest.MonkeyPatch) -> str:
        """The file lands and the deployed bridge handles its event (the real handler)."""
        from bridge import handler
        from bridge.config import CONFIG_ENV
        from gluekit.ops.arrivals import object_created_event
        from tests.functional.bridge.conftest import LambdaContext

        version = self.upload(key, body)
        from bridge.events import ObjectRef

        obj = ObjectRef(self.foundation.raw_bucket, key, version, None, len(body), "e")
        monkeypatch.setenv(CONFIG_ENV, json.dumps(bridge_config(self.spec, self.foundation)))
        handler.runtime.cache_clear()
        event = object_created_event(obj, self.time.now().timestamp())
        record = {
            "messageId": str(uuid.uuid4()),
            "receiptHandle": "AQEB" + uuid.uuid4().hex,
            "body": json.dumps(event),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.names.bridge_queue}",
            "awsRegion": REGION,
        }
        from bridge import clock as bridge_clock

        with bridge_clock.use(lambda: self.time.now().timestamp()):
            response = handler.lambda_handler({"Records": [record]}, LambdaContext())
        assert response["batchItemFailures"] == []
        return version


@pytest.fixture
def two_file_runs(tmp_path: Path) -> Path:
    """The orders spec with max_files 2: a few files make several runs."""
    text = (PIPELINES / "orders.yaml").read_text(encoding="utf-8")
    path = tmp_path / "orders.yaml"
    path.write_text(text.replace("max_files: 20", "max_files: 2"), encoding="utf-8")
    return path


# Parsing service models is most of the cost of a client: one loader for every test's session.
_SHARED_LOADER = botocore.loaders.create_loader()


@contextlib.contextmanager
def deployed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, prefix: str
) -> Iterator[World]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    time = FakeTime()
    with mock_aws():
        core = botocore.session.get_session()
        core.register_component("data_loader", _SHARED_LOADER)
        boto3.setup_default_session(botocore_session=core, region_name=REGION)
        reset_clients()
        spec = load_spec_file(PIPELINES / "orders.yaml", prefix).spec
        built = World(capsys, time, spec, prefix)
        real_open = ops_session.open_target

        def open_target(*args: Any) -> ops_session.Target:
            target = real_open(*args)
            target.clients.update(built.injected)
            return target

        def new_session(profile: str | None, region: str | None) -> boto3.Session:
            shared = botocore.session.Session(profile=profile)
            shared.register_component("data_loader", _SHARED_LOADER)
            return boto3.Session(botocore_session=shared, region_name=region)

        monkeypatch.setattr(ops_session, "open_target", open_target)
        monkeypatch.setattr(ops_session, "new_session", new_session)
        with ops_clock.use(time.now, time.sleep), _bridge_logs_restored():
            yield built
    reset_clients()
    boto3.DEFAULT_SESSION = None


@contextlib.contextmanager
def _bridge_logs_restored() -> Iterator[None]:
    """The commands quiet the bridge's logger (process-wide); later tests see it as it was."""
    from bridge.telemetry import logger

    level = logger.log_level
    streams = [(h, getattr(h, "stream", None)) for h in logger.handlers]
    try:
        yield
    finally:
        logger.setLevel(level)
        for handler, stream in streams:
            if stream is not None:
                handler.stream = stream  # type: ignore[attr-defined]


@pytest.fixture
def world(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The orders pipeline deployed in environment dev."""
    with deployed(capsys, monkeypatch, PREFIX) as built:
        yield built


# -------------------------------------------------------------------- Glue's answers, by hand
def job_run(step: str, state: str, names: PipelineNames = ORDERS, **more: Any) -> dict[str, Any]:
    """A JobRun as GetWorkflowRun's graph carries it."""
    return {
        "Id": f"jr_{step}_{state.lower()}",
        "Attempt": 0,
        "JobName": names.job(step),
        "StartedOn": NOW,
        "CompletedOn": NOW + timedelta(seconds=90),
        "JobRunState": state,
        "ExecutionTime": 90,
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        **more,
    }


def workflow_run(
    run_id: str,
    status: str = "COMPLETED",
    steps: dict[str, dict[str, Any] | None] | None = None,
    properties: dict[str, str] | None = None,
    started: datetime = NOW,
    names: PipelineNames = ORDERS,
) -> dict[str, Any]:
    """GetWorkflowRun(IncludeGraph=True)'s Run: job nodes with their job runs."""
    steps = steps if steps is not None else {s: job_run(s, "SUCCEEDED", names) for s in STEPS}
    nodes = [
        {
            "Type": "JOB",
            "Name": names.job(step),
            "UniqueId": f"wnode_{step}",
            "JobDetails": {"JobRuns": [steps[step]] if steps.get(step) else []},
        }
        for step in STEPS
    ]
    nodes.append({"Type": "TRIGGER", "Name": names.start_trigger, "UniqueId": "wnode_start"})
    return {
        "Name": names.workflow,
        "WorkflowRunId": run_id,
        "WorkflowRunProperties": properties or {"batch_id": "b1", "file_count": "1"},
        "StartedOn": started,
        "Status": status,
        "Statistics": {"TotalActions": 3},
        "Graph": {"Nodes": nodes},
    }
