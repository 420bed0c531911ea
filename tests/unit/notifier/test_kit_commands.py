"""Alerts name the kit's commands (gluekit resume / replay / runs) beside the AWS CLI ones."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from gluekit.render import notifier_config
from gluekit.spec import load_spec_file
from notifier import message
from notifier.config import ConfigError, NotifierConfig, parse_config
from notifier.kit_commands import KitCommands
from tests.unit.notifier.conftest import FOUNDATION, PIPELINE_SPEC, TOPIC_ARN
from tests.unit.notifier.test_message import RUN_ID, job_alert, run_facts


def prod_config() -> NotifierConfig:
    spec = load_spec_file(PIPELINE_SPEC, FOUNDATION.prefix).spec
    return parse_config(json.dumps(notifier_config(spec, FOUNDATION, TOPIC_ARN, "prod")))


def test_a_failed_run_names_the_kits_commands_first_then_the_aws_cli_ones() -> None:
    config = prod_config()

    note = message.build(config, job_alert(config), run_facts())

    assert note.data["gluekit_commands"] == {
        "resume": f"gluekit resume orders {RUN_ID} --env prod",
        "replay": f"gluekit replay orders --run {RUN_ID} --env prod",
        "status": f"gluekit runs orders {RUN_ID} --env prod",
    }
    lines = note.text.splitlines()
    kit = lines.index(f"    gluekit resume orders {RUN_ID} --env prod")
    assert lines[kit + 1] == "  or with the AWS CLI:"
    assert lines[kit + 2] == f"    {note.data['commands']['resume']}"


def test_without_an_environment_the_commands_use_the_default_one(config: NotifierConfig) -> None:
    note = message.build(config, job_alert(config), run_facts())

    assert note.data["gluekit_commands"]["resume"] == f"gluekit resume orders {RUN_ID}"


def test_a_job_run_outside_a_workflow_has_no_kit_command(config: NotifierConfig) -> None:
    facts = replace(run_facts(), workflow_run_id=None, workflow_run=None)

    note = message.build(config, job_alert(config), facts)

    assert note.data["gluekit_commands"] == {}
    assert "gluekit " not in note.text


def test_commands_quote_what_a_shell_would_split() -> None:
    assert (
        KitCommands("orders", "my env").runs("wr 1") == "gluekit runs orders 'wr 1' --env 'my env'"
    )


def test_the_environment_is_a_string_or_absent() -> None:
    spec = load_spec_file(PIPELINE_SPEC, FOUNDATION.prefix).spec
    rendered = notifier_config(spec, FOUNDATION, TOPIC_ARN) | {"environment": 3}

    with pytest.raises(ConfigError, match="'environment' must be a non-empty string or absent"):
        parse_config(json.dumps(rendered))
