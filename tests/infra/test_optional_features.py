"""Branches the example specs leave off: raw crawler, compaction schedule, flex, Glue 6.0."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Match, Template

from gluekit.environments import load_environment
from gluekit.spec import LoadedSpec, PipelineSpec
from infra.kit import build_kit, feature_flags

ORDERS = Path(__file__).resolve().parents[2] / "pipelines" / "orders.yaml"


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Template:
    data = yaml.safe_load(ORDERS.read_text())
    data["name"] = "orders-flex"
    data["source"]["prefix"] = "orders-flex/"
    data["crawler"] = {"enabled": True}
    data["compaction"] = {"schedule": "cron(0 3 ? * SUN *)"}
    data["job"].update({"execution_class": "flex", "glue_version": "6.0", "max_concurrent_runs": 3})
    spec = PipelineSpec.model_validate(data)
    app = cdk.App(context=feature_flags(), outdir=str(tmp_path_factory.mktemp("variant")))
    stacks = build_kit(app, environment=load_environment("dev"), specs=[LoadedSpec(ORDERS, spec)])
    app.synth()  # cdk-nag runs here too: the optional resources pass it as well
    return Template.from_stack(stacks.pipelines["orders-flex"])


def test_raw_crawler_never_rewrites_the_contract_table(variant: Template) -> None:
    [crawler] = variant.find_resources("AWS::Glue::Crawler").values()
    props = crawler["Properties"]
    assert props["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert json.loads(props["Configuration"])["CrawlerOutput"]["Partitions"] == {
        "AddOrUpdateBehavior": "InheritFromTable"
    }
    assert props["TablePrefix"] == "raw_orders_flex_"
    assert "orders-flex/" in json.dumps(props["Targets"])
    assert props["CrawlerSecurityConfiguration"]


def test_crawler_runs_with_the_start_trigger_and_its_failure_alerts(variant: Template) -> None:
    variant.has_resource_properties(
        "AWS::Glue::Trigger",
        {
            "Type": "ON_DEMAND",
            "Actions": Match.array_with([Match.object_like({"CrawlerName": Match.any_value()})]),
        },
    )
    variant.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.glue"],
                "detail-type": ["Glue Crawler State Change"],
                "detail": {"crawlerName": ["gluekit-dev-orders-flex-raw"], "state": ["Failed"]},
            },
        },
    )


def test_compaction_runs_on_its_own_schedule(variant: Template) -> None:
    variant.has_resource_properties(
        "AWS::Glue::Trigger",
        {
            "Type": "SCHEDULED",
            "Schedule": "cron(0 3 ? * SUN *)",
            "StartOnCreation": True,
            "Actions": [Match.object_like({"JobName": Match.any_value()})],
        },
    )


def test_flex_jobs_on_glue_6(variant: Template) -> None:
    for job in variant.find_resources("AWS::Glue::Job").values():
        props = job["Properties"]
        assert props["ExecutionClass"] == "FLEX"
        assert props["GlueVersion"] == "6.0"
        assert props["ExecutionProperty"]["MaxConcurrentRuns"] == 3
