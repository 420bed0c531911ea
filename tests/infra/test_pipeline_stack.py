"""Per-pipeline stack: Glue jobs and workflow, bridge wiring, least privilege, alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.infra.conftest import Synthesized


@pytest.fixture(scope="module")
def orders(dev: Synthesized) -> Template:
    return dev.template("orders")


@pytest.fixture(scope="module")
def events(dev: Synthesized) -> Template:
    return dev.template("events")


def statements_of(template: Template, role_fragment: str) -> list[dict[str, Any]]:
    """Every IAM statement attached to the role whose logical id contains `role_fragment`."""
    found = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        roles = json.dumps(policy["Properties"]["Roles"])
        if role_fragment in roles:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    assert found, f"no policy for {role_fragment}"
    return found


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


# ----------------------------------------------------------------------------------- Glue side
def test_jobs_override_every_glue_default(orders: Template) -> None:
    jobs = orders.find_resources("AWS::Glue::Job")
    assert {j["Properties"]["Name"] for j in jobs.values()} == {
        f"gluekit-dev-orders-{s}" for s in ("transform", "validate", "publish", "compact")
    }
    for job in jobs.values():
        props = job["Properties"]
        assert props["GlueVersion"] == "5.1"
        assert (props["WorkerType"], props["NumberOfWorkers"]) == ("G.1X", 2)
        assert props["Timeout"] == 30
        assert props["MaxRetries"] == 0
        assert props["ExecutionProperty"]["MaxConcurrentRuns"] >= 1
        assert props["SecurityConfiguration"]
        args = props["DefaultArguments"]
        assert args["--enable-auto-scaling"] == "true"
        assert args["--min_amount"] == "0"  # the spec's user parameter
        assert "--gluekit_config" in args
        assert args["--extra-py-files"]


def test_job_concurrency_is_at_least_the_workflows(orders: Template) -> None:
    [workflow] = orders.find_resources("AWS::Glue::Workflow").values()
    limit = workflow["Properties"]["MaxConcurrentRuns"]
    for job in orders.find_resources("AWS::Glue::Job").values():
        assert job["Properties"]["ExecutionProperty"]["MaxConcurrentRuns"] >= limit


def test_workflow_starts_on_demand_and_chains_on_success(orders: Template) -> None:
    triggers = {
        t["Properties"]["Name"]: t["Properties"]
        for t in orders.find_resources("AWS::Glue::Trigger").values()
    }
    start = triggers["gluekit-dev-orders-start"]
    assert start["Type"] == "ON_DEMAND"
    [workflow_id] = orders.find_resources("AWS::Glue::Workflow")
    assert start["WorkflowName"] == {"Ref": workflow_id}
    assert [t for t in triggers.values() if t["Type"] in ("EVENT", "SCHEDULED")] == []

    for previous, following in (("transform", "validate"), ("validate", "publish")):
        trigger = triggers[f"gluekit-dev-orders-after-{previous}"]
        assert trigger["Type"] == "CONDITIONAL"
        assert trigger["StartOnCreation"] is True
        [condition] = trigger["Predicate"]["Conditions"]
        assert condition["State"] == "SUCCEEDED"
        assert (
            json.dumps(condition["JobName"]).count(
                "Transform" if previous == "transform" else "Validate"
            )
            == 1
        )
        assert "Publish" in json.dumps(trigger["Actions"]) or following != "publish"


def test_security_configuration_encrypts_s3_logs_and_bookmarks(orders: Template) -> None:
    orders.has_resource_properties(
        "AWS::Glue::SecurityConfiguration",
        {
            "EncryptionConfiguration": {
                "S3Encryptions": [Match.object_like({"S3EncryptionMode": "SSE-KMS"})],
                "CloudWatchEncryption": Match.object_like({"CloudWatchEncryptionMode": "SSE-KMS"}),
                "JobBookmarksEncryption": Match.object_like(
                    {"JobBookmarksEncryptionMode": "CSE-KMS"}
                ),
            },
        },
    )


def test_the_stack_leaves_the_iceberg_table_to_its_first_publish(orders: Template) -> None:
    # Iceberg owns the table's metadata pointer; a CloudFormation table would reset it.
    assert orders.find_resources("AWS::Glue::Table") == {}


def test_jobs_run_with_glue_iceberg_and_the_glue_catalog(orders: Template) -> None:
    jobs = orders.find_resources("AWS::Glue::Job")
    assert len(jobs) == 4
    for job in jobs.values():
        args = job["Properties"]["DefaultArguments"]
        assert args["--datalake-formats"] == "iceberg"
        conf = json.dumps(args["--conf"])
        for setting in (
            "spark.sql.extensions=org.apache.iceberg.spark.extensions."
            "IcebergSparkSessionExtensions",
            "spark.sql.catalog.glue_catalog=org.apache.iceberg.spark.SparkCatalog",
            "spark.sql.catalog.glue_catalog.catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog",
            "spark.sql.catalog.glue_catalog.io-impl=org.apache.iceberg.aws.s3.S3FileIO",
            "spark.sql.catalog.glue_catalog.warehouse=s3://gluekit-dev-curated-",
        ):
            assert setting in conf, setting


def test_job_role_commits_to_its_own_iceberg_table_only(orders: Template) -> None:
    [statement] = [
        s for s in statements_of(orders, "GlueJobRole") if s.get("Sid") == "OwnIcebergTable"
    ]
    assert sorted(actions_of(statement)) == [
        "glue:CreateTable",
        "glue:GetDatabase",
        "glue:GetTable",
        "glue:UpdateTable",
    ]
    resources = json.dumps(statement["Resource"])
    assert ":table/gluekit_dev/orders" in resources
    assert "*" not in resources
    # no other statement of the role touches the catalog's tables
    others = [
        a
        for s in statements_of(orders, "GlueJobRole")
        if s.get("Sid") != "OwnIcebergTable"
        for a in actions_of(s)
    ]
    assert not [a for a in others if a.startswith("glue:") and "Table" in a]


def test_job_role_has_no_wildcard_actions_and_never_deletes_raw(orders: Template) -> None:
    statements = statements_of(orders, "GlueJobRole")
    for statement in statements:
        for action in actions_of(statement):
            if statement.get("Sid", "").startswith("ReadOwnRaw") or "Raw" in statement.get(
                "Sid", ""
            ):
                assert "Delete" not in action
            # CDK's own asset-read grant is the only source of wildcard actions.
            if "*" in action:
                assert action in {"s3:GetObject*", "s3:GetBucket*", "s3:List*"}, action
    raw_statements = [s for s in statements if "-raw-" in json.dumps(s["Resource"])]
    assert raw_statements
    for statement in raw_statements:
        assert not [a for a in actions_of(statement) if "Delete" in a or "Put" in a]


def test_job_role_writes_only_its_own_prefixes(orders: Template) -> None:
    writes = [
        s
        for s in statements_of(orders, "GlueJobRole")
        if any(a in ("s3:PutObject", "s3:DeleteObject") for a in actions_of(s))
    ]
    resources = json.dumps([s["Resource"] for s in writes])
    for own in (
        "staging/orders/*",
        "reports/orders/*",
        "runs/orders/*",
        "-curated-",
        "-quarantine-",
    ):
        assert own in resources
    assert "-raw-" not in resources
    assert "events" not in resources.replace("Fn::", "")  # not the other pipeline's prefixes


# -------------------------------------------------------------------------------------- bridge
def test_arrival_rule_matches_created_objects_under_the_prefix(orders: Template) -> None:
    orders.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": "gluekit-dev-orders-arrival",
            "EventPattern": {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {
                    "bucket": {"name": [Match.any_value()]},
                    "object": {"key": [{"prefix": "orders/"}]},
                },
            },
            "Targets": [
                Match.object_like(
                    {
                        "DeadLetterConfig": Match.object_like({"Arn": Match.any_value()}),
                        "RetryPolicy": Match.object_like({"MaximumRetryAttempts": 185}),
                    }
                )
            ],
        },
    )


def test_bridge_queue_settings(orders: Template) -> None:
    [function] = [
        f["Properties"]
        for f in orders.find_resources("AWS::Lambda::Function").values()
        if f["Properties"]["FunctionName"] == "gluekit-dev-orders-bridge"
    ]
    queues = {
        q["Properties"].get("QueueName"): q["Properties"]
        for q in orders.find_resources("AWS::SQS::Queue").values()
    }
    queue, dlq = queues["gluekit-dev-orders-bridge"], queues["gluekit-dev-orders-bridge-dlq"]
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    receives = queue["RedrivePolicy"]["maxReceiveCount"]
    # A refused start no longer returns messages to the queue (the objects wait as PENDING):
    # only unreadable or unrecordable records are redelivered, five times, then the DLQ.
    assert receives == 5
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    for props in (queue, dlq):
        assert props["KmsMasterKeyId"]


def test_every_queue_is_encrypted_and_tls_only(orders: Template) -> None:
    queues = orders.find_resources("AWS::SQS::Queue")
    policies = orders.find_resources("AWS::SQS::QueuePolicy")
    for logical_id, queue in queues.items():
        assert queue["Properties"]["KmsMasterKeyId"], logical_id
        assert "MessageRetentionPeriod" in queue["Properties"], logical_id
    denied = json.dumps([p for p in policies.values()])
    assert denied.count('"aws:SecureTransport": "false"') >= len(queues)


def test_event_source_mapping_reports_partial_failures(orders: Template) -> None:
    orders.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 20,
            "MaximumBatchingWindowInSeconds": 30,
        },
    )


def test_bridge_may_start_only_its_own_workflow(orders: Template) -> None:
    starts = [
        s
        for s in statements_of(orders, "BridgeFunctionRole")
        if "glue:StartWorkflowRun" in actions_of(s)
    ]
    [statement] = starts
    assert "workflow/gluekit-dev-orders" in json.dumps(statement["Resource"])
    assert "*" not in json.dumps(statement["Resource"])


def test_bridge_reads_only_its_own_step_job_runs(orders: Template) -> None:
    [statement] = [
        s for s in statements_of(orders, "BridgeFunctionRole") if "glue:GetJobRun" in actions_of(s)
    ]
    assert actions_of(statement) == ["glue:GetJobRun"]
    resources = json.dumps(statement["Resource"])
    assert "*" not in resources
    for step in ("transform", "validate", "publish"):
        assert f"job/gluekit-dev-orders-{step}" in resources
    assert "compact" not in resources


def test_scheduled_pipeline_flushes_on_its_cron(events: Template) -> None:
    events.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": "gluekit-dev-events-flush",
            "ScheduleExpression": "cron(0 1 * * ? *)",
            "Targets": [Match.object_like({"DeadLetterConfig": Match.any_value()})],
        },
    )
    events.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "DestinationConfig": {"OnFailure": {"Destination": Match.any_value()}},
        },
    )


# ------------------------------------------------------------------------------------ notifier
def test_failure_rule_watches_the_pipelines_jobs(orders: Template) -> None:
    orders.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": "gluekit-dev-orders-job-failed",
            "EventPattern": {
                "source": ["aws.glue"],
                "detail-type": ["Glue Job State Change"],
                "detail": {
                    "jobName": [
                        f"gluekit-dev-orders-{s}"
                        for s in ("transform", "validate", "publish", "compact")
                    ],
                    "state": ["FAILED", "TIMEOUT", "STOPPED"],
                },
            },
            "Targets": [Match.object_like({"DeadLetterConfig": Match.any_value()})],
        },
    )


def test_every_rule_target_has_a_dead_letter_queue(orders: Template, events: Template) -> None:
    for template in (orders, events):
        for rule in template.find_resources("AWS::Events::Rule").values():
            for target in rule["Properties"]["Targets"]:
                assert "DeadLetterConfig" in target, rule["Properties"]["Name"]


# -------------------------------------------------------------------------------------- alarms
def alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
    }


@pytest.mark.parametrize(
    ("suffix", "metric", "threshold", "comparison", "missing"),
    [
        ("job-failures", "MatchedEvents", 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
        (
            "bridge-dlq-depth",
            "ApproximateNumberOfMessagesVisible",
            1,
            "GreaterThanOrEqualToThreshold",
            "notBreaching",
        ),
        (
            "bridge-oldest-message",
            "ApproximateAgeOfOldestMessage",
            900,
            "GreaterThanOrEqualToThreshold",
            "notBreaching",
        ),
        ("bridge-errors", "Errors", 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
        ("bridge-throttles", "Throttles", 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
        ("notifier-errors", "Errors", 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
        ("notifier-throttles", "Throttles", 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
        (
            "quarantined-files",
            "ObjectsQuarantined",
            1,
            "GreaterThanOrEqualToThreshold",
            "notBreaching",
        ),
        (
            "validation-failed",
            "ValidationFailed",
            1,
            "GreaterThanOrEqualToThreshold",
            "notBreaching",
        ),
        ("rejected-files", "FilesRejected", 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
        ("rejected-rows", "RowsRejected", 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
        ("unknown-columns", "UnknownColumns", 1, "GreaterThanOrEqualToThreshold", "notBreaching"),
        ("stale", "PublishSucceeded", 1, "LessThanThreshold", "breaching"),
    ],
)
def test_alarm(
    orders: Template, suffix: str, metric: str, threshold: float, comparison: str, missing: str
) -> None:
    alarm = alarms(orders)[f"gluekit-dev-orders-{suffix}"]
    assert alarm["MetricName"] == metric
    assert alarm["Threshold"] == threshold
    assert alarm["ComparisonOperator"] == comparison
    assert alarm["TreatMissingData"] == missing
    [action] = alarm["AlarmActions"]
    assert "Alerts" in json.dumps(action) or "alerts" in json.dumps(action)


def test_staleness_covers_the_expected_interval(orders: Template) -> None:
    stale = alarms(orders)["gluekit-dev-orders-stale"]
    assert stale["Period"] * stale["EvaluationPeriods"] == 24 * 3600
    assert stale["DatapointsToAlarm"] == stale["EvaluationPeriods"]
    assert stale["Namespace"] == "gluekit"
    assert stale["Dimensions"] == [{"Name": "Pipeline", "Value": "orders"}]


def test_dashboard_exists_per_pipeline(orders: Template) -> None:
    orders.has_resource_properties(
        "AWS::CloudWatch::Dashboard",
        {
            "DashboardName": "gluekit-dev-orders",
        },
    )


def test_resources_carry_the_pipeline_tags(orders: Template) -> None:
    expected = {
        "gluekit:pipeline": "orders",
        "gluekit:env": "dev",
        "team": "commerce",
        "cost-center": "4711",
    }
    for queue in orders.find_resources("AWS::SQS::Queue").values():
        rendered = {t["Key"]: t["Value"] for t in queue["Properties"]["Tags"]}
        assert expected.items() <= rendered.items()
    for job in orders.find_resources("AWS::Glue::Job").values():
        assert expected.items() <= job["Properties"]["Tags"].items()


def test_tick_and_run_end_rules_invoke_the_bridge(orders: Template) -> None:
    orders.has_resource_properties(
        "AWS::Events::Rule",
        {"Name": "gluekit-dev-orders-tick", "ScheduleExpression": "rate(1 minute)"},
    )
    [rule] = [
        r["Properties"]
        for r in orders.find_resources("AWS::Events::Rule").values()
        if r["Properties"].get("Name") == "gluekit-dev-orders-run-ended"
    ]
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.glue"] and "account" in pattern
    ends = pattern["detail"]["$or"]
    assert {"jobName": ["gluekit-dev-orders-publish"], "state": ["SUCCEEDED"]} in ends


def test_bridge_writes_only_its_own_claims(orders: Template) -> None:
    statements = {s.get("Sid"): s for s in statements_of(orders, "BridgeFunction")}
    own = statements["OwnClaimsOnly"]["Condition"]["ForAllValues:StringLike"]
    assert own["dynamodb:LeadingKeys"] == ["object#orders#*", "slots#orders"]
    pending = statements["OwnPendingOnly"]["Condition"]["ForAllValues:StringEquals"]
    assert pending["dynamodb:LeadingKeys"] == ["orders"]


def test_oldest_pending_alarm_is_two_waits_and_a_job_timeout(orders: Template) -> None:
    orders.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": "gluekit-dev-orders-oldest-pending",
            "MetricName": "OldestPendingAgeSeconds",
            "Threshold": 2 * 30 + 30 * 60,
        },
    )
    orders.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmName": "gluekit-dev-orders-misrouted-notifications"},
    )


def test_outputs_name_what_gluekit_describe_shows(orders: Template, dev: Synthesized) -> None:
    outputs = orders.find_outputs("*")
    assert {
        "WorkflowName", "RawPrefix", "DashboardName", "JobNames", "BridgeQueueUrl",
        "BridgeDlqUrl", "TableName", "CuratedLocation", "QuarantinePrefix", "ManifestsPrefix",
        "ReportsPrefix", "DashboardUrl",
    } <= set(outputs)  # fmt: skip
    assert outputs["JobNames"]["Value"] == ",".join(
        f"gluekit-dev-orders-{step}" for step in ("transform", "validate", "publish", "compact")
    )
    assert outputs["TableName"]["Value"] == "gluekit_dev.orders"
    assert "ClaimsTableName" in dev.foundation.find_outputs("*")
