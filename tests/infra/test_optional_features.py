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
from tests.infra.conftest import cfn_lint

ORDERS = Path(__file__).resolve().parents[2] / "pipelines" / "orders.yaml"


@pytest.fixture(scope="module")
def variant_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("variant")


@pytest.fixture(scope="module")
def variant(variant_outdir: Path) -> Template:
    data = yaml.safe_load(ORDERS.read_text())
    data["name"] = "orders-flex"
    data["source"]["prefix"] = "orders-flex/"
    data["crawler"] = {"enabled": True}
    data["source"]["on_unknown_columns"] = "quarantine"
    data["compaction"] = {"schedule": "cron(0 3 ? * SUN *)"}
    data["job"].update({"execution_class": "flex", "glue_version": "6.0", "max_concurrent_runs": 3})
    # Catalog tables as lookups, a Hive-style one and an Iceberg one, outside the kit's buckets.
    data["lookups"] = [
        {"name": "fx", "table": "finance.fx_rates", "location": "s3://finance-exports-x/fx/"},
        {
            "name": "segments",
            "table": "crm.segments",
            "location": "s3://crm-lake-x/segments/",
            "format": "iceberg",
        },
    ]
    spec = PipelineSpec.model_validate(data)
    context = {**feature_flags(), "aws:cdk:enable-path-metadata": True}  # for cfn-lint
    app = cdk.App(context=context, outdir=str(variant_outdir))
    stacks = build_kit(app, environment=load_environment("dev"), specs=[LoadedSpec(ORDERS, spec)])
    app.synth()  # cdk-nag runs here too: the optional resources pass it as well
    return Template.from_stack(stacks.pipelines["orders-flex"])


def test_raw_crawler_keeps_its_own_tables_current_and_never_the_contract_table(
    variant: Template,
) -> None:
    [crawler] = variant.find_resources("AWS::Glue::Crawler").values()
    props = crawler["Properties"]
    # Its raw_* tables follow the source, so drift shows; the curated table is outside its grant.
    assert props["SchemaChangePolicy"] == {
        "UpdateBehavior": "UPDATE_IN_DATABASE",
        "DeleteBehavior": "LOG",
    }
    assert json.loads(props["Configuration"])["CrawlerOutput"]["Partitions"] == {
        "AddOrUpdateBehavior": "InheritFromTable"
    }
    assert props["TablePrefix"] == "raw_orders_flex_"
    assert "orders-flex/" in json.dumps(props["Targets"])
    assert props["CrawlerSecurityConfiguration"]


def test_crawler_runs_with_the_start_trigger_and_its_end_reaches_the_notifier(
    variant: Template,
) -> None:
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
                "detail": {
                    "crawlerName": ["gluekit-dev-orders-flex-raw"],
                    "state": ["Failed", "Succeeded"],
                },
            },
        },
    )


def test_notifier_reads_only_this_pipelines_raw_tables(variant: Template) -> None:
    [policy] = [
        p
        for p in variant.find_resources("AWS::IAM::Policy").values()
        if any(
            s.get("Sid") == "ReadOwnRawTables"
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        )
    ]
    [statement] = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == "ReadOwnRawTables"
    ]  # fmt: skip
    assert statement["Action"] == ["glue:GetTable", "glue:GetTables"]
    resources = json.dumps(statement["Resource"])
    assert ":catalog" in resources
    assert ":database/gluekit_dev" in resources
    assert ":table/gluekit_dev/raw_orders_flex_*" in resources
    assert len(statement["Resource"]) == 3
    assert "Notifier" in json.dumps(policy["Properties"]["Roles"])


def test_notifier_knows_the_contracts_source_columns_and_the_crawlers_tables(
    variant: Template,
) -> None:
    [function] = [
        f
        for f in variant.find_resources("AWS::Lambda::Function").values()
        if "GLUEKIT_NOTIFIER_CONFIG" in json.dumps(f["Properties"].get("Environment", {}))
    ]
    rendered = json.dumps(function["Properties"]["Environment"])
    assert "raw_orders_flex_" in rendered
    assert "last_modified" in rendered  # a source name, not the curated updated_at


def test_drift_that_quarantines_raises_no_alarm_of_its_own(variant: Template) -> None:
    # the quarantined file reaches a person through rejected-files: no second alert
    names = [
        r["Properties"]["AlarmName"]
        for r in variant.find_resources("AWS::CloudWatch::Alarm").values()
    ]
    assert "gluekit-dev-orders-flex-rejected-files" in names
    assert not [n for n in names if n.endswith("-unknown-columns")]


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


def test_optional_resources_pass_cfn_lint(variant: Template, variant_outdir: Path) -> None:
    templates = sorted(str(p) for p in variant_outdir.glob("*.template.json"))

    result = cfn_lint(templates)

    assert result.returncode & 0b110 == 0, result.stdout + result.stderr


def lookup_statements(template: Template, sid_prefix: str) -> dict[str, dict[str, object]]:
    found = {}
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Sid", "").startswith(sid_prefix):
                found[statement["Sid"]] = statement
    return found


def test_catalog_lookups_read_exactly_their_table_and_location(variant: Template) -> None:
    fx = lookup_statements(variant, "LookupFx")
    segments = lookup_statements(variant, "LookupSegments")

    assert sorted(fx) == ["LookupFxListing", "LookupFxObjects", "LookupFxTable"]
    assert fx["LookupFxObjects"]["Action"] == "s3:GetObject"
    assert json.dumps(fx["LookupFxObjects"]["Resource"]).endswith(
        ':s3:::finance-exports-x/fx/*"]]}'
    )
    assert fx["LookupFxListing"]["Condition"] == {"StringLike": {"s3:prefix": ["fx/*"]}}
    # a Hive-style table is read with its partitions; an Iceberg table has none in the catalog
    assert sorted(fx["LookupFxTable"]["Action"]) == [
        "glue:BatchGetPartition",
        "glue:GetDatabase",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:GetTable",
    ]
    assert sorted(segments["LookupSegmentsTable"]["Action"]) == [
        "glue:GetDatabase",
        "glue:GetTable",
    ]
    tables = json.dumps(fx["LookupFxTable"]["Resource"])
    assert ":database/finance" in tables and ":table/finance/fx_rates" in tables
    assert "*" not in tables
