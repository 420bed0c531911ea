"""The notifier reads exactly what the kit renders, and fails loudly on anything else."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gluekit import render
from notifier import events
from notifier.config import CONFIG_ENV, ConfigError, NotifierConfig, parse_config
from tests.unit.notifier.conftest import TOPIC_ARN, rendered_config


def test_rendered_configuration_parses_into_the_model(config: NotifierConfig) -> None:
    assert config.pipeline == "orders"
    assert config.topic_arn == TOPIC_ARN
    assert config.region == "eu-west-1"
    assert config.workflow_name == "gluekit-dev-orders"
    assert config.crawler_name == "gluekit-dev-orders-raw"
    assert config.artifacts_bucket == "gluekit-dev-artifacts-123456789012-eu-west-1"
    assert config.reports_prefix == "reports/orders/"
    assert config.step_of("gluekit-dev-orders-validate") == "validate"
    assert config.step_of("gluekit-dev-orders-compact") == "compact"
    assert config.step_of("gluekit-dev-events-validate") is None


def test_configuration_cannot_be_changed_after_parsing(config: NotifierConfig) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.pipeline = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.job_names["transform"] = "other"  # type: ignore[index]


def test_names_shared_with_the_kit_match_its_rendering() -> None:
    assert CONFIG_ENV == render.NOTIFIER_CONFIG_ENV
    assert events.BRIDGE_SOURCE == render.BRIDGE_EVENT_SOURCE
    assert events.OBJECT_QUARANTINED == render.QUARANTINE_DETAIL_TYPE


def without(key: str) -> str:
    data = rendered_config()
    del data[key]
    return json.dumps(data)


def with_value(key: str, value: object) -> str:
    return json.dumps({**rendered_config(), key: value})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, f"environment variable {CONFIG_ENV} is not set"),
        ("", f"environment variable {CONFIG_ENV} is not set"),
        ("{pipeline", "is not JSON"),
        ("[]", "must be a JSON object"),
        (without("topic_arn"), "'topic_arn' must be a non-empty string"),
        (with_value("region", ""), "'region' must be a non-empty string"),
        (with_value("buckets", {"raw": "r"}), "buckets.artifacts is missing"),
        (with_value("job_names", {"transform": 1}), "'job_names' must be an object of strings"),
    ],
    ids=["unset", "empty", "not-json", "not-object", "no-topic", "empty-region",
         "no-artifacts-bucket", "non-string-job-name"],
)  # fmt: skip
def test_bad_configuration_is_rejected_with_the_field_named(raw: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parse_config(raw)
