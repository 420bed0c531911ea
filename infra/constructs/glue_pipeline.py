"""One pipeline's Glue side: security configuration, role, jobs, crawler and workflow."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from gluekit.naming import METRICS_NAMESPACE, STEPS, FoundationNames, PipelineNames
from gluekit.render import (
    RAW_CRAWLER_CONFIGURATION,
    RAW_CRAWLER_SCHEMA_CHANGE_POLICY,
    code_package,
    glue_job_arguments,
    job_workers,
)
from gluekit.spec import PipelineSpec
from infra.constructs.kit_function import log_retention
from infra.constructs.pipeline_code import PipelineCode
from infra.constructs.prefix_grants import (
    RAW_READ_ACTIONS,
    PrefixGrants,
    deploy_names,
    grant_key_use,
)

GLUE_SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "glue_scripts"
JOB_STEPS = (*STEPS, "compact")
# Everything in glue_scripts/ but the gluekit_glue package (and its bytecode).
_LIBRARY_EXCLUDES = ["*", "!gluekit_glue", "!gluekit_glue/**", "**/__pycache__", "**/*.pyc"]

GLUE_LOGS_ACKNOWLEDGMENT = Acknowledgment(
    id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>"
    ":log-group:/aws-glue/*]",
    reason="Glue names its log groups at run time (/aws-glue/jobs/..., per security "
    "configuration); the grant covers only the /aws-glue/ namespace.",
)
ASSET_READ_REASON = (
    "CDK's read grant for the job's script and library assets in the bootstrap assets bucket."
)


def asset_read_acknowledgments(stack: Stack) -> list[Acknowledgment]:
    """glue.Code.from_asset grants the job role read access to the bootstrap assets bucket.

    CDK writes that bucket's ARN with the stack's partition, account and region: literal when
    the environment pins them (the CLI sets the region), pseudo parameters otherwise.
    """

    def shown(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    bucket = (
        f"arn:{shown(stack.partition, 'Partition')}:s3:::cdk-hnb659fds-assets-"
        f"{shown(stack.account, 'AccountId')}-{shown(stack.region, 'Region')}/*"
    )
    findings = (
        "Action::s3:GetBucket*",
        "Action::s3:GetObject*",
        "Action::s3:List*",
        f"Resource::{bucket}",
    )
    return [
        Acknowledgment(id=f"AwsSolutions-IAM5[{finding}]", reason=ASSET_READ_REASON)
        for finding in findings
    ]


class GluePipeline(Construct):
    """Jobs transform → validate → publish chained by a workflow that only the bridge starts.

    With `orchestrator: step-functions` there is no workflow: the state machine
    (pipeline_state_machine.py) runs the same jobs, and retries them itself.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: PipelineSpec,
        foundation_names: FoundationNames,
        key: kms.IKey,
        database: glue.IDatabase,
        log_retention_days: int,
        code_dir: Path | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.names = names = PipelineNames(foundation_names.prefix, spec.name)
        job_spec = spec.job

        # In this stack (not the foundation) so cdk-nag can see it beside the jobs (GL1/GL3).
        self.security_configuration = glue.SecurityConfiguration(
            self,
            "SecurityConfiguration",
            security_configuration_name=names.security_configuration,
            s3_encryption=glue.S3Encryption.kms(key),
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(key),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.log_group = logs.LogGroup(
            self,
            "JobLogs",
            log_group_name=f"/aws-glue/gluekit/{names.base}",
            retention=log_retention(log_retention_days),
            encryption_key=key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = self._job_role(spec, key)

        # The shared library ships as a zip holding the `gluekit_glue/` package (Glue puts
        # --extra-py-files zips on sys.path); CDK zips directory assets itself.
        library_zip = s3_assets.Asset(
            self, "Library", path=str(GLUE_SCRIPTS_DIR), exclude=_LIBRARY_EXCLUDES
        )
        library = glue.Code.from_bucket(library_zip.bucket, library_zip.s3_object_key)
        # The pipeline's own Python steps run in transform only.
        step_code = (
            [PipelineCode(self, "StepCode", folder=code_dir, package=code_package(spec)).code]
            if code_dir is not None
            else []
        )
        arguments = glue_job_arguments(spec, foundation_names)
        job_class = (
            glue.PySparkFlexEtlJob if job_spec.execution_class == "flex" else glue.PySparkEtlJob
        )
        self.jobs: dict[str, glue.JobBase] = {}
        in_machine = spec.orchestrator == "step-functions"
        for step in JOB_STEPS:
            worker_type, workers = job_workers(spec, step)
            self.jobs[step] = job_class(
                self,
                f"{step.capitalize()}Job",
                job_name=names.job(step),
                description=f"gluekit {spec.name}: {step}",
                role=self.role,
                script=glue.Code.from_asset(str(GLUE_SCRIPTS_DIR / step / "job.py")),
                extra_python_files=[library, *(step_code if step == "transform" else [])],
                glue_version=_glue_version(job_spec.glue_version),
                worker_configuration=glue.WorkerConfiguration(
                    worker_type=_worker_type(worker_type), number_of_workers=workers
                ),
                timeout=Duration.minutes(job_spec.timeout_minutes),
                # Under the state machine a retried run would get a new id that its task never
                # sees: the machine retries the step instead (gluekit.orchestration).
                max_retries=0 if in_machine and step in STEPS else job_spec.retries,
                # At least the workflow's concurrency, or concurrent runs fail their jobs.
                max_concurrent_runs=job_spec.max_concurrent_runs,
                security_configuration=self.security_configuration,
                continuous_logging=glue.ContinuousLoggingProps(
                    enabled=True, log_group=self.log_group, quiet=True
                ),
                default_arguments=arguments,
            )

        # No CfnTable: the curated table is Iceberg, and its first publish creates it in the
        # database (gluekit_glue.iceberg). Iceberg rewrites the table's metadata pointer on
        # every commit; a CloudFormation-owned table would reset it on a stack update.

        self.crawler = self._raw_crawler(spec, key, database) if spec.crawler.enabled else None
        self.workflow = None if in_machine else self._workflow(spec)
        if spec.compaction.schedule:
            glue.CfnTrigger(
                self,
                "CompactSchedule",
                name=names.compact_trigger,
                type="SCHEDULED",
                schedule=spec.compaction.schedule,
                start_on_creation=True,
                actions=[glue.CfnTrigger.ActionProperty(job_name=self.jobs["compact"].job_name)],
            )

    # ----------------------------------------------------------------------------- workflow
    def _workflow(self, spec: PipelineSpec) -> glue.Workflow:
        names = self.names
        workflow = glue.Workflow(
            self,
            "Workflow",
            workflow_name=names.workflow,
            description=f"gluekit {spec.name}: transform → validate → publish",
            max_concurrent_runs=spec.job.max_concurrent_runs,
        )
        start_actions = [glue.Action.job(self.jobs["transform"])]
        if self.crawler is not None:
            start_actions.append(glue.Action.crawler(self.crawler))
        # ON_DEMAND: only the bridge starts runs, with the manifest in the run properties.
        workflow.add_on_demand_trigger("Start", name=names.start_trigger, actions=start_actions)
        for previous, following in pairwise(STEPS):
            workflow.add_conditional_trigger(
                f"After{previous.capitalize()}",
                name=names.after_trigger(previous),
                start_on_creation=True,
                predicate=glue.Predicate(
                    conditions=[glue.Condition.job(self.jobs[previous], glue.JobState.SUCCEEDED)]
                ),
                actions=[glue.Action.job(self.jobs[following])],
            )
        return workflow

    # --------------------------------------------------------------------------------- role
    def _job_role(self, spec: PipelineSpec, key: kms.IKey) -> iam.Role:
        """Least privilege: read its raw prefix, write only its own prefixes, never delete raw."""
        names = self.names
        stack = Stack.of(self)
        role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"gluekit {spec.name} Glue jobs",
        )
        runs_prefix = f"runs/{spec.name}/"
        own_artifacts = (names.staging_prefix, names.reports_prefix, runs_prefix)
        read_write = ["s3:GetObject", "s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject"]
        grants = PrefixGrants(role, names.prefix)
        if not spec.is_derived:  # a derived pipeline reads its upstreams' tables (lookup_grants)
            # Transform copies raw versions (quarantine, pinned inputs); CopyObject copies tags.
            grants.objects("ReadOwnRawPrefix", "raw", RAW_READ_ACTIONS, spec.raw_prefix)
            grants.listing("ListOwnRawPrefix", "raw", spec.raw_prefix)
        grants.objects("ReadOwnManifests", "artifacts", ["s3:GetObject"], names.manifests_prefix)
        grants.objects("WriteOwnArtifacts", "artifacts", read_write, *own_artifacts)
        grants.listing("ListOwnArtifacts", "artifacts", *own_artifacts)
        grants.objects("WriteOwnCurated", "curated", read_write, names.curated_prefix)
        grants.listing("ListOwnCurated", "curated", names.curated_prefix)
        grants.objects("WriteOwnQuarantine", "quarantine", read_write, names.quarantine_prefix)
        grants.listing("ListOwnQuarantine", "quarantine", names.quarantine_prefix)
        grants.acknowledge()
        grant_key_use(role, key)
        statements = [
            iam.PolicyStatement(
                sid="OwnWorkflowRuns",
                # GetWorkflowRun: a resumed run finds its data run through PreviousRunId.
                actions=[
                    "glue:GetWorkflowRun",
                    "glue:GetWorkflowRunProperties",
                    "glue:PutWorkflowRunProperties",
                ],
                resources=[
                    stack.format_arn(
                        service="glue", resource="workflow", resource_name=names.workflow
                    )
                ],
            ),
            # Iceberg's GlueCatalog: create the table once, then commit by UpdateTable (an
            # optimistic swap of its metadata location), on this table only.
            catalog_statement(
                "OwnIcebergTable",
                deploy_names(names.prefix).database,
                names.table,
                ICEBERG_TABLE_ACTIONS,
                partitions=False,
            ),
            iam.PolicyStatement(
                sid="PipelineMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
            ),
            glue_logs_statement(),
        ]
        if spec.orchestrator == "step-functions":
            statements.pop(0)  # no workflow runs: the machine passes --run_id and --manifest
        for statement in statements:
            role.add_to_policy(statement)
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="cloudwatch:PutMetricData supports no resource scoping; the statement "
                "is limited to the gluekit namespace by condition.",
            ),
            GLUE_LOGS_ACKNOWLEDGMENT,
            *asset_read_acknowledgments(Stack.of(self)),
        )
        return role

    def _raw_crawler(
        self, spec: PipelineSpec, key: kms.IKey, database: glue.IDatabase
    ) -> glue.CfnCrawler:
        names = self.names
        role = iam.Role(
            self,
            "CrawlerRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"gluekit {spec.name} raw crawler",
        )
        grants = PrefixGrants(role, names.prefix)
        grants.objects("ReadOwnRawPrefix", "raw", ["s3:GetObject"], spec.raw_prefix)
        grants.listing("ListOwnRawPrefix", "raw", spec.raw_prefix)
        grants.acknowledge()
        grant_key_use(role, key)
        # The crawler creates and updates its own raw_* tables, never the curated one.
        role.add_to_policy(
            catalog_statement(
                "OwnRawTables",
                deploy_names(names.prefix).database,
                f"{names.raw_table_prefix}*",
                ["glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable"],
            )
        )
        role.add_to_policy(glue_logs_statement())
        database_name = deploy_names(names.prefix).database
        Validations.of(role).acknowledge(
            GLUE_LOGS_ACKNOWLEDGMENT,
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:"
                f"<AWS::AccountId>:table/{database_name}/{names.raw_table_prefix}*]",
                reason="The crawler names its tables from the files it finds; the grant covers "
                "only this pipeline's raw_<name>_* tables, never the curated table.",
            ),
        )
        return glue.CfnCrawler(
            self,
            "RawCrawler",
            name=names.crawler,
            role=role.role_arn,
            database_name=database.database_name,
            # Crawler tables are named after folders; the prefix keeps them inside the grant.
            table_prefix=names.raw_table_prefix,
            description=f"Catalogs {spec.name}'s raw files; never rewrites a contract table",
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=f"s3://{deploy_names(names.prefix).raw_bucket}/{spec.raw_prefix}"
                    )
                ]
            ),
            # The raw_* tables mirror the source, so they follow it (LOG would freeze them at
            # the first crawl, and the notifier could not see drift); the contract table is
            # outside the crawler's grant whatever the policy. Deleted files are only logged.
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior=RAW_CRAWLER_SCHEMA_CHANGE_POLICY["UpdateBehavior"],
                delete_behavior=RAW_CRAWLER_SCHEMA_CHANGE_POLICY["DeleteBehavior"],
            ),
            configuration=RAW_CRAWLER_CONFIGURATION,
            crawler_security_configuration=self.security_configuration.security_configuration_name,
        )


