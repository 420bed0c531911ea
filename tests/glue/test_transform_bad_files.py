"""One transform run over a batch holding every kind of bad input, next to good files.

Each bad input must end as a quarantine record with a reason; the good rows still reach the
staged data; nothing is silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyspark.sql import SparkSession

from gluekit_glue.summary import StepSummary
from tests.glue.pipeline_env import FOUNDATION, SAMPLES, pipeline_env

HEADER = b"order_id,customer_id,status,amount,currency,created_at,last_modified\n"
BAD_ROWS = HEADER + (
    b"O-2001,C-1,new,10.00,EUR,2026-11-21T10:00:00Z,2026-11-21T10:00:00Z\n"
    b"O-2002,C-1,new,abc,EUR,2026-11-21T10:00:00Z,2026-11-21T10:00:00Z\n"
    b"O-2003,C-1,new,1.234,EUR,2026-11-21T10:00:00Z,2026-11-21T10:00:00Z\n"
    b"O-2004,,new,1.00,EUR,2026-11-21T10:00:00Z,2026-11-21T10:00:00Z\n"
    b"O-2005,C-1,new\n"
    b"O-2006,C-1,new,1.00,\xff\xfe,2026-11-21T10:00:00Z,2026-11-21T10:00:00Z\n"
)
REORDERED = (
    b"status,order_id,customer_id,amount,currency,created_at,last_modified\n"
    b"paid,O-2100,C-9,5.00,EUR,2026-11-21T11:00:00Z,2026-11-21T11:00:00Z\n"
)
SEMICOLONS = HEADER.replace(b",", b";") + b"O-2200;C-1;new;1.00;EUR;2026-11-21T10:00:00Z;x\n"
# A key with a space and glob characters: Spark must read exactly this object.
BAD_ROWS_NAME = "late rows [retry] 1.csv"


@pytest.fixture(scope="module")
def run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with pipeline_env(spark, tmp_path_factory.mktemp("root")) as env:
        run_id = env.batch(
            "orders",
            {
                "orders-2026-11-20.csv": SAMPLES / "orders" / "orders-2026-11-20.csv",
                "empty.csv": b"",
                "orders-wrong-header.csv": SAMPLES / "orders" / "bad" / "orders-wrong-header.csv",
                "semicolons.csv": SEMICOLONS,
                BAD_ROWS_NAME: BAD_ROWS,
                "reordered.csv": REORDERED,
            },
            "mixed",
        )
        summary = env.run("transform", "orders", run_id)
        yield {"env": env, "run_id": run_id, "summary": summary}


AMOUNT = "(a number with at most 10 digits before the decimal point and 2 after it)"


def rejected_files(summary: StepSummary) -> dict[str, str]:
    return {f.uri.rsplit("/", 1)[1]: f.reason for f in summary.files_rejected}


def test_good_rows_of_every_file_are_staged_and_counts_add_up(run: dict[str, Any]) -> None:
    env, summary = run["env"], run["summary"]

    staged_ids = [row[0] for row in env.staged("orders", run["run_id"])]

    assert staged_ids == [f"O-100{i}" for i in range(1, 9)] + ["O-2001", "O-2100"]
    assert (summary.rows_in, summary.rows_out, summary.rows_rejected) == (15, 10, 5)
    assert summary.partitions == ["dt=2026-11-20", "dt=2026-11-21"]


def test_empty_file_is_quarantined_with_a_reason(run: dict[str, Any]) -> None:
    assert rejected_files(run["summary"])["empty.csv"] == "empty file (0 bytes)"


def test_header_not_matching_the_contract_is_quarantined(run: dict[str, Any]) -> None:
    reason = rejected_files(run["summary"])["orders-wrong-header.csv"]

    assert reason.startswith("header does not match the contract: missing ['order_id'")


def test_wrong_delimiter_shows_up_as_a_header_mismatch(run: dict[str, Any]) -> None:
    reason = rejected_files(run["summary"])["semicolons.csv"]

    assert "header does not match the contract" in reason
    assert "wrong delimiter?" in reason


def test_quarantined_file_is_a_copy_with_a_reason_file_and_raw_stays(run: dict[str, Any]) -> None:
    env, run_id = run["env"], run["run_id"]
    config = env.config("orders")
    copy_uri = config.file_reject_uri(run_id, "orders/semicolons.csv")

    reason = env.get_json(copy_uri + ".reason.json")
    bucket, _, key = copy_uri[len("s3://") :].partition("/")

    assert env.s3.get_object(Bucket=bucket, Key=key)["Body"].read() == SEMICOLONS
    assert reason["source_uri"] == f"s3://{FOUNDATION.raw_bucket}/orders/semicolons.csv"
    assert reason["detected_by"] == "transform"
    assert reason["run_id"] == run_id
    assert reason["pipeline"] == "orders"
    assert "orders/semicolons.csv" in env.keys(FOUNDATION.raw_bucket)


def test_rows_that_do_not_fit_are_rejected_with_reason_and_source_file(
    run: dict[str, Any],
) -> None:
    env = run["env"]

    rejects = env.row_rejects("orders", run["run_id"])
    reasons = sorted(r["reason"] for r in rejects)

    assert reasons == [
        f"column 'amount': '1.234' is not a valid decimal(12,2) {AMOUNT}",
        f"column 'amount': 'abc' is not a valid decimal(12,2) {AMOUNT}",
        "column 'customer_id' is empty but required (nullable: false)",
        "invalid UTF-8 (bytes that decode to U+FFFD)",
        "malformed record: wrong number of fields, bad quoting or not a JSON object",
    ]
    source = f"s3://{FOUNDATION.raw_bucket}/orders/{BAD_ROWS_NAME}"
    assert {r["source_file"] for r in rejects} == {source}
    malformed = next(r for r in rejects if r["reason"].startswith("malformed"))
    assert malformed["record"] == "O-2005,C-1,new"


def test_transform_metrics_count_rows_and_files_under_one_dimension(run: dict[str, Any]) -> None:
    env = run["env"]

    assert env.metric("orders", "RowsIn") == 15
    assert env.metric("orders", "RowsOut") == 10
    assert env.metric("orders", "RowsRejected") == 5
    assert env.metric("orders", "FilesRejected") == 3
    for metric in env.cloudwatch.list_metrics(Namespace="gluekit")["Metrics"]:
        assert metric["Dimensions"] == [{"Name": "Pipeline", "Value": "orders"}]


def test_step_summary_lists_what_happened(run: dict[str, Any]) -> None:
    env, run_id = run["env"], run["run_id"]

    summary = env.get_json(env.config("orders").summary_uri(run_id, "transform"))

    assert summary["step"] == "transform"
    assert summary["status"] == "succeeded"
    assert (summary["rows_in"], summary["rows_out"], summary["rows_rejected"]) == (15, 10, 5)
    assert len(summary["files_rejected"]) == 3
    assert {"uri", "reason"} <= set(summary["files_rejected"][0])
    assert summary["partitions"] == ["dt=2026-11-20", "dt=2026-11-21"]
    assert summary["started_at"] and summary["finished_at"]
    assert summary["details"]["parameters"] == {"min_amount": "0"}  # the spec's default
