"""S3 "Object Created" → EventBridge rule → SQS → the bridge Lambda → PENDING claims; the
bridge starts workflow runs from them on arrival, on the minute's tick and when a run ends."""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from gluekit.environments import Environment
from gluekit.naming import (
    CLAIMS_KEY_PREFIXES,
    CLAIMS_PENDING_INDEX,
    METRICS_NAMESPACE,
    STEPS,
    FoundationNames,
    PipelineNames,
)
from gluekit.render import BRIDGE_CONFIG_ENV, bridge_config, bridge_queue_settings
from gluekit.spec import PipelineSpec
from infra.constructs.hardened_queue import (
    RULE_TARGET_MAX_EVENT_AGE,
    RULE_TARGET_RETRY_ATTEMPTS,
    HardenedQueue,
    dead_letter_queue,
)
from infra.constructs.kit_function import KitFunction
from infra.constructs.prefix_grants import (
    RAW_READ_ACTIONS,
    PrefixGrants,
    deploy_names,
    grant_key_use,
)

ARRIVAL_QUEUE_CONCURRENCY = 2


class Bridge(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: PipelineSpec,
        environment: Environment,
        foundation_names: FoundationNames,
        key: kms.IKey,
        workflow_arn: str,
        state_machine: sfn.IStateMachine | None = None,
    ) -> None:
        """`state_machine`: the orchestrator of a step-functions pipeline; the bridge then
        starts its executions instead of workflow runs."""
        super().__init__(scope, construct_id)
        names = PipelineNames(foundation_names.prefix, spec.name)
        machine_arn = state_machine.state_machine_arn if state_machine else None

        timeout, visibility, receives = bridge_queue_settings(spec)
        self.queue = HardenedQueue(
            self,
            "Arrivals",
            queue_name=names.bridge_queue,
            dlq_name=names.bridge_dlq,
            key=key,
            visibility_timeout=Duration.seconds(visibility),
            max_receive_count=receives,
            retention=Duration.days(14),
        )
        # Deliveries EventBridge could not make after its retries, kept for replay.
        self.rule_dlq = dead_letter_queue(
            self, "RuleDlq", queue_name=names.arrival_rule_dlq, key=key
        )
        self.arrival_rule = events.Rule(
            self,
            "ArrivalRule",
            rule_name=names.arrival_rule,
            description=f"Objects created under s3://raw/{spec.raw_prefix} → {names.bridge_queue}",
            # Prefix only, not suffix: a file with the wrong suffix must reach the bridge to be
            # quarantined with a reason rather than be ignored silently.
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [deploy_names(names.prefix).raw_bucket]},
                    "object": {"key": [{"prefix": spec.raw_prefix}]},
                },
            ),
            targets=[
                targets.SqsQueue(
                    self.queue.queue,
                    dead_letter_queue=self.rule_dlq,
                    retry_attempts=RULE_TARGET_RETRY_ATTEMPTS,
                    max_event_age=RULE_TARGET_MAX_EVENT_AGE,
                )
            ],
        )

        self.function_dlq = dead_letter_queue(
            self, "FlushFailures", queue_name=names.bridge_failures_queue, key=key
        )
        self.lambda_ = KitFunction(
            self,
            "Function",
            function_name=names.bridge_function,
            handler="bridge.handler.lambda_handler",
            description=f"gluekit {spec.name}: pre-flight, dedupe, batch, start workflow runs",
            environment={
                BRIDGE_CONFIG_ENV: Stack.of(self).to_json_string(
                    bridge_config(spec, foundation_names, machine_arn)
                ),
                "POWERTOOLS_SERVICE_NAME": names.bridge_function,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            },
            key=key,
            log_retention_days=environment.log_retention_days,
            powertools_layer_version=environment.powertools_layer_version,
            timeout=Duration.seconds(timeout),
        )
        function = self.function = self.lambda_.function
        self._grant(spec, names, function.role, foundation_names.claims_table, workflow_arn, key)
        if state_machine is not None:
            self._grant_executions(names, function.role, state_machine)

        on_arrival = spec.trigger.on_arrival
        batch_size = on_arrival.max_files if on_arrival else 100
        # A batch above 10 records needs a batching window of at least a second.
        wait = on_arrival.max_wait_seconds if on_arrival else 5
        window = max(wait, 1) if batch_size > 10 else wait
        function.add_event_source(
            sources.SqsEventSource(
                self.queue.queue,
                batch_size=batch_size,
                max_batching_window=Duration.seconds(window) if window else None,
                report_batch_item_failures=True,
                max_concurrency=ARRIVAL_QUEUE_CONCURRENCY,
            )
        )
        Validations.of(function).acknowledge(
            Acknowledgment(
                id="Serverless-LambdaDLQ",
                reason="SQS-triggered: failed records return to the queue, whose redrive "
                "policy moves them to the bridge DLQ after 5 receives.",
            ),
            Acknowledgment(
                id="Serverless-LambdaEventSourceMappingDestination",
                reason="The SQS queue's redrive policy is the failure destination for records.",
            ),
        )

        # Asynchronous invocations (the scheduled flush) that still fail after Lambda's two
        # retries land here instead of vanishing.
        function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.function_dlq),
            retry_attempts=2,
        )

        def bridge_target() -> targets.LambdaFunction:
            return targets.LambdaFunction(
                function,
                dead_letter_queue=self.rule_dlq,
                retry_attempts=RULE_TARGET_RETRY_ATTEMPTS,
                max_event_age=RULE_TARGET_MAX_EVENT_AGE,
            )

        # Objects that wait (max_wait not reached when they arrived, or no slot free) are
        # started by this tick; with nothing pending it costs one small query a minute.
        self.tick_rule = events.Rule(
            self,
            "TickRule",
            rule_name=names.tick_rule,
            description=f"Starts due {spec.name} runs from the pending files, every minute",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            targets=[bridge_target()],
        )
        # The end of a run frees a slot: start the next batch at once rather than at the tick.
        self.run_end_rule = events.Rule(
            self,
            "RunEndRule",
            rule_name=names.run_end_rule,
            description=f"A {spec.name} run ended (publish succeeded, or a job failed)",
            event_pattern=(
                self._execution_end_pattern(state_machine)
                if state_machine is not None
                else events.EventPattern(
                    source=["aws.glue"],
                    detail_type=["Glue Job State Change"],
                    account=[Stack.of(self).account],
                    detail={
                        "$or": [
                            {"jobName": [names.job("publish")], "state": ["SUCCEEDED"]},
                            {
                                "jobName": [names.job(step) for step in STEPS],
                                "state": ["FAILED", "TIMEOUT", "STOPPED"],
                            },
                        ]
                    },
                )
            ),
            targets=[bridge_target()],
        )
        self.flush_rule: events.Rule | None = None
        if spec.trigger.schedule is not None:
            # Scheduled pipelines: the same function flushes everything pending at the cron.
            self.flush_rule = events.Rule(
                self,
                "FlushRule",
                rule_name=names.flush_rule,
                description=f"Starts one {spec.name} run for all pending files",
                schedule=events.Schedule.expression(spec.trigger.schedule.cron),
                targets=[bridge_target()],
            )

    @staticmethod
    def _execution_end_pattern(state_machine: sfn.IStateMachine) -> events.EventPattern:
        """Any end of one of the machine's executions frees its slot (retries are inside)."""
        return events.EventPattern(
            source=["aws.states"],
            detail_type=["Step Functions Execution Status Change"],
            detail={
                "stateMachineArn": [state_machine.state_machine_arn],
                "status": ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
            },
        )

    @staticmethod
    def _grant_executions(
        names: PipelineNames, role: iam.IRole | None, state_machine: sfn.IStateMachine
    ) -> None:
        """Start the pipeline's executions; read them back by the ARN a batch id gives."""
        assert role is not None
        stack = Stack.of(role)
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{names.state_machine}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="StartOwnExecutions",
                actions=["states:StartExecution"],
                resources=[state_machine.state_machine_arn],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadOwnExecutions",
                actions=["states:DescribeExecution"],
                resources=[executions],
            )
        )
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:"
                f"<AWS::AccountId>:execution:{names.state_machine}:*]",
                reason="Executions are named after batch ids at run time; the grant covers "
                "DescribeExecution on this pipeline's state machine's executions only.",
            )
        )

    @staticmethod
    def _grant(
        spec: PipelineSpec,
        names: PipelineNames,
        role: iam.IRole | None,
        claims_table_name: str,
        workflow_arn: str,
        key: kms.IKey,
    ) -> None:
        assert role is not None
        stack = Stack.of(role)
        grants = PrefixGrants(role, names.prefix)
        # Pre-flight reads an object's first bytes; a quarantine copy reads it whole.
        grants.objects("ReadOwnRawPrefix", "raw", RAW_READ_ACTIONS, spec.raw_prefix)
        # Without ListBucket S3 answers 403, not 404, for a deleted object: the bridge could not
        # tell a vanished file (skip it) from a real error (retry).
        grants.listing("ListOwnRawPrefix", "raw", spec.raw_prefix)
        grants.objects(
            "WriteOwnQuarantine",
            "quarantine",
            ["s3:PutObject", "s3:PutObjectTagging"],
            names.quarantine_prefix,
        )
        grants.objects(
            "WriteOwnManifests",
            "artifacts",
            ["s3:PutObject", "s3:GetObject"],
            names.manifests_prefix,
        )
        grants.acknowledge()
        grant_key_use(role, key)
        table_arn = stack.format_arn(
            service="dynamodb", resource="table", resource_name=claims_table_name
        )
        glue_statements = (
            iam.PolicyStatement(
                sid="StartOwnWorkflowOnly",
                # GetWorkflowRun: is a slot's run still running; GetWorkflowRuns: find a
                # crashed start's run by its batch id.
                actions=[
                    "glue:StartWorkflowRun",
                    "glue:GetWorkflowRun",
                    "glue:GetWorkflowRuns",
                ],
                resources=[workflow_arn],
            ),
            iam.PolicyStatement(
                sid="ReadOwnStepJobRuns",
                # A run-end event names a job run: its arguments name the workflow run whose
                # slot the bridge frees (`bridge.run_end`).
                actions=["glue:GetJobRun"],
                resources=[
                    stack.format_arn(service="glue", resource="job", resource_name=names.job(s))
                    for s in STEPS
                ],
            ),
        )
        # With the state machine, the bridge never touches the workflow or the jobs.
        for statement in (
            *(glue_statements if spec.orchestrator == "glue-workflow" else ()),
            iam.PolicyStatement(
                sid="OwnClaimsOnly",
                actions=[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:ConditionCheckItem",
                ],
                resources=[table_arn],
                # The table is shared by every pipeline: this bridge writes only its own items.
                conditions={
                    "ForAllValues:StringLike": {
                        "dynamodb:LeadingKeys": [
                            prefix.format(pipeline=spec.name) for prefix in CLAIMS_KEY_PREFIXES
                        ]
                    }
                },
            ),
            iam.PolicyStatement(
                sid="OwnPendingOnly",
                actions=["dynamodb:Query"],
                resources=[f"{table_arn}/index/{CLAIMS_PENDING_INDEX}"],
                # On an index the leading key is the index's partition key: the pipeline.
                conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [spec.name]}},
            ),
            iam.PolicyStatement(
                sid="AnnounceQuarantine",
                actions=["events:PutEvents"],
                resources=[
                    stack.format_arn(
                        service="events", resource="event-bus", resource_name="default"
                    )
                ],
            ),
        ):
            role.add_to_principal_policy(statement)
