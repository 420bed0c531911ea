"""Bridge throughput against moto: 10,000 "Object Created" deliveries, 30% of them duplicates,
shuffled, through the real handler in SQS batches of the orders pipeline's max_files_per_run.

Prints the workflow runs started beside the ideal ceil(unique objects / max files per run), the
duplicate runs and lost objects (both must be 0), the handler's milliseconds per record, and the
cold import time of the handler module (in a fresh interpreter).

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


def create_world(config: dict[str, Any]) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in config["buckets"].values():
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(
        Bucket=config["buckets"]["raw"], VersioningConfiguration={"Status": "Enabled"}
    )
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=config["claims_table"],
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "pending_pipeline", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "pending",
                "KeySchema": [
                    {"AttributeName": "pending_pipeline", "KeyType": "HASH"},
                    {"AttributeName": "pk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    boto3.client("glue", region_name=REGION).create_workflow(Name=config["workflow_name"])


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--duplicates", type=float, default=0.30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    random.seed(args.seed)

    imports = cold_import_seconds()
    spec = load_spec_file(ROOT / "pipelines" / "orders.yaml", PREFIX).spec
    config = bridge_config(spec, FOUNDATION)
    batch_size = int(config["max_files_per_run"])
    os.environ[BRIDGE_CONFIG_ENV] = json.dumps(config)

    unique = round(args.deliveries * (1 - args.duplicates))
    with mock_aws():
        from bridge import handler
        from shared.aws import reset_clients

        reset_clients()
        handler.runtime.cache_clear()
        create_world(config)
        objects = upload_objects(unique)
        deliveries = objects + [random.choice(objects) for _ in range(args.deliveries - unique)]
        random.shuffle(deliveries)
        records = [sqs_record(obj) for obj in deliveries]

        failed = 0
        batch_seconds = []
        sink = io.StringIO()
        for start in range(0, len(records), batch_size):
            event = {"Records": records[start : start + batch_size]}
            begin = time.perf_counter()
            with contextlib.redirect_stdout(sink):
                response = handler.lambda_handler(event, Context())
            batch_seconds.append(time.perf_counter() - begin)
            failed += len(response["batchItemFailures"])
            sink.seek(0)
            sink.truncate()

        glue = boto3.client("glue", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        runs, token = [], None
        while True:
            page = glue.get_workflow_runs(
                Name=config["workflow_name"],
                MaxResults=1000,
                **({"NextToken": token} if token else {}),
            )
            runs.extend(page["Runs"])
            token = page.get("NextToken")
            if not token:
                break
        in_runs: Counter[tuple[str, str]] = Counter()
        for run in runs:
            bucket, key = (
                run["WorkflowRunProperties"]["manifest"].removeprefix("s3://").split("/", 1)
            )
            manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            in_runs.update((f["key"], f["version_id"]) for f in manifest["files"])

    expected = {(o["key"], o["version_id"]) for o in objects}
    duplicate_runs = sum(count - 1 for count in in_runs.values() if count > 1)
    lost = len(expected - set(in_runs))
    ideal = math.ceil(unique / batch_size)
    total_seconds = sum(batch_seconds)
    print(f"deliveries                 {len(records):>8}  ({len(records) - unique} duplicates)")
    print(f"unique objects             {unique:>8}")
    print(f"SQS batch size             {batch_size:>8}  (orders max_files_per_run)")
    print(f"batches                    {len(batch_seconds):>8}")
    print(
        f"workflow runs started      {len(runs):>8}  (ideal ceil({unique}/{batch_size}) = {ideal})"
    )
    print(f"duplicate runs of a file   {duplicate_runs:>8}  (must be 0)")
    print(f"lost objects               {lost:>8}  (must be 0)")
    print(f"failed records             {failed:>8}")
    print(f"handler ms per record      {1000 * total_seconds / len(records):>8.2f}")
    print(f"handler ms per batch       {1000 * statistics.median(batch_seconds):>8.1f}  (median)")
    print(
        f"cold import bridge.handler {1000 * statistics.median(imports):>8.0f} ms"
        f"  (median of {len(imports)}, min {1000 * min(imports):.0f} ms, fresh interpreter)"
    )
    if duplicate_runs or lost:
        sys.exit(1)


if __name__ == "__main__":
    main()
