"""`<prefix>-foundation`: the stateful resources every pipeline of an environment shares."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnOutput, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from gluekit.environments import Environment
from gluekit.naming import (
    CLAIMS_LEGACY_PENDING_INDEX,
    CLAIMS_PARTITION_KEY,
    CLAIMS_PENDING_INDEX,
    CLAIMS_PENDING_KEY,
    CLAIMS_PENDING_SORT_KEY,
    CLAIMS_TTL_ATTRIBUTE,
)
from infra.constructs.hardened_queue import dead_letter_queue
from infra.constructs.kit_key import KitKey
from infra.constructs.prefix_grants import deploy_names
from infra.constructs.secure_bucket import SecureBucket


class FoundationStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: Environment,
        alert_emails: list[str],
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.names = deploy_names(environment.name_prefix)
        names = self.names
        data_removal = (
            RemovalPolicy.DESTROY if environment.destroy_data_on_delete else RemovalPolicy.RETAIN
        )

        self.key = KitKey(self, "Key", alias=names.kms_alias).key

        # S3 delivers server access logs only to an SSE-S3 bucket, so this one bucket is not KMS.
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=names.access_logs_bucket,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            removal_policy=data_removal,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=Duration.days(365),
                    noncurrent_version_expiration=Duration.days(7),
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        )
        Validations.of(self.access_logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the server-access-log target; logging it to itself would loop.",
            )
        )

        def bucket(zone: str, construct_id: str, **options: object) -> s3.Bucket:
            return SecureBucket(
                self,
                construct_id,
                bucket_name=names.bucket(zone),
                encryption_key=self.key,
                access_logs=self.access_logs,
                **options,  # type: ignore[arg-type]
            ).bucket

        # Raw data is the system of record: retained whatever the environment says.
        self.raw = bucket("raw", "Raw", removal_policy=RemovalPolicy.RETAIN, noncurrent_days=365)
        # S3 → EventBridge through the bucket's own CloudFormation property: CDK's
        # `event_bridge_enabled` would deploy a notification custom-resource Lambda instead.
        raw_cfn = self.raw.node.default_child
        assert isinstance(raw_cfn, s3.CfnBucket)
        raw_cfn.add_property_override(
            "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True
        )
        self.curated = bucket("curated", "Curated", removal_policy=data_removal, noncurrent_days=30)
        self.quarantine = bucket(
            "quarantine", "Quarantine", removal_policy=data_removal, noncurrent_days=90
        )
        self.artifacts = bucket(
            "artifacts",
            "Artifacts",
            removal_policy=data_removal,
            noncurrent_days=30,
            extra_rules=[
                # Staged run output is only needed until publish (or a resume) is done.
                s3.LifecycleRule(
                    id="expire-staging", prefix="staging/", expiration=Duration.days(14)
                ),
            ],
        )
        self.buckets = {
            "raw": self.raw,
            "curated": self.curated,
            "quarantine": self.quarantine,
            "artifacts": self.artifacts,
        }

        self.database = glue.Database(
            self,
            "Database",
            database_name=names.database,
            description=f"gluekit curated tables ({environment.name})",
            removal_policy=data_removal,
        )

        self.claims_table = dynamodb.Table(
            self,
            "Claims",
            table_name=names.claims_table,
            partition_key=dynamodb.Attribute(
                name=CLAIMS_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=CLAIMS_TTL_ATTRIBUTE,
            removal_policy=data_removal,
        )
        # Deployed tables have this first index; CloudFormation adds or removes one GSI per
        # update, so it goes in a later release, after the `waiting` index exists.
        self.claims_table.add_global_secondary_index(
            index_name=CLAIMS_LEGACY_PENDING_INDEX,
            partition_key=dynamodb.Attribute(
                name=CLAIMS_PENDING_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(
                name=CLAIMS_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        # A pipeline's accepted objects, oldest first: a start reads one page from the front
        # however long the backlog is (sparse: only waiting objects carry the keys).
        self.claims_table.add_global_secondary_index(
            index_name=CLAIMS_PENDING_INDEX,
            partition_key=dynamodb.Attribute(
                name=CLAIMS_PENDING_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(
                name=CLAIMS_PENDING_SORT_KEY, type=dynamodb.AttributeType.NUMBER
            ),
            projection_type=dynamodb.ProjectionType.ALL,
        )

        self.alerts_topic = sns.Topic(
            self,
            "Alerts",
            topic_name=names.alerts_topic,
            display_name="gluekit alerts",
            master_key=self.key,
            enforce_ssl=True,
        )
        if alert_emails:
            self.alerts_dlq = dead_letter_queue(
                self,
                "AlertsDeliveryDlq",
                queue_name=f"{names.alerts_topic}-delivery-dlq",
                key=self.key,
            )
            for email in alert_emails:
                self.alerts_topic.add_subscription(
                    subscriptions.EmailSubscription(email, dead_letter_queue=self.alerts_dlq)
                )

        for zone, zone_bucket in self.buckets.items():
            CfnOutput(self, f"{zone.capitalize()}BucketName", value=zone_bucket.bucket_name)
        CfnOutput(self, "AlertsTopicArn", value=self.alerts_topic.topic_arn)
        CfnOutput(self, "DatabaseName", value=names.database)
        CfnOutput(self, "ClaimsTableName", value=self.claims_table.table_name)
