"""The `gluekit` command: validate, schema, list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gluekit.cli import SCHEMA_FILE, main


def test_validate_passes_on_the_example_pipelines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert "4 pipeline spec(s) valid" in capsys.readouterr().out


def test_validate_exits_non_zero_and_prints_each_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text("name: bad\nsource: {format: xml}\n")

    assert main(["validate", "--pipelines-dir", str(tmp_path)]) == 1

    err = capsys.readouterr().err
    assert "bad.yaml: source.format: 'xml' is not allowed; allowed: 'csv', 'json' or 'parquet'" in (
        err
    )
    assert "bad.yaml: contract: required key 'contract' is missing" in err


def test_committed_schema_matches_the_models() -> None:
    assert main(["schema", "--check"]) == 0, "run: gluekit schema --write"


def test_schema_forbids_unknown_keys_for_editors() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())

    assert schema["additionalProperties"] is False
    # source is required of every pipeline but a derived one (the model checks that).
    assert {"name", "contract"} <= set(schema["required"])


def test_example_specs_point_editors_at_the_schema() -> None:
    for spec in SCHEMA_FILE.parent.glob("*.yaml"):
        assert spec.read_text().startswith("# yaml-language-server: $schema=./schema.json")


def test_list_shows_trigger_prefix_and_steps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0

    lines = capsys.readouterr().out.splitlines()
    orders = next(line for line in lines if line.startswith("orders"))
    events = next(line for line in lines if line.startswith("events"))
    assert "on arrival (≤20 files, ≤30s)" in orders and "orders/" in orders
    assert "schedule cron(0 1 * * ? *)" in events and "json gzip" in events
    assert "transform (1 own step) → validate → publish" in orders
    assert "transform → validate → publish" in events
    derived = next(line for line in lines if line.startswith("daily-revenue"))
    assert "after orders publishes" in derived and "iceberg tables" in derived


def test_rollback_on_aws_starts_the_compact_job_with_the_target(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        glue = boto3.client("glue")
        glue.create_job(
            Name="gluekit-dev-orders-compact",
            Role="arn:aws:iam::123456789012:role/job",
            Command={"Name": "glueetl", "ScriptLocation": "s3://b/compact/job.py"},
        )

        status = main(["rollback", "orders", "--to-snapshot", "4711"])

        assert status == 0
        [run] = glue.get_job_runs(JobName="gluekit-dev-orders-compact")["JobRuns"]
        assert run["Arguments"] == {"--rollback_to_snapshot": "4711"}
    assert "started gluekit-dev-orders-compact run" in capsys.readouterr().out


def test_rollback_on_aws_of_a_job_not_deployed_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():  # an account where the pipeline's stack was never deployed
        status = main(["rollback", "orders", "--to-snapshot", "4711"])

    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot start gluekit-dev-orders-compact: ")
    assert len(err.strip().splitlines()) == 1


def test_rollback_needs_exactly_one_target(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rollback", "orders", "--to-snapshot", "1", "--to-time", "2026-11-21"])
    assert "not allowed with argument" in capsys.readouterr().err
