"""``gluekit validate --against-deployed | --against-local WORKDIR``: each spec against its table.

The spec's contract is compared with the one the curated table records (``gluekit_glue.evolution``,
the same logic the publish job applies before it writes). Where the record is read from:

- deployed: Iceberg's GlueCatalog keeps only ``table_type`` and ``metadata_location`` in the Glue
  table's parameters, not the Iceberg table properties, so the record is read from the metadata
  JSON that ``metadata_location`` names (glue:GetTable, then s3:GetObject on the curated bucket);
- local: the hadoop catalog's current ``v<N>.metadata.json`` under the local runs' workdir.

No table yet means nothing to compare: the first run creates it with the spec's contract.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gluekit.local.query import curated_dir, current_metadata
from gluekit.naming import FoundationNames
from gluekit.render import glue_job_config
from gluekit.spec import LoadedSpec, PipelineSpec
from gluekit_glue.config import JobConfig, parse_config
from gluekit_glue.evolution import SchemaEvolutionError, TableState, plan, refusal_message

# The contract and the table's database and name depend on neither account nor region.
PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION = "000000000000", "us-east-1"
S3_SCHEMES = ("s3://", "s3a://", "s3n://")

Metadata = Mapping[str, Any]


class TableReadError(RuntimeError):
    """The table's metadata could not be read: one line naming the table and the cause.

    ``for_all``: the cause (no credentials, no region) stops every other table being read too.
    """

    def __init__(self, message: str, *, for_all: bool = False) -> None:
        super().__init__(message)
        self.for_all = for_all


@dataclass(frozen=True)
class TableCheck:
    pipeline: str
    line: str
    refused: bool = False


def job_config(spec: PipelineSpec, prefix: str) -> JobConfig:
    """The configuration the Glue jobs receive for ``spec``, rendered as at synth."""
    foundation = FoundationNames(prefix, PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION)
    return parse_config(glue_job_config(spec, foundation))


def check(config: JobConfig, metadata: Metadata | None) -> TableCheck:
    """What the next run would do to the table (``metadata`` None: there is none yet)."""
    table = f"{config.database}.{config.table}"
    if metadata is None:
        return TableCheck(
            config.pipeline, f"{table}: no table yet; the first run creates it from the spec"
        )
    try:
        state = TableState.from_metadata(metadata)
    except SchemaEvolutionError as exc:
        return TableCheck(config.pipeline, f"{table}: {exc}", refused=True)
    evolution = plan(config, state)
    if evolution.breaking:
        return TableCheck(
            config.pipeline, refusal_message(config.pipeline, table, state, evolution), True
        )
    if state.recorded is None:
        return TableCheck(
            config.pipeline,
            f"{table} records no contract; against its own schema: {evolution.describe()}. "
            f"The next run records the spec's contract as v{state.version + 1}",
        )
    if not evolution.changes:
        return TableCheck(config.pipeline, f"{table} matches its contract v{state.version}")
    return TableCheck(
        config.pipeline,
        f"{table} (contract v{state.version}) evolves on the next run to "
        f"v{state.version + 1}: {evolution.describe()}",
    )


# --------------------------------------------------------------------------------- reading
def local_metadata(spec: PipelineSpec, prefix: str, workdir: Path) -> Metadata | None:
    metadata = current_metadata(curated_dir(spec, prefix, workdir))
    if metadata is None:
        return None
    return dict(json.loads(metadata.read_text(encoding="utf-8")))


def deployed_metadata(glue: Any, s3: Any, database: str, table: str) -> Metadata | None:
    try:
        response = glue.get_table(DatabaseName=database, Name=table)
    except glue.exceptions.EntityNotFoundException:  # no table, or no database, yet
        return None
    parameters = response["Table"].get("Parameters") or {}
    location = parameters.get("metadata_location", "")
    if parameters.get("table_type", "").upper() != "ICEBERG" or not location.startswith(S3_SCHEMES):
        raise TableReadError(
            f"{database}.{table} is not an Iceberg table (its Glue parameters name no "
            "metadata_location); was it created outside gluekit?"
        )
    bucket, _, key = location.split("://", 1)[1].partition("/")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if body[:2] == b"\x1f\x8b":  # write.metadata.compression-codec=gzip
        body = gzip.decompress(body)
    return dict(json.loads(body))


# ------------------------------------------------------------------------------------ CLI
def compare_tables(
    loaded: Sequence[LoadedSpec],
    prefix: str,
    read: Callable[[JobConfig, PipelineSpec], Metadata | None],
    where: str,
) -> int:
    """Print one line per spec; 1 when a spec is refused or a table could not be read."""
    print(f"curated tables ({where}):")
    failed = False
    for item in loaded:
        config = job_config(item.spec, prefix)
        try:
            result = check(config, read(config, item.spec))
        except TableReadError as exc:
            if exc.for_all:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            result = TableCheck(config.pipeline, str(exc), refused=True)
        if result.refused:
            failed = True
            print(f"error: {item.path}: {result.line}", file=sys.stderr)
        else:
            print(f"  {result.pipeline}: {result.line}")
    return 1 if failed else 0


def local_reader(
    prefix: str, workdir: Path
) -> Callable[[JobConfig, PipelineSpec], Metadata | None]:
    return lambda _config, spec: local_metadata(spec, prefix, workdir)


def deployed_reader(region: str | None) -> Callable[[JobConfig, PipelineSpec], Metadata | None]:
    """Reads through boto3 (clients made on first use); an AWS error becomes `TableReadError`."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    clients: dict[str, Any] = {}

    def read(config: JobConfig, _spec: PipelineSpec) -> Metadata | None:
        table = f"{config.database}.{config.table}"
        try:
            if not clients:
                clients["glue"] = boto3.client("glue", region_name=region)
                clients["s3"] = boto3.client("s3", region_name=region)
            return deployed_metadata(clients["glue"], clients["s3"], config.database, config.table)
        except NoRegionError:
            raise TableReadError(
                "cannot read the deployed tables: no AWS region; set AWS_DEFAULT_REGION, or "
                "region: in environments.yaml",
                for_all=True,
            ) from None
        except BotoCoreError as exc:  # no credentials, no network
            raise TableReadError(f"cannot read the deployed tables: {exc}", for_all=True) from None
        except ClientError as exc:  # access denied, throttled
            raise TableReadError(
                f"cannot read the deployed table {table}: {exc} (reading it needs glue:GetTable "
                "on the table, and s3:GetObject and kms:Decrypt on its metadata files)"
            ) from None

    return read
