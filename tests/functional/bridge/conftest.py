"""A moto world for the bridge: the foundation's buckets and claims table, the pipelines' Glue
workflows, an EventBridge rule that copies the bridge's announcements into a queue to read back,
a movable clock, and helpers that deliver S3 events in AWS's shape (an EventBridge "Object
Created" event as the body of an SQS record) to the real handler."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from bridge import clock, handler
from bridge.claims import PENDING_INDEX
from bridge.config import CONFIG_ENV
from gluekit.local.emulator import create_claims_table
from gluekit.naming import FoundationNames
from gluekit.render import bridge_config
from gluekit.spec import load_spec_file
from shared.aws import client, reset_clients
from tests.events import load_event

ACCOUNT = "123456789012"
REGION = "us-east-1"
PREFIX = "gluekit-dev"
FOUNDATION = FoundationNames(PREFIX, ACCOUNT, REGION)
PIPELINES_DIR = Path(__file__).resolve().parents[3] / "pipelines"
SAMPLES_DIR = Path(__file__).resolve().parents[3] / "samples"
# 2026-11-21T10:00:00Z
START_TIME = 1_795_255_200.0


def pipeline_config(name: str, **overrides: Any) -> dict[str, Any]:
    spec = load_spec_file(PIPELINES_DIR / f"{name}.yaml", PREFIX).spec
    config = bridge_config(spec, FOUNDATION)
    for key, value in overrides.items():
        if key == "source":
            config["source"] = {**config["source"], **value}
        else:
            config[key] = value
    return config


class FakeClock:
    def __init__(self, start: float = START_TIME) -> None:
        self.current = start

    def now(self) -> float:
        return self.current

    def advance(self, *, seconds: float = 0, hours: float = 0) -> None:
        self.current += seconds + hours * 3600


@dataclass
class LambdaContext:
    """What the Lambda runtime passes: names, memory, request id and the time left."""

    function_name: str = f"{PREFIX}-orders-bridge"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-orders-bridge"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = f"/aws/lambda/{PREFIX}-orders-bridge"
    log_stream_name: str = "2026/11/21/[$LATEST]4f5d2c1b0a9e8d7c6b5a4f3e2d1c0b9a"
    remaining_millis: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@dataclass(frozen=True)
class Uploaded:
    """An object put into the raw bucket, with what S3 would say about it in the event."""

    key: str
    version_id: str | None
    size: int
    etag: str
    sequencer: str
    body: bytes


class World:
    def __init__(self, clock_: FakeClock) -> None:
        self.clock = clock_
        # The function's own cached clients: one client per service per test is cheaper.
        self.s3 = client("s3")
        self.glue = client("glue")
        self.dynamodb = client("dynamodb")
        self.events = client("events")
        self.sqs = client("sqs")
        self.config: dict[str, Any] = {}
        self._sequence = 0x00673EF8AF1C3B0000
        for bucket in (
            FOUNDATION.raw_bucket,
            FOUNDATION.curated_bucket,
            FOUNDATION.quarantine_bucket,
            FOUNDATION.artifacts_bucket,
        ):
            self.s3.create_bucket(Bucket=bucket)
        self.s3.put_bucket_versioning(
            Bucket=FOUNDATION.raw_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        self._create_claims_table()
        for pipeline in ("orders", "events"):
            self.glue.create_workflow(Name=f"{PREFIX}-{pipeline}", MaxConcurrentRuns=1)
        self.announcements_url = self._capture_announcements()

    # ----------------------------------------------------------------------------------- setup
    def use(self, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
        self.config = config
        monkeypatch.setenv(CONFIG_ENV, json.dumps(config))
        handler.runtime.cache_clear()

    def _create_claims_table(self) -> None:
        create_claims_table(FOUNDATION.claims_table)

    def _capture_announcements(self) -> str:
        url = self.sqs.create_queue(QueueName="announcements")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.events.put_rule(
            Name="bridge-announcements",
            EventPattern=json.dumps({"source": ["gluekit.bridge"]}),
        )
        self.events.put_targets(Rule="bridge-announcements", Targets=[{"Id": "reader", "Arn": arn}])
        return str(url)

    # ------------------------------------------------------------------------------ raw data
    def upload(self, key: str, body: bytes) -> Uploaded:
        response = self.s3.put_object(Bucket=FOUNDATION.raw_bucket, Key=key, Body=body)
        self._sequence += 1
        return Uploaded(
            key=key,
            version_id=response.get("VersionId"),
            size=len(body),
            etag=response["ETag"].strip('"'),
            sequencer=f"{self._sequence:018X}",
            body=body,
        )

    def upload_sample(self, sample: str, key: str | None = None) -> Uploaded:
        path = SAMPLES_DIR / sample
        return self.upload(key or f"{self.config['raw_prefix']}{path.name}", path.read_bytes())

    # ------------------------------------------------------------------------------- events
    def object_created(self, obj: Uploaded, *, with_version: bool = True) -> dict[str, Any]:
        """The EventBridge event S3 sends for `obj`, key URL-encoded as S3 encodes it."""
        event = load_event("bridge/object_created")
        event["id"] = str(uuid.uuid4())
        detail = event["detail"]
        detail["bucket"]["name"] = FOUNDATION.raw_bucket
        detail["object"] = {
            "key": quote_plus(obj.key, safe="/"),
            "size": obj.size,
            "etag": obj.etag,
            "sequencer": obj.sequencer,
        }
        if with_version and obj.version_id:
            detail["object"]["version-id"] = obj.version_id
        return event

    def sqs_event(self, *bodies: dict[str, Any] | str) -> dict[str, Any]:
        """An SQS batch as Lambda receives it; each body an event (or a raw string)."""
        template = load_event("bridge/sqs_object_created")["Records"][0]
        records = []
        for body in bodies:
            text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
            record = copy.deepcopy(template)
            record["messageId"] = str(uuid.uuid4())
            record["receiptHandle"] = f"AQEB{uuid.uuid4().hex}{uuid.uuid4().hex}"
            record["body"] = text
            record["md5OfBody"] = hashlib.md5(text.encode()).hexdigest()
            record["eventSourceARN"] = (
                f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}-{self.config['pipeline']}-bridge"
            )
            records.append(record)
        return {"Records": records}

    def invoke(self, event: dict[str, Any], remaining_millis: int = 60_000) -> Any:
        return handler.lambda_handler(event, LambdaContext(remaining_millis=remaining_millis))

    def tick(self) -> Any:
        """The tick rule's minute: starts what is due."""
        event = load_event("bridge/scheduled_event")
        event["resources"] = [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{self.config['tick_rule']}"]
        return self.invoke(event)

    def run_ended(self, run_id: str, state: str = "SUCCEEDED") -> Any:
        """Glue finishes the run (moto never does) and the run-end rule tells the bridge."""
        from gluekit.local.emulator import complete_workflow_run

        complete_workflow_run(self.config["workflow_name"], run_id)
        event = load_event("bridge/glue_job_state_change")
        event["detail"]["state"] = state
        return self.invoke(event)

    def deliver(self, *objects: Uploaded) -> tuple[dict[str, Any], Any]:
        event = self.sqs_event(*(self.object_created(o) for o in objects))
        return event, self.invoke(event)

    # ------------------------------------------------------------------------------ reading
    def runs(self) -> list[dict[str, Any]]:
        response = self.glue.get_workflow_runs(Name=self.config["workflow_name"], MaxResults=100)
        return list(response["Runs"])

    def manifest(self, run: dict[str, Any]) -> dict[str, Any]:
        uri = run["WorkflowRunProperties"]["manifest"]
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        return dict(json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()))

    def manifest_keys(self) -> list[str]:
        return sorted(f["key"] for run in self.runs() for f in self.manifest(run)["files"])

    def claims(self) -> list[dict[str, Any]]:
        """The objects' claims (not the pipeline's starter item)."""
        items = self.dynamodb.scan(TableName=FOUNDATION.claims_table)["Items"]
        return [
            {name: next(iter(v.values())) for name, v in item.items()}
            for item in items
            if item["pk"]["S"].startswith("object#")
        ]

    def slots(self) -> dict[str, Any]:
        """The starter item: lease holder and the runs holding slots."""
        item = self.dynamodb.get_item(
            TableName=FOUNDATION.claims_table, Key={"pk": {"S": f"slots#{self.config['pipeline']}"}}
        ).get("Item", {})
        return dict(item)

    def pending(self) -> list[dict[str, Any]]:
        items = self.dynamodb.query(
            TableName=FOUNDATION.claims_table,
            IndexName=PENDING_INDEX,
            KeyConditionExpression="pending_pipeline = :p",
            ExpressionAttributeValues={":p": {"S": self.config["pipeline"]}},
        )["Items"]
        return [{name: next(iter(v.values())) for name, v in item.items()} for item in items]

    def announcements(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(
            QueueUrl=self.announcements_url, MaxNumberOfMessages=10
        ).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    def quarantine_keys(self) -> list[str]:
        response = self.s3.list_objects_v2(Bucket=FOUNDATION.quarantine_bucket)
        return sorted(o["Key"] for o in response.get("Contents", []))

    def raw_versions(self, key: str) -> list[dict[str, Any]]:
        response = self.s3.list_object_versions(Bucket=FOUNDATION.raw_bucket, Prefix=key)
        return [v for v in response.get("Versions", []) if v["Key"] == key]

    def read(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        extra = {"VersionId": version_id} if version_id else {}
        return bytes(self.s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read())


def failed_ids(response: Any) -> set[str]:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def message_ids(event: dict[str, Any]) -> list[str]:
    return [record["messageId"] for record in event["Records"]]


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(clock, "now", fake.now)
    return fake


# Parsing the service models is most of the cost of a client; every test's fresh session (moto
# wants clients created after it starts) shares one loader, so each model is parsed once.
_SHARED_LOADER = botocore.loaders.create_loader()


def _fresh_default_session() -> None:
    core = botocore.session.get_session()
    core.register_component("data_loader", _SHARED_LOADER)
    boto3.setup_default_session(botocore_session=core, region_name=REGION)


@pytest.fixture
def world(fake_clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # Metrics are part of what the tests check, whatever an earlier test left in os.environ.
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    with mock_aws():
        _fresh_default_session()
        reset_clients()
        handler.runtime.cache_clear()
        yield World(fake_clock)
    reset_clients()
    handler.runtime.cache_clear()
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def orders(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    # No waiting to fill a run: an arrival's objects start at once, so these tests see a
    # run per delivery, and slots enough for all. Waiting (max_wait, the tick, one slot) is
    # tested with `waiting_orders`.
    world.use(pipeline_config("orders", max_wait_seconds=0, max_concurrent_runs=100), monkeypatch)
    return world


@pytest.fixture
def waiting_orders(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """orders as specified: max_files 20, max_wait_seconds 30, one run at a time."""
    world.use(pipeline_config("orders"), monkeypatch)
    return world


@pytest.fixture
def events_pipeline(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    world.use(pipeline_config("events"), monkeypatch)
    return world
