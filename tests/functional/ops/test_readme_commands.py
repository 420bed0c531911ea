"""Every `gluekit` command the README's "Operating a pipeline" section shows runs as shown.

The commands are read from the README itself and run, one after the other, against the orders
pipeline deployed in environment prod (moto), with `<run id>` filled in; where moto lacks what a
command reads (a run's graph and ResumeWorkflowRun, CloudFormation), that command's client is
stubbed as in its own tests.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.functional.ops.conftest import (
    NOW,
    PIPELINES,
    World,
    deployed,
    job_run,
    orders_csv,
    workflow_run,
)

README = Path(__file__).resolve().parents[3] / "README.md"
SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "orders"
RUN_ID = "RUN_ID_PLACEHOLDER"  # the README's <run id>


def operating_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Operating a pipeline\n") : text.index("## Curated data\n")]
    commands = []
    for line in section.splitlines():
        if line.startswith(".venv/bin/gluekit "):
            words = shlex.split(line.replace("<run id>", RUN_ID), comments=True)
            commands.append(words[1:])
    return commands


def test_the_readme_shows_every_operations_command() -> None:
    shown = {words[0] for words in operating_commands()}

    assert shown == {"status", "runs", "describe", "start", "replay", "resume", "redrive", "cost"}


@pytest.fixture
def prod(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with deployed(capsys, monkeypatch, "gluekit-prod") as world:
        # `gluekit status` covers every spec: the other example pipelines are deployed too
        for other in sorted(PIPELINES.glob("*.yaml")):
            if other.stem != "orders":
                world.glue.create_workflow(Name=f"gluekit-prod-{other.stem}")
                world.sqs.create_queue(QueueName=f"gluekit-prod-{other.stem}-bridge-dlq")
        yield world


def test_every_command_in_the_readme_runs_as_shown(prod: World) -> None:
    world = prod
    uploads = {
        "orders/orders-2026-11-20.csv": (SAMPLES / "orders-2026-11-20.csv").read_bytes(),
        "orders/2026/11/late.csv": orders_csv("o-late"),
        "orders/earlier.csv": orders_csv("o-early"),
    }
    for key, body in uploads.items():
        world.upload(key, body)
        world.set_last_modified(key, datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    world.time.on_sleep.append(world.finish_runs)  # runs end while a command waits for a slot
    assert (
        world.gluekit("start", "orders", "--env", "prod", "--files", "orders/earlier.csv").status
        == 0
    )
    [first] = world.workflow_runs()
    run_id = first["WorkflowRunId"]

    for words in operating_commands():
        argv = [run_id if word == RUN_ID else word for word in words]
        world.injected.clear()
        if words[0] == "describe":
            answer_describe(world)
        if words[0] == "resume":
            answer_resume(world, run_id)

        result = world.gluekit(*argv)

        assert result.status == 0, f"gluekit {' '.join(argv)}: {result.err or result.out}"


def answer_describe(world: World) -> None:
    cloudformation = world.stub("cloudformation")
    for name in (world.foundation.stack, world.names.stack):
        stack = {"StackName": name, "CreationTime": NOW, "StackStatus": "UPDATE_COMPLETE"}
        cloudformation.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": name})


def answer_resume(world: World, run_id: str) -> None:
    world.finish_runs()  # the runs the commands above started have ended
    glue = world.stub("glue")
    steps = {
        "transform": job_run("transform", "FAILED", world.names),
        "validate": None,
        "publish": None,
    }
    run = workflow_run(run_id, steps=steps, names=world.names)
    glue.add_response("get_workflow_run", {"Run": run})
    glue.add_response("resume_workflow_run", {"RunId": "wr_resumed"})
