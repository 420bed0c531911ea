"""cdk-nag and cfn-lint gate every synthesis; these tests prove the gates are on and can fail."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from gluekit.environments import load_environment
from gluekit.spec import load_specs
from infra.kit import apply_security_checks, build_kit, feature_flags
from tests.infra.conftest import REPO, Synthesized, cfn_lint


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_synth_passes_both_cdk_nag_packs(
    env_name: str, dev: Synthesized, prod: Synthesized
) -> None:
    synth = dev if env_name == "dev" else prod
    # Synth already ran the plugins and would have raised; run them once more, explicitly.
    assert AwsSolutionsChecks().validate_scope(synth.app).success
    assert ServerlessChecks().validate_scope(synth.app).success


def test_an_unacknowledged_finding_fails_synth(tmp_path_factory: pytest.TempPathFactory) -> None:
    # GIVEN an app with the kit's gates and a bucket without logging, TLS or encryption
    app = cdk.App(context=feature_flags(), outdir=str(tmp_path_factory.mktemp("nag-fail")))
    apply_security_checks(app)
    stack = cdk.Stack(app, "Insecure")
    s3.Bucket(stack, "Open")

    # WHEN it is synthesized THEN synthesis fails
    with pytest.raises(
        RuntimeError, match="ValidationFailed: ERROR The S3 Bucket has server access logs disabled"
    ):
        app.synth()


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_cfn_lint_reports_no_errors_or_warnings(
    env_name: str, dev: Synthesized, prod: Synthesized
) -> None:
    synth = dev if env_name == "dev" else prod
    templates = sorted(str(p) for p in synth.outdir.glob("*.template.json"))
    assert len(templates) == 5  # foundation, orders, events, customers, daily-revenue

    result = cfn_lint(templates)

    # Exit status is a bit mask: 2 errors, 4 warnings, 8 informational (FIELD_NOTES).
    assert result.returncode & 0b110 == 0, result.stdout + result.stderr


def test_an_environment_pinned_to_account_and_region_passes_too(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The CLI pins the region (and the account, with credentials): ARNs CDK writes then hold
    # literal values, and every acknowledgement must still match its finding.
    environment = load_environment("prod").model_copy(
        update={"account": "111122223333", "region": "eu-west-1"}
    )
    app = cdk.App(context=feature_flags(), outdir=str(tmp_path_factory.mktemp("pinned")))
    stacks = build_kit(
        app, environment=environment, specs=load_specs(REPO / "pipelines", environment.name_prefix)
    )

    app.synth()

    assert stacks.foundation.region == "eu-west-1"
    assert AwsSolutionsChecks().validate_scope(app).success
