"""`gluekit rollback PIPELINE`: roll the curated Iceberg table back to an earlier snapshot.

The compact job does it (Iceberg's rollback_to_snapshot / rollback_to_timestamp): on AWS as a
Glue job run of the deployed job, with `--local` on the local Spark against the local run's
table.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.ops.errors import OpsError, explain
from gluekit.ops.output import Printer
from gluekit.ops.session import Pipeline


def rollback_arguments(args: argparse.Namespace) -> dict[str, str]:
    if args.to_snapshot:
        return {"--rollback_to_snapshot": args.to_snapshot}
    return {"--rollback_to_time": args.to_time}


def rollback_on_aws(pipeline: Pipeline, arguments: dict[str, str], printer: Printer) -> int:
    job = pipeline.names.job("compact")
    try:
        response = pipeline.client("glue").start_job_run(JobName=job, Arguments=arguments)
    except (BotoCoreError, ClientError) as exc:  # no credentials, not deployed, access denied
        reason = explain(exc, f"starting {job}", deploy_hint=pipeline.deploy_command)
        raise OpsError(f"cannot start {job}: {reason}") from None
    document: dict[str, Any] = {
        "pipeline": pipeline.name,
        "job_name": job,
        "job_run_id": response["JobRunId"],
        "arguments": arguments,
    }
    printer.emit(
        document,
        lambda: [
            f"started {job} run {response['JobRunId']} ({', '.join(arguments)})",
            f"Follow it with: aws glue get-job-run --job-name {job} --run-id "
            f"{response['JobRunId']} --query JobRun.JobRunState",
        ],
    )
    return 0


def rollback_locally(args: argparse.Namespace) -> int:
    from gluekit.local.cli import pipeline_spec
    from gluekit.local.maintenance import rollback

    spec, prefix = pipeline_spec(args)
    try:
        details = rollback(
            spec, prefix, args.workdir, snapshot=args.to_snapshot, to_time=args.to_time
        )
    except Exception as exc:  # the job's own message says what was refused
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    snapshot = details.get("snapshot") or {}
    Printer(as_json=args.json).emit(
        {"pipeline": spec.name, "snapshot": snapshot},
        lambda: [f"{spec.name}: main is now snapshot {snapshot.get('snapshot_id')}"],
    )
    return 0
