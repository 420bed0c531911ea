"""Console links and copy-paste AWS CLI commands, with the real names and ids filled in.

Pure string building. Every argument of a command goes through shell quoting, so an S3 key with
spaces or quotes still pastes into a shell as one argument.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

# Run properties the Glue jobs write while a run is under way (gluekit_glue.jobs: transform's
# data run id, validate's summary, publish's time); a replay starts with the bridge's properties
# only, so it must not inherit these. tests/glue/test_pipeline.py keeps the two in step.
RUN_WRITTEN_PROPERTIES = frozenset(
    {"gluekit_run_id", "validation_summary", "validation_status", "published_at"}
)
_DOUBLE_QUOTE_SAFE = re.compile(r'^[^"$`\\!]*$')


def console(region: str) -> str:
    return f"https://{region}.console.aws.amazon.com"


def job_run_url(region: str, job_name: str, run_id: str) -> str:
    return (
        f"{console(region)}/gluestudio/home?region={region}"
        f"#/job/{quote(job_name, safe='')}/run/{quote(run_id, safe='')}"
    )


def workflow_run_url(region: str, workflow_name: str, run_id: str) -> str:
    return (
        f"{console(region)}/glue/home?region={region}#/v2/etl-configuration/workflows/run/"
        f"{quote(workflow_name, safe='')}?runId={quote(run_id, safe='')}"
    )


def crawler_url(region: str, crawler_name: str) -> str:
    return (
        f"{console(region)}/glue/home?region={region}#/v2/data-catalog/crawlers/view/"
        f"{quote(crawler_name, safe='')}"
    )


def s3_object_url(region: str, uri: str) -> str | None:
    """The S3 console page of an `s3://bucket/key` object, or None for anything else."""
    parts = urlsplit(uri)
    key = parts.path.lstrip("/")
    if parts.scheme != "s3" or not parts.netloc or not key:
        return None
    return (
        f"{console(region)}/s3/object/{quote(parts.netloc, safe='')}"
        f"?region={region}&prefix={quote(key, safe='/')}"
    )


def resume_command(
    region: str, workflow_name: str, run_id: str, job_name: str, node_id: str | None
) -> str:
    """ResumeWorkflowRun for the failed job's node (and, by Glue's rules, what follows it).

    Without a known node id the command looks it up itself, so it is still one paste.
    """
    if node_id:
        node = shlex.quote(node_id)
    else:
        query = f"Run.Graph.Nodes[?Type=='JOB' && Name=='{job_name}'].UniqueId"
        lookup = _cli(
            "get-workflow-run", region, "--name", workflow_name, "--run-id", run_id,
            "--include-graph", "--query", _RawArg(_double_quoted(query)), "--output", "text",
        )  # fmt: skip
        node = f'"$({lookup})"'
    return _cli(
        "resume-workflow-run", region, "--name", workflow_name, "--run-id", run_id,
        "--node-ids", _RawArg(node),
    )  # fmt: skip


def replay_command(region: str, workflow_name: str, run_properties: Mapping[str, str]) -> str:
    """StartWorkflowRun with the failed run's start properties: the same batch, a new run."""
    properties = {
        k: v for k, v in sorted(run_properties.items()) if k not in RUN_WRITTEN_PROPERTIES
    }
    return _cli(
        "start-workflow-run", region, "--name", workflow_name,
        "--run-properties", json.dumps(properties, separators=(",", ":"), ensure_ascii=False),
    )  # fmt: skip


def workflow_status_command(region: str, workflow_name: str, run_id: str) -> str:
    return _cli(
        "get-workflow-run", region, "--name", workflow_name, "--run-id", run_id,
        "--query", "Run.[Status,Statistics]",
    )  # fmt: skip


def job_run_arguments_command(region: str, job_name: str, run_id: str) -> str:
    return _cli(
        "get-job-run", region, "--job-name", job_name, "--run-id", run_id,
        "--query", "JobRun.Arguments",
    )  # fmt: skip


def start_job_command(region: str, job_name: str) -> str:
    return _cli("start-job-run", region, "--job-name", job_name)


def start_crawler_command(region: str, crawler_name: str) -> str:
    return _cli("start-crawler", region, "--name", crawler_name)


def last_crawl_command(region: str, crawler_name: str) -> str:
    return _cli("get-crawler", region, "--name", crawler_name, "--query", "Crawler.LastCrawl")


def table_columns_command(region: str, database: str, table: str) -> str:
    return _cli(
        "get-table", region, "--database-name", database, "--name", table,
        "--query", "Table.StorageDescriptor.Columns",
    )  # fmt: skip


def s3_read_command(uri: str) -> str:
    return " ".join(["aws", "s3", "cp", shlex.quote(uri), "-"])


def s3_upload_command(local_name: str, bucket: str, key: str) -> str:
    return " ".join(
        ["aws", "s3", "cp", shlex.quote(local_name), shlex.quote(f"s3://{bucket}/{key}")]
    )


# --- Step Functions (orchestrator: step-functions) -------------------------------------------


def execution_url(region: str, execution_arn: str) -> str:
    return (
        f"{console(region)}/states/home?region={region}#/v2/executions/details/"
        f"{quote(execution_arn, safe='')}"
    )


def start_execution_command(
    region: str, state_machine_arn: str, name: str, document: Mapping[str, str]
) -> str:
    """StartExecution with a batch's input (a resume names its step in start_at)."""
    words = [
        "aws", "stepfunctions", "start-execution", "--region", region,
        "--state-machine-arn", state_machine_arn, "--name", name,
        "--input", json.dumps(dict(document), separators=(",", ":"), ensure_ascii=False),
    ]  # fmt: skip
    return " ".join(shlex.quote(word) for word in words)


def describe_execution_command(region: str, execution_arn: str) -> str:
    words = [
        "aws", "stepfunctions", "describe-execution", "--region", region,
        "--execution-arn", execution_arn, "--query", "[status,error,cause]",
    ]  # fmt: skip
    return " ".join(shlex.quote(word) for word in words)


class _RawArg(str):
    """An argument that is already shell-quoted."""


def _cli(operation: str, region: str, *args: str) -> str:
    words = ["aws", "glue", operation, "--region", shlex.quote(region)]
    words += [a if isinstance(a, _RawArg) else shlex.quote(a) for a in args]
    return " ".join(words)


def _double_quoted(text: str) -> str:
    """Double quotes read better than shlex's for a JMESPath query full of single quotes."""
    return f'"{text}"' if _DOUBLE_QUOTE_SAFE.match(text) else shlex.quote(text)
