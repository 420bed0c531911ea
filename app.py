#!/usr/bin/env python3
"""CDK entry point: `npx cdk synth -c env=dev` (default) or `-c env=prod`, or any environment."""

from pathlib import Path

import aws_cdk as cdk

from gluekit.environments import load_environment
from gluekit.spec import load_specs
from infra.kit import build_kit, feature_flags

app = cdk.App(context=feature_flags())
environment = load_environment(app.node.try_get_context("env") or "dev")
specs = load_specs(
    Path(app.node.try_get_context("pipelines_dir") or "pipelines"), environment.name_prefix
)
build_kit(app, environment=environment, specs=specs)
app.synth()
