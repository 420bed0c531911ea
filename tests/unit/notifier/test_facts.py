"""Parsing what Glue and S3 return into the facts an alert shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifier.facts import (
    job_run_from_response,
    manifest_from_document,
    report_from_document,
    workflow_run_from_response,
)

RUN_ID = "wr_" + "a1" * 32


def test_job_run_yields_its_workflow_and_timings() -> None:
    response = {
        "JobRun": {
            "Id": "jr_1",
            "JobName": "gluekit-dev-orders-validate",
            "Arguments": {"--WORKFLOW_NAME": "gluekit-dev-orders", "--WORKFLOW_RUN_ID": RUN_ID},
            "StartedOn": datetime(2026, 5, 4, 1, 12, tzinfo=UTC),
            "ExecutionTime": 125,
            "Timeout": 30,
            "ErrorMessage": "boom",
            "Attempt": 1,
        }
    }

    facts = job_run_from_response(response)

    assert (facts.workflow_name, facts.workflow_run_id) == ("gluekit-dev-orders", RUN_ID)
    assert (facts.execution_seconds, facts.timeout_minutes, facts.attempt) == (125, 30, 1)
    assert facts.error_message == "boom"


def test_job_run_started_by_hand_has_no_workflow() -> None:
    facts = job_run_from_response({"JobRun": {"Id": "jr_1"}})

    assert facts.workflow_run_id is None
    assert facts.workflow_name is None


def test_workflow_run_graph_gives_each_jobs_node_id() -> None:
    response = {
        "Run": {
            "Name": "gluekit-dev-orders",
            "WorkflowRunId": RUN_ID,
            "Status": "COMPLETED",
            "WorkflowRunProperties": {"manifest": "s3://a/m.json", "batch_id": "b1"},
            "Graph": {
                "Nodes": [
                    {"Type": "TRIGGER", "Name": "gluekit-dev-orders-start", "UniqueId": "wnode_t"},
                    {"Type": "JOB", "Name": "gluekit-dev-orders-transform", "UniqueId": "wnode_1"},
                    {"Type": "JOB", "Name": "gluekit-dev-orders-validate", "UniqueId": "wnode_2"},
                ],
                "Edges": [{"SourceId": "wnode_t", "DestinationId": "wnode_1"}],
            },
        }
    }

    facts = workflow_run_from_response(response)

    assert facts.status == "COMPLETED"
    assert dict(facts.properties) == {"manifest": "s3://a/m.json", "batch_id": "b1"}
    assert dict(facts.job_node_ids) == {
        "gluekit-dev-orders-transform": "wnode_1",
        "gluekit-dev-orders-validate": "wnode_2",
    }


def test_manifest_lists_its_files_with_sizes() -> None:
    manifest = manifest_from_document(
        "s3://a/m.json",
        {"batch_id": "b1", "files": [{"uri": "s3://raw/x.csv", "size": 10}, {"uri": "s3://raw/y"}]},
    )

    assert [(f.uri, f.size) for f in manifest.files] == [
        ("s3://raw/x.csv", 10),
        ("s3://raw/y", None),
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"uris": []}, "no 'files' list"),
        ([], "no 'files' list"),
        ({"files": [{"size": 3}]}, "manifest file entry without a uri"),
    ],
)
def test_documents_that_are_not_manifests_are_rejected(document: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        manifest_from_document("s3://a/m.json", document)


def rule(name: str, severity: str, status: str) -> dict[str, object]:
    return {"rule": name, "column": "c", "severity": severity, "status": status,
            "observed": 1, "threshold": 2, "message": "", "offending_rows": 0}  # fmt: skip


def test_report_separates_failures_from_warnings_and_passes() -> None:
    report = report_from_document(
        "s3://a/r.json",
        {
            "status": "failed",
            "rows": 10,
            "rules": [
                rule("row_count", "error", "passed"),
                rule("range", "error", "failed"),
                rule("null_rate", "warn", "failed"),
                rule("freshness", "warn", "warn"),
                rule("unique_key", "error", "PASS"),
            ],
        },
    )

    assert [r.rule for r in report.failures] == ["range"]
    assert [r.rule for r in report.warnings] == ["null_rate", "freshness"]
    assert report.rows == 10


def test_documents_that_are_not_reports_are_rejected() -> None:
    with pytest.raises(ValueError, match="no 'rules' list"):
        report_from_document("s3://a/r.json", {"status": "failed"})
    with pytest.raises(ValueError, match="report rule without a name"):
        report_from_document("s3://a/r.json", {"rules": [{"status": "failed"}]})
