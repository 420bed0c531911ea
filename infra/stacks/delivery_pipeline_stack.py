"""`gluekit-delivery`: the kit's own CDK pipeline (`npx cdk deploy -c pipeline=true`).

Source: the repository through a CodeStar connection (`environments.yaml`, section `delivery`).
Build: `make setup`, `make test` and the synth, with cdk-nag, in CodeBuild. Then each stage
deploys one environment's stacks (the foundation and a stack per pipeline spec), in order; every
stage after the first waits for a manual approval. The pipeline updates itself first.

Artifacts go to a KMS-encrypted, access-logged bucket of this stack; the key rotates.
"""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk
from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Token, Validations, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct, IConstruct

from gluekit.delivery import DeliverySettings
from gluekit.environments import Environment
from gluekit.spec import LoadedSpec
from infra.kit import KitStacks, add_kit_stacks

# The CodeBuild image with Python 3.11, Corretto 17 and Node 20 (make setup checks for them).
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0
RUNTIMES = {"python": "3.11", "java": "corretto17", "nodejs": "20"}


# Why CDK Pipelines' generated grants keep their wildcards (cdk-nag AwsSolutions-IAM5).
ARTIFACTS_REASON = (
    "CDK Pipelines' grant on this pipeline's own artifact bucket (its objects, written per "
    "execution) and the bucket's key, nothing else."
)
OWN_LOGS_REASON = (
    "CodeBuild names its log streams and report groups per build; the grant covers this "
    "project's log group and report groups only."
)
BOOTSTRAP_REASON = (
    "Self-mutation assumes the CDK bootstrap roles only: the grant is conditioned on "
    "iam:ResourceTag/aws-cdk:bootstrap-role (deploy, file-publishing, image-publishing)."
)
SELF_MUTATION_REASON = (
    "cloudformation:DescribeStacks and s3:ListBucket, which CDK Pipelines grants unscoped so that "
    "self-mutation can read the stacks it updates."
)
# {arn} is arn:<partition>:<service>:<region>:<account>, as cdk-nag prints it for this stack.
ASSET_PUBLISHING_FINDINGS = [
    "Resource::*",
    "Resource::{logs}:log-group:/aws/codebuild/*",
    "Resource::{codebuild}:report-group/*",
]
ASSET_PUBLISHING_REASON = (
    "CDK Pipelines' asset-publishing role starts the publishing projects CDK creates per asset "
    "(codebuild:StartBuild and the builds' logs), named only at synth time."
)


