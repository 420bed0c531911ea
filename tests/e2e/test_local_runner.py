"""The local runner end to end on the sample data: moto, the real handlers, local Spark."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gluekit.cli import main
from gluekit.local.query import query
from gluekit.local.report import LocalReport
from gluekit.local.runner import run_pipeline
from gluekit.spec import DEFAULT_PIPELINES_DIR, PipelineSpec, load_specs

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PREFIX = "gluekit-dev"
# The samples are exports of 2026-11-20 and -21: every run plays the morning after, whatever the
# date the tests run on.
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def specs() -> dict[str, PipelineSpec]:
    return {i.spec.name: i.spec for i in load_specs(DEFAULT_PIPELINES_DIR, PREFIX)}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("local-run")


@pytest.fixture(scope="module")
def orders_day(specs: dict[str, PipelineSpec], workdir: Path) -> LocalReport:
    """Two good exports and one with a wrong header, every event delivered twice."""
    drops = [
        SAMPLES / "orders" / "orders-2026-11-20.csv",
        SAMPLES / "orders" / "orders-2026-11-21.csv",
        SAMPLES / "orders" / "bad" / "orders-wrong-header.csv",
    ]
    return run_pipeline(
        specs["orders"],
        drops,
        prefix=PREFIX,
        workdir=workdir,
        redeliver=True,
        now=NOW,
        progress=lambda _: None,
    )


def curated_orders(specs: dict[str, PipelineSpec], workdir: Path) -> list[tuple[object, ...]]:
    _, rows = query(
        specs["orders"],
        # dt is the table's hidden partition (days of created_at), not a column
        "SELECT order_id, status, CAST(amount AS VARCHAR), "
        "CAST(CAST(created_at AS DATE) AS VARCHAR) FROM orders ORDER BY order_id",
        prefix=PREFIX,
        workdir=workdir,
    )
    return rows


def test_duplicated_delivery_gives_one_run(orders_day: LocalReport) -> None:
    assert (orders_day.deliveries, orders_day.redeliveries) == (6, 0)
    assert len(orders_day.runs) == 1
    [run] = orders_day.runs
    assert sorted(run.files) == ["orders/orders-2026-11-20.csv", "orders/orders-2026-11-21.csv"]
    assert [(s.step, s.state) for s in run.steps] == [
        ("transform", "SUCCEEDED"),
        ("validate", "SUCCEEDED"),
        ("publish", "SUCCEEDED"),
    ]
    assert not orders_day.failed


def test_curated_rows_are_deduplicated_and_partitioned(
    orders_day: LocalReport, specs: dict[str, PipelineSpec], workdir: Path
) -> None:
    rows = curated_orders(specs, workdir)

    assert len(rows) == 12  # 14 rows in, O-1001 and O-1008 updated the next day
    by_id = {row[0]: row for row in rows}
    assert by_id["O-1001"][1:] == ("paid", "19.99", "2026-11-20")  # latest by updated_at
    assert by_id["O-1008"][1] == "shipped"
    assert by_id["O-1012"][3] == "2026-11-21"
    assert orders_day.runs[0].partitions == ["dt=2026-11-20", "dt=2026-11-21"]


def test_bad_header_is_quarantined_with_reason_and_alert(orders_day: LocalReport) -> None:
    [bad] = [f for f in orders_day.files if f.outcome == "quarantined"]
    assert bad.key == "orders/orders-wrong-header.csv"
    assert "header" in bad.reason

    [alert] = [n for n in orders_day.notifications if "quarantined" in n.subject]
    assert "orders-wrong-header.csv" in alert.subject
    assert "The raw file stays where it is, unchanged." in alert.text


def test_validation_breach_fails_run_alerts_and_keeps_curated(
    orders_day: LocalReport, specs: dict[str, PipelineSpec], workdir: Path
) -> None:
    before = curated_orders(specs, workdir)

    report = run_pipeline(
        specs["orders"],
        [SAMPLES / "orders" / "bad" / "orders-breach.csv"],
        prefix=PREFIX,
        workdir=workdir,
        now=NOW,
        progress=lambda _: None,
    )

    assert report.failed
    [run] = report.runs
    assert [(s.step, s.state) for s in run.steps] == [
        ("transform", "SUCCEEDED"),
        ("validate", "FAILED"),
    ]
    assert run.validation is not None and run.validation["status"] == "failed"
    failed_rules = {r["rule"] for r in run.validation["rules"] if r["status"] == "failed"}
    assert failed_rules == {"accepted_values", "range"}
    [alert] = report.notifications
    assert "validate FAILED" in alert.subject
    assert "accepted_values" in alert.text and "range" in alert.text
    assert "resume-workflow-run" in alert.text or "start-workflow-run" in alert.text
    assert curated_orders(specs, workdir) == before
    # the run's rows wait on its branch, which the alert names, and a local query reads them
    branch = run.validation["branch"]["name"]
    assert f"branch {branch}" in alert.text
    sql = f"SELECT count(*) FROM orders WHERE _run_id = '{run.run_id}'"
    _, rows = query(specs["orders"], sql, prefix=PREFIX, workdir=workdir, version=branch)
    assert rows == [(3,)]


def test_the_run_judges_freshness_against_its_own_clock(
    specs: dict[str, PipelineSpec], tmp_path: Path
) -> None:
    # GIVEN the same export, played a year after it was written
    a_year_later = NOW + timedelta(days=365)

    report = run_pipeline(
        specs["orders"],
        [SAMPLES / "orders" / "orders-2026-11-21.csv"],
        prefix=PREFIX,
        workdir=tmp_path,
        now=a_year_later,
        progress=lambda _: None,
    )

    # THEN the freshness rule (a warning in the spec) fails, measured against that instant
    [run] = report.runs
    assert run.validation is not None
    [freshness] = [r for r in run.validation["rules"] if r["rule"] == "freshness"]
    assert freshness["status"] == "failed" and freshness["severity"] == "warn"
    assert run.validation["created_at"].startswith("2027-11-22")
    assert not report.failed  # a warning is reported, the data is still published


def test_cli_refuses_a_now_that_is_not_a_timestamp(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "local",
            "run",
            "orders",
            "--workdir",
            str(tmp_path),
            "--now",
            "next tuesday",
            "--drop",
            str(SAMPLES / "orders" / "orders-2026-11-21.csv"),
        ]
    )

    assert status == 2
    assert "--now: 'next tuesday' is not an ISO 8601 date or timestamp" in capsys.readouterr().err


def test_scheduled_pipeline_starts_one_run_at_the_flush(
    specs: dict[str, PipelineSpec], workdir: Path
) -> None:
    report = run_pipeline(
        specs["events"],
        [SAMPLES / "events" / "app-events-2026-11-21.jsonl.gz"],
        prefix=PREFIX,
        workdir=workdir,
        now=NOW,
        progress=lambda _: None,
    )

    [run] = report.runs
    assert run.steps[-1].step == "publish" and run.steps[-1].state == "SUCCEEDED"
    transform = run.steps[0]
    assert (transform.rows_in, transform.rows_out) == (25, 24)  # one repeated event dropped
    _, rows = query(specs["events"], "SELECT count(*) FROM events", prefix=PREFIX, workdir=workdir)
    assert rows == [(24,)]


def test_cli_exits_non_zero_on_a_failed_step_and_writes_json(
    orders_day: LocalReport,
    workdir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report_path = tmp_path / "report.json"

    status = main(
        [
            "local",
            "run",
            "orders",
            "--now",
            NOW.isoformat(),
            "--workdir",
            str(workdir),
            "--drop",
            str(SAMPLES / "orders" / "bad" / "orders-breach.csv"),
            "--report-json",
            str(report_path),
        ]
    )

    assert status == 1
    saved = json.loads(report_path.read_text())
    assert saved["failed"] is True and saved["pipeline"] == "orders"
    assert re.search(r"validate\s+FAILED", capsys.readouterr().out)


def test_run_parameters_override_the_specs_defaults_and_change_what_the_step_keeps(
    specs: dict[str, PipelineSpec], orders_day: LocalReport, workdir: Path
) -> None:
    assert orders_day.runs[0].parameters == {"min_amount": "0"}  # the spec's default
    assert orders_day.runs[0].steps[0].rows_out == 12

    report = run_pipeline(
        specs["orders"],
        [SAMPLES / "orders" / "orders-2026-11-21.csv"],
        prefix=PREFIX,
        workdir=workdir,
        overrides={"min_amount": "100"},
        now=NOW,
        progress=lambda _: None,
    )

    [run] = report.runs
    assert run.parameters == {"min_amount": "100"}
    transform = run.steps[0]
    # the export's six orders; the SQL step keeps the one of 100 or more (310.25)
    assert (transform.rows_in, transform.rows_after_steps, transform.rows_out) == (6, 1, 1)
    assert "→ after your steps   1" in report.as_text()
    assert "job parameters: min_amount=100" in report.as_text()


def test_customers_join_the_curated_orders_and_take_their_tier_from_a_python_step(
    orders_day: LocalReport, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the curated orders of the day (orders_day), a lookup of the customers pipeline
    export = SAMPLES / "customers" / "customers-2026-11-21.csv"
    common = ["local", "run", "customers", "--now", NOW.isoformat(), "--workdir", str(workdir)]

    # WHEN the CRM export runs through it, with vip_revenue 1000 instead of the spec's 200
    status = main([*common, "--args", "vip_revenue=1000", "--drop", str(export)])

    # THEN each customer has the EUR value of their orders, and only C-006 reaches 1000
    assert status == 0
    assert "job parameters: vip_revenue=1000" in capsys.readouterr().out
    spec = {i.spec.name: i.spec for i in load_specs(DEFAULT_PIPELINES_DIR, PREFIX)}["customers"]
    sql = "SELECT customer_id, orders, CAST(revenue_eur AS VARCHAR), tier FROM customers"
    _, rows = query(spec, sql + " ORDER BY 1", prefix=PREFIX, workdir=workdir)
    assert len(rows) == 10
    assert [r for r in rows if r[3] == "vip"] == [("C-006", 1, "1234.56", "vip")]
    assert ("C-002", 2, "295.10", "regular") in rows  # vip at the spec's 200
    assert ("C-005", 0, "0.00", "regular") in rows  # only a cancelled order
    assert ("C-010", 0, "0.00", "regular") in rows  # no order at all


def test_cli_rejects_an_unknown_job_parameter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "local",
            "run",
            "orders",
            "--now",
            NOW.isoformat(),
            "--workdir",
            str(tmp_path),
            "--args",
            "min_amount=1,colour=red",
            "--drop",
            str(SAMPLES / "orders" / "bad" / "orders-breach.csv"),
        ]
    )

    assert status == 2
    assert "colour: not a job parameter of orders (its parameters: min_amount)" in (
        capsys.readouterr().err
    )


def test_query_with_a_bad_column_prints_one_line(
    orders_day: LocalReport, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["local", "query", "orders", "SELECT colour FROM orders", "--workdir", str(workdir)]
    )

    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: BinderException: ") and "colour" in err
    assert len(err.strip().splitlines()) == 1


def test_file_arriving_while_the_only_run_slot_is_taken_waits_and_starts_when_it_ends(
    specs: dict[str, PipelineSpec], tmp_path: Path
) -> None:
    # GIVEN one file per run and one run at a time: the second batch arrives while the first
    # batch's run is still active (Glue would refuse a second start)
    orders = specs["orders"]
    assert orders.trigger.on_arrival is not None and orders.job.max_concurrent_runs == 1
    one_per_run = orders.model_copy(
        update={
            "trigger": orders.trigger.model_copy(
                update={"on_arrival": orders.trigger.on_arrival.model_copy(update={"max_files": 1})}
            )
        }
    )
    drops = [
        SAMPLES / "orders" / "orders-2026-11-20.csv",
        SAMPLES / "orders" / "orders-2026-11-21.csv",
    ]
    lines: list[str] = []

    report = run_pipeline(
        one_per_run, drops, prefix=PREFIX, workdir=tmp_path, now=NOW, progress=lines.append
    )

    # THEN no record failed or came back: the second file waited as PENDING and the end of the
    # first run started its run; nothing lost, nothing twice, and the curated table holds both
    # files (the second merged into the first)
    assert not any("failed, to be redelivered" in line for line in lines)
    assert (report.deliveries, report.redeliveries) == (2, 0)
    assert [run.files for run in report.runs] == [[f"orders/{d.name}"] for d in drops]
    assert not report.failed
    _, rows = query(one_per_run, "SELECT count(*) FROM orders", prefix=PREFIX, workdir=tmp_path)
    assert rows == [(12,)]
    # ... each publish committed one Iceberg snapshot, which the report names
    first, second = (run.snapshot or {} for run in report.runs)
    assert (first["rows_added"], first["rows_updated"]) == (8, 0)
    assert (second["rows_added"], second["rows_updated"]) == (4, 2)
    assert f"Iceberg snapshot {second['snapshot_id']}: 4 added, 2 updated" in report.as_text()


def test_rollback_restores_the_snapshot_of_an_earlier_run(
    specs: dict[str, PipelineSpec], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN two local runs into one workdir: two publishes, two snapshots
    orders = specs["orders"]
    reports = [
        run_pipeline(
            orders,
            [SAMPLES / "orders" / name],
            prefix=PREFIX,
            workdir=tmp_path,
            now=NOW,
            progress=lambda _: None,
        )
        for name in ("orders-2026-11-20.csv", "orders-2026-11-21.csv")
    ]
    first = (reports[0].runs[0].snapshot or {})["snapshot_id"]
    workdir = ["--workdir", str(tmp_path)]
    assert main(["local", "history", "orders", *workdir]) == 0
    listing = capsys.readouterr().out
    assert first in listing and "(2 rows)" in listing

    # WHEN the table is rolled back to the first run's snapshot
    status = main(["rollback", "orders", "--local", "--to-snapshot", first, *workdir])

    # THEN main is that snapshot again, and the query reads the first run's rows only
    assert status == 0
    assert f"main is now snapshot {first}" in capsys.readouterr().out
    sql = "SELECT count(*), max(status) FILTER (WHERE order_id = 'O-1001') FROM orders"
    _, rows = query(orders, sql, prefix=PREFIX, workdir=tmp_path)
    assert rows == [(8, "new")]


def test_cli_rejects_a_missing_drop_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["local", "run", "orders", "--workdir", str(tmp_path), "--drop", str(tmp_path / "nope.csv")]
    )

    assert status == 2
    assert "no such file to drop" in capsys.readouterr().err
