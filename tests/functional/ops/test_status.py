"""`gluekit status`: runs, pending files, DLQ depth, alarms and freshness."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.functional.ops.conftest import (
    NOW,
    ORDERS,
    World,
    job_run,
    orders_csv,
    workflow_run,
)

OLD, NEW = "wr_" + "0" * 64, "wr_" + "1" * 64


def script_two_runs(world: World) -> None:
    """Glue lists the older run first (its order is undocumented); each is then read with its
    graph, newest first."""
    glue = world.stub("glue")
    older = workflow_run(
        OLD,
        started=NOW - timedelta(hours=30),
        properties={
            "batch_id": "b-old",
            "file_count": "3",
            "validation_status": "passed",
            "validation_summary": "7 rules passed",
            "published_at": (NOW - timedelta(hours=30)).isoformat(),
        },
    )
    newer = workflow_run(
        NEW,
        started=NOW - timedelta(minutes=10),
        steps={
            "transform": job_run("transform", "SUCCEEDED"),
            "validate": job_run("validate", "FAILED", ErrorMessage="ValidationFailed: 1 rule"),
            "publish": None,
        },
        properties={
            "batch_id": "b-new",
            "file_count": "2",
            "gluekit_run_id": NEW,
            "validation_status": "failed",
            "validation_summary": "range(amount) failed: 2 rows above 100000",
        },
    )
    glue.add_response(
        "get_workflow_runs",
        {"Runs": [_listed(older), _listed(newer)]},
        {"Name": ORDERS.workflow, "MaxResults": 100, "IncludeGraph": False},
    )
    for run in (newer, older):
        glue.add_response(
            "get_workflow_run",
            {"Run": run},
            {"Name": ORDERS.workflow, "RunId": run["WorkflowRunId"], "IncludeGraph": True},
        )


def _listed(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "Graph"}


def test_status_shows_runs_pending_dlq_alarms_and_staleness(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    script_two_runs(world)
    world.summary(NEW, "transform", rows_in=120, rows_out=117, rows_rejected=3)
    world.arrive("orders/waiting.csv", orders_csv("o1"), monkeypatch)
    world.time.current = NOW + timedelta(seconds=90)
    for n in range(2):
        world.sqs.send_message(QueueUrl=world.dlq_url, MessageBody=f"unreadable {n}")
    world.alarm("rejected-rows", "ALARM")
    world.alarm("stale", "OK")
    world.alarm("stale", "ALARM", pipeline="orders-eu")  # another pipeline, same name start

    result = world.gluekit("status", "orders", "--json")

    assert result.status == 0, result.err
    status = result.json
    assert [r["run_id"] for r in status["runs"]] == [NEW, OLD]  # newest first
    newest = status["runs"][0]
    assert newest["steps"] == {"transform": "SUCCEEDED", "validate": "FAILED", "publish": "-"}
    assert (newest["rows_in"], newest["rows_out"], newest["rows_rejected"]) == (120, 117, 3)
    assert newest["validation"] == {
        "status": "failed",
        "summary": "range(amount) failed: 2 rows above 100000",
    }
    assert newest["file_count"] == 2
    assert status["pending"]["count"] == 1
    assert status["pending"]["oldest_age_seconds"] == 90
    assert status["dlq_depth"] == 2
    assert [a["name"] for a in status["alarms"]] == [ORDERS.alarm("rejected-rows")]
    publish = status["last_publish"]
    assert publish["age_seconds"] == 30 * 3600 + 90
    assert publish["fresh"] is False  # orders expects a publish every 24 h


def test_status_table_for_people(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    script_two_runs(world)
    world.arrive("orders/waiting.csv", orders_csv("o1"), monkeypatch)
    world.time.current = NOW + timedelta(minutes=3)

    result = world.gluekit("status", "orders")

    assert result.status == 0, result.err
    lines = result.out.splitlines()
    newest = next(line for line in lines if line.strip().startswith(NEW))
    assert newest.split()[3:6] == ["SUCCEEDED", "FAILED", "-"]
    assert newest.endswith("failed: range(amount) failed: 2 rows above 100000")
    assert "Pending:      1 file, oldest 3 min 0 s\n" in result.out
    assert "Bridge DLQ:   empty\n" in result.out
    assert "STALE, expected every 24 h" in result.out


def test_status_of_every_pipeline_names_the_one_not_deployed(world: World) -> None:
    # orders is deployed (moto); events is not: its row says so and the exit status is 1
    result = world.gluekit("status", "--json")

    assert result.status == 1
    rows = {row["pipeline"]: row for row in result.json["pipelines"]}
    assert rows["orders"]["runs"] == [] and rows["orders"]["pending"]["count"] == 0
    assert "is the stack deployed in this account and region" in rows["events"]["error"]


def test_status_of_a_pipeline_not_deployed_is_one_line(world: World) -> None:
    result = world.gluekit("status", "events")

    assert result.status == 1
    assert result.err.startswith("error: not found while listing the workflow's runs")
    assert "npx cdk deploy -c env=dev gluekit-dev-events" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_no_credentials_is_one_line(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    result = world.gluekit("status", "orders")

    assert result.status == 1
    assert result.err.strip() == (
        "error: no AWS credentials found: run 'aws configure' or 'aws sso login', or pass "
        "--profile NAME"
    )


def test_an_unknown_profile_is_one_line(world: World) -> None:
    result = world.gluekit("status", "orders", "--profile", "nope")

    assert result.status == 1
    assert "The config profile (nope) could not be found" in result.err
    assert len(result.err.strip().splitlines()) == 1
