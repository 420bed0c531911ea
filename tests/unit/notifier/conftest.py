"""The orders pipeline's notifier configuration, rendered by the kit as at synth time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gluekit.naming import FoundationNames
from gluekit.render import notifier_config
from gluekit.spec import load_spec_file
from notifier.config import NotifierConfig, parse_config

PIPELINE_SPEC = Path(__file__).resolve().parents[3] / "pipelines" / "orders.yaml"
# Not the tests' AWS region (us-east-1): links and commands must follow the configuration.
REGION = "eu-west-1"
FOUNDATION = FoundationNames("gluekit-dev", "123456789012", REGION)
TOPIC_ARN = f"arn:aws:sns:{REGION}:123456789012:gluekit-dev-alerts"


def rendered_config() -> dict[str, object]:
    spec = load_spec_file(PIPELINE_SPEC, FOUNDATION.prefix).spec
    return notifier_config(spec, FOUNDATION, TOPIC_ARN)


@pytest.fixture(scope="session")
def config() -> NotifierConfig:
    return parse_config(json.dumps(rendered_config()))
