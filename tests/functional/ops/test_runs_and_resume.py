"""`gluekit runs` (one run in detail) and `gluekit resume` (its failed steps again).

moto has neither a run's Graph nor ResumeWorkflowRun: Glue's answers are scripted with Stubber,
in the documented shapes; S3 and the claims table are moto's.
"""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber

from tests.functional.ops.conftest import FOUNDATION, ORDERS, World, job_run, workflow_run

RUN = "wr_" + "a" * 64
RESUMED = "wr_" + "b" * 64
MANIFEST = f"s3://{FOUNDATION.artifacts_bucket}/manifests/orders/b1.json"


def failed_at_validate(status: str = "COMPLETED") -> dict[str, Any]:
    return workflow_run(
        RUN,
        status=status,
        steps={
            "transform": job_run("transform", "SUCCEEDED", DPUSeconds=150.0),
            "validate": job_run(
                "validate", "FAILED", ErrorMessage="ValidationFailed: range(amount) failed"
            ),
            "publish": None,  # never reached
        },
        properties={"manifest": MANIFEST, "batch_id": "b1", "file_count": "1"},
    )


def answer_run(glue: Stubber, run: dict[str, Any]) -> None:
    glue.add_response(
        "get_workflow_run",
        {"Run": run},
        {"Name": ORDERS.workflow, "RunId": run["WorkflowRunId"], "IncludeGraph": True},
    )


def seed_artifacts(world: World) -> None:
    world.put_json(
        FOUNDATION.artifacts_bucket,
        "manifests/orders/b1.json",
        {
            "files": [
                {
                    "bucket": FOUNDATION.raw_bucket,
                    "key": "orders/a.csv",
                    "version_id": "v1",
                    "size": 120,
                    "uri": f"s3://{FOUNDATION.raw_bucket}/orders/a.csv",
                }
            ]
        },
    )
    rows_uri = f"s3://{FOUNDATION.quarantine_bucket}/orders/rows/run_id={RUN}/"
    world.summary(
        RUN,
        "transform",
        rows_in=10,
        rows_out=8,
        rows_rejected=2,
        files_rejected=[{"uri": "s3://raw/orders/b.csv", "reason": "empty file"}],
        details={"row_rejects": rows_uri, "reject_reasons": [{"reason": "cast", "rows": 2}]},
    )
    world.s3.put_object(
        Bucket=FOUNDATION.quarantine_bucket, Key=f"orders/rows/run_id={RUN}/part-0.json", Body=b"{}"
    )
    world.put_json(
        FOUNDATION.artifacts_bucket,
        f"reports/orders/{RUN}.json",
        {
            "status": "failed",
            "summary": "1 of 2 rules failed",
            "rows": 8,
            "rules": [
                {"rule": "range", "column": "amount", "severity": "error", "status": "failed",
                 "observed": 2, "threshold": {"max": 100000}, "message": "2 rows above"},
                {"rule": "row_count", "severity": "error", "status": "passed", "observed": 8,
                 "threshold": {"min": 1}},
            ],
        },
    )  # fmt: skip


def test_runs_shows_files_steps_validation_and_quarantine(world: World) -> None:
    answer_run(world.stub("glue"), failed_at_validate())
    seed_artifacts(world)

    result = world.gluekit("runs", "orders", RUN, "--json")

    assert result.status == 0, result.err
    detail = result.json
    assert detail["manifest"]["files"] == [
        {"uri": f"s3://{FOUNDATION.raw_bucket}/orders/a.csv", "version_id": "v1", "size": 120}
    ]
    steps = {s["step"]: s for s in detail["steps"]}
    assert steps["transform"]["dpu_seconds"] == 150.0  # Glue's own figure
    assert steps["validate"]["dpu_seconds"] == 180.0  # 90 s x 2 G.1X workers
    assert steps["validate"]["error"] == "ValidationFailed: range(amount) failed"
    assert steps["publish"] == {"step": "publish", "state": "-"}
    assert [r["status"] for r in detail["validation"]["rules"]] == ["failed", "passed"]
    assert detail["quarantine"]["files"] == [
        {"uri": "s3://raw/orders/b.csv", "reason": "empty file"}
    ]
    assert detail["quarantine"]["rows_rejected"] == 2
    assert detail["quarantine"]["row_objects"] == 1


