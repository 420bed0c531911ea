"""Synthesizes the kit once per environment for all infra tests (synth takes seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from gluekit.environments import Environment, load_environment
from gluekit.spec import load_specs
from infra.kit import KitStacks, build_kit, feature_flags

REPO = Path(__file__).resolve().parents[2]
NODE_BIN = REPO / "node_modules" / ".bin"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


@dataclass(eq=False)
class Synthesized:
    app: cdk.App
    environment: Environment
    stacks: KitStacks
    outdir: Path
    _templates: dict[str, Template] = field(default_factory=dict)

    def template(self, stack: str) -> Template:
        """The synthesized template of `foundation` or a pipeline, parsed once."""
        if stack not in self._templates:
            target = (
                self.stacks.foundation if stack == "foundation" else self.stacks.pipelines[stack]
            )
            self._templates[stack] = Template.from_stack(target)
        return self._templates[stack]

    @property
    def foundation(self) -> Template:
        return self.template("foundation")


@cache
def synthesize(env_name: str, outdir: str) -> Synthesized:
    # jsii runs on Node: prefer the pinned Node 22 from node_modules (see FIELD_NOTES).
    if NODE_BIN.is_dir() and str(NODE_BIN) not in os.environ["PATH"].split(os.pathsep):
        os.environ["PATH"] = f"{NODE_BIN}{os.pathsep}{os.environ['PATH']}"
    environment = load_environment(env_name)
    # Path metadata lets cfn-lint and cdk-nag name constructs, as CLI synth does.
    context = {**feature_flags(), "aws:cdk:enable-path-metadata": True}
    app = cdk.App(context=context, outdir=outdir)
    stacks = build_kit(
        app,
        environment=environment,
        specs=load_specs(REPO / "pipelines", environment.name_prefix),
    )
    app.synth()  # runs the cdk-nag plugins: raises on any unacknowledged finding
    return Synthesized(app, environment, stacks, Path(outdir))


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("dev", str(tmp_path_factory.mktemp("cdk-dev")))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("prod", str(tmp_path_factory.mktemp("cdk-prod")))


def cfn_lint(templates: list[str]) -> subprocess.CompletedProcess[str]:
    """cfn-lint on synthesized templates, W3005 (CDK's DependsOn noise) aside.

    The venv's cfn-lint script: cfnlint has no __main__, so `python -m cfnlint` exits 1 without
    linting anything (which the checks' mask, 2 | 4, would not see).
    """
    return subprocess.run(
        [str(CFN_LINT), "--ignore-checks", "W3005", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
