"""A Python Lambda function the kit's way: own role, encrypted log group, tracing, Powertools."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from gluekit.environments import LOG_RETENTION_DAYS

LAMBDAS_DIR = Path(__file__).resolve().parents[2] / "lambdas"
# The newest Python this aws-cdk-lib knows (cdk-nag's L1 asks for the latest runtime).
RUNTIME = lambda_.Runtime.PYTHON_3_14
POWERTOOLS_LAYER = (
    "arn:{partition}:lambda:{region}:017000801446:layer:"
    "AWSLambdaPowertoolsPythonV3-python314-x86_64:{version}"
)


class KitFunction(Construct):
    """One of the kit's functions, shipped from `lambdas/` without Docker bundling.

    The role is written out instead of CDK's default, which attaches the AWS managed
    AWSLambdaBasicExecutionRole policy (logs on every log group in the account).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        handler: str,
        description: str,
        environment: dict[str, str],
        key: kms.IKey,
        log_retention_days: int,
        powertools_layer_version: int,
        timeout: Duration | None = None,
        memory_mb: int = 512,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=log_retention(log_retention_days),
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{function_name} execution role",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        layer = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "Powertools",
            POWERTOOLS_LAYER.format(
                partition=stack.partition, region=stack.region, version=powertools_layer_version
            ),
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            code=lambda_.Code.from_asset(str(LAMBDAS_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            handler=handler,
            role=self.role,
            layers=[layer],
            timeout=timeout or Duration.seconds(60),
            memory_size=memory_mb,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment=environment,
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords support no resource scoping.",
            ),
            *(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Action::{action}]",
                    reason="CDK's grants to send to the kit's encrypted queues and topic; the "
                    "statement's only resource is the kit's one KMS key.",
                )
                for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*")
            ),
        )


def log_retention(days: int) -> logs.RetentionDays:
    """CloudWatch's retention choices, in days, as CDK's enum (same order, INFINITE aside)."""
    finite = [member for member in logs.RetentionDays if member.name != "INFINITE"]
    return dict(zip(LOG_RETENTION_DAYS, finite, strict=True))[days]
