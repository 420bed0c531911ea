"""Data access: what Glue and S3 know about a failed run.

Every lookup either returns its facts or raises `LookupFailed` with a short, readable note; the
service puts the note into the alert instead of dropping the alert.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from notifier.facts import (
    JobRunFacts,
    Manifest,
    ValidationReport,
    WorkflowRunFacts,
    job_run_from_response,
    manifest_from_document,
    report_from_document,
    workflow_run_from_response,
)
from notifier.raw_schema import CatalogTable
from shared.aws import client

# A manifest of 10,000 files is about 2 MB; refuse anything far beyond what the kit writes.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


class LookupFailed(Exception):
    """A lookup could not produce its facts; str(exc) says why, for the alert."""


def job_run(job_name: str, run_id: str) -> JobRunFacts:
    try:
        response = client("glue").get_job_run(JobName=job_name, RunId=run_id)
        return job_run_from_response(response)
    except (ClientError, BotoCoreError, ValueError) as exc:
        raise LookupFailed(_describe(exc)) from exc


def workflow_run(workflow_name: str, run_id: str) -> WorkflowRunFacts:
    """Run properties, status and graph node ids in one call (GetWorkflowRun, IncludeGraph)."""
    try:
        response = client("glue").get_workflow_run(
            Name=workflow_name, RunId=run_id, IncludeGraph=True
        )
        return workflow_run_from_response(response)
    except (ClientError, BotoCoreError, ValueError) as exc:
        raise LookupFailed(_describe(exc)) from exc


def manifest(uri: str) -> Manifest:
    document = _s3_json(uri)
    try:
        return manifest_from_document(uri, document)
    except ValueError as exc:
        raise LookupFailed(f"{uri} ({exc})") from exc


def report(uri: str) -> ValidationReport:
    document = _s3_json(uri)
    try:
        return report_from_document(uri, document)
    except ValueError as exc:
        raise LookupFailed(f"{uri} ({exc})") from exc


def raw_tables(database: str, name_prefix: str) -> list[CatalogTable]:
    """The database's tables whose names begin with the prefix (GetTables, every page)."""
    try:
        pages = (
            client("glue")
            .get_paginator("get_tables")
            .paginate(DatabaseName=database, Expression=f"{name_prefix}.*")
        )
        return [
            CatalogTable(
                name=table["Name"],
                location=str(table.get("StorageDescriptor", {}).get("Location", "")),
                columns=tuple(
                    (str(c["Name"]), str(c.get("Type", "")))
                    for c in table.get("StorageDescriptor", {}).get("Columns", [])
                ),
            )
            for page in pages
            for table in page.get("TableList", [])
            if str(table.get("Name", "")).startswith(name_prefix)
        ]
    except (ClientError, BotoCoreError, KeyError) as exc:
        raise LookupFailed(_describe(exc)) from exc


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def _s3_json(uri: str) -> Any:
    parts = urlsplit(uri)
    bucket, key = parts.netloc, parts.path.lstrip("/")
    if parts.scheme != "s3" or not bucket or not key:
        raise LookupFailed(f"{uri!r} is not an s3://bucket/key URI")
    try:
        body = client("s3").get_object(Bucket=bucket, Key=key)["Body"]
        raw = body.read(MAX_DOCUMENT_BYTES + 1)
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise LookupFailed(f"{uri} is larger than {MAX_DOCUMENT_BYTES} bytes")
        return json.loads(raw)
    except (ClientError, BotoCoreError, ValueError) as exc:
        raise LookupFailed(f"{uri} ({_describe(exc)})") from exc


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "error")
        message = error.get("Message") or ""
        return f"{code}: {message}" if message else str(code)
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at line {exc.lineno}"
    return str(exc) or type(exc).__name__
