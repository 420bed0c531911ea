"""An SQS queue with its dead-letter queue, both KMS-encrypted and TLS-only."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

DLQ_RETENTION = Duration.days(14)
# EventBridge's own maximum: retry a target for a day, then hand the event to the rule's DLQ.
RULE_TARGET_RETRY_ATTEMPTS = 185
RULE_TARGET_MAX_EVENT_AGE = Duration.hours(24)


def dead_letter_queue(
    scope: Construct, construct_id: str, *, queue_name: str | None, key: kms.IKey
) -> sqs.Queue:
    """A DLQ: kept 14 days (the SQS maximum), encrypted, TLS-only."""
    dlq = sqs.Queue(
        scope,
        construct_id,
        queue_name=queue_name,
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=key,
        data_key_reuse=Duration.hours(1),
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
    )
    Validations.of(dlq).acknowledge(
        Acknowledgment(
            id="AwsSolutions-SQS3",
            reason="This queue is itself a dead-letter queue; a DLQ of a DLQ has no reader.",
        ),
        Acknowledgment(
            id="Serverless-SQSRedrivePolicy",
            reason="This queue is itself a dead-letter queue; the DLQ-depth alarm watches it.",
        ),
    )
    return dlq


class HardenedQueue(Construct):
    """A work queue that moves a message to its DLQ after `max_receive_count` failed receives."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue_name: str,
        dlq_name: str,
        key: kms.IKey,
        visibility_timeout: Duration,
        max_receive_count: int = 5,
        retention: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dlq = dead_letter_queue(self, "Dlq", queue_name=dlq_name, key=key)
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=queue_name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            data_key_reuse=Duration.hours(1),
            enforce_ssl=True,
            visibility_timeout=visibility_timeout,
            retention_period=retention or Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dlq, max_receive_count=max_receive_count
            ),
        )
