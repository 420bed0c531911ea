"""The rules that start a derived pipeline (spec ``trigger.after``): an upstream published.

A Glue-workflow upstream has published when its publish job run SUCCEEDED; a Step Functions
upstream when its state machine's execution SUCCEEDED (publish is its last step). One rule per
kind of upstream, each naming exactly the upstreams' jobs or machines, in this account.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_events as events

from gluekit.naming import PipelineNames
from gluekit.orchestration import STEP_FUNCTIONS
from gluekit.spec import PipelineSpec


def upstream_published_rules(
    names: PipelineNames, stack: Stack, upstreams: Sequence[PipelineSpec]
) -> list[tuple[str, str, events.EventPattern]]:
    """(construct id, rule name, pattern) of each rule a derived pipeline needs; none for a
    pipeline that follows nothing."""
    jobs = [
        PipelineNames(names.prefix, u.name).job("publish")
        for u in upstreams
        if u.orchestrator != STEP_FUNCTIONS
    ]
    machines = [
        stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=PipelineNames(names.prefix, u.name).state_machine,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for u in upstreams
        if u.orchestrator == STEP_FUNCTIONS
    ]
    rules = []
    if jobs:
        rules.append(
            (
                "UpstreamPublished",
                names.upstream_published_rule,
                events.EventPattern(
                    source=["aws.glue"],
                    detail_type=["Glue Job State Change"],
                    account=[stack.account],
                    detail={"jobName": jobs, "state": ["SUCCEEDED"]},
                ),
            )
        )
    if machines:
        rules.append(
            (
                "UpstreamSucceeded",
                names.upstream_succeeded_rule,
                events.EventPattern(
                    source=["aws.states"],
                    detail_type=["Step Functions Execution Status Change"],
                    account=[stack.account],
                    detail={"stateMachineArn": machines, "status": ["SUCCEEDED"]},
                ),
            )
        )
    return rules
