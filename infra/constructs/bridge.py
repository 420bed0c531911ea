"""S3 "Object Created" → EventBridge rule → SQS → the bridge Lambda → PENDING claims; the
bridge starts workflow runs from them on arrival, on the minute's tick and when a run ends."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from gluekit.environments import Environment
from gluekit.naming import (
    METRICS_NAMESPACE,
    STEPS,
    FoundationNames,
    PipelineNames,
)
from gluekit.render import BRIDGE_CONFIG_ENV, bridge_config, bridge_queue_settings
from gluekit.spec import PipelineSpec
from infra.constructs.bridge_grants import grant_bridge, grant_executions
from infra.constructs.hardened_queue import (
    RULE_TARGET_MAX_EVENT_AGE,
    RULE_TARGET_RETRY_ATTEMPTS,
    HardenedQueue,
    dead_letter_queue,
)
from infra.constructs.kit_function import KitFunction
from infra.constructs.prefix_grants import deploy_names
from infra.constructs.upstream_rules import upstream_published_rules

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
        upstreams: Sequence[PipelineSpec] = (),
    ) -> None:
        """`state_machine`: the orchestrator of a step-functions pipeline; the bridge then
        starts its executions instead of workflow runs. `upstreams`: the pipelines a derived
        pipeline follows (spec trigger.after): their publishes start its runs, it has no
        arrivals queue."""
        super().__init__(scope, construct_id)
        names = PipelineNames(foundation_names.prefix, spec.name)
        machine_arn = state_machine.state_machine_arn if state_machine else None
        timeout, visibility, receives = bridge_queue_settings(spec)
        # Deliveries EventBridge could not make after its retries, kept for replay.
        self.rule_dlq = dead_letter_queue(
            self, "RuleDlq", queue_name=names.arrival_rule_dlq, key=key
        )
        self.queue: HardenedQueue | None = None
        self.arrival_rule: events.Rule | None = None
        if not spec.is_derived:
            self.queue, self.arrival_rule = self._arrivals(spec, names, key, visibility, receives)

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
        grant_bridge(spec, names, function.role, foundation_names.claims_table, workflow_arn, key)
        if state_machine is not None:
            grant_executions(names, function.role, state_machine)
        if self.queue is not None:
            self._read_arrivals(spec, function, self.queue)
        else:
            Validations.of(function).acknowledge(
                Acknowledgment(
                    id="Serverless-LambdaDLQ",
                    reason="Invoked asynchronously by EventBridge rules only: an invocation "
                    "that fails after Lambda's two retries goes to the on-failure destination "
                    "(the bridge-failures queue), and each rule target has its own DLQ.",
                )
            )
        # Asynchronous invocations (the rules below) that still fail after Lambda's two
        # retries land here instead of vanishing.
        function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.function_dlq),
            retry_attempts=2,
        )
        self._rules(spec, names, function, state_machine, upstreams)

    def _arrivals(
        self,
        spec: PipelineSpec,
        names: PipelineNames,
        key: kms.IKey,
        visibility: int,
        receives: int,
    ) -> tuple[HardenedQueue, events.Rule]:
        """Objects created under the raw prefix → the rule → the arrivals queue."""
        queue = HardenedQueue(
            self,
            "Arrivals",
            queue_name=names.bridge_queue,
            dlq_name=names.bridge_dlq,
            key=key,
            visibility_timeout=Duration.seconds(visibility),
            max_receive_count=receives,
            retention=Duration.days(14),
        )
        rule = events.Rule(
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
                    queue.queue,
                    dead_letter_queue=self.rule_dlq,
                    retry_attempts=RULE_TARGET_RETRY_ATTEMPTS,
                    max_event_age=RULE_TARGET_MAX_EVENT_AGE,
                )
            ],
        )
        return queue, rule

    @staticmethod
    def _read_arrivals(
        spec: PipelineSpec, function: lambda_.Function, queue: HardenedQueue
    ) -> None:
        on_arrival = spec.trigger.on_arrival
        batch_size = on_arrival.max_files if on_arrival else 100
        # A batch above 10 records needs a batching window of at least a second.
        wait = on_arrival.max_wait_seconds if on_arrival else 5
        window = max(wait, 1) if batch_size > 10 else wait
        function.add_event_source(
            sources.SqsEventSource(
                queue.queue,
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

    def _rules(
        self,
        spec: PipelineSpec,
        names: PipelineNames,
        function: lambda_.Function,
        state_machine: sfn.IStateMachine | None,
        upstreams: Sequence[PipelineSpec],
    ) -> None:
        """The rules that invoke the bridge: the tick, run ends, the cron, upstream publishes."""

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
        # A derived pipeline: an upstream's successful publish asks for a run.
        self.upstream_rules = [
            events.Rule(
                self,
                rule_id,
                rule_name=rule_name,
                description=f"{', '.join(spec.upstreams)} published: start a {spec.name} run",
                event_pattern=pattern,
                targets=[bridge_target()],
            )
            for rule_id, rule_name, pattern in upstream_published_rules(
                names, Stack.of(self), upstreams
            )
        ]

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
