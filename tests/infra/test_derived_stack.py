"""The derived pipeline's stack (daily-revenue, ``trigger.after: [orders]``): no files, no
arrivals queue; the orders publish job's success invokes its bridge; its jobs read orders."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Template

from tests.infra.conftest import Synthesized
from tests.infra.test_pipeline_stack import actions_of, statements_of


@pytest.fixture(scope="module")
def derived(dev: Synthesized) -> Template:
    return dev.template("daily-revenue")


def test_an_orders_publish_that_succeeded_invokes_the_bridge(derived: Template) -> None:
    rules = derived.find_resources(
        "AWS::Events::Rule",
        {"Properties": {"Name": "gluekit-dev-daily-revenue-upstream"}},
    )
    (rule,) = rules.values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.glue"]
    assert pattern["detail"] == {"jobName": ["gluekit-dev-orders-publish"], "state": ["SUCCEEDED"]}
    assert pattern["account"] == [{"Ref": "AWS::AccountId"}]
    (target,) = rule["Properties"]["Targets"]
    assert "Bridge" in json.dumps(target["Arn"]) and "DeadLetterConfig" in target


def test_it_has_no_arrivals_queue_and_reads_no_raw_files(derived: Template) -> None:
    derived.resource_count_is("AWS::Lambda::EventSourceMapping", 0)
    queues = derived.find_resources("AWS::SQS::Queue")
    names = {q["Properties"]["QueueName"] for q in queues.values()}
    assert "gluekit-dev-daily-revenue-bridge" not in names
    rules = derived.find_resources("AWS::Events::Rule")
    assert not any(
        "aws.s3" in json.dumps(r["Properties"].get("EventPattern", {})) for r in rules.values()
    )
    for role in ("BridgeFunction", "GlueJobRole"):
        sids = {s.get("Sid") for s in statements_of(derived, role)}
        assert not sids & {"ReadOwnRawPrefix", "ListOwnRawPrefix", "AnnounceQuarantine"}, role
    alarms = derived.find_resources("AWS::CloudWatch::Alarm")
    alarm_names = {a["Properties"]["AlarmName"] for a in alarms.values()}
    assert "gluekit-dev-daily-revenue-oldest-pending" in alarm_names
    assert not {"bridge-dlq-depth", "rejected-files", "quarantined-files"} & {
        n.removeprefix("gluekit-dev-daily-revenue-") for n in alarm_names
    }


def test_its_jobs_read_the_orders_table_once_and_only_it(derived: Template) -> None:
    statements = statements_of(derived, "GlueJobRole")
    lookups = [s for s in statements if str(s.get("Sid", "")).startswith("Lookup")]
    # The lookup of orders and the upstream orders are one grant, not two.
    assert sorted(s["Sid"] for s in lookups) == [
        "LookupOrdersListing",
        "LookupOrdersObjects",
        "LookupOrdersTable",
    ]
    table = next(s for s in lookups if s["Sid"] == "LookupOrdersTable")
    assert "glue:UpdateTable" not in actions_of(table)
    assert "table/gluekit_dev/orders" in json.dumps(table["Resource"])


def test_the_bridge_config_names_the_upstream_job(derived: Template) -> None:
    functions = derived.find_resources(
        "AWS::Lambda::Function",
        {"Properties": {"FunctionName": "gluekit-dev-daily-revenue-bridge"}},
    )
    (function,) = functions.values()
    config = json.dumps(function["Properties"]["Environment"]["Variables"])
    assert "gluekit-dev-orders-publish" in config


def test_a_step_functions_upstream_is_heard_by_its_executions_success() -> None:
    import aws_cdk as cdk

    from gluekit.naming import PipelineNames
    from gluekit.spec import DEFAULT_PIPELINES_DIR, load_specs
    from infra.constructs.upstream_rules import upstream_published_rules

    specs = {i.spec.name: i.spec for i in load_specs(DEFAULT_PIPELINES_DIR, "gluekit-dev")}
    machine = specs["events"].model_copy(update={"orchestrator": "step-functions"})
    stack = cdk.Stack(cdk.App(), "Probe")

    rules = upstream_published_rules(
        PipelineNames("gluekit-dev", "daily-revenue"), stack, [specs["orders"], machine]
    )

    assert [(rule_id, name) for rule_id, name, _ in rules] == [
        ("UpstreamPublished", "gluekit-dev-daily-revenue-upstream"),
        ("UpstreamSucceeded", "gluekit-dev-daily-revenue-upstream-sfn"),
    ]
    glue, states = rules[0][2], rules[1][2]
    assert glue.source == ["aws.glue"]
    assert glue.detail == {"jobName": ["gluekit-dev-orders-publish"], "state": ["SUCCEEDED"]}
    assert states.source == ["aws.states"]
    assert states.detail["status"] == ["SUCCEEDED"]
    resolved = stack.resolve(states.detail["stateMachineArn"])
    assert "stateMachine:gluekit-dev-events" in json.dumps(resolved)
