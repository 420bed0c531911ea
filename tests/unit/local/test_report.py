"""The local run's report: readable in full, row counts explained, alarms named as deployed."""

from __future__ import annotations

from gluekit.local.alarms import alarms_that_would_fire
from gluekit.local.report import FileOutcome, LocalReport, Notification, RunOutcome, StepOutcome
from gluekit.naming import PipelineNames

LONG_MESSAGE = (
    "3 of 100 rows read were rejected (3.00%); at most 0.00% allowed; top reasons: "
    "column 'dep_time': 'NA' is not a valid int (2); column 'status' is empty but required "
    "(nullable: false) (1); rows in s3://quarantine/orders/rows/run_id=wr_1/"
)


def failed_run() -> RunOutcome:
    transform = StepOutcome(
        "transform",
        "SUCCEEDED",
        4.2,
        rows_in=100,
        rows_out=95,
        rows_rejected=3,
        reject_reasons=[{"reason": "column 'dep_time': 'NA' is not a valid int", "rows": 2}],
        rows_deduplicated=2,
        unknown_columns=[{"column": "coupon", "files": ["s3://raw/orders/a.csv"]}],
    )
    validate = StepOutcome("validate", "FAILED", 1.5, error="ValidationFailed: 1 of 9 failed")
    rule = {"rule": "reject_rate", "column": None, "severity": "error", "status": "failed",
            "observed": {"rows_read": 100}, "threshold": 0.0, "message": LONG_MESSAGE}  # fmt: skip
    return RunOutcome(
        "wr_1",
        "b1",
        ["orders/a.csv"],
        [transform, validate],
        validation={"status": "failed", "rules": [rule]},
    )


def test_report_shows_each_rules_sentence_whole_and_explains_the_row_counts() -> None:
    report = LocalReport("orders", runs=[failed_run()])

    text = report.as_text()

    assert LONG_MESSAGE in text
    for line in ("rows read            100", "- rejected           3",
                 "2 rows: column 'dep_time': 'NA' is not a valid int",
                 "- duplicates dropped 2", "= staged             95",
                 "column not in the contract: coupon (in s3://raw/orders/a.csv)"):  # fmt: skip
        assert line in text


def test_alarms_that_would_fire_are_named_as_deployed() -> None:
    report = LocalReport(
        "orders",
        files=[FileOutcome("orders/bad.csv", "quarantined", "header")],
        runs=[failed_run()],
    )

    names = [a.name for a in alarms_that_would_fire(report, PipelineNames("gluekit-dev", "orders"))]

    assert names == [
        "gluekit-dev-orders-job-failures",
        "gluekit-dev-orders-quarantined-files",
        "gluekit-dev-orders-rejected-rows",
        "gluekit-dev-orders-unknown-columns",
        "gluekit-dev-orders-validation-failed",
    ]
    # a pipeline that quarantines or fails on drift is heard through those alarms instead
    quarantining = alarms_that_would_fire(
        report, PipelineNames("gluekit-dev", "orders"), drift_alarmed=False
    )
    assert "gluekit-dev-orders-unknown-columns" not in [a.name for a in quarantining]


def test_a_long_alert_names_the_file_holding_it_whole() -> None:
    text = "\n".join(f"line {i}" for i in range(40))
    report = LocalReport(
        "orders", notifications=[Notification("subject", text, "/w/alerts/01.txt")]
    )

    shown = report.as_text()

    assert "line 11" in shown and "line 12" not in shown
    assert "28 more line(s); the whole alert: /w/alerts/01.txt" in shown
