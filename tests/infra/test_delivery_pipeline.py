"""`-c pipeline=true`: the kit's own CDK pipeline, synthesized with cdk-nag (one spec, to keep
the two stages' synth short)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from gluekit.delivery import load_delivery
from gluekit.environments import load_environment
from gluekit.spec import SpecErrors
from infra.kit import build_delivery_pipeline, feature_flags
from infra.stacks.delivery_pipeline_stack import DeliveryPipelineStack
from tests.infra.conftest import cfn_lint

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("delivery")


@pytest.fixture(scope="module")
def delivery_stack(tmp_path_factory: pytest.TempPathFactory, outdir: Path) -> DeliveryPipelineStack:
    specs = tmp_path_factory.mktemp("specs")
    shutil.copyfile(REPO / "pipelines" / "orders.yaml", specs / "orders.yaml")
    context = {**feature_flags(), "aws:cdk:enable-path-metadata": True}  # for cfn-lint
    app = cdk.App(context=context, outdir=str(outdir))
    stack = build_delivery_pipeline(
        app, host=load_environment("dev"), delivery=load_delivery(), pipelines_dir=specs
    )
    app.synth()  # cdk-nag runs on the pipeline stack and on every stage's stacks
    assert isinstance(stack, DeliveryPipelineStack)
    return stack


@pytest.fixture(scope="module")
def template(delivery_stack: DeliveryPipelineStack) -> Template:
    return Template.from_stack(delivery_stack)


def pipeline_stages(template: Template) -> list[dict[str, Any]]:
    [pipeline] = template.find_resources("AWS::CodePipeline::Pipeline").values()
    return list(pipeline["Properties"]["Stages"])


def test_source_is_the_repository_through_the_connection_of_environments_yaml(
    template: Template,
) -> None:
    source = pipeline_stages(template)[0]
    [action] = source["Actions"]
    assert action["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    delivery = load_delivery()
    assert action["Configuration"]["ConnectionArn"] == delivery.connection_arn
    assert action["Configuration"]["FullRepositoryId"] == "example-org/gluekit"
    assert action["Configuration"]["BranchName"] == "main"


def test_codebuild_runs_make_test_then_the_synth(template: Template) -> None:
    projects = template.find_resources("AWS::CodeBuild::Project")
    specs = [json.dumps(p["Properties"]["Source"]["BuildSpec"]) for p in projects.values()]
    [synth] = [s for s in specs if "make test" in s]
    assert synth.index("make setup") < synth.index("make test") < synth.index("cdk synth")
    assert "-c pipeline=true -c env=dev" in synth
    assert '\\"python\\": \\"3.11\\"' in synth and "corretto17" in synth


def test_dev_deploys_first_and_prod_only_after_a_manual_approval(template: Template) -> None:
    names = [stage["Name"] for stage in pipeline_stages(template)]
    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    assert names.index("Deploy-dev") < names.index("Deploy-prod")
    by_name = {stage["Name"]: stage for stage in pipeline_stages(template)}

    def approvals(stage: str) -> list[dict[str, Any]]:
        return [a for a in by_name[stage]["Actions"] if a["ActionTypeId"]["Category"] == "Approval"]

    assert approvals("Deploy-dev") == []
    [approval] = approvals("Deploy-prod")
    deploys = [a for a in by_name["Deploy-prod"]["Actions"] if a not in approvals("Deploy-prod")]
    assert approval["ActionTypeId"]["Provider"] == "Manual"
    assert all(a["RunOrder"] > approval["RunOrder"] for a in deploys)
    stacks = {a["Configuration"]["StackName"] for a in deploys}
    # The kit's own stack names, as a laptop deploy names them.
    assert stacks == {"gluekit-prod-foundation", "gluekit-prod-orders"}


def test_artifacts_are_encrypted_with_a_rotating_key_and_access_logged(
    template: Template,
) -> None:
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {
                            "ServerSideEncryptionByDefault": Match.object_like(
                                {"SSEAlgorithm": "aws:kms"}
                            )
                        }
                    )
                ]
            },
            "LoggingConfiguration": Match.object_like({"LogFilePrefix": "artifacts/"}),
        },
    )


def test_each_stage_holds_its_environments_stacks(delivery_stack: DeliveryPipelineStack) -> None:
    dev, prod = delivery_stack.stages
    assert dev.stacks.foundation.stack_name == "gluekit-dev-foundation"
    assert sorted(prod.stacks.pipelines) == ["orders"]
    assert prod.stacks.pipelines["orders"].stack_name == "gluekit-prod-orders"


def test_a_missing_or_wrong_delivery_section_is_one_clear_line(tmp_path: Path) -> None:
    environments = tmp_path / "environments.yaml"
    environments.write_text("defaults: {}\ndev: {}\n")
    with pytest.raises(SpecErrors, match="no delivery section: give connection_arn"):
        load_delivery(environments)
    environments.write_text(
        "dev: {}\ndelivery: {connection_arn: 'arn:aws:s3:::bucket', repository: o/r}\n"
    )
    with pytest.raises(SpecErrors) as caught:
        load_delivery(environments)
    assert "delivery.connection_arn" in str(caught.value.errors[0])
    with pytest.raises(SpecErrors, match="unknown environment 'delivery'"):
        load_environment("delivery", environments)  # a section, not an environment


def test_the_pipeline_and_its_stages_pass_cfn_lint(
    delivery_stack: DeliveryPipelineStack, outdir: Path
) -> None:
    templates = sorted(str(p) for p in outdir.rglob("*.template.json"))
    assert len(templates) == 5  # the pipeline, and each stage's foundation and orders
    result = cfn_lint(templates)
    assert result.returncode == 0, result.stdout + result.stderr
