"""`gluekit validate --against-local / --against-deployed`: specs against their curated tables."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError
from moto import mock_aws

from gluekit.cli import main
from gluekit.local.query import curated_dir
from gluekit.spec import load_spec_file
from tests.unit.spec.evolution_fixtures import (
    COLUMNS,
    PREFIX,
    config_of,
    metadata_of,
    replace_column,
    spec_text,
)

DATABASE, TABLE = "gluekit_dev", "orders"
METADATA_BUCKET = "gluekit-dev-curated-123456789012-us-east-1"
TO_NARROW = replace_column("amount", '{name: amount, type: "decimal(10,2)"}')


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    return folder


def write_spec(folder: Path, columns: list[str] | None = None) -> Path:
    path = folder / "orders.yaml"
    path.write_text(spec_text(columns))
    return path


def local_table(workdir: Path, specs: Path, metadata: dict[str, Any]) -> None:
    """The table a local run leaves: the hadoop catalog's metadata file and version hint."""
    spec = load_spec_file(write_spec(specs), PREFIX).spec
    folder = curated_dir(spec, PREFIX, workdir) / "metadata"
    folder.mkdir(parents=True)
    (folder / "v3.metadata.json").write_text(json.dumps(metadata))
    (folder / "version-hint.text").write_text("3\n")


def validate(*args: str) -> int:
    return main(["validate", *args])


# ------------------------------------------------------------------------------------ local
def test_without_an_option_no_table_is_read_and_the_output_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert validate() == 0
    assert "curated tables not compared: add --against-deployed or --against-local WORKDIR" in (
        capsys.readouterr().out
    )


