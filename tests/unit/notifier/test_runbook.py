"""Commands are run through a real bash with a fake `aws` that prints its arguments, so what a
person pastes is exactly what the AWS CLI would receive."""

from __future__ import annotations

import json
import subprocess

from notifier import runbook

REGION = "eu-west-1"
WORKFLOW = "gluekit-dev-orders"
RUN_ID = "wr_" + "0f" * 32
JOB = "gluekit-dev-orders-validate"
# The fake CLI answers the node-id lookup and echoes every other call, one argument a line.
FAKE_AWS = """
aws() {
  if [ "$2" = get-workflow-run ]; then
    printf '%s\\n' "$@" >&2
    echo wnode_from_lookup
  else
    printf '%s\\n' "$@"
  fi
}
"""


def run_in_bash(command: str) -> tuple[list[str], list[str]]:
    """(arguments of the main aws call, arguments of the nested lookup if any)."""
    done = subprocess.run(
        ["bash", "-c", FAKE_AWS + command], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines(), done.stderr.splitlines()


def test_resume_with_a_known_node_id_passes_it_literally() -> None:
    command = runbook.resume_command(REGION, WORKFLOW, RUN_ID, JOB, "wnode_abc")

    args, lookup = run_in_bash(command)

    assert args == ["glue", "resume-workflow-run", "--region", REGION, "--name", WORKFLOW,
                    "--run-id", RUN_ID, "--node-ids", "wnode_abc"]  # fmt: skip
    assert lookup == []


def test_resume_without_a_node_id_looks_it_up_in_the_same_paste() -> None:
    command = runbook.resume_command(REGION, WORKFLOW, RUN_ID, JOB, None)

    args, lookup = run_in_bash(command)

    assert args[-2:] == ["--node-ids", "wnode_from_lookup"]
    assert lookup == ["glue", "get-workflow-run", "--region", REGION, "--name", WORKFLOW,
                      "--run-id", RUN_ID, "--include-graph", "--query",
                      f"Run.Graph.Nodes[?Type=='JOB' && Name=='{JOB}'].UniqueId",
                      "--output", "text"]  # fmt: skip


def test_replay_passes_the_start_properties_as_one_json_argument() -> None:
    properties = {
        "manifest": "s3://artifacts/manifests/orders/b 1.json",
        "batch_id": "b'1\"$x",
        "pipeline": "orders",
        "validation_summary": "written by validate",
    }

    args, _ = run_in_bash(runbook.replay_command(REGION, WORKFLOW, properties))

    assert args[:6] == ["glue", "start-workflow-run", "--region", REGION, "--name", WORKFLOW]
    assert args[6] == "--run-properties"
    assert json.loads(args[7]) == {
        "manifest": "s3://artifacts/manifests/orders/b 1.json",
        "batch_id": "b'1\"$x",
        "pipeline": "orders",
    }


def test_s3_commands_keep_awkward_keys_as_one_argument() -> None:
    key = "orders/it's $HOME & (final) ü.csv"

    args, _ = run_in_bash(runbook.s3_upload_command("./x y.csv", "raw-bucket", key))

    assert args == ["s3", "cp", "./x y.csv", f"s3://raw-bucket/{key}"]


def test_links_point_at_the_configured_region_and_encode_names() -> None:
    assert runbook.job_run_url(REGION, JOB, "jr_1") == (
        "https://eu-west-1.console.aws.amazon.com/gluestudio/home?region=eu-west-1"
        f"#/job/{JOB}/run/jr_1"
    )
    assert runbook.workflow_run_url(REGION, WORKFLOW, RUN_ID) == (
        "https://eu-west-1.console.aws.amazon.com/glue/home?region=eu-west-1"
        f"#/v2/etl-configuration/workflows/run/{WORKFLOW}?runId={RUN_ID}"
    )
    assert runbook.s3_object_url(REGION, "s3://b/dir/a b+c&d.csv") == (
        "https://eu-west-1.console.aws.amazon.com/s3/object/b?region=eu-west-1"
        "&prefix=dir/a%20b%2Bc%26d.csv"
    )


def test_only_s3_object_uris_get_an_s3_link() -> None:
    assert runbook.s3_object_url(REGION, "https://example.com/a") is None
    assert runbook.s3_object_url(REGION, "s3://bucket-only/") is None
