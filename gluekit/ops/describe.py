"""`gluekit describe PIPELINE`: what is deployed, from the stacks' outputs.

The foundation stack's outputs (buckets, database, claims table, alerts topic) and the
pipeline stack's (raw prefix and the other places in the shared buckets, bridge queue and DLQ,
workflow, jobs, curated table, dashboard), with each stack's status and last update. An output
that differs from what this checkout's spec and `gluekit.naming` would deploy is flagged: the
deployed stack is older or newer than the checkout.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gluekit.ops.errors import OpsError, error_code, error_message, explain
from gluekit.ops.output import fields, iso
from gluekit.ops.session import Pipeline


def describe(pipeline: Pipeline) -> dict[str, Any]:
    foundation = pipeline.target.foundation
    stacks = [
        _stack(pipeline, foundation.stack, _expected_foundation(pipeline)),
        _stack(pipeline, pipeline.names.stack, _expected_pipeline(pipeline)),
    ]
    return {
        "pipeline": pipeline.name,
        "account": pipeline.target.account,
        "region": pipeline.target.region,
        "stacks": stacks,
    }


def _stack(pipeline: Pipeline, name: str, expected: dict[str, str]) -> dict[str, Any]:
    try:
        stack = pipeline.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in error_message(exc):
            target = pipeline.target
            raise OpsError(
                f"stack {name} is not deployed in account {target.account}, region "
                f"{target.region}: deploy it with {target.deploy_command(name)}"
            ) from None
        raise OpsError(explain(exc, f"reading stack {name}")) from None
    except BotoCoreError as exc:
        raise OpsError(explain(exc, f"reading stack {name}")) from None
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in stack.get("Outputs", [])}
    differs = {
        key: {"deployed": outputs[key], "this_checkout": value}
        for key, value in expected.items()
        if key in outputs and outputs[key] != value
    }
    return {
        "name": name,
        "status": stack.get("StackStatus"),
        "updated": iso(stack.get("LastUpdatedTime") or stack.get("CreationTime")),
        "outputs": dict(sorted(outputs.items())),
        "differs": differs,
    }


def _expected_foundation(pipeline: Pipeline) -> dict[str, str]:
    names = pipeline.target.foundation
    return {
        "RawBucketName": names.raw_bucket,
        "CuratedBucketName": names.curated_bucket,
        "QuarantineBucketName": names.quarantine_bucket,
        "ArtifactsBucketName": names.artifacts_bucket,
        "DatabaseName": names.database,
        "ClaimsTableName": names.claims_table,
    }


def _expected_pipeline(pipeline: Pipeline) -> dict[str, str]:
    names, foundation = pipeline.names, pipeline.target.foundation
    expected = {
        "WorkflowName": names.workflow,
        "RawPrefix": f"s3://{foundation.raw_bucket}/{pipeline.spec.raw_prefix}",
        "DashboardName": names.dashboard,
        "TableName": f"{foundation.database}.{names.table}",
    }
    if pipeline.spec.is_derived:  # no files: the stack has no RawPrefix output
        del expected["RawPrefix"]
    return expected


def describe_lines(document: dict[str, Any]) -> list[str]:
    lines = [
        f"{document['pipeline']} in account {document['account']}, region {document['region']}"
    ]
    for stack in document["stacks"]:
        lines += ["", f"Stack {stack['name']} ({stack['status']}, updated {stack['updated']}):"]
        lines += ["  " + line for line in fields(stack["outputs"].items())]
        for key, values in stack["differs"].items():
            lines.append(
                f"  ! {key}: deployed {values['deployed']}, this checkout would deploy "
                f"{values['this_checkout']} (deploy, or check out what is deployed)"
            )
    return lines
