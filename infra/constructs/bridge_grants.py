"""What the bridge's role may do: its own raw prefix, manifests and claims items, its own
workflow or state machine, and announcing quarantines; nothing of another pipeline."""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn

from gluekit.naming import CLAIMS_KEY_PREFIXES, CLAIMS_PENDING_INDEX, STEPS, PipelineNames
from gluekit.spec import PipelineSpec
from infra.constructs.prefix_grants import RAW_READ_ACTIONS, PrefixGrants, grant_key_use


def grant_executions(
    names: PipelineNames, role: iam.IRole | None, state_machine: sfn.IStateMachine
) -> None:
    """Start the pipeline's executions; read them back by the ARN a batch id gives."""
    assert role is not None
    stack = Stack.of(role)
    executions = stack.format_arn(
        service="states",
        resource="execution",
        resource_name=f"{names.state_machine}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="StartOwnExecutions",
            actions=["states:StartExecution"],
            resources=[state_machine.state_machine_arn],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="ReadOwnExecutions",
            actions=["states:DescribeExecution"],
            resources=[executions],
        )
    )
    Validations.of(role).acknowledge(
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:"
            f"<AWS::AccountId>:execution:{names.state_machine}:*]",
            reason="Executions are named after batch ids at run time; the grant covers "
            "DescribeExecution on this pipeline's state machine's executions only.",
        )
    )


def grant_bridge(
    spec: PipelineSpec,
    names: PipelineNames,
    role: iam.IRole | None,
    claims_table_name: str,
    workflow_arn: str,
    key: kms.IKey,
) -> None:
    assert role is not None
    stack = Stack.of(role)
    grants = PrefixGrants(role, names.prefix)
    files = not spec.is_derived  # a derived pipeline's bridge never sees a file
    if files:
        # Pre-flight reads an object's first bytes; a quarantine copy reads it whole.
        grants.objects("ReadOwnRawPrefix", "raw", RAW_READ_ACTIONS, spec.raw_prefix)
        # Without ListBucket S3 answers 403, not 404, for a deleted object: the bridge could
        # not tell a vanished file (skip it) from a real error (retry).
        grants.listing("ListOwnRawPrefix", "raw", spec.raw_prefix)
        grants.objects(
            "WriteOwnQuarantine",
            "quarantine",
            ["s3:PutObject", "s3:PutObjectTagging"],
            names.quarantine_prefix,
        )
    grants.objects(
        "WriteOwnManifests",
        "artifacts",
        ["s3:PutObject", "s3:GetObject"],
        names.manifests_prefix,
    )
    grants.acknowledge()
    grant_key_use(role, key)
    table_arn = stack.format_arn(
        service="dynamodb", resource="table", resource_name=claims_table_name
    )
    glue_statements = (
        iam.PolicyStatement(
            sid="StartOwnWorkflowOnly",
            # GetWorkflowRun: is a slot's run still running; GetWorkflowRuns: find a
            # crashed start's run by its batch id.
            actions=[
                "glue:StartWorkflowRun",
                "glue:GetWorkflowRun",
                "glue:GetWorkflowRuns",
            ],
            resources=[workflow_arn],
        ),
        iam.PolicyStatement(
            sid="ReadOwnStepJobRuns",
            # A run-end event names a job run: its arguments name the workflow run whose
            # slot the bridge frees (`bridge.run_end`).
            actions=["glue:GetJobRun"],
            resources=[
                stack.format_arn(service="glue", resource="job", resource_name=names.job(s))
                for s in STEPS
            ],
        ),
    )
    # With the state machine, the bridge never touches the workflow or the jobs.
    for statement in (
        *(glue_statements if spec.orchestrator == "glue-workflow" else ()),
        iam.PolicyStatement(
            sid="OwnClaimsOnly",
            actions=[
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:ConditionCheckItem",
            ],
            resources=[table_arn],
            # The table is shared by every pipeline: this bridge writes only its own items.
            conditions={
                "ForAllValues:StringLike": {
                    "dynamodb:LeadingKeys": [
                        prefix.format(pipeline=spec.name) for prefix in CLAIMS_KEY_PREFIXES
                    ]
                }
            },
        ),
        iam.PolicyStatement(
            sid="OwnPendingOnly",
            actions=["dynamodb:Query"],
            resources=[f"{table_arn}/index/{CLAIMS_PENDING_INDEX}"],
            # On an index the leading key is the index's partition key: the pipeline.
            conditions={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [spec.name]}},
        ),
        *(
            (
                iam.PolicyStatement(
                    sid="AnnounceQuarantine",
                    actions=["events:PutEvents"],
                    resources=[
                        stack.format_arn(
                            service="events", resource="event-bus", resource_name="default"
                        )
                    ],
                ),
            )
            if files
            else ()
        ),
    ):
        role.add_to_principal_policy(statement)
