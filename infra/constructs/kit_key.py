"""The environment's KMS key and the service principals that must be able to use it."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# Services that encrypt or decrypt with the key on the kit's behalf. Nothing flags a missing
# grant here: without it, alarms and EventBridge deliveries to the encrypted topic and queues are
# dropped silently, and Glue cannot write its encrypted CloudWatch logs.
DELIVERY_SERVICES = ("cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com")


class KitKey(Construct):
    """A customer-managed key with rotation, retained always: raw data outlives any stack."""

    def __init__(self, scope: Construct, construct_id: str, *, alias: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=alias,
            description="gluekit data, queues, topics and logs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        region = Stack.of(self).region
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryption",
                principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{region}:{Aws.ACCOUNT_ID}:*"
                        )
                    }
                },
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EncryptedDeliveryFromAwsServices",
                principals=[iam.ServicePrincipal(s) for s in DELIVERY_SERVICES],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
