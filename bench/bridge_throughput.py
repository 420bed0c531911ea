"""Bridge throughput against moto: 10,000 "Object Created" deliveries, 30% of them duplicates,
shuffled, through the real handler in SQS batches of the orders pipeline's max_files_per_run.

Prints, for fast arrivals (runs never finish during the storm, unlimited concurrency) and for a
backlog (the same storm under max_concurrent_runs 1, each run active 4 minutes), the workflow runs
started beside the ideal ceil(unique / max files per run), the duplicate runs, lost objects and
DLQ-bound records (all must be 0); the latency of a lone file (≤ max_wait + one tick); and the
cold import time of the handler against a bare interpreter importing boto3 and the Powertools
modules the handler uses with a Tracer instantiated. Time is a fake clock the bench moves.

    .venv/bin/python bench/bridge_throughput.py [--deliveries 10000] [--duplicates 0.3]

Not part of the test run. moto is in-process and single-threaded, so the absolute figures
measure the bridge's own work plus moto's, not AWS latency.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parents[1]
for variable, value in {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}.items():
    os.environ.setdefault(variable, value)
os.environ.pop("AWS_PROFILE", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from gluekit.naming import FoundationNames  # noqa: E402
from gluekit.render import BRIDGE_CONFIG_ENV, bridge_config  # noqa: E402
from gluekit.spec import load_spec_file  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from moto_speedups import fast_index_queries  # noqa: E402

PREFIX, ACCOUNT, REGION = "gluekit-dev", "123456789012", "us-east-1"
FOUNDATION = FoundationNames(PREFIX, ACCOUNT, REGION)
SAMPLE = (ROOT / "samples" / "orders" / "orders-2026-11-20.csv").read_bytes()
EVENT_TEMPLATE = json.loads(
    (ROOT / "tests" / "events" / "bridge" / "object_created.json").read_text(encoding="utf-8")
)


class Context:
    function_name = f"{PREFIX}-orders-bridge"
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{PREFIX}-orders-bridge"
    memory_limit_in_mb = 512
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def cold_import_seconds(repeats: int = 5) -> list[float]:
    code = (
        "import time; t = time.perf_counter(); import bridge.handler; "
        "print(time.perf_counter() - t)"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    results = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
        )
        results.append(float(out.stdout.strip().splitlines()[-1]))
    return results


BASELINE = (
    "import time; t = time.perf_counter(); import boto3; "
    "from aws_lambda_powertools import Logger, Metrics, Tracer; "
    "from aws_lambda_powertools.utilities.batch import BatchProcessor; "
    "from aws_lambda_powertools.utilities.data_classes import SQSEvent; "
    "Tracer(service='bench'); print(time.perf_counter() - t)"
)


def baseline_import_seconds(repeats: int = 5) -> list[float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return [
        float(
            subprocess.run(
                [sys.executable, "-c", BASELINE],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[-1]
        )
        for _ in range(repeats)
    ]


class BenchClock:
    def __init__(self) -> None:
        self.current = 1_795_255_200.0

    def now(self) -> float:
        return self.current


def create_world(config: dict[str, Any]) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in config["buckets"].values():
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(
        Bucket=config["buckets"]["raw"], VersioningConfiguration={"Status": "Enabled"}
    )
    from gluekit.local.emulator import create_claims_table

    create_claims_table(config["claims_table"])
    limit = int(config["max_concurrent_runs"])
    boto3.client("glue", region_name=REGION).create_workflow(
        Name=config["workflow_name"], MaxConcurrentRuns=limit
    )


def upload_objects(count: int) -> list[dict[str, Any]]:
    s3 = boto3.client("s3", region_name=REGION)
    objects = []
    for i in range(count):
        key = f"orders/2026/11/21/export {i:05d}+part.csv"
        response = s3.put_object(Bucket=FOUNDATION.raw_bucket, Key=key, Body=SAMPLE)
        objects.append(
            {
                "key": key,
                "version_id": response["VersionId"],
                "etag": response["ETag"].strip('"'),
                "sequencer": f"{0x00673EF8AF1C3B0000 + i:018X}",
            }
        )
    return objects


def sqs_record(obj: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(EVENT_TEMPLATE)
    event["id"] = str(uuid.uuid4())
    event["detail"]["bucket"]["name"] = FOUNDATION.raw_bucket
    event["detail"]["object"] = {
        "key": quote_plus(obj["key"], safe="/"),
        "size": len(SAMPLE),
        "etag": obj["etag"],
        "version-id": obj["version_id"],
        "sequencer": obj["sequencer"],
    }
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": f"AQEB{uuid.uuid4().hex}",
        "body": json.dumps(event, separators=(",", ":")),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{PREFIX}-orders-bridge",
        "awsRegion": REGION,
    }


def tick_event(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": "aws.events",
        "detail-type": "Scheduled Event",
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{config['tick_rule']}"],
        "detail": {},
    }


# Fast arrivals: runs never end, so the workflow needs a slot per run (Glue's "unlimited").
FAST_SLOTS = 10_000

RUN_END = {
    "source": "aws.glue",
    "detail-type": "Glue Job State Change",
    "detail": {"jobName": f"{PREFIX}-orders-publish", "state": "SUCCEEDED", "jobRunId": "jr"},
}


class StartedRuns:
    """The bench's own record of the runs the bridge starts, read off its StartWorkflowRun calls.

    The simulation asks this record, not moto, which runs are active and when they end: moto's
    GetWorkflowRuns answers with every run it holds, so asking it at each step made the storm
    quadratic. Botocore event hooks on the bridge's own Glue client only observe its calls.
    """

    def __init__(self, glue: Any, now: Any) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        self.running: set[str] = set()
        self._now = now
        self._request: dict[str, Any] = {}
        glue.meta.events.register("provide-client-params.glue.StartWorkflowRun", self._params)
        glue.meta.events.register("after-call.glue.StartWorkflowRun", self._answer)

    def _params(self, params: dict[str, Any], **_: Any) -> None:
        self._request = params

    def _answer(self, parsed: dict[str, Any], **_: Any) -> None:
        if "RunId" not in parsed:
            return  # refused (ConcurrentRunsExceeded): no run
        properties = self._request.get("RunProperties") or {}
        self.runs[parsed["RunId"]] = {"since": self._now(), "properties": properties}
        self.running.add(parsed["RunId"])

    @property
    def files(self) -> int:
        return sum(int(r["properties"]["file_count"]) for r in self.runs.values())


def scenario(
    config: dict[str, Any], deliveries: int, duplicates: float, run_seconds: float | None
) -> dict[str, Any]:
    """One storm through the handler; `run_seconds` None: runs never end (fast arrivals)."""
    from bridge import clock, handler
    from gluekit.local.emulator import complete_workflow_run, workflow_concurrency_enforced
    from shared.aws import reset_clients, single_attempt_client

    os.environ[BRIDGE_CONFIG_ENV] = json.dumps(config)
    fake = BenchClock()
    clock.now = fake.now
    batch_size = int(config["max_files_per_run"])
    unique = round(deliveries * (1 - duplicates))
    storm_began = time.perf_counter()
    with mock_aws(), workflow_concurrency_enforced(), fast_index_queries() as checks:
        reset_clients()
        handler.runtime.cache_clear()
        create_world(config)
        started = StartedRuns(single_attempt_client("glue"), fake.now)
        objects = upload_objects(unique)
        chosen = objects + [random.choice(objects) for _ in range(deliveries - unique)]
        random.shuffle(chosen)
        records = [sqs_record(obj) for obj in chosen]
        failed, batch_seconds, sink = 0, [], io.StringIO()

        def invoke(event: dict[str, Any]) -> Any:
            with contextlib.redirect_stdout(sink):
                result = handler.lambda_handler(event, Context())
            sink.seek(0)
            sink.truncate()
            return result

        def end_runs() -> None:
            if run_seconds is None:
                return
            for run_id in sorted(started.running):
                if fake.current - started.runs[run_id]["since"] >= run_seconds:
                    complete_workflow_run(config["workflow_name"], run_id)
                    started.running.discard(run_id)
                    invoke(RUN_END)

        for index, start in enumerate(range(0, len(records), batch_size)):
            begin = time.perf_counter()
            response = invoke({"Records": records[start : start + batch_size]})
            batch_seconds.append(time.perf_counter() - begin)
            failed += len(response["batchItemFailures"])
            fake.current += 1  # a batch a second: faster than any run finishes
            if index % 60 == 59:
                invoke(tick_event(config))
            end_runs()
        for step in range(100_000):  # drain: ticks after max_wait, and (backlog) run ends
            fake.current += 60
            end_runs()
            invoke(tick_event(config))
            if started.running and run_seconds is not None:
                continue
            # The bridge's own pending count is asked when the record says every object is in
            # a run, and now and then, so that a lost object cannot keep the drain going.
            due = started.files >= unique or step % 20 == 19
            if due and not handler.runtime()[1].claims.count_waiting()[0]:
                break
        runs = listed_runs(config, len(started.runs))
        in_runs = manifest_counts(runs)
    expected = {(o["key"], o["version_id"]) for o in objects}
    return {
        "deliveries": len(records),
        "unique": unique,
        "runs": len(runs),
        "ideal": math.ceil(unique / batch_size),
        "duplicate_runs": sum(c - 1 for c in in_runs.values() if c > 1),
        "lost": len(expected - set(in_runs)),
        "failed": failed,
        "ms_per_record": 1000 * sum(batch_seconds) / len(records),
        "seconds": time.perf_counter() - storm_began,
        "sizes": Counter(manifest_sizes(runs)),
        "index_queries": checks["index_queries"],
        "checked": checks["checked"],
    }


def listed_runs(config: dict[str, Any], recorded: int) -> list[dict[str, Any]]:
    """Every run moto holds, listed once at the end: the figures come from Glue's side."""
    glue = boto3.client("glue", region_name=REGION)
    runs: list[dict[str, Any]] = []
    token = None
    while True:
        page = glue.get_workflow_runs(
            Name=config["workflow_name"], MaxResults=1000, **({"NextToken": token} if token else {})
        )
        runs.extend(page["Runs"])
        token = page.get("NextToken")
        if not token:
            break
    if len(runs) != recorded:
        raise AssertionError(f"moto holds {len(runs)} runs, the bench recorded {recorded}")
    return runs


