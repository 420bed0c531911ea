"""GLUEKIT_BRIDGE_CONFIG: the rendered JSON parses into frozen values; a broken one says what."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bridge.config import CONFIG_ENV, BridgeConfig, ConfigError, load_config
from tests.unit.bridge.conftest import rendered


@pytest.mark.parametrize("pipeline", ["orders", "events"])
def test_rendered_config_of_each_example_spec_parses(pipeline: str) -> None:
    data = rendered(pipeline)

    config = load_config({CONFIG_ENV: json.dumps(data)})

    assert config.pipeline == data["pipeline"]
    assert config.buckets.quarantine == data["buckets"]["quarantine"]
    assert config.suffixes == tuple(data["suffixes"])
    assert config.source.csv.delimiter == data["source"]["csv"]["delimiter"]
    assert config.expected_columns == tuple(data["expected_columns"])
    assert config.max_files_per_run == data["max_files_per_run"]
    assert config.scheduled is (data["trigger_mode"] == "schedule")


def test_config_is_frozen() -> None:
    config = BridgeConfig.from_json(json.dumps(rendered("orders")))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(config, "pipeline", "other")  # noqa: B010


def test_missing_variable_is_named() -> None:
    with pytest.raises(ConfigError, match=CONFIG_ENV):
        load_config({})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trigger_mode": "hourly"}, "trigger_mode"),
        ({"max_files_per_run": 0}, "max_files_per_run"),
        ({"max_file_bytes": "5GB"}, "max_file_bytes"),
        ({"suffixes": ".csv"}, "suffixes"),
        ({"buckets": {"raw": "r"}}, "buckets.curated"),
        ({"workflow_name": ""}, "workflow_name"),
    ],
)
def test_wrong_field_is_named(change: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        BridgeConfig.from_json(json.dumps({**rendered("orders"), **change}))


def test_text_that_is_not_json_is_an_error() -> None:
    with pytest.raises(ConfigError, match="not valid JSON"):
        BridgeConfig.from_json("{pipeline: orders}")
