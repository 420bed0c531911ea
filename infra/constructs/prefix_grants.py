"""IAM statements scoped to a pipeline's own S3 prefixes, with their cdk-nag acknowledgements.

Object actions on `bucket/prefix/*` are as narrow as S3 allows, yet cdk-nag's IAM5 reports every
wildcard. The shared buckets are referenced by name (from gluekit.naming, with CloudFormation's
pseudo parameters), so the exact finding id of each grant is known here and acknowledged
one by one, on the role that holds it — never IAM5 as a whole.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from gluekit.naming import FoundationNames

# How cdk-nag prints the pseudo parameters inside a finding id.
_NAG_NAMES = {"account": "<AWS::AccountId>", "region": "<AWS::Region>"}
KMS_DATA_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
# Reading a raw object version, and copying it elsewhere (CopyObject copies its tags too).
RAW_READ_ACTIONS = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTagging",
    "s3:GetObjectVersionTagging",
]


def deploy_names(prefix: str) -> FoundationNames:
    """The foundation's names as CloudFormation resolves them in any account and region."""
    return FoundationNames(prefix, Aws.ACCOUNT_ID, Aws.REGION)


class PrefixGrants:
    """Adds prefix-scoped S3 statements to `role` and acknowledges exactly their wildcards."""

    def __init__(self, role: iam.IRole, prefix: str) -> None:
        self.role = role
        self.names = deploy_names(prefix)
        self._nag_names = FoundationNames(prefix, _NAG_NAMES["account"], _NAG_NAMES["region"])
        self._acknowledged: set[str] = set()

    def objects(self, sid: str, zone: str, actions: list[str], *prefixes: str) -> None:
        bucket = self.names.bucket(zone)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=sid,
                actions=actions,
                resources=[f"arn:{Aws.PARTITION}:s3:::{bucket}/{p}*" for p in prefixes],
            )
        )
        nag_bucket = self._nag_names.bucket(zone)
        self._acknowledged.update(
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{nag_bucket}/{p}*]"
            for p in prefixes
        )

    def listing(self, sid: str, zone: str, *prefixes: str) -> None:
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=sid,
                actions=["s3:ListBucket"],
                resources=[f"arn:{Aws.PARTITION}:s3:::{self.names.bucket(zone)}"],
                conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
            )
        )

    def acknowledge(self) -> None:
        Validations.of(self.role).acknowledge(
            *(
                Acknowledgment(
                    id=finding,
                    reason="Object actions on this pipeline's own prefix only (prefix/*): the "
                    "narrowest scope S3 offers for objects that do not exist yet.",
                )
                for finding in sorted(self._acknowledged)
            )
        )


def grant_key_use(role: iam.IRole, key: kms.IKey) -> None:
    """Data-key use of the kit's key, without the wildcard actions of `grant_encrypt_decrypt`."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="UseKitKey",
            actions=KMS_DATA_ACTIONS,
            resources=[key.key_arn],
        )
    )
