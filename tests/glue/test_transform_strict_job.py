"""Transform runs on real files: JSON numbers as written, quoted newlines, null markers, an
all-rejected batch that ends, and the counts the validate step reads from the summary."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

from gluekit_glue.summary import StepSummary
from tests.glue.pipeline_env import PipelineEnv, gz

HEADER = "order_id,customer_id,status,amount,currency,created_at,last_modified\n"
AMOUNT_EXPECTED = "(a number with at most 10 digits before the decimal point and 2 after it)"


def order(order_id: str, amount: str = "19.99", status: str = "new", currency: str = "EUR") -> str:
    ts = "2026-11-20T08:15:00Z"
    return f"{order_id},C-1,{status},{amount},{currency},{ts},{ts}\n"


def run_transform(env: PipelineEnv, pipeline: str, files: dict[str, bytes]) -> tuple[str, Any]:
    run_id = env.batch(pipeline, files, "b1")
    return run_id, env.run("transform", pipeline, run_id)


def test_every_row_rejected_ends_promptly_with_rows_quarantined(env: PipelineEnv) -> None:
    # GIVEN a file whose every row fails its cast (adaptive execution then empties the plan)
    body = HEADER + "".join(order(f"O-{i}", amount="abc") for i in range(5))
    run_id = env.batch("orders", {"bad.csv": body.encode()}, "b1")

    # WHEN transform runs, guarded so that a hang fails the test instead of blocking it
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["summary"] = env.run("transform", "orders", run_id)
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout=180)

    # THEN it finished, with every row quarantined with its reason and nothing staged
    assert not worker.is_alive(), "transform hung on an all-rejected batch"
    assert "error" not in outcome, outcome.get("error")
    summary: StepSummary = outcome["summary"]
    assert (summary.rows_in, summary.rows_rejected, summary.rows_out) == (5, 5, 0)
    assert summary.details["reject_reasons"] == [
        {"reason": f"column 'amount': not a valid decimal(12,2) {AMOUNT_EXPECTED}", "rows": 5}
    ]
    assert len(env.row_rejects("orders", run_id)) == 5
    assert env.staged("orders", run_id) == []


def test_reject_reasons_group_without_values_and_duplicate_keys_are_counted(
    env: PipelineEnv,
) -> None:
    # GIVEN O-1 twice alike, O-2 twice with different amounts, O-3 once, three bad amounts and
    # one empty customer
    body = HEADER + "".join(
        [
            order("O-1"),
            order("O-1"),
            order("O-2", amount="1.00"),
            order("O-2", amount="2.00"),
            order("O-3"),
            order("O-4", amount="x"),
            order("O-5", amount="y"),
            order("O-6", amount="1.005"),
            "O-7,,new,1.00,EUR,2026-11-20T08:15:00Z,2026-11-20T08:15:00Z\n",
        ]
    )

    _, summary = run_transform(env, "orders", {"a.csv": body.encode()})

    assert summary.details["reject_reasons"] == [
        {"reason": f"column 'amount': not a valid decimal(12,2) {AMOUNT_EXPECTED}", "rows": 3},
        {"reason": "column 'customer_id' is empty but required (nullable: false)", "rows": 1},
    ]
    assert summary.details["duplicate_keys"] == {
        "rows_sharing_key": 4,
        "keys": 2,
        "conflicting_keys": 1,
    }
    assert summary.details["rows_deduplicated"] == 2
    assert (summary.rows_in, summary.rows_rejected, summary.rows_out) == (9, 4, 3)
    saved = env.get_json(env.config("orders").summary_uri(summary.run_id, "transform"))
    assert saved["details"]["duplicate_keys"]["conflicting_keys"] == 1


def test_a_quoted_newline_stays_inside_its_field(env: PipelineEnv) -> None:
    body = HEADER + order("O-1", status='"new\nline"') + order("O-2")

    run_id, summary = run_transform(env, "orders", {"a.csv": body.encode()})

    assert (summary.rows_rejected, summary.rows_out) == (0, 2)
    statuses = sorted(row[2] for row in env.staged("orders", run_id))
    assert statuses == ["new", "new\nline"]


def test_na_marker_loads_every_row_with_nulls(env: PipelineEnv) -> None:
    # GIVEN a spec that says NA means null, and a file that writes a missing currency as NA
    env.configs["orders"]["source"]["csv"]["null_values"] = ["", "NA"]
    body = HEADER + order("O-1", currency="NA") + order("O-2", currency=" NA ") + order("O-3")

    run_id, summary = run_transform(env, "orders", {"a.csv": body.encode()})

    assert (summary.rows_rejected, summary.rows_out) == (0, 3)
    currencies = sorted((row[0], row[4]) for row in env.staged("orders", run_id))
    assert currencies == [("O-1", None), ("O-2", None), ("O-3", "EUR")]


def test_json_numbers_reach_decimal_and_bigint_columns_exactly(env: PipelineEnv) -> None:
    # GIVEN an events contract with a decimal(18,2) column
    config = env.configs["events"]
    config["columns"].append(
        {
            "name": "amount",
            "type": "decimal(18,2)",
            "nullable": True,
            "source": "amount",
            "format": None,
        }
    )
    base = {"type": "view", "durationMs": 5, "ts": "2026-11-21T01:00:00Z"}
    lines = [
        {"id": "e1", "userId": 9007199254740993, **base, "amount": "AMOUNT"},
        {"id": "e2", "userId": 1, **base, "amount": None, "note": 'a "amount": 1.5, b'},
        {"id": "e3", "userId": 2, **base},
        {"id": "e4", "userId": 3, **base, "amount": 1.005},
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    # A number Python's json would write through a float: write its digits as they stand.
    text = text.replace('"AMOUNT"', "1234567890123456.78")

    run_id, summary = run_transform(env, "events", {"a.jsonl.gz": gz(text.encode())})

    rows = {row[0]: row for row in env.staged("events", run_id)}
    assert rows["e1"][1] == 9007199254740993
    assert rows["e1"][5] == Decimal("1234567890123456.78")
    assert rows["e2"][5] is None and rows["e3"][5] is None
    [reject] = env.row_rejects("events", run_id)
    assert reject["reason"].startswith("column 'amount': '1.005' is not a valid decimal(18,2)")
    assert summary.rows_rejected == 1
