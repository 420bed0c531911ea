"""`<prefix>-<pipeline>`: one pipeline's Glue jobs, workflow, bridge, notifier and alarms."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from gluekit.environments import Environment
from gluekit.naming import STEPS, FoundationNames
from gluekit.orchestration import STEP_FUNCTIONS
from gluekit.spec import PipelineSpec
from infra.constructs.bridge import Bridge
from infra.constructs.glue_pipeline import GluePipeline
from infra.constructs.lookup_grants import grant_lookups
from infra.constructs.monitoring import PipelineMonitoring
from infra.constructs.notifier import Notifier
from infra.constructs.pipeline_state_machine import PipelineStateMachine
from infra.constructs.prefix_grants import deploy_names
from infra.stacks.foundation_stack import FoundationStack


class PipelineStack(Stack):
    """Wiring only: every resource comes from a construct in infra/constructs/.

    The shared buckets and tables are referenced by their names (gluekit.naming), not by
    cross-stack exports; only the key, the topic and the database come from the foundation.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: PipelineSpec,
        environment: Environment,
        foundation: FoundationStack,
        code_dir: Path | None = None,
        upstreams: Sequence[PipelineSpec] = (),
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.spec = spec
        foundation_names = deploy_names(environment.name_prefix)

        self.glue = GluePipeline(
            self,
            "Glue",
            spec=spec,
            foundation_names=foundation_names,
            key=foundation.key,
            database=foundation.database,
            log_retention_days=environment.log_retention_days,
            code_dir=code_dir,
        )
        grant_lookups(self.glue.role, spec=spec, prefix=environment.name_prefix)
        names = self.glue.names
        workflow_arn = self.format_arn(
            service="glue", resource="workflow", resource_name=names.workflow
        )
        in_machine = spec.orchestrator == STEP_FUNCTIONS
        self.notifier = Notifier(
            self,
            "Notifier",
            spec=spec,
            environment=environment,
            foundation_names=foundation_names,
            key=foundation.key,
            alerts_topic=foundation.alerts_topic,
            # The machine alerts on its own steps' failures; Glue's events cover the rest.
            job_names=[
                names.job(step) for step in self.glue.jobs if not (in_machine and step in STEPS)
            ],
            crawler_name=names.crawler if self.glue.crawler is not None else None,
            workflow_arn=workflow_arn,
        )
        self.orchestration: PipelineStateMachine | None = None
        if in_machine:
            self.orchestration = PipelineStateMachine(
                self,
                "Orchestration",
                spec=spec,
                names=names,
                jobs={step: self.glue.jobs[step] for step in STEPS},
                crawler_name=names.crawler if self.glue.crawler is not None else None,
                notifier=self.notifier.function,
                key=foundation.key,
                log_retention_days=environment.log_retention_days,
            )
            self.notifier.alert_on_execution_end(self.orchestration.state_machine)
        machine = self.orchestration.state_machine if self.orchestration else None
        self.bridge = Bridge(
            self,
            "Bridge",
            spec=spec,
            environment=environment,
            foundation_names=foundation_names,
            key=foundation.key,
            workflow_arn=workflow_arn,
            state_machine=machine,
            upstreams=upstreams,
        )
        self.bridge.node.add_dependency(machine or self.glue.workflow)
        self.monitoring = PipelineMonitoring(
            self,
            "Monitoring",
            spec=spec,
            names=names,
            alerts_topic=foundation.alerts_topic,
            job_failure_rule=self.notifier.job_failure_rule,
            bridge_queue=self.bridge.queue.queue if self.bridge.queue else None,
            bridge_dlq=self.bridge.queue.dlq if self.bridge.queue else None,
            functions={"bridge": self.bridge.function, "notifier": self.notifier.function},
            state_machine=machine,
        )
        if machine is not None:
            CfnOutput(self, "StateMachineArn", value=machine.state_machine_arn)
        else:
            CfnOutput(self, "WorkflowName", value=names.workflow)
        if not spec.is_derived:
            raw = f"s3://{foundation_names.raw_bucket}/{spec.raw_prefix}"
            CfnOutput(self, "RawPrefix", value=raw)
        CfnOutput(self, "DashboardName", value=names.dashboard)
        self._describe_outputs(foundation_names)

    def _describe_outputs(self, foundation_names: FoundationNames) -> None:
        """What `gluekit describe` shows: where the pipeline's data and controls are."""
        names = self.glue.names
        artifacts = f"s3://{foundation_names.artifacts_bucket}"
        outputs = {
            "JobNames": ",".join(names.job(step) for step in self.glue.jobs),
            "TableName": f"{foundation_names.database}.{names.table}",
            "CuratedLocation": f"s3://{foundation_names.curated_bucket}/{names.curated_prefix}",
            "QuarantinePrefix": (
                f"s3://{foundation_names.quarantine_bucket}/{names.quarantine_prefix}"
            ),
            "ManifestsPrefix": f"{artifacts}/{names.manifests_prefix}",
            "ReportsPrefix": f"{artifacts}/{names.reports_prefix}",
            "DashboardUrl": (
                f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region="
                f"{self.region}#dashboards/dashboard/{names.dashboard}"
            ),
        }
        if self.bridge.queue is not None:  # a derived pipeline has no arrivals queue
            outputs["BridgeQueueUrl"] = self.bridge.queue.queue.queue_url
            outputs["BridgeDlqUrl"] = self.bridge.queue.dlq.queue_url
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)
