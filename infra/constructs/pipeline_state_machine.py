"""The Step Functions orchestrator: a Standard state machine that runs transform → validate →
publish as `glue:startJobRun.sync` tasks (a pipeline with `orchestrator: step-functions`).

Everything it decides (arguments, retries, timeouts, the alert) comes from gluekit.orchestration,
which the local runner plays too; this construct only turns that plan into CDK L2 states:

    Start (Choice: a resume's start_at) ─▶ [StartRawCrawler] ─▶ Transform ─▶ Validate ─▶ Publish
    every task ──Catch──▶ <Step>Failed (names the step) ─▶ NotifyFailure (the notifier) ─▶ Failed

The execution's input is pointers only (the manifest's S3 URI); each task keeps only the job
run's id and state of its result. Logs go to an encrypted log group, traces to X-Ray.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from gluekit import orchestration as plan
from gluekit.naming import STEPS, PipelineNames
from gluekit.spec import PipelineSpec
from infra.constructs.kit_function import log_retention

QUICK_TIMEOUT = sfn.Timeout.duration(Duration.seconds(plan.QUICK_TASK_TIMEOUT_SECONDS))


class PipelineStateMachine(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: PipelineSpec,
        names: PipelineNames,
        jobs: dict[str, glue.IJob],
        crawler_name: str | None,
        notifier: lambda_.IFunction,
        key: kms.IKey,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.notifier = notifier
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=names.state_machine_log_group,
            retention=log_retention(log_retention_days),
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        failed = sfn.Fail(
            self,
            "Failed",
            error=plan.STEP_FAILED_ERROR,
            cause_path=self._failure_cause(),
            comment="The step's alert went out; the execution fails with the step's error.",
        )
        alert_not_sent = sfn.Fail(
            self,
            "AlertNotSent",
            error=plan.ALERT_NOT_SENT_ERROR,
            cause_path=self._failure_cause(),
            comment="The notifier could not be invoked: its execution-ended rule alerts instead.",
        )
        notify = self._notify("NotifyFailure")
        notify.add_catch(alert_not_sent, errors=[sfn.Errors.ALL], result_path="$.alert_error")
        notify.next(failed)

        self.steps = {step: self._step(step, jobs[step], notify) for step in STEPS}
        self.steps["transform"].next(self.steps["validate"])
        self.steps["validate"].next(self.steps["publish"])
        self.steps["publish"].next(sfn.Succeed(self, "Published"))
        first: sfn.IChainable = self.steps["transform"]
        if crawler_name is not None:
            first = self._start_crawler(crawler_name, self.steps["transform"])

        start = sfn.Choice(self, "Start", comment="A resume starts at its input's start_at.")
        for step in plan.RESUMABLE_STEPS:
            start.when(
                sfn.Condition.and_(
                    sfn.Condition.is_present(f"$.{plan.START_AT_KEY}"),
                    sfn.Condition.string_equals(f"$.{plan.START_AT_KEY}", step),
                ),
                self.steps[step],
            )
        start.otherwise(first)

        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=names.state_machine,
            state_machine_type=sfn.StateMachineType.STANDARD,
            comment=f"gluekit {spec.name}: transform → validate → publish",
            definition_body=sfn.DefinitionBody.from_chainable(start),
            timeout=Duration.seconds(plan.machine_timeout_seconds(spec)),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group,
                level=sfn.LogLevel.ALL,
                # The input and results are pointers and job run ids, nothing sensitive.
                include_execution_data=True,
            ),
        )
        self.state_machine.node.add_dependency(*jobs.values())
        role = self.state_machine.role
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="CloudWatch Logs log delivery (logs:*LogDelivery, resource policies) and "
                "X-Ray (PutTraceSegments, PutTelemetryRecords, sampling) support no resource "
                "scoping; CDK grants them for the machine's logging and tracing.",
            ),
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{_logical_id(notifier)}.Arn>:*]",
                reason="CDK's invoke grant for the notifier also names its versions and aliases "
                "(function ARN + ':*'); the notifier is the only function the machine invokes.",
            ),
        )

    # --------------------------------------------------------------------------------- states
    def _step(self, step: str, job: glue.IJob, notify: sfn.IChainable) -> tasks.GlueStartJobRun:
        task = GlueJobRunTask(
            self,
            step.capitalize(),
            timeout_seconds=plan.task_timeout_seconds(self.spec),
            glue_job_name=job.job_name,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            arguments=sfn.TaskInput.from_object(
                {name: sfn.JsonPath.string_at(path) for name, path in plan.STEP_ARGUMENTS.items()}
            ),
            # The job run's id and state, not the whole JobRun: the state stays small.
            result_selector={
                "job_run_id": sfn.JsonPath.string_at("$.Id"),
                "state": sfn.JsonPath.string_at("$.JobRunState"),
            },
            result_path=f"$.{step}_run",
            comment=f"gluekit {step} job; waits for its run to end",
        )
        for policy in plan.step_retries(self.spec):
            task.add_retry(
                errors=list(policy.errors),
                interval=Duration.seconds(policy.interval_seconds),
                backoff_rate=policy.backoff_rate,
                max_attempts=policy.max_attempts,
                max_delay=Duration.seconds(policy.max_delay_seconds),
                jitter_strategy=sfn.JitterType.FULL if policy.jitter else sfn.JitterType.NONE,
            )
        named = sfn.Pass(
            self,
            f"{step.capitalize()}Failed",
            result=sfn.Result.from_string(step),
            result_path=plan.FAILED_STEP_PATH,
        )
        named.next(notify)
        task.add_catch(named, errors=[sfn.Errors.ALL], result_path=plan.ERROR_PATH)
        return task

    def _start_crawler(self, crawler_name: str, then: sfn.IChainable) -> sfn.IChainable:
        """The raw crawler starts with the run, as the workflow's start trigger starts it. It
        never holds the batch up: already running is fine, any other failure is alerted and
        the run goes on."""
        stack = Stack.of(self)
        task = tasks.CallAwsService(
            self,
            "StartRawCrawler",
            service="glue",
            action="startCrawler",
            parameters={"Name": crawler_name},
            iam_resources=[
                stack.format_arn(service="glue", resource="crawler", resource_name=crawler_name)
            ],
            result_path=sfn.JsonPath.DISCARD,
            task_timeout=QUICK_TIMEOUT,
        )
        task.add_retry(
            errors=list(plan.THROTTLING_ERRORS),
            interval=Duration.seconds(5),
            backoff_rate=2.0,
            max_attempts=3,
            jitter_strategy=sfn.JitterType.FULL,
        )
        task.add_catch(then, errors=[plan.CRAWLER_RUNNING], result_path=sfn.JsonPath.DISCARD)
        named = sfn.Pass(
            self,
            "CrawlerNotStarted",
            result=sfn.Result.from_string("crawler"),
            result_path=plan.FAILED_STEP_PATH,
        )
        notify = self._notify("NotifyCrawlerNotStarted")
        notify.add_catch(then, errors=[sfn.Errors.ALL], result_path="$.alert_error")
        named.next(notify).next(then)
        task.add_catch(named, errors=[sfn.Errors.ALL], result_path=plan.ERROR_PATH)
        task.next(then)
        return task

    def _notify(self, construct_id: str) -> tasks.LambdaInvoke:
        """The notifier, invoked with the event gluekit.orchestration describes."""
        return tasks.LambdaInvoke(
            self,
            construct_id,
            lambda_function=self.notifier,
            payload=sfn.TaskInput.from_object(_paths(plan.failure_event_template(self.spec.name))),
            result_path=sfn.JsonPath.DISCARD,
            task_timeout=QUICK_TIMEOUT,
            retry_on_service_exceptions=True,
            comment="The same readable alert as a Glue workflow's failed step",
        )

    @staticmethod
    def _failure_cause() -> str:
        return sfn.JsonPath.format(
            "step {} failed: {}",
            sfn.JsonPath.string_at(plan.FAILED_STEP_PATH),
            sfn.JsonPath.string_at(f"{plan.ERROR_PATH}.Error"),
        )


class GlueJobRunTask(tasks.GlueStartJobRun):
    """GlueStartJobRun with the state's own TimeoutSeconds.

    CDK turns GlueStartJobRun's task_timeout into the job run's Timeout argument (minutes, which
    would replace the job's own timeout) and leaves TimeoutSeconds out. Here the job keeps its
    spec timeout, and the state gets TimeoutSeconds as every task should (there is no default).
    """

    def __init__(self, scope: Construct, construct_id: str, *, timeout_seconds: int, **props: Any):
        super().__init__(scope, construct_id, **props)
        self._timeout_seconds = timeout_seconds

    def to_state_json(
        self, top_level_query_language: sfn.QueryLanguage | None = None
    ) -> dict[str, Any]:
        rendered = dict(super().to_state_json(top_level_query_language))
        rendered["TimeoutSeconds"] = self._timeout_seconds
        return rendered


def _paths(template: Any) -> Any:
    """A plan template with its '$.' and '$$.' strings as CDK JSON paths."""
    if isinstance(template, dict):
        return {key: _paths(value) for key, value in template.items()}
    if isinstance(template, str) and template.startswith("$"):
        return sfn.JsonPath.string_at(template)
    return template


def _logical_id(function: lambda_.IFunction) -> str:
    stack = Stack.of(function)
    return stack.get_logical_id(function.node.default_child)  # type: ignore[arg-type]
