"""Glue job arguments: required, optional, the pipeline's own, and the CLI shorthand."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gluekit_glue.arguments import (
    ArgumentError,
    extra_arguments,
    parse_overrides,
    resolve_options,
    to_glue_arguments,
)
from tests.glue.pipeline_env import rendered_configs

CONFIG = json.dumps(rendered_configs()["orders"])


def glue_argv(*extra: str) -> list[str]:
    """What Glue itself puts on a job's command line around the kit's arguments."""
    return [
        "script.py",
        "--JOB_ID",
        "j_1",
        "--JOB_RUN_ID",
        "jr_abc",
        "--job-bookmark-option",
        "job-bookmark-disable",
        "--TempDir",
        "s3://tmp/",
        "--enable-metrics",
        "--JOB_NAME",
        "gluekit-dev-orders-transform",
        "--gluekit_config",
        CONFIG,
        *extra,
    ]


def test_workflow_run_supplies_the_run_id_and_parameters_reach_extra() -> None:
    options = resolve_options(
        glue_argv("--WORKFLOW_NAME", "wf", "--WORKFLOW_RUN_ID", "wr_9", "--min_amount", "0")
    )

    assert options.run_id == "wr_9"
    assert options.in_workflow
    assert options.job_name == "gluekit-dev-orders-transform"
    assert options.config.pipeline == "orders"
    assert options.extra == {"min_amount": "0"}
    assert options.local_root is None and options.manifest is None


def test_explicit_run_id_beats_workflow_run_id_which_beats_job_run_id() -> None:
    assert resolve_options(glue_argv()).run_id == "jr_abc"
    assert resolve_options(glue_argv("--WORKFLOW_RUN_ID", "wr_1")).run_id == "wr_1"
    assert (
        resolve_options(glue_argv("--WORKFLOW_RUN_ID", "wr_1", "--run_id", "m-1")).run_id == "m-1"
    )


def test_manual_run_takes_manifest_local_root_and_partitions() -> None:
    options = resolve_options(
        glue_argv(
            "--run_id",
            "manual-1",
            "--manifest",
            "s3://b/m.json",
            "--gluekit_local_root",
            "/tmp/x",
            "--partitions",
            "dt=2026-11-20,dt=2026-11-21",
        )
    )

    assert (options.run_id, options.manifest, options.local_root) == (
        "manual-1",
        "s3://b/m.json",
        "/tmp/x",
    )
    assert options.partitions == "dt=2026-11-20,dt=2026-11-21"
    assert not options.in_workflow


def test_without_any_run_id_the_job_says_how_to_give_one() -> None:
    argv = ["script.py", "--JOB_NAME", "x", "--gluekit_config", CONFIG]

    with pytest.raises(ArgumentError, match="pass --run_id"):
        resolve_options(argv)


def test_missing_config_is_an_argument_error() -> None:
    with pytest.raises(ArgumentError, match="gluekit_config"):
        resolve_options(["script.py", "--JOB_NAME", "x", "--run_id", "r"])


@pytest.mark.parametrize("run_id", ["a/b", "../x", "with space", ""])
def test_run_id_that_cannot_be_part_of_a_key_is_refused(run_id: str) -> None:
    with pytest.raises(ArgumentError):
        resolve_options(glue_argv("--run_id", run_id))


def test_extra_arguments_skip_glue_and_kit_arguments_and_accept_key_equals_value() -> None:
    argv = ["s.py", "--enable-metrics", "--min_amount=5", "--TempDir", "t", "--region", "eu"]

    assert extra_arguments(argv) == {"min_amount": "5", "region": "eu"}


def test_parse_overrides_reads_the_cli_shorthand() -> None:
    assert parse_overrides("min_amount=5, --run_id=manual-1,expr=a=b") == {
        "min_amount": "5",
        "run_id": "manual-1",
        "expr": "a=b",
    }
    assert parse_overrides('partitions="dt=2026-11-20,dt=2026-11-21",x=1') == {
        "partitions": "dt=2026-11-20,dt=2026-11-21",
        "x": "1",
    }
    assert parse_overrides("") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [("novalue", "is not KEY=value"), ("a=1,a=2", "given twice"), ("x='open", "unclosed quote")],
)
def test_parse_overrides_refuses_malformed_text(text: str, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        parse_overrides(text)


def test_overrides_become_glue_arguments() -> None:
    assert to_glue_arguments(parse_overrides("min_amount=5")) == {"--min_amount": "5"}


@given(
    st.dictionaries(
        st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True),
        st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\"',")),
        max_size=5,
    )
)
def test_parse_overrides_reads_back_what_a_quoting_writer_wrote(values: dict[str, str]) -> None:
    text = ",".join(f'{k}="{v}"' for k, v in values.items())

    assert parse_overrides(text) == values
