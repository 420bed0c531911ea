"""Read access for the jobs to exactly the tables the spec's ``lookups`` name, and no other.

- Another pipeline's curated table: GetTable on that table (Iceberg's GlueCatalog loads its
  metadata location from it) and read on its curated prefix, ``s3://<curated>/<table>/``, whose
  objects the kit's key encrypts (the job role may use it already).
- A catalog table ``database.table``: GetTable (and, for a Hive-style table, its partitions) on
  that table, and read on the spec's ``location``. A bucket encrypted with a KMS key of its own
  also needs kms:Decrypt on that key, which this grant does not give.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, Validations
from aws_cdk import aws_iam as iam

from gluekit.naming import FoundationNames, PipelineNames
from gluekit.spec import PipelineSpec
from gluekit.spec.steps import Lookup
from infra.constructs.glue_pipeline import catalog_arn
from infra.constructs.prefix_grants import deploy_names

LOOKUP_TABLE_ACTIONS = ["glue:GetDatabase", "glue:GetTable"]
LOOKUP_PARTITION_ACTIONS = ["glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
LOOKUP_OBJECT_REASON = (
    "Read of the files of a table the pipeline spec names as a lookup (another pipeline's "
    "curated prefix, or lookups[].location): objects under that prefix only."
)


def grant_lookups(role: iam.IRole, *, spec: PipelineSpec, prefix: str) -> None:
    """Add one catalog and one S3 grant per lookup to ``role`` (the pipeline's job role)."""
    findings: list[str] = []
    # A derived pipeline's upstreams are read like lookups of their pipeline (once for both).
    looked_up = {lookup.pipeline for lookup in spec.lookups}
    upstreams = [
        Lookup(name=upstream.replace("-", "_"), pipeline=upstream)
        for upstream in spec.upstreams
        if upstream not in looked_up
    ]
    for kind, lookup in [
        *(("Lookup", x) for x in spec.lookups),
        *(("Upstream", x) for x in upstreams),
    ]:
        sid = kind + "".join(part.capitalize() for part in lookup.name.split("_"))
        if lookup.pipeline is not None:
            other = PipelineNames(prefix, lookup.pipeline)
            database, table = deploy_names(prefix).database, other.table
            bucket = deploy_names(prefix).curated_bucket
            # How cdk-nag prints the bucket's name: with the pseudo parameters' names.
            shown = FoundationNames(prefix, "<AWS::AccountId>", "<AWS::Region>").curated_bucket
            key_prefix = other.curated_prefix
        else:
            assert lookup.database and lookup.table_name and lookup.bucket
            database, table = lookup.database, lookup.table_name
            bucket = shown = lookup.bucket
            key_prefix = lookup.key_prefix
        findings.append(_read_objects(role, sid, bucket, key_prefix, shown))
        hive = lookup.table_format == "hive"
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=f"{sid}Table",
                actions=[*LOOKUP_TABLE_ACTIONS, *(LOOKUP_PARTITION_ACTIONS if hive else [])],
                resources=[
                    catalog_arn(),
                    catalog_arn(f"database/{database}"),
                    catalog_arn(f"table/{database}/{table}"),
                ],
            )
        )
    if findings:
        Validations.of(role).acknowledge(
            *(Acknowledgment(id=finding, reason=LOOKUP_OBJECT_REASON) for finding in findings)
        )


def _read_objects(role: iam.IRole, sid: str, bucket: str, key_prefix: str, shown: str) -> str:
    """GetObject under ``bucket/key_prefix`` and a listing of it; returns the IAM5 finding id."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid=f"{sid}Objects",
            actions=["s3:GetObject"],
            resources=[f"arn:{Aws.PARTITION}:s3:::{bucket}/{key_prefix}*"],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid=f"{sid}Listing",
            actions=["s3:ListBucket"],
            resources=[f"arn:{Aws.PARTITION}:s3:::{bucket}"],
            conditions={"StringLike": {"s3:prefix": [f"{key_prefix}*"]}},
        )
    )
    return f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{shown}/{key_prefix}*]"
