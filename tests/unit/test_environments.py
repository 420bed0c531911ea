"""Environments: per-environment values from one file, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gluekit.environments import load_environment
from gluekit.spec import SpecErrors


def test_dev_and_prod_come_from_the_shipped_file() -> None:
    dev, prod = load_environment("dev"), load_environment("prod")

    assert dev.name_prefix == "gluekit-dev"
    assert dev.destroy_data_on_delete is True
    assert prod.destroy_data_on_delete is False
    assert prod.log_retention_days == 365
    assert prod.alert_emails


def test_a_named_environment_inherits_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "environments.yaml"
    path.write_text(
        "defaults: {log_retention_days: 90}\n"
        "staging: {prefix: acme-stg, account: '123456789012', region: eu-west-1}\n"
    )

    env = load_environment("staging", path)

    assert (env.name_prefix, env.account, env.region) == ("acme-stg", "123456789012", "eu-west-1")
    assert env.log_retention_days == 90
    assert env.destroy_data_on_delete is False


def test_unknown_environment_suggests_a_known_one() -> None:
    with pytest.raises(SpecErrors, match="unknown environment 'prd' — did you mean 'prod'"):
        load_environment("prd")


def test_bad_retention_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "environments.yaml"
    path.write_text("dev: {log_retention_days: 10}\n")

    with pytest.raises(SpecErrors, match=r"dev\.log_retention_days: log_retention_days must be"):
        load_environment("dev", path)


def test_prefix_too_long_for_bucket_names(tmp_path: Path) -> None:
    path = tmp_path / "environments.yaml"
    path.write_text("dev: {prefix: a-very-long-company-prefix-dev}\n")

    with pytest.raises(SpecErrors, match="part of S3 bucket names"):
        load_environment("dev", path)
