"""One pipeline's CloudWatch alarms (all acting on the alerts topic) and its dashboard.

Written with CDK's own CloudWatch constructs rather than cdk-monitoring-constructs: a dozen
alarms whose metric, threshold and missing-data treatment the tests pin down one by one, with no
extra jsii dependency to keep in step with aws-cdk-lib.
"""

from __future__ import annotations

import math

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from gluekit.naming import METRICS_NAMESPACE, PipelineNames
from gluekit.spec import PipelineSpec

FIVE_MINUTES = Duration.minutes(5)
OLDEST_MESSAGE_AGE_SECONDS = 900


def oldest_pending_alarm_seconds(spec: PipelineSpec) -> int:
    """2 x max_wait + the job timeout (a scheduled pipeline waits for its cron, not max_wait)."""
    wait = spec.trigger.on_arrival.max_wait_seconds if spec.trigger.on_arrival else 0
    return 2 * wait + spec.job.timeout_minutes * 60


class PipelineMonitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: PipelineSpec,
        names: PipelineNames,
        alerts_topic: sns.ITopic,
        job_failure_rule: events.IRule,
        bridge_queue: sqs.IQueue | None,
        bridge_dlq: sqs.IQueue | None,
        functions: dict[str, lambda_.IFunction],
        state_machine: sfn.IStateMachine | None = None,
    ) -> None:
        """`state_machine`: a step-functions pipeline's orchestrator, watched beside its jobs."""
        super().__init__(scope, construct_id)
        self.names = names
        self.state_machine = state_machine
        action = cw_actions.SnsAction(alerts_topic)
        self.alarms: dict[str, cw.Alarm] = {}

        def alarm(
            key: str,
            metric: cw.IMetric,
            description: str,
            *,
            threshold: float = 1,
            comparison: cw.ComparisonOperator = (
                cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
            ),
            missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
            periods: int = 1,
        ) -> cw.Alarm:
            created = cw.Alarm(
                self,
                f"{key.title().replace('-', '')}Alarm",
                alarm_name=names.alarm(key),
                alarm_description=f"gluekit {spec.name}: {description}",
                metric=metric,
                threshold=threshold,
                comparison_operator=comparison,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                treat_missing_data=missing,
            )
            created.add_alarm_action(action)
            self.alarms[key] = created
            return created

        if state_machine is not None:
            # Every execution that did not publish, whatever ended it; counted by Step
            # Functions itself, so the alarm works even if the notifier fails.
            alarm(
                "execution-failures",
                cw.MathExpression(
                    expression="failed + timedOut + aborted",
                    using_metrics={
                        "failed": state_machine.metric_failed(period=FIVE_MINUTES),
                        "timedOut": state_machine.metric_timed_out(period=FIVE_MINUTES),
                        "aborted": state_machine.metric_aborted(period=FIVE_MINUTES),
                    },
                    label="Executions failed, timed out or aborted",
                    period=FIVE_MINUTES,
                ),
                "an execution of the state machine failed, timed out or was stopped",
            )
        # Counted from the failure rule itself, so the alarm works even if the notifier fails.
        # (With the state machine the rule watches the jobs it does not run: compact.)
        alarm(
            "job-failures",
            cw.Metric(
                namespace="AWS/Events",
                metric_name="MatchedEvents",
                dimensions_map={"RuleName": job_failure_rule.rule_name},
                statistic="Sum",
                period=FIVE_MINUTES,
            ),
            "a Glue job run failed, timed out or was stopped",
        )
        if bridge_dlq is not None:  # a derived pipeline has no arrivals queue
            alarm(
                "bridge-dlq-depth",
                bridge_dlq.metric_approximate_number_of_messages_visible(
                    period=FIVE_MINUTES, statistic="Maximum"
                ),
                "messages in the bridge dead-letter queue: deliveries the bridge gave up on",
            )
        files = not spec.is_derived
        # Objects wait as PENDING while Glue is busy (a derived pipeline: an upstream's publish
        # waits for its run); waiting longer than two fill windows plus a whole job run means
        # runs are not being started (or not finishing).
        wait = spec.trigger.on_arrival.max_wait_seconds if spec.trigger.on_arrival else 0
        pending_limit = oldest_pending_alarm_seconds(spec)
        alarm(
            "oldest-pending",
            self.kit_metric("OldestPendingAgeSeconds", statistic="Maximum"),
            f"{'a file' if files else 'an upstream publish'} has waited over {pending_limit} s "
            f"(2 x max_wait {wait} s + the job timeout) to be started in a run",
            threshold=pending_limit,
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        if files:  # a derived pipeline has no files
            alarm(
                "misrouted-notifications",
                self.kit_metric("MisroutedNotifications"),
                "a classic S3 notification reached the bridge: a bucket's notification "
                "configuration targets the bridge queue (the bridge reads EventBridge events only)",
            )
        if bridge_queue is not None:
            alarm(
                "bridge-oldest-message",
                bridge_queue.metric_approximate_age_of_oldest_message(
                    period=FIVE_MINUTES, statistic="Maximum"
                ),
                f"a file has waited over {OLDEST_MESSAGE_AGE_SECONDS // 60} minutes for the bridge",
                threshold=OLDEST_MESSAGE_AGE_SECONDS,
            )
        for role, function in functions.items():
            alarm(
                f"{role}-errors",
                function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                f"the {role} function failed",
            )
            alarm(
                f"{role}-throttles",
                function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                f"the {role} function was throttled",
            )
        if files:
            alarm(
                "quarantined-files",
                self.kit_metric("ObjectsQuarantined"),
                "the bridge quarantined a file (see the quarantine bucket for the reason)",
            )
            # Transform keeps going past bad data (the rest of the batch still lands): these two say
            # that some of it went to quarantine instead.
            alarm(
                "rejected-files",
                self.kit_metric("FilesRejected"),
                "transform quarantined whole files (empty, bad header, unreadable); see quarantine",
            )
            alarm(
                "rejected-rows",
                self.kit_metric("RowsRejected"),
                "transform quarantined rows that did not parse or cast; see quarantine rows/",
            )
            # Source drift: files carried columns the contract does not know. With the default
            # on_unknown_columns 'warn' they still load, so without this alarm the new columns'
            # data would be dropped with only a log line. ('quarantine' and 'fail' are heard
            # already, as rejected-files and job-failures, with the columns in the reason: one
            # alert is enough.)
            if spec.drift_alarmed:
                alarm(
                    "unknown-columns",
                    self.kit_metric("UnknownColumns"),
                    "source files carry columns the contract does not know (source drift); they "
                    "loaded without them. The run's transform summary names them and their files",
                )
        alarm(
            "validation-failed",
            self.kit_metric("ValidationFailed", statistic="Maximum"),
            "a validation rule of severity error failed; nothing was published",
        )
        # Staleness: hourly sums of successful publishes; every hour of the expected interval
        # without one (missing data included) raises the alarm.
        hours = math.ceil(spec.alerts.expected_every_hours)
        alarm(
            "stale",
            self.kit_metric("PublishSucceeded", period=Duration.hours(1)),
            f"no successful publish within {spec.alerts.expected_every_hours} hours",
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cw.TreatMissingData.BREACHING,
            periods=hours,
        )
        self.dashboard = self._dashboard(spec)

    def kit_metric(
        self, name: str, *, statistic: str = "Sum", period: Duration = FIVE_MINUTES
    ) -> cw.Metric:
        return cw.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={"Pipeline": self.names.pipeline},
            statistic=statistic,
            period=period,
        )

    def _dashboard(self, spec: PipelineSpec) -> cw.Dashboard:
        hour = Duration.hours(1)

        def graph(title: str, *metrics: str, statistic: str = "Sum") -> cw.GraphWidget:
            return cw.GraphWidget(
                title=title,
                width=8,
                left=[self.kit_metric(m, statistic=statistic, period=hour) for m in metrics],
            )

        job_durations = cw.GraphWidget(
            title="Job run time (s)",
            width=8,
            left=[
                cw.Metric(
                    namespace="Glue",
                    metric_name="glue.driver.aggregate.elapsedTime",
                    dimensions_map={
                        "JobName": self.names.job(step),
                        "JobRunId": "ALL",
                        "Type": "count",
                    },
                    statistic="Average",
                    period=hour,
                    label=step,
                ).with_(period=hour)
                for step in ("transform", "validate", "publish")
            ],
        )
        dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=self.names.dashboard,
            default_interval=Duration.days(7),
        )
        dashboard.add_widgets(
            cw.TextWidget(
                markdown=f"# gluekit · {spec.name}\n{spec.description}", width=24, height=2
            ),
        )
        dashboard.add_widgets(
            graph("Runs started", "RunsStarted", "StartFailures"),
            graph(
                "Files accepted / quarantined / duplicate",
                "ObjectsAccepted",
                "ObjectsQuarantined",
                "DuplicatesSkipped",
            ),
            job_durations,
        )
        dashboard.add_widgets(
            graph("Files pending", "PendingObjects", statistic="Maximum"),
            graph("Oldest pending file (s)", "OldestPendingAgeSeconds", statistic="Maximum"),
            graph("Starts refused by Glue (busy)", "StartsRefused"),
        )
        dashboard.add_widgets(
            graph("Rows in / out / rejected", "RowsIn", "RowsOut", "RowsRejected"),
            graph("Validation", "ValidationRulesFailed", "ValidationFailed"),
            graph("Publishes", "PublishSucceeded", "PartitionsPublished"),
        )
        if self.state_machine is not None:
            machine = self.state_machine
            dashboard.add_widgets(
                cw.GraphWidget(
                    title="Executions",
                    width=12,
                    left=[
                        machine.metric_started(period=hour, label="started"),
                        machine.metric_succeeded(period=hour, label="succeeded"),
                        machine.metric_failed(period=hour, label="failed"),
                        machine.metric_timed_out(period=hour, label="timed out"),
                        machine.metric_aborted(period=hour, label="aborted"),
                    ],
                ),
                cw.GraphWidget(
                    title="Execution time (ms)",
                    width=12,
                    left=[machine.metric_time(period=hour, statistic="Average")],
                ),
            )
        dashboard.add_widgets(
            cw.AlarmStatusWidget(
                title="Alarms",
                width=24,
                alarms=list(self.alarms.values()),
            )
        )
        return dashboard
