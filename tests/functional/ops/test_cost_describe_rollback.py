"""`gluekit cost`, `gluekit describe` and `gluekit rollback` against the deployed names."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gluekit.ops.cost import cron_runs_per_day
from tests.functional.ops.conftest import FOUNDATION, NOW, ORDERS, PREFIX, World


def job_runs(*runs: dict[str, Any]) -> dict[str, Any]:
    return {"JobRuns": list(runs)}


def run(days_ago: float, **fields: Any) -> dict[str, Any]:
    return {
        "Id": f"jr_{days_ago}",
        "JobName": "x",
        "StartedOn": NOW - timedelta(days=days_ago),
        "JobRunState": "SUCCEEDED",
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        **fields,
    }


def test_cost_prices_the_dpu_seconds_of_the_last_days(world: World) -> None:
    glue = world.stub("glue")
    answers = {
        "transform": job_runs(
            run(1, ExecutionTime=600),  # 600 s x 2 DPUs, standard
            run(2, ExecutionTime=700, DPUSeconds=720.0, ExecutionClass="FLEX"),  # Glue's figure
            run(8, ExecutionTime=9999),  # before the window
        ),
        "validate": job_runs(run(1, ExecutionTime=30, JobRunState="FAILED")),  # billed 1 min
        "publish": job_runs(run(1, ExecutionTime=90)),
        "compact": job_runs(),
    }
    for step, answer in answers.items():
        glue.add_response("get_job_runs", answer, {"JobName": ORDERS.job(step)})

    result = world.gluekit("cost", "orders", "--days", "7", "--json")

    assert result.status == 0, result.err
    cost = result.json
    jobs = {j["step"]: j for j in cost["jobs"]}
    assert jobs["transform"]["runs"] == 2
    assert jobs["validate"]["failed_runs"] == 1
    assert cost["dpu_hours"] == pytest.approx((1200 + 720 + 120 + 180) / 3600)
    expected = (1200 * 0.44 + 720 * 0.29 + 120 * 0.44 + 180 * 0.44) / 3600
    assert cost["price"] == pytest.approx(expected)
    assert cost["price_per_day"] == pytest.approx(expected / 7)
    assert cost["currency"] == "USD"


def test_the_price_per_dpu_hour_is_the_environments(world: World, tmp_path: Path) -> None:
    environments = tmp_path / "environments.yaml"
    environments.write_text("dev:\n  dpu_hour_price: 1.0\n  price_currency: EUR\n")
    glue = world.stub("glue")
    glue.add_response("get_job_runs", job_runs(run(1, ExecutionTime=1800)))
    for _ in range(3):
        glue.add_response("get_job_runs", job_runs())

    result = world.gluekit("cost", "orders", "--environments-file", str(environments))

    assert result.status == 0, result.err
    assert "Total: 1.000 DPU-hours, 1.00 EUR" in result.out


def test_estimate_before_deploy_needs_no_aws(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")  # nothing here may reach AWS

    result = world.gluekit(
        "cost", "orders", "--estimate", "--minutes", "6", "--runs-per-day", "24", "--json"
    )

    assert result.status == 0, result.err
    estimate = result.json
    assert estimate["dpus"] == 2.0  # 2 x G.1X
    assert estimate["dpu_hours_per_day"] == pytest.approx(2 * 6 / 60 * 24)
    assert estimate["price_per_month"] == pytest.approx(2 * 6 / 60 * 24 * 0.44 * 30)
    assert estimate["worst_case_price_per_run"] == pytest.approx(2 * 3 * 30 / 60 * 0.44)


def test_estimate_of_a_scheduled_pipeline_counts_its_cron(world: World) -> None:
    result = world.gluekit("cost", "events", "--estimate", "--json")

    assert result.status == 0, result.err
    assert result.json["runs_per_day"] == 1  # cron(0 1 * * ? *)
    assert result.json["minutes_per_run"] == 3  # three step jobs, a minute each at least


def test_estimate_of_an_arrival_pipeline_asks_for_runs_per_day(world: World) -> None:
    result = world.gluekit("cost", "orders", "--estimate")

    assert result.status == 1
    assert "pass --runs-per-day" in result.err


def test_cron_runs_per_day() -> None:
    assert cron_runs_per_day("cron(0 1 * * ? *)") == 1
    assert cron_runs_per_day("cron(0/15 8-17 ? * MON-FRI *)") == pytest.approx(4 * 10 * 5 / 7)
    assert cron_runs_per_day("cron(30 2,14 * * ? *)") == 2


def deploy_stacks(world: World, *, workflow: str = ORDERS.workflow) -> None:
    """CloudFormation's answers for the two stacks (moto's CloudFormation needs extras that the
    kit does not install: Stubber, in DescribeStacks' documented shape)."""
    cloudformation = world.stub("cloudformation")
    for name, outputs in (
        (
            FOUNDATION.stack,
            {"RawBucketName": FOUNDATION.raw_bucket, "ClaimsTableName": FOUNDATION.claims_table},
        ),
        (
            ORDERS.stack,
            {
                "WorkflowName": workflow,
                "BridgeDlqUrl": world.dlq_url,
                "JobNames": ",".join(ORDERS.job(s) for s in ("transform", "validate")),
            },
        ),
    ):
        stack = {
            "StackName": name,
            "CreationTime": NOW,
            "StackStatus": "CREATE_COMPLETE",
            "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
        }
        cloudformation.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": name})


def test_describe_shows_the_stack_outputs(world: World) -> None:
    deploy_stacks(world)

    result = world.gluekit("describe", "orders", "--json")

    assert result.status == 0, result.err
    foundation, pipeline = result.json["stacks"]
    assert foundation["name"] == f"{PREFIX}-foundation"
    assert foundation["outputs"]["ClaimsTableName"] == FOUNDATION.claims_table
    assert pipeline["outputs"]["BridgeDlqUrl"] == world.dlq_url
    assert pipeline["status"] == "CREATE_COMPLETE"
    assert pipeline["differs"] == {}


def test_describe_flags_what_differs_from_this_checkout(world: World) -> None:
    deploy_stacks(world, workflow="gluekit-dev-orders-old")

    result = world.gluekit("describe", "orders")

    assert result.status == 0, result.err
    assert (
        "! WorkflowName: deployed gluekit-dev-orders-old, this checkout would deploy "
        "gluekit-dev-orders" in result.out
    )


def test_describe_of_a_stack_not_deployed(world: World) -> None:
    world.stub("cloudformation").add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {FOUNDATION.stack} does not exist",
    )

    result = world.gluekit("describe", "orders")

    assert result.status == 1
    assert result.err.strip() == (
        "error: stack gluekit-dev-foundation is not deployed in account 123456789012, region "
        "us-east-1: deploy it with npx cdk deploy -c env=dev gluekit-dev-foundation"
    )


def test_rollback_starts_the_compact_job_and_prints_json(world: World) -> None:
    result = world.gluekit("rollback", "orders", "--to-time", "2026-11-21T06:00:00Z", "--json")

    assert result.status == 0, result.err
    assert result.json["arguments"] == {"--rollback_to_time": "2026-11-21T06:00:00Z"}
    [job_run] = world.glue.get_job_runs(JobName=ORDERS.job("compact"))["JobRuns"]
    assert job_run["Id"] == result.json["job_run_id"]