def test_runs_for_people(world: World) -> None:
    answer_run(world.stub("glue"), failed_at_validate())
    seed_artifacts(world)

    result = world.gluekit("runs", "orders", RUN)

    assert result.status == 0, result.err
    assert "Files (1, manifest s3://" in result.out
    assert "FAILED       range(amount): observed 2, expected {'max': 100000} [error]" in result.out
    assert "file s3://raw/orders/b.csv: empty file" in result.out
    assert "2 x cast" in result.out


def test_runs_of_an_unknown_run_says_where_to_find_the_runs(world: World) -> None:
    result = world.gluekit("runs", "orders", "wr_nope")  # moto: the workflow has no such run

    assert result.status == 1
    assert result.err.startswith(
        "error: no run wr_nope of workflow gluekit-dev-orders (list the recent ones with: "
        "gluekit status orders)"
    )


def test_resume_reruns_the_failed_node_in_a_slot_of_its_own(world: World) -> None:
    glue = world.stub("glue")
    answer_run(glue, failed_at_validate())
    glue.add_response(
        "resume_workflow_run",
        {"RunId": RESUMED, "NodeIds": ["wnode_validate"]},
        {"Name": ORDERS.workflow, "RunId": RUN, "NodeIds": ["wnode_validate"]},
    )

    result = world.gluekit("resume", "orders", RUN, "--json")

    assert result.status == 0, result.err
    glue.assert_no_pending_responses()
    assert result.json["resume_from"] == ["validate"]
    assert result.json["new_run_id"] == RESUMED
    # the resumed run holds a slot (settled), which the run-end event will free
    [entry] = world.slots()["runs"]["M"].values()
    assert entry["M"]["run_id"]["S"] == RESUMED and entry["M"]["settled"]["BOOL"] is True
    assert "holder" not in world.slots()


def test_resume_refuses_a_run_that_is_still_running(world: World) -> None:
    answer_run(world.stub("glue"), failed_at_validate(status="RUNNING"))

    result = world.gluekit("resume", "orders", RUN)

    assert result.status == 1
    assert result.err.strip() == (
        f"error: run {RUN} is RUNNING: Glue resumes only COMPLETED runs; wait until it has "
        f"finished (gluekit runs orders {RUN} shows its steps)"
    )
    assert world.slots() == {}


def test_resume_refuses_a_run_whose_steps_all_succeeded(world: World) -> None:
    answer_run(world.stub("glue"), workflow_run(RUN))

    result = world.gluekit("resume", "orders", RUN)

    assert result.status == 1
    assert "every step of run" in result.err and f"gluekit replay orders --run {RUN}" in result.err


def test_resume_refuses_when_every_slot_is_taken(world: World) -> None:
    from gluekit.ops.bridge_state import gateways
    from gluekit.ops.session import Pipeline, open_target

    answer_run(world.stub("glue"), failed_at_validate())
    # the bridge's one slot holds a run Glue still runs (moto's runs stay RUNNING)
    running = world.glue.start_workflow_run(Name=ORDERS.workflow)["RunId"]
    from gluekit.environments import load_environment

    slots = gateways(Pipeline(open_target(load_environment("dev"), None, None), world.spec)).slots
    assert slots.acquire("start-x", 10**10, 0) is not None
    assert slots.reserve("start-x", "b-running", 0, 1)
    slots.record_run("b-running", running, settled=True)
    slots.give_up("start-x")

    result = world.gluekit("resume", "orders", RUN)

    assert result.status == 1
    assert result.err.strip() == (
        "error: all 1 run slot(s) of the pipeline are taken: resume once a run has ended "
        "(gluekit status orders shows the runs)"
    )


def test_glue_refusing_the_resume_frees_the_slot_and_says_why(world: World) -> None:
    glue = world.stub("glue")
    answer_run(glue, failed_at_validate())
    glue.add_client_error(
        "resume_workflow_run",
        service_error_code="ConcurrentRunsExceededException",
        service_message="Concurrent runs exceeded",
    )

    result = world.gluekit("resume", "orders", RUN)

    assert result.status == 1
    assert "Glue refused: the workflow runs as many runs as it may" in result.err
    assert world.slots()["runs"]["M"] == {}


def test_resume_dry_run_names_the_nodes_and_resumes_nothing(world: World) -> None:
    answer_run(world.stub("glue"), failed_at_validate())

    result = world.gluekit("resume", "orders", RUN, "--dry-run")

    assert result.status == 0, result.err
    assert f"Would resume run {RUN} of orders: Glue reruns validate, publish." in result.out
    assert "wnode_validate" in result.out
    assert world.slots() == {}
