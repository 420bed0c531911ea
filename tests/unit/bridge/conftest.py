"""Configurations rendered from the example specs, as the bridge receives them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.config import BridgeConfig
from gluekit.naming import FoundationNames
from gluekit.render import bridge_config
from gluekit.spec import load_spec_file

PIPELINES_DIR = Path(__file__).resolve().parents[3] / "pipelines"
SAMPLES_DIR = Path(__file__).resolve().parents[3] / "samples"
FOUNDATION = FoundationNames("gluekit-dev", "123456789012", "us-east-1")


def rendered(name: str, **overrides: Any) -> dict[str, Any]:
    config = bridge_config(
        load_spec_file(PIPELINES_DIR / f"{name}.yaml", "gluekit-dev").spec, FOUNDATION
    )
    for key, value in overrides.items():
        if key in ("source", "csv"):
            target = config["source"] if key == "source" else config["source"]["csv"]
            target.update(value)
        else:
            config[key] = value
    return config


def config_of(name: str, **overrides: Any) -> BridgeConfig:
    return BridgeConfig.from_json(json.dumps(rendered(name, **overrides)))


@pytest.fixture
def orders_config() -> BridgeConfig:
    return config_of("orders")


@pytest.fixture
def events_config() -> BridgeConfig:
    return config_of("events")
