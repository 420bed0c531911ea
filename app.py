#!/usr/bin/env python3
"""CDK entry point: `npx cdk synth -c env=dev` (default) or `-c env=prod`, or any environment."""

from pathlib import Path

import aws_cdk as cdk

from gluekit.delivery import load_delivery
from gluekit.environments import load_environment
from gluekit.spec import load_specs
from infra.kit import build_delivery_pipeline, build_kit, feature_flags

app = cdk.App(context=feature_flags())
environment = load_environment(app.node.try_get_context("env") or "dev")
pipelines_dir = Path(app.node.try_get_context("pipelines_dir") or "pipelines")
if str(app.node.try_get_context("pipeline")).lower() == "true":  # -c pipeline=true
    build_delivery_pipeline(
        app, host=environment, delivery=load_delivery(), pipelines_dir=pipelines_dir
    )
else:
    build_kit(
        app, environment=environment, specs=load_specs(pipelines_dir, environment.name_prefix)
    )
app.synth()
