"""Data access: the calls made and how failures turn into notes (botocore Stubber, no moto:
moto's GetWorkflowRun returns no graph)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from notifier import lookups
from shared.aws import client, reset_clients

RUN_ID = "wr_" + "1c" * 32


@pytest.fixture
def glue() -> Iterator[Stubber]:
    reset_clients()
    with Stubber(client("glue")) as stub:
        yield stub
        stub.assert_no_pending_responses()
    reset_clients()


def test_workflow_run_is_read_with_its_graph(glue: Stubber) -> None:
    glue.add_response(
        "get_workflow_run",
        {
            "Run": {
                "Status": "COMPLETED",
                "WorkflowRunProperties": {"manifest": "s3://a/m.json"},
                "Graph": {"Nodes": [{"Type": "JOB", "Name": "j", "UniqueId": "wnode_9"}]},
            }
        },
        {"Name": "gluekit-dev-orders", "RunId": RUN_ID, "IncludeGraph": True},
    )

    facts = lookups.workflow_run("gluekit-dev-orders", RUN_ID)

    assert dict(facts.job_node_ids) == {"j": "wnode_9"}


def test_service_errors_become_a_readable_note(glue: Stubber) -> None:
    glue.add_client_error(
        "get_job_run",
        service_error_code="AccessDeniedException",
        service_message="not authorized to perform: glue:GetJobRun",
    )

    with pytest.raises(lookups.LookupFailed) as failure:
        lookups.job_run("gluekit-dev-orders-transform", "jr_1")

    assert str(failure.value) == (
        "AccessDeniedException: not authorized to perform: glue:GetJobRun"
    )


@pytest.mark.parametrize("uri", ["https://a/b.json", "s3://bucket-only", "manifest.json"])
def test_a_manifest_property_that_is_not_an_s3_uri_is_a_note(uri: str) -> None:
    with pytest.raises(lookups.LookupFailed, match="is not an s3://bucket/key URI"):
        lookups.manifest(uri)