def _glue_version(version: str) -> glue.GlueVersion:
    return {
        "5.0": glue.GlueVersion.V5_0,
        "5.1": glue.GlueVersion.V5_1,
        "6.0": glue.GlueVersion.V6_0,
    }[version]


def _worker_type(worker: str) -> glue.WorkerType:
    return getattr(glue.WorkerType, re.sub(r"[.]", "_", worker))  # "G.1X" → G_1X


def glue_logs_statement() -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="GlueLogs",
        actions=[
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:AssociateKmsKey",
        ],
        resources=[f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws-glue/*"],
    )


ICEBERG_TABLE_ACTIONS = ["glue:GetTable", "glue:CreateTable", "glue:UpdateTable"]
PARTITION_ACTIONS = [
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
]


def catalog_arn(resource: str = "catalog") -> str:
    """A Data Catalog ARN from pseudo parameters, so cdk-nag finding ids are predictable."""
    return f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"


def catalog_statement(
    sid: str, database: str, table: str, table_actions: list[str], *, partitions: bool = True
) -> iam.PolicyStatement:
    """Catalog actions on one database's named table(s) (and their partitions: Hive tables)."""
    return iam.PolicyStatement(
        sid=sid,
        actions=["glue:GetDatabase", *table_actions, *(PARTITION_ACTIONS if partitions else [])],
        resources=[
            catalog_arn(),
            catalog_arn(f"database/{database}"),
            catalog_arn(f"table/{database}/{table}"),
        ],
    )
