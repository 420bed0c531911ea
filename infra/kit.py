"""Builds an environment's stacks: the foundation, then one stack per pipeline spec."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import Stack
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import Construct

from gluekit.delivery import DeliverySettings
from gluekit.environments import Environment
from gluekit.spec import LoadedSpec, PipelineSpec
from infra.stacks.foundation_stack import FoundationStack
from infra.stacks.pipeline_stack import PipelineStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def feature_flags() -> dict[str, Any]:
    """cdk.json's feature flags, for apps synthesized without the CLI (tests, `python app.py`).

    The CLI passes them itself; the kit's resources depend on some of them (e.g. S3 access logs
    through a bucket policy), so every synth path must see the same flags.
    """
    context = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]
    return {key: value for key, value in context.items() if key.startswith(("@", "aws:"))}


@dataclass(frozen=True)
class KitStacks:
    foundation: FoundationStack
    pipelines: dict[str, PipelineStack]


def build_kit(app: cdk.App, *, environment: Environment, specs: list[LoadedSpec]) -> KitStacks:
    """Add every stack of `environment` to `app` and turn on the cdk-nag gates."""
    apply_security_checks(app)
    return add_kit_stacks(app, environment=environment, specs=specs)


def add_kit_stacks(
    scope: Construct, *, environment: Environment, specs: list[LoadedSpec]
) -> KitStacks:
    """The foundation and one stack per pipeline, in `scope`: the app, or a pipeline's stage."""
    deploy_env = cdk.Environment(
        account=environment.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
        region=environment.region or os.environ.get("CDK_DEFAULT_REGION"),
    )
    emails = sorted({*environment.alert_emails, *(e for s in specs for e in s.spec.alerts.emails)})
    # Explicit stack names: inside a pipeline's stage CDK would prefix them with the stage's.
    foundation = FoundationStack(
        scope,
        f"{environment.name_prefix}-foundation",
        stack_name=f"{environment.name_prefix}-foundation",
        environment=environment,
        alert_emails=emails,
        env=deploy_env,
        description=f"gluekit {environment.name}: shared buckets, key, catalog, alerts",
        termination_protection=not environment.destroy_data_on_delete,
    )
    cdk.Tags.of(foundation).add("gluekit:env", environment.name)
    by_name = {item.spec.name: item.spec for item in specs}
    pipelines = {
        item.spec.name: add_pipeline(
            scope,
            item,
            environment,
            foundation,
            deploy_env,
            upstreams=[by_name[name] for name in item.spec.upstreams],
        )
        for item in specs
    }
    return KitStacks(foundation, pipelines)


def add_pipeline(
    scope: Construct,
    item: LoadedSpec,
    environment: Environment,
    foundation: FoundationStack,
    deploy_env: cdk.Environment,
    upstreams: list[PipelineSpec] | None = None,
) -> PipelineStack:
    """The seam for one pipeline: one stack, tagged for cost attribution. ``upstreams``: the
    specs of the pipelines it follows (trigger.after), whose publishes start it."""
    spec = item.spec
    stack = PipelineStack(
        scope,
        f"{environment.name_prefix}-{spec.name}",
        stack_name=f"{environment.name_prefix}-{spec.name}",
        spec=spec,
        environment=environment,
        foundation=foundation,
        code_dir=item.code_dir,
        upstreams=upstreams or [],
        env=deploy_env,
        description=f"gluekit {environment.name}: pipeline {spec.name}"[:1024],
    )
    stack.add_stack_dependency(foundation)
    tags = cdk.Tags.of(stack)
    for key, value in spec.tags.items():
        tags.add(key, value)
    tags.add("gluekit:pipeline", spec.name)
    tags.add("gluekit:env", environment.name)
    return stack


def apply_security_checks(app: cdk.App) -> None:
    """cdk-nag AwsSolutions and Serverless packs: synth fails on any unacknowledged finding."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))


def build_delivery_pipeline(
    app: cdk.App, *, host: Environment, delivery: DeliverySettings, pipelines_dir: Path
) -> Stack:
    """`-c pipeline=true`: the kit's CDK pipeline in `host`, deploying `delivery.stages`."""
    from gluekit.environments import load_environment
    from gluekit.spec import load_specs
    from infra.stacks.delivery_pipeline_stack import DeliveryPipelineStack

    apply_security_checks(app)
    stages = []
    for name in delivery.stages:
        environment = load_environment(name)
        # Resource names carry the prefix: each stage loads the specs under its own.
        stages.append((environment, load_specs(pipelines_dir, environment.name_prefix)))
    return DeliveryPipelineStack(
        app,
        f"{host.name_prefix}-delivery",
        delivery=delivery,
        host=host,
        stages=stages,
        env=cdk.Environment(
            account=host.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=host.region or os.environ.get("CDK_DEFAULT_REGION"),
        ),
        description="gluekit: the kit's own delivery pipeline (source, test, deploy stages)",
    )
