"""Specs as the jobs receive them, and curated tables as Iceberg's metadata JSON describes them
(the shape checked against a real table in tests/glue/test_evolution.py)."""

from __future__ import annotations

from typing import Any

import yaml

from gluekit.spec.models import PipelineSpec
from gluekit.table_check import job_config
from gluekit_glue.config import JobConfig
from gluekit_glue.evolution import CONTRACT_PROPERTY, VERSION_PROPERTY, Contract

PREFIX = "gluekit-dev"
COLUMNS = [
    "{name: order_id, type: string, nullable: false, description: Shop order number}",
    "{name: quantity, type: int}",
    '{name: amount, type: "decimal(12,2)"}',
    "{name: created_at, type: timestamp, nullable: false}",
]
LINEAGE = [("_source_uri", "string"), ("_ingested_at", "timestamptz"), ("_run_id", "string")]
TO_ICEBERG = {"bigint": "long", "timestamp": "timestamptz"}


def spec_text(
    columns: list[str] | None = None,
    primary_key: str = "[order_id]",
    partition_by: str = "[{name: dt, from: created_at}]",
) -> str:
    lines = "\n".join(f"    - {c}" for c in (COLUMNS if columns is None else columns))
    return (
        "name: orders\nsource: {format: csv}\ncontract:\n  columns:\n"
        f"{lines}\n  primary_key: {primary_key}\n  partition_by: {partition_by}\n"
    )


def config_of(
    columns: list[str] | None = None,
    primary_key: str = "[order_id]",
    partition_by: str = "[{name: dt, from: created_at}]",
) -> JobConfig:
    """The `--gluekit_config` of a spec with these contract parts, rendered as at synth."""
    data = yaml.safe_load(spec_text(columns, primary_key, partition_by))
    return job_config(PipelineSpec.model_validate(data), PREFIX)


def replace_column(name: str, text: str) -> list[str]:
    """COLUMNS with the one named ``name`` replaced by ``text``."""
    return [text if f"name: {name}," in c else c for c in COLUMNS]


def metadata_of(
    config: JobConfig,
    *,
    version: int | None = 1,
    record: bool = True,
    extra_fields: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Iceberg metadata JSON of the table that ``config``'s first publish creates.

    ``record=False``: a table that records no contract (``version`` None: nor a version).
    """
    fields = [
        {
            "id": index,
            "name": c.name,
            "required": not c.nullable,
            "type": iceberg_type(c.type),
            **({"doc": c.description} if c.description else {}),
        }
        for index, c in enumerate(config.columns, start=1)
    ]
    fields += extra_fields or []
    start = len(fields) + 1
    fields += [
        {"id": start + i, "name": name, "required": False, "type": kind}
        for i, (name, kind) in enumerate(LINEAGE)
    ]
    ids = {f["name"]: f["id"] for f in fields}
    properties = {"format-version": "2", "gluekit.pipeline": config.pipeline}
    if record:
        properties[CONTRACT_PROPERTY] = Contract.of(config).to_json()
    if version is not None:
        properties[VERSION_PROPERTY] = str(version)
    return {
        "format-version": 2,
        "current-schema-id": 0,
        "schemas": [{"type": "struct", "schema-id": 0, "fields": fields}],
        "default-spec-id": 1,
        "partition-specs": [
            {"spec-id": 0, "fields": []},
            {
                "spec-id": 1,
                "fields": [
                    {"name": p.name, "transform": p.transform, "source-id": ids[p.from_]}
                    for p in config.partition_by
                ],
            },
        ],
        "properties": properties,
    }


def iceberg_type(kind: str) -> str:
    if kind.startswith("decimal("):
        return kind.replace(",", ", ")  # Iceberg writes 'decimal(12, 2)'
    return TO_ICEBERG.get(kind, kind)
