"""The `gluekit` command: validate, schema, list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gluekit.cli import SCHEMA_FILE, main


def test_validate_passes_on_the_example_pipelines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    assert "2 pipeline spec(s) valid" in capsys.readouterr().out


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
    assert {"name", "source", "contract"} <= set(schema["required"])


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
    assert "transform → validate → publish" in orders
