"""Metrics carry exactly one dimension, Pipeline, even when Powertools knows a service name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.telemetry import METRIC_NAMES, Tally, metrics, publish
from shared.observability import observability


@pytest.fixture
def clean_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def test_published_counts_have_only_the_pipeline_dimension(clean_metrics: None) -> None:
    publish(Tally(accepted=3, runs_started=1), "orders")

    blob = metrics.serialize_metric_set()

    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "gluekit"
    assert directive["Dimensions"] == [["Pipeline"]]
    assert {m["Name"] for m in directive["Metrics"]} == set(METRIC_NAMES.values())
    assert blob["ObjectsAccepted"] == [3.0] and blob["RunsStarted"] == [1.0]


def test_service_name_from_the_environment_adds_no_dimension(
    monkeypatch: pytest.MonkeyPatch, clean_metrics: None
) -> None:
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "gluekit-dev-orders-bridge")
    logger, _, fresh = observability("bridge")
    fresh.add_dimension(name="Pipeline", value="orders")
    fresh.add_metric(name="RunsStarted", unit="Count", value=1)

    blob = fresh.serialize_metric_set()

    assert blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Pipeline"]]
    assert "service" not in blob
    assert logger.service == "gluekit-dev-orders-bridge"