def _manifest(run: dict[str, Any]) -> dict[str, Any]:
    bucket, key = run["WorkflowRunProperties"]["manifest"].removeprefix("s3://").split("/", 1)
    body = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"]
    document: dict[str, Any] = json.loads(body.read())
    return document


def manifest_counts(runs: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    seen: Counter[tuple[str, str]] = Counter()
    for run in runs:
        seen.update((f["key"], f["version_id"]) for f in _manifest(run)["files"])
    return seen


def manifest_sizes(runs: list[dict[str, Any]]) -> list[int]:
    return [int(r["WorkflowRunProperties"]["file_count"]) for r in runs]


def lone_file_latency(config: dict[str, Any]) -> float:
    """Seconds from a lone file's arrival to its run's start, ticks every 60 s."""
    from bridge import clock, handler
    from shared.aws import reset_clients

    os.environ[BRIDGE_CONFIG_ENV] = json.dumps(config)
    fake = BenchClock()
    clock.now = fake.now
    with mock_aws(), contextlib.redirect_stdout(io.StringIO()):
        reset_clients()
        handler.runtime.cache_clear()
        create_world(config)
        arrived = fake.current
        handler.lambda_handler({"Records": [sqs_record(upload_objects(1)[0])]}, Context())
        fake.current += 17  # the tick's phase relative to the arrival: arbitrary
        while True:
            summary = handler.lambda_handler(tick_event(config), Context())
            if summary["runs_started"]:
                return fake.current - arrived
            fake.current += 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--duplicates", type=float, default=0.30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only",
        choices=("fast", "backlog"),
        help="one storm only (each takes long on moto at 10,000 deliveries: run them apart)",
    )
    args = parser.parse_args()
    random.seed(args.seed)

    imports, baseline = cold_import_seconds(), baseline_import_seconds()
    spec = load_spec_file(ROOT / "pipelines" / "orders.yaml", PREFIX).spec
    config = bridge_config(spec, FOUNDATION)
    storms = []
    if args.only in (None, "fast"):
        fast = scenario(
            {**config, "max_concurrent_runs": FAST_SLOTS}, args.deliveries, args.duplicates, None
        )
        storms.append(("fast arrivals", fast))
    if args.only in (None, "backlog"):
        backlog = scenario(
            {**config, "max_concurrent_runs": 1}, args.deliveries, args.duplicates, 240
        )
        storms.append(("backlog (1 slot, 4-min runs)", backlog))
    latency = lone_file_latency(config)
    bad = False
    for name, result in storms:
        print(f"== {name}")
        print(f"deliveries                 {result['deliveries']:>8}  (unique {result['unique']})")
        print(
            f"workflow runs started      {result['runs']:>8}  (ideal {result['ideal']}, "
            f"limit 1.05 x = {1.05 * result['ideal']:.0f})"
        )
        sizes = ", ".join(f"{n}x{size}" for size, n in sorted(result["sizes"].items()))
        print(f"run sizes                  {sizes}")
        print(f"duplicate runs of a file   {result['duplicate_runs']:>8}  (must be 0)")
        print(f"lost objects               {result['lost']:>8}  (must be 0)")
        print(f"failed records (to DLQ)    {result['failed']:>8}  (must be 0)")
        print(f"handler ms per record      {result['ms_per_record']:>8.2f}")
        print(f"storm wall clock           {result['seconds']:>8.0f} s  (moto's time included)")
        bad = bad or bool(result["duplicate_runs"] or result["lost"] or result["failed"])
    wait = int(config["max_wait_seconds"])
    print("== latency")
    print(f"lone file to run start     {latency:>8.0f} s  (max_wait {wait} s + one tick 60 s)")
    ratio = statistics.median(imports) / statistics.median(baseline)
    print("== cold start")
    print(
        f"cold import bridge.handler {1000 * statistics.median(imports):>8.0f} ms  (median of "
        f"{len(imports)}); baseline {1000 * statistics.median(baseline):.0f} ms; "
        f"ratio {ratio:.2f} (target <= 1.5)"
    )
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