def test_a_local_table_that_matches_the_spec_passes(
    specs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local_table(tmp_path / "work", specs, metadata_of(config_of(), version=2))

    assert validate("--pipelines-dir", str(specs), "--against-local", str(tmp_path / "work")) == 0

    out = capsys.readouterr().out
    assert f"curated tables (local runs under {tmp_path / 'work'}):" in out
    assert "  orders: gluekit_dev.orders matches its contract v2" in out


def test_an_allowed_change_is_shown_as_what_the_next_run_does(
    specs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local_table(tmp_path / "work", specs, metadata_of(config_of()))
    write_spec(specs, [*COLUMNS, "{name: note, type: string}"])

    assert validate("--pipelines-dir", str(specs), "--against-local", str(tmp_path / "work")) == 0

    assert (
        "orders: gluekit_dev.orders (contract v1) evolves on the next run to v2: adds column "
        "note (string)"
    ) in capsys.readouterr().out


def test_a_breaking_change_fails_validate_with_the_jobs_message(
    specs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local_table(tmp_path / "work", specs, metadata_of(config_of()))
    path = write_spec(specs, TO_NARROW)

    assert validate("--pipelines-dir", str(specs), "--against-local", str(tmp_path / "work")) == 1

    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {path}: orders: the spec breaks the curated table ")
    assert "column 'amount' changes type from decimal(12,2) to decimal(10,2)" in line
    assert "migrate this table explicitly" in line


def test_a_table_without_a_record_is_compared_with_its_schema(
    specs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local_table(tmp_path / "work", specs, metadata_of(config_of(), record=False, version=None))

    assert validate("--pipelines-dir", str(specs), "--against-local", str(tmp_path / "work")) == 0

    assert (
        "gluekit_dev.orders records no contract; against its own schema: no change. The next "
        "run records the spec's contract as v1"
    ) in capsys.readouterr().out


def test_no_local_table_yet_is_nothing_to_compare(
    specs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(specs)
    assert validate("--pipelines-dir", str(specs), "--against-local", str(tmp_path / "none")) == 0
    assert "gluekit_dev.orders: no table yet; the first run creates it" in (capsys.readouterr().out)


# --------------------------------------------------------------------------------- deployed
def deployed_table(metadata: dict[str, Any] | None, *, compress: bool = False) -> None:
    """What Iceberg's GlueCatalog leaves: a Glue table whose parameters name the metadata file
    (the Iceberg table properties stay in that file)."""
    glue, s3 = boto3.client("glue"), boto3.client("s3")
    glue.create_database(DatabaseInput={"Name": DATABASE})
    parameters = {"table_type": "HIVE"}
    if metadata is not None:
        key = f"orders/metadata/00003-0a.{'gz.' if compress else ''}metadata.json"
        body = json.dumps(metadata).encode()
        s3.create_bucket(Bucket=METADATA_BUCKET)
        s3.put_object(
            Bucket=METADATA_BUCKET, Key=key, Body=gzip.compress(body) if compress else body
        )
        parameters = {"table_type": "ICEBERG", "metadata_location": f"s3://{METADATA_BUCKET}/{key}"}
    glue.create_table(DatabaseName=DATABASE, TableInput={"Name": TABLE, "Parameters": parameters})


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_deployed_table_is_read_through_its_metadata_location(
    specs: Path, compress: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_spec(specs, TO_NARROW)
    with mock_aws():
        deployed_table(metadata_of(config_of(), version=5), compress=compress)

        status = validate("--pipelines-dir", str(specs), "--against-deployed")

    assert status == 1
    captured = capsys.readouterr()
    assert "curated tables (deployed, environment dev):" in captured.out
    assert captured.err.startswith(f"error: {path}: orders: the spec breaks the curated table")
    assert "compared with its recorded contract v5" in captured.err


def test_no_deployed_table_yet_is_nothing_to_compare(
    specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(specs)
    with mock_aws():  # not even the database: the foundation is not deployed
        assert validate("--pipelines-dir", str(specs), "--against-deployed") == 0
    assert "orders: gluekit_dev.orders: no table yet" in capsys.readouterr().out


def test_a_deployed_table_that_is_no_iceberg_table_is_an_error(
    specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(specs)
    with mock_aws():
        deployed_table(None)
        assert validate("--pipelines-dir", str(specs), "--against-deployed") == 1
    assert "gluekit_dev.orders is not an Iceberg table" in capsys.readouterr().err


class FailingClient:
    """A Glue client whose every call fails with ``error``."""

    def __init__(self, error: Exception, exceptions: Any) -> None:
        self.error, self.exceptions = error, exceptions

    def get_table(self, **_: Any) -> Any:
        raise self.error


def fail_aws_with(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    exceptions = boto3.client("glue").exceptions
    monkeypatch.setattr(boto3, "client", lambda *_a, **_k: FailingClient(error, exceptions))


def test_without_credentials_validate_says_so_once(
    specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(specs)
    (specs / "other.yaml").write_text(spec_text().replace("name: orders", "name: other", 1))
    fail_aws_with(monkeypatch, NoCredentialsError())

    assert validate("--pipelines-dir", str(specs), "--against-deployed") == 1

    err = capsys.readouterr().err
    assert err == "error: cannot read the deployed tables: Unable to locate credentials\n"


def test_access_denied_names_the_permissions_reading_needs(
    specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(specs)
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetTable")
    fail_aws_with(monkeypatch, denied)

    assert validate("--pipelines-dir", str(specs), "--against-deployed") == 1

    [line] = capsys.readouterr().err.strip().splitlines()
    assert "cannot read the deployed table gluekit_dev.orders: An error occurred" in line
    assert "glue:GetTable on the table, and s3:GetObject and kms:Decrypt" in line


def test_without_a_region_validate_says_where_to_set_one(
    specs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(specs)

    def no_region(*_a: Any, **_k: Any) -> Any:
        raise NoRegionError()

    monkeypatch.setattr(boto3, "client", no_region)

    assert validate("--pipelines-dir", str(specs), "--against-deployed") == 1

    assert capsys.readouterr().err == (
        "error: cannot read the deployed tables: no AWS region; set AWS_DEFAULT_REGION, or "
        "region: in environments.yaml\n"
    )
