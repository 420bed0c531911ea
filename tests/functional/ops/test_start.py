"""`gluekit start` and `gluekit replay`: files in raw run through the bridge's claims."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.functional.ops.conftest import FOUNDATION, World, orders_csv


def test_start_runs_new_files_in_one_run_and_records_their_claims(world: World) -> None:
    # GIVEN two files in raw that no event ever announced (uploaded before the deploy)
    world.upload("orders/2026/a.csv", orders_csv("o1"))
    world.upload("orders/2026/b.csv", orders_csv("o2"))

    # WHEN they are started by prefix
    result = world.gluekit("start", "orders", "--prefix", "orders/2026/")

    # THEN one run takes both, with a manifest of their exact versions
    assert result.status == 0, result.err
    [run] = world.workflow_runs()
    manifest = world.manifest(run)
    assert sorted(f["key"] for f in manifest["files"]) == ["orders/2026/a.csv", "orders/2026/b.csv"]
    assert run["WorkflowRunProperties"]["started_by"] == "gluekit start"
    # the claims are STARTED with the run, as the bridge's own start records them
    claims = world.claims()
    assert {c["state"] for c in claims.values()} == {"STARTED"}
    assert {c["run_id"] for c in claims.values()} == {run["WorkflowRunId"]}
    # and the run holds a slot the run-end event frees, as the bridge's runs do
    [entry] = world.slots()["runs"]["M"].values()
    assert entry["M"]["run_id"]["S"] == run["WorkflowRunId"]
    assert entry["M"]["settled"]["BOOL"] is True
    assert "holder" not in world.slots()
    assert f"Started {run['WorkflowRunId']}" in result.out


def test_starting_the_same_files_again_processes_nothing_twice(world: World) -> None:
    world.upload("orders/a.csv", orders_csv("o1"))
    assert world.gluekit("start", "orders", "--files", "orders/a.csv").status == 0
    world.finish_runs()

    again = world.gluekit("start", "orders", "--files", "orders/a.csv", "--json")

    assert again.status == 1  # nothing started: the file was processed
    assert len(world.workflow_runs()) == 1
    [item] = again.json["files"]
    assert item["found"] == "processed"
    assert item["note"] == "already processed: gluekit replay runs it again"
    assert again.json["runs"] == []


def test_a_pending_file_the_bridge_accepted_is_started_now(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a file the deployed bridge accepted: it waits (max_wait 30 s) as PENDING
    world.arrive("orders/late.csv", orders_csv("o9"), monkeypatch)
    assert world.claims()["orders/late.csv"]["state"] == "PENDING"
    assert world.workflow_runs() == []

    result = world.gluekit("start", "orders", "--files", "orders/late.csv", "--json")

    assert result.status == 0, result.err
    [item] = result.json["files"]
    assert item["found"] == "pending" and item["note"] == "started"
    [run] = world.workflow_runs()
    assert world.claims()["orders/late.csv"]["run_id"] == run["WorkflowRunId"]


def test_a_bad_file_is_quarantined_by_the_bridges_preflight_and_not_run(world: World) -> None:
    world.upload("orders/bad.csv", b"id,name\n1,x\n")  # not the contract's header

    result = world.gluekit("start", "orders", "--files", "orders/bad.csv", "--json")

    assert result.status == 1
    [item] = result.json["files"]
    assert item["found"] == "new"
    assert item["note"] == "quarantined by pre-flight: fix the file and upload it again"
    assert world.workflow_runs() == []
    quarantined = world.s3.list_objects_v2(Bucket=FOUNDATION.quarantine_bucket)["Contents"]
    assert any(o["Key"].endswith("bad.csv") for o in quarantined)
    assert any(o["Key"].endswith("bad.csv.reason.json") for o in quarantined)


def test_args_become_run_properties_named_as_job_arguments(world: World) -> None:
    world.upload("orders/a.csv", orders_csv("o1"))

    result = world.gluekit("start", "orders", "--files", "orders/a.csv", "--args", "min_amount=10")

    assert result.status == 0, result.err
    [run] = world.workflow_runs()
    # As the transform job reads a per-run value (gluekit_glue.parameters): KEY=value.
    assert run["WorkflowRunProperties"]["min_amount"] == "10"


def test_an_unknown_parameter_is_refused_before_anything_runs(world: World) -> None:
    world.upload("orders/a.csv", orders_csv("o1"))

    result = world.gluekit("start", "orders", "--files", "orders/a.csv", "--args", "max=1")

    assert result.status == 1
    assert result.err.strip() == ("error: --args: max: not a job parameter (known: min_amount)")
    assert world.claims() == {}


def test_a_key_outside_the_raw_prefix_is_refused(world: World) -> None:
    result = world.gluekit("start", "orders", "--files", "events/x.json")

    assert result.status == 1
    assert "outside the raw prefix of pipeline orders ('orders/')" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_missing_key_is_one_line(world: World) -> None:
    result = world.gluekit("start", "orders", "--files", "orders/nope.csv")

    assert result.status == 1
    assert result.err.strip() == (
        f"error: no object s3://{FOUNDATION.raw_bucket}/orders/nope.csv in the raw bucket"
    )


def test_since_and_until_choose_by_last_modified(world: World) -> None:
    for key, day in (("orders/19.csv", 19), ("orders/20.csv", 20), ("orders/21.csv", 21)):
        world.upload(key, orders_csv(key))
        world.set_last_modified(key, datetime(2026, 11, day, 8, 0, tzinfo=UTC))

    result = world.gluekit(
        "start", "orders", "--prefix", "orders/", "--since", "2026-11-20", "--until", "2026-11-21",
        "--json",
    )  # fmt: skip

    assert result.status == 0, result.err
    assert [f["uri"].rsplit("/", 1)[1] for f in result.json["files"]] == ["20.csv"]
    [run] = world.workflow_runs()
    assert [f["key"] for f in world.manifest(run)["files"]] == ["orders/20.csv"]


def test_a_window_that_holds_no_file_is_one_line(world: World) -> None:
    world.upload("orders/a.csv", orders_csv("o1"))
    world.set_last_modified("orders/a.csv", datetime(2026, 11, 20, 8, 0, tzinfo=UTC))

    result = world.gluekit("start", "orders", "--prefix", "orders/", "--since", "2026-11-21")

    assert result.status == 1
    assert result.err.strip() == (
        "error: no files match: files under orders/ since 2026-11-21T00:00:00+00:00"
    )
    assert world.workflow_runs() == []


def test_a_batch_larger_than_max_files_makes_several_runs_one_slot_at_a_time(
    world: World, two_file_runs: Path
) -> None:
    # max_files 2, one run at a time: 5 files make 3 runs, each after the one before has ended
    for n in range(5):
        world.upload(f"orders/f{n}.csv", orders_csv(f"o{n}"))
    world.time.on_sleep.append(world.finish_runs)  # each wait: Glue finishes the running run

    result = world.gluekit(
        "start", "orders", "--prefix", "orders/", "--spec", str(two_file_runs), "--json"
    )

    assert result.status == 0, result.err
    assert result.json["runs_needed"] == 3
    runs = world.workflow_runs()
    assert sorted(len(world.manifest(r)["files"]) for r in runs) == [1, 2, 2]
    assert "every run slot is taken" in result.err  # the waits were said, on stderr
    assert world.time.slept == [30.0, 30.0]


def test_gives_up_waiting_for_a_slot_and_leaves_the_rest_pending(
    world: World, two_file_runs: Path
) -> None:
    for n in range(3):
        world.upload(f"orders/f{n}.csv", orders_csv(f"o{n}"))

    # nothing finishes the first run: the second never gets a slot
    result = world.gluekit(
        "start", "orders", "--prefix", "orders/", "--spec", str(two_file_runs),
        "--max-wait-minutes", "1", "--json",
    )  # fmt: skip

    assert result.status == 1
    assert len(world.workflow_runs()) == 1
    assert result.json["stopped"].startswith("gave up waiting for a free run slot")
    states = [c["state"] for c in world.claims().values()]
    assert sorted(states) == ["PENDING", "STARTED", "STARTED"]
    left = [f for f in result.json["files"] if f["note"].startswith("pending")]
    assert [f["note"] for f in left] == ["pending: the bridge starts it when a slot frees"]


def test_replay_dry_run_lists_what_would_run_and_changes_nothing(world: World) -> None:
    world.upload("orders/a.csv", orders_csv("o1"))
    world.gluekit("start", "orders", "--files", "orders/a.csv")
    world.finish_runs()
    world.upload("orders/b.csv", orders_csv("o2"))
    claims_before = world.claims()

    result = world.gluekit("replay", "orders", "--prefix", "orders/", "--dry-run", "--json")

    assert result.status == 0, result.err
    assert {f["uri"].rsplit("/", 1)[1]: f["found"] for f in result.json["files"]} == {
        "a.csv": "processed",
        "b.csv": "new",
    }
    assert result.json["files_to_run"] == 2 and result.json["runs_needed"] == 1
    assert len(world.workflow_runs()) == 1
    assert world.claims() == claims_before


def test_replay_runs_processed_files_again_and_they_keep_their_first_claim(world: World) -> None:
    world.upload("orders/a.csv", orders_csv("o1"))
    world.gluekit("start", "orders", "--files", "orders/a.csv")
    world.finish_runs()
    [first] = world.workflow_runs()

    result = world.gluekit("replay", "orders", "--run", first["WorkflowRunId"], "--json")

    assert result.status == 0, result.err
    runs = world.workflow_runs()
    assert len(runs) == 2
    second = next(r for r in runs if r["WorkflowRunId"] != first["WorkflowRunId"])
    assert world.manifest(second)["files"] == world.manifest(first)["files"]  # same versions
    assert second["WorkflowRunProperties"]["started_by"] == "gluekit replay"
    assert world.claims()["orders/a.csv"]["run_id"] == first["WorkflowRunId"]
    [item] = result.json["files"]
    assert item["note"] == f"replayed (first run {first['WorkflowRunId']})"


def test_start_needs_a_selection(world: World) -> None:
    result = world.gluekit("start", "orders")

    assert result.status == 1
    assert (
        result.err.strip()
        == "error: name the files to run: --files or --prefix (with --since/--until)"
    )


def test_start_with_another_account_pinned_is_refused(world: World, tmp_path: Path) -> None:
    environments = tmp_path / "environments.yaml"
    environments.write_text("dev:\n  account: '210987654321'\n")

    result = world.gluekit(
        "start", "orders", "--files", "orders/a.csv", "--environments-file", str(environments)
    )

    assert result.status == 1
    assert result.err.strip() == (
        "error: environment 'dev' is pinned to account 210987654321, but these credentials are "
        "for account 123456789012: pass --profile for the right account"
    )


def test_a_derived_pipeline_takes_no_files_and_says_how_its_runs_start(world: World) -> None:
    result = world.gluekit("start", "daily-revenue", "--files", "daily-revenue/a.csv")

    assert result.status != 0
    assert "follows orders (trigger.after) and takes no files" in result.err
    assert world.workflow_runs() == []


def test_a_derived_pipeline_has_no_dlq_to_redrive_and_says_so(world: World) -> None:
    result = world.gluekit("redrive", "daily-revenue", "--yes")

    assert result.status != 0
    assert "has no arrivals queue, so no DLQ" in result.err