class KitStage(cdk.Stage):
    """One environment's stacks, as `npx cdk deploy -c env=<name> --all` deploys them."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: Environment,
        specs: list[LoadedSpec],
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            env=cdk.Environment(
                account=environment.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
                region=environment.region or os.environ.get("CDK_DEFAULT_REGION"),
            ),
        )
        self.stacks: KitStacks = add_kit_stacks(self, environment=environment, specs=specs)


class DeliveryPipelineStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        delivery: DeliverySettings,
        host: Environment,
        stages: list[tuple[Environment, list[LoadedSpec]]],
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.artifacts = self._artifact_bucket()
        source = pipelines.CodePipelineSource.connection(
            delivery.repository, delivery.branch, connection_arn=delivery.connection_arn
        )
        synth = pipelines.CodeBuildStep(
            "Synth",
            input=source,
            install_commands=["make setup"],
            # The whole suite, then the synth that deploys: cdk-nag fails it on any finding.
            commands=[
                "make test",
                f"npx --no-install cdk synth -c pipeline=true -c env={host.name}",
            ],
            primary_output_directory="cdk.out",
            build_environment=codebuild.BuildEnvironment(
                build_image=BUILD_IMAGE, compute_type=codebuild.ComputeType.MEDIUM
            ),
            partial_build_spec=codebuild.BuildSpec.from_object(
                {"phases": {"install": {"runtime-versions": RUNTIMES}}}
            ),
            timeout=Duration.minutes(60),
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"{host.name_prefix}-delivery",
            synth=synth,
            artifact_bucket=self.artifacts,
            self_mutation=True,
            docker_enabled_for_synth=False,  # nothing is bundled with Docker
            publish_assets_in_parallel=False,
        )
        self.stages: list[KitStage] = []
        for index, (environment, specs) in enumerate(stages):
            stage = KitStage(
                self, f"Deploy-{environment.name}", environment=environment, specs=specs
            )
            approval = pipelines.ManualApprovalStep(
                f"Promote-to-{environment.name}",
                comment=f"Deploy gluekit to {environment.name}? The previous stage is deployed.",
            )
            self.pipeline.add_stage(stage, pre=[approval] if index else None)
            self.stages.append(stage)
        # Built now (not lazily at synth) so that its roles exist to be acknowledged.
        self.pipeline.build_pipeline()
        self._acknowledge_pipeline_grants()

    def _acknowledge_pipeline_grants(self) -> None:
        """CDK Pipelines' own grants, role by role: each wildcard finding with its reason."""
        stack = Stack.of(self)

        def logical_id(construct: IConstruct) -> str:
            return stack.get_logical_id(construct.node.default_child)  # type: ignore[arg-type]

        def shown(value: str, pseudo: str) -> str:
            # The CLI resolves partition and region; other synths leave pseudo parameters.
            return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

        def arn(service: str) -> str:
            partition, region = shown(stack.partition, "Partition"), shown(stack.region, "Region")
            return f"arn:{partition}:{service}:{region}:{shown(stack.account, 'AccountId')}"

        def own_logs(project: IConstruct) -> list[str]:
            name = logical_id(project)
            return [
                f"Resource::{arn('logs')}:log-group:/aws/codebuild/<{name}>:*",
                f"Resource::{arn('codebuild')}:report-group/<{name}>-*",
            ]

        asset_publishing = [
            f.format(logs=arn("logs"), codebuild=arn("codebuild"))
            for f in ASSET_PUBLISHING_FINDINGS
        ]

        reads = [f"Action::s3:{a}" for a in ("GetBucket*", "GetObject*", "List*")]
        reads.append(f"Resource::<{logical_id(self.artifacts)}.Arn>/*")
        writes = ["Action::s3:Abort*", "Action::s3:DeleteObject*"]
        key = ["Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"]
        pipeline = self.pipeline
        synth, mutation = pipeline.synth_project, pipeline.self_mutation_project
        source_roles = [
            c for c in pipeline.pipeline.node.find_all() if c.node.id == "CodePipelineActionRole"
        ]
        file_role = pipeline.node.find_child("Assets").node.find_child("FileRole")
        # (role, finding ids, reason); CDK types the roles optional, they exist once built.
        findings: list[tuple[Any, list[str], str]] = [
            *(
                (role, [*reads, *writes, *key], ARTIFACTS_REASON)
                for role in (pipeline.pipeline.role, *source_roles, synth.role)
            ),
            (mutation.role, [*reads, *key], ARTIFACTS_REASON),
            (file_role, reads, ARTIFACTS_REASON),
            (synth.role, own_logs(synth), OWN_LOGS_REASON),
            (mutation.role, own_logs(mutation), OWN_LOGS_REASON),
            (mutation.role, ["Resource::arn:*:iam::<AWS::AccountId>:role/*"], BOOTSTRAP_REASON),
            (mutation.role, ["Resource::*"], SELF_MUTATION_REASON),
            (file_role, asset_publishing, ASSET_PUBLISHING_REASON),
        ]
        for role, ids, reason in findings:
            Validations.of(role).acknowledge(
                *(Acknowledgment(id=f"AwsSolutions-IAM5[{i}]", reason=reason) for i in ids)
            )

    def _artifact_bucket(self) -> s3.Bucket:
        key = kms.Key(
            self,
            "ArtifactKey",
            description="gluekit delivery pipeline artifacts",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        # S3 delivers server access logs only to an SSE-S3 bucket.
        logs = s3.Bucket(
            self,
            "ArtifactAccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the artifact bucket's access-log target; logging it to itself "
                "would loop.",
            )
        )
        return s3.Bucket(
            self,
            "Artifacts",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=logs,
            server_access_logs_prefix="artifacts/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
            removal_policy=RemovalPolicy.RETAIN,
        )
