"""A step-functions pipeline end to end on this machine: the bridge starts executions, the
state machine's plan calls the same Glue job scripts, its Catch path alerts, its ends free the
bridge's slots."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gluekit.local.query import query
from gluekit.local.report import LocalReport
from gluekit.local.runner import run_pipeline
from gluekit.spec import DEFAULT_PIPELINES_DIR, PipelineSpec, load_spec_file

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PREFIX = "gluekit-dev"
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def machine_orders() -> PipelineSpec:
    """orders on the state machine, one file per run and one run at a time: the second file
    starts only when the first execution's end frees the slot."""
    spec = load_spec_file(DEFAULT_PIPELINES_DIR / "orders.yaml", PREFIX).spec
    assert spec.trigger.on_arrival is not None
    trigger = spec.trigger.model_copy(
        update={"on_arrival": spec.trigger.on_arrival.model_copy(update={"max_files": 1})}
    )
    return spec.model_copy(update={"orchestrator": "step-functions", "trigger": trigger})


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("local-machine-run")


@pytest.fixture(scope="module")
def report(machine_orders: PipelineSpec, workdir: Path) -> LocalReport:
    drops = [
        SAMPLES / "orders" / "orders-2026-11-20.csv",
        SAMPLES / "orders" / "bad" / "orders-breach.csv",
    ]
    return run_pipeline(
        machine_orders, drops, prefix=PREFIX, workdir=workdir, now=NOW, progress=lambda _: None
    )


def test_each_batch_is_an_execution_of_the_same_three_jobs(report: LocalReport) -> None:
    assert report.orchestrator == "step-functions"
    good, breach = report.runs
    assert good.files == ["orders/orders-2026-11-20.csv"]
    assert [(s.step, s.state) for s in good.steps] == [
        ("transform", "SUCCEEDED"),
        ("validate", "SUCCEEDED"),
        ("publish", "SUCCEEDED"),
    ]
    assert good.run_id == good.batch_id  # the execution's name and its data's run id
    assert breach.files == ["orders/orders-breach.csv"]
    assert [(s.step, s.state) for s in breach.steps] == [
        ("transform", "SUCCEEDED"),
        ("validate", "FAILED"),
    ]
    assert "Executions started: 2" in report.as_text()


def test_the_good_batch_is_published_and_the_breach_is_not(
    report: LocalReport, machine_orders: PipelineSpec, workdir: Path
) -> None:
    _, rows = query(
        machine_orders, "SELECT order_id FROM orders ORDER BY order_id", prefix=PREFIX,
        workdir=workdir,
    )  # fmt: skip
    assert [r[0] for r in rows] == [f"O-100{i}" for i in range(1, 9)]


def test_the_failed_step_alerts_once_from_the_catch_path_with_a_resume(
    report: LocalReport,
) -> None:
    [alert] = report.notifications
    assert alert.subject.startswith("[gluekit-dev-orders] validate FAILED: 2 rules failed")
    assert "aws stepfunctions start-execution" in alert.text
    assert '"start_at":"validate"' in alert.text
    assert "resume-workflow-run" not in alert.text
    alarms = {a.name for a in report.alarms}
    assert "gluekit-dev-orders-execution-failures" in alarms
    assert "gluekit-dev-orders-job-failures" not in alarms
