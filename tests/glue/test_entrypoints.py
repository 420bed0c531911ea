"""The four Glue scripts run as Glue runs them: `python job.py --JOB_NAME ... --gluekit_config ...`
(here through runpy in this process, as the local runner calls them)."""

from __future__ import annotations

import runpy
import sys

import pytest

from gluekit_glue.jobs.common import JobFailed
from tests.glue.pipeline_env import REPO, SAMPLES, PipelineEnv


def run_script(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> None:
    script = str(REPO / argv[0])
    monkeypatch.setattr(sys, "argv", [script, *argv[1:]])
    runpy.run_path(script, run_name="__main__")


def test_each_glue_script_runs_with_glue_style_arguments(
    env: PipelineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a batch the bridge started a workflow run for
    run_id = env.batch(
        "orders",
        {
            "orders-2026-11-20.csv": SAMPLES / "orders" / "orders-2026-11-20.csv",
            "orders-2026-11-21.csv": SAMPLES / "orders" / "orders-2026-11-21.csv",
        },
        "b1",
    )

    # WHEN Glue runs each job's script with its arguments (plus a pipeline parameter)
    for step in ("transform", "validate", "publish"):
        run_script(monkeypatch, env.argv("orders", step, run_id, "--min_amount", "0"))
    # ... and the compact job as its schedule starts it: no workflow, Glue's job run id
    run_script(monkeypatch, env.argv("orders", "compact", "sched-1", workflow=False))

    # THEN every step left its summary and the curated table holds the batch
    config = env.config("orders")
    for step in ("transform", "validate", "publish"):
        summary = env.get_json(config.summary_uri(run_id, step))
        assert summary["status"] == "succeeded", summary
    assert env.get_json(config.summary_uri(run_id, "transform"))["details"]["parameters"] == {
        "min_amount": "0"
    }
    assert env.get_json(config.summary_uri("jr_sched-1", "compact"))["status"] == "succeeded"
    assert len(env.curated("orders")) == 12
    assert "published_at" in env.run_properties("orders", run_id)


def test_a_failing_script_raises_for_glue_to_mark_the_run_failed(
    env: PipelineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a workflow run whose transform never ran
    run_id = str(env.glue.start_workflow_run(Name=env.workflow("orders"))["RunId"])

    # WHEN its validate script runs, THEN the error leaves the script (Glue marks the run
    # FAILED with it) and the step summary records it
    with pytest.raises(JobFailed, match=r"left no branch to validate \(step summary s3://"):
        run_script(monkeypatch, env.argv("orders", "validate", run_id))
    summary = env.get_json(env.config("orders").summary_uri(run_id, "validate"))
    assert summary["status"] == "failed"
