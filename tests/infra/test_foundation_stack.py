"""What no linter checks in the foundation: TLS, key policy, versioning, retention, privacy."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from gluekit.naming import (
    CLAIMS_LEGACY_PENDING_INDEX,
    CLAIMS_PARTITION_KEY,
    CLAIMS_PENDING_INDEX,
    CLAIMS_PENDING_KEY,
    CLAIMS_PENDING_SORT_KEY,
    CLAIMS_TTL_ATTRIBUTE,
)
from tests.infra.conftest import Synthesized

DATA_ZONES = ("raw", "curated", "quarantine", "artifacts")


def buckets(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """Bucket resources keyed by zone, read from their (joined) names."""
    found = {}
    for logical_id, resource in synth.foundation.find_resources("AWS::S3::Bucket").items():
        name = str(resource["Properties"]["BucketName"])
        zone = next((z for z in (*DATA_ZONES, "access-logs") if f"-{z}-" in name), logical_id)
        found[zone] = resource
    return found


def test_every_bucket_blocks_public_access_and_is_versioned(dev: Synthesized) -> None:
    found = buckets(dev)
    assert set(found) == {*DATA_ZONES, "access-logs"}
    for zone, bucket in found.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, zone
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, zone


def test_data_buckets_use_the_kit_key_and_log_access(dev: Synthesized) -> None:
    for zone in DATA_ZONES:
        props = buckets(dev)[zone]["Properties"]
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", zone
        assert "KMSMasterKeyID" in sse["ServerSideEncryptionByDefault"], zone
        assert "DestinationBucketName" in props["LoggingConfiguration"], zone


def test_every_bucket_policy_denies_plain_http(dev: Synthesized) -> None:
    policies = dev.foundation.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 5
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_raw_is_retained_even_where_data_may_be_destroyed(dev: Synthesized) -> None:
    assert dev.environment.destroy_data_on_delete
    found = buckets(dev)
    assert found["raw"]["DeletionPolicy"] == "Retain"
    assert found["curated"]["DeletionPolicy"] == "Delete"


def test_prod_retains_every_data_store(prod: Synthesized) -> None:
    for zone, bucket in buckets(prod).items():
        assert bucket["DeletionPolicy"] == "Retain", zone
    table = next(iter(prod.foundation.find_resources("AWS::DynamoDB::Table").values()))
    assert table["DeletionPolicy"] == "Retain"


def test_raw_current_versions_never_expire_and_uploads_are_cleaned(dev: Synthesized) -> None:
    rules = buckets(dev)["raw"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert not any("ExpirationInDays" in r for r in rules)
    assert any("AbortIncompleteMultipartUpload" in r for r in rules)
    assert any("NoncurrentVersionExpiration" in r for r in rules)


def test_raw_bucket_sends_events_to_eventbridge(dev: Synthesized) -> None:
    dev.foundation.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": Match.any_value(),
            "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
        },
    )


def test_key_rotates_and_admits_the_delivery_services(dev: Synthesized) -> None:
    [key] = dev.foundation.find_resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    services = [s["Principal"]["Service"] for s in statements if "Service" in s["Principal"]]
    flat = [p for entry in services for p in (entry if isinstance(entry, list) else [entry])]
    assert {"cloudwatch.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com"} <= {
        p for p in flat if isinstance(p, str)
    }
    # logs.<region>.amazonaws.com is built from the region: a Fn::Join, not a plain string
    logs = [p for p in flat if not isinstance(p, str)]
    assert logs == [{"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}]


def test_alerts_topic_is_encrypted_and_tls_only(dev: Synthesized) -> None:
    dev.foundation.has_resource_properties(
        "AWS::SNS::Topic",
        {
            "KmsMasterKeyId": Match.any_value(),
        },
    )
    dev.foundation.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_prod_alert_emails_subscribe_with_a_dead_letter_queue(prod: Synthesized) -> None:
    subscriptions = prod.foundation.find_resources("AWS::SNS::Subscription")
    emails = {s["Properties"]["Endpoint"] for s in subscriptions.values()}
    assert "data-oncall@example.com" in emails
    assert "commerce-data@example.com" in emails  # from the orders spec's alerts
    for subscription in subscriptions.values():
        assert "RedrivePolicy" in subscription["Properties"]


def test_claims_table_layout_matches_the_bridge(dev: Synthesized) -> None:
    from bridge import claims

    dev.foundation.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": CLAIMS_PARTITION_KEY, "KeyType": "HASH"}],
            "TimeToLiveSpecification": {"AttributeName": CLAIMS_TTL_ATTRIBUTE, "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": Match.object_like({"SSEEnabled": True, "SSEType": "KMS"}),
            "GlobalSecondaryIndexes": [
                # the first release's index stays until a later update can remove it
                Match.object_like(
                    {
                        "IndexName": CLAIMS_LEGACY_PENDING_INDEX,
                        "KeySchema": [
                            {"AttributeName": CLAIMS_PENDING_KEY, "KeyType": "HASH"},
                            {"AttributeName": CLAIMS_PARTITION_KEY, "KeyType": "RANGE"},
                        ],
                    }
                ),
                Match.object_like(
                    {
                        "IndexName": CLAIMS_PENDING_INDEX,
                        "KeySchema": [
                            {"AttributeName": CLAIMS_PENDING_KEY, "KeyType": "HASH"},
                            {"AttributeName": CLAIMS_PENDING_SORT_KEY, "KeyType": "RANGE"},
                        ],
                    }
                ),
            ],
        },
    )
    assert (
        claims.PARTITION_KEY,
        claims.TTL_ATTRIBUTE,
        claims.PENDING_INDEX,
        claims.PENDING_INDEX_PARTITION_KEY,
        claims.PENDING_INDEX_SORT_KEY,
    ) == (
        CLAIMS_PARTITION_KEY,
        CLAIMS_TTL_ATTRIBUTE,
        CLAIMS_PENDING_INDEX,
        CLAIMS_PENDING_KEY,
        CLAIMS_PENDING_SORT_KEY,
    )


def test_glue_database_is_named_from_the_prefix(dev: Synthesized) -> None:
    dev.foundation.has_resource_properties(
        "AWS::Glue::Database",
        {
            "DatabaseInput": Match.object_like({"Name": "gluekit_dev"}),
        },
    )
