"""Glue failures and bridge quarantines → the notifier Lambda → the alerts SNS topic."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from gluekit.environments import Environment
from gluekit.naming import METRICS_NAMESPACE, FoundationNames, PipelineNames
from gluekit.orchestration import STEP_FAILED_ERROR
from gluekit.render import (
    BRIDGE_EVENT_SOURCE,
    NOTIFIER_CONFIG_ENV,
    QUARANTINE_DETAIL_TYPE,
    notifier_config,
)
from gluekit.spec import PipelineSpec
from infra.constructs.glue_pipeline import catalog_arn
from infra.constructs.hardened_queue import (
    RULE_TARGET_MAX_EVENT_AGE,
    RULE_TARGET_RETRY_ATTEMPTS,
    dead_letter_queue,
)
from infra.constructs.kit_function import KitFunction
from infra.constructs.prefix_grants import PrefixGrants, deploy_names, grant_key_use

FAILED_JOB_STATES = ["FAILED", "TIMEOUT", "STOPPED"]
# Failed alerts; Succeeded has the notifier compare the crawler's raw tables with the contract.
CRAWLER_STATES = ["Failed", "Succeeded"]


class Notifier(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: PipelineSpec,
        environment: Environment,
        foundation_names: FoundationNames,
        key: kms.IKey,
        alerts_topic: sns.ITopic,
        job_names: list[str],
        crawler_name: str | None,
        workflow_arn: str,
    ) -> None:
        super().__init__(scope, construct_id)
        names = PipelineNames(foundation_names.prefix, spec.name)
        stack = Stack.of(self)
        self.lambda_ = KitFunction(
            self,
            "Function",
            function_name=names.notifier_function,
            handler="notifier.handler.lambda_handler",
            description=f"gluekit {spec.name}: turns failures into readable alerts",
            environment={
                NOTIFIER_CONFIG_ENV: stack.to_json_string(
                    notifier_config(
                        spec, foundation_names, alerts_topic.topic_arn, environment.name
                    )
                ),
                "POWERTOOLS_SERVICE_NAME": names.notifier_function,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
            key=key,
            log_retention_days=environment.log_retention_days,
            powertools_layer_version=environment.powertools_layer_version,
            timeout=Duration.seconds(30),
            memory_mb=256,
        )
        function = self.function = self.lambda_.function
        # An alert the function could not send after Lambda's retries is kept here.
        self.failures = dead_letter_queue(
            self, "Failures", queue_name=names.notifier_failures_queue, key=key
        )
        function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.failures), retry_attempts=2
        )
        Validations.of(function).acknowledge(
            Acknowledgment(
                id="Serverless-LambdaDLQ",
                reason="Asynchronous failures go to an on-failure destination (SQS), which keeps "
                "the event and the error; a DLQ would keep less.",
            )
        )
        # Events EventBridge could not deliver to the function after its retries.
        self.rule_dlq = dead_letter_queue(
            self, "RuleDlq", queue_name=names.notifier_rule_dlq, key=key
        )

        self.spec, self.names = spec, names
        alert_rule = self._alert_rule

        self.job_failure_rule = alert_rule(
            "JobFailed",
            names.failure_rule,
            "a Glue job run failed, timed out or was stopped",
            events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Job State Change"],
                detail={"jobName": job_names, "state": FAILED_JOB_STATES},
            ),
        )
        self.quarantine_rule = alert_rule(
            "Quarantined",
            names.quarantine_rule,
            "the bridge quarantined a file",
            events.EventPattern(
                source=[BRIDGE_EVENT_SOURCE],
                detail_type=[QUARANTINE_DETAIL_TYPE],
                # Anyone may put a `gluekit.bridge` event on the bus of their own account only;
                # events from other accounts reach this bus only if its policy admits them.
                account=[stack.account],
                detail={"pipeline": [spec.name]},
            ),
        )
        self.crawler_rule: events.Rule | None = None
        if crawler_name is not None:
            self.crawler_rule = alert_rule(
                "CrawlerFailed",
                names.crawler_failure_rule,
                "the raw crawler failed, or finished and its tables are compared with the contract",
                events.EventPattern(
                    source=["aws.glue"],
                    detail_type=["Glue Crawler State Change"],
                    detail={"crawlerName": [crawler_name], "state": CRAWLER_STATES},
                ),
            )

        role = function.role
        assert role is not None
        for statement in (
            iam.PolicyStatement(
                sid="ReadOwnJobRuns",
                actions=["glue:GetJobRun"],
                resources=[
                    stack.format_arn(service="glue", resource="job", resource_name=n)
                    for n in job_names
                ],
            ),
            iam.PolicyStatement(
                sid="ReadOwnWorkflowRuns",
                # GetWorkflowRun with its graph: status, run properties and node ids at once.
                actions=["glue:GetWorkflowRun"],
                resources=[workflow_arn],
            ),
        ):
            role.add_to_principal_policy(statement)
        if crawler_name is not None:
            self._grant_raw_table_reads(role, names)
        grants = PrefixGrants(role, names.prefix)
        grants.objects(
            "ReadOwnManifestsAndReports",
            "artifacts",
            ["s3:GetObject"],
            names.manifests_prefix,
            names.reports_prefix,
        )
        grants.acknowledge()
        alerts_topic.grant_publish(role)
        grant_key_use(role, key)

    def _alert_rule(
        self, construct_id: str, name: str, description: str, pattern: events.EventPattern
    ) -> events.Rule:
        return events.Rule(
            self,
            construct_id,
            rule_name=name,
            description=f"{self.spec.name}: {description}",
            event_pattern=pattern,
            targets=[
                targets.LambdaFunction(
                    self.function,
                    dead_letter_queue=self.rule_dlq,
                    retry_attempts=RULE_TARGET_RETRY_ATTEMPTS,
                    max_event_age=RULE_TARGET_MAX_EVENT_AGE,
                )
            ],
        )

    def alert_on_execution_end(self, state_machine: sfn.IStateMachine) -> events.Rule:
        """Executions that end badly where no Catch sees it: the machine's own timeout, a
        stop, or a failure whose alert could not be sent (a caught step failure ends with
        STEP_FAILED_ERROR: its alert already went out from the machine)."""
        self.execution_rule = self._alert_rule(
            "ExecutionEnded",
            self.names.execution_ended_rule,
            "an execution timed out, was stopped, or failed without its alert",
            events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "stateMachineArn": [state_machine.state_machine_arn],
                    "$or": [
                        {"status": ["TIMED_OUT", "ABORTED"]},
                        {"status": ["FAILED"], "error": [{"anything-but": STEP_FAILED_ERROR}]},
                    ],
                },
            ),
        )
        return self.execution_rule

    def _grant_raw_table_reads(self, role: iam.IRole, names: PipelineNames) -> None:
        """Read the crawler's raw_<name>_* tables (their columns), nothing else in the catalog."""
        database = deploy_names(names.prefix).database
        tables = f"table/{database}/{names.raw_table_prefix}*"
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadOwnRawTables",
                actions=["glue:GetTable", "glue:GetTables"],
                resources=[catalog_arn(), catalog_arn(f"database/{database}"), catalog_arn(tables)],
            )
        )
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:"
                f"<AWS::AccountId>:{tables}]",
                reason="The crawler names its tables after the folders it finds, known only at "
                "run time. Read-only, raw_<name>_* tables only (a pipeline whose name extends "
                "this one's shares the prefix; the notifier also filters by S3 location).",
            )
        )
