"""The curated table: an Apache Iceberg (format v2) table, the same SQL on Glue and locally.

Only the catalog differs. On Glue the job's ``--conf`` configures ``glue_catalog`` (GlueCatalog,
S3FileIO) and the table lives at the pipeline's curated prefix. Locally a ``hadoop`` catalog on a
``file://`` warehouse under the local root is registered at run time; its name carries a hash of
the root because Spark caches a catalog by name for the life of the session, and the tests give
every test its own root in one shared session.

The first transform creates the table (``CREATE TABLE IF NOT EXISTS``) before it writes the run's
branch: Iceberg owns the table's metadata pointer and rewrites it on every commit, which a
CloudFormation-managed table would fight on each stack update; and locally it is then the same
code path as on AWS.

Partitions are hidden: the spec's ``dt`` from ``created_at`` by ``day`` becomes the partition field
``dt`` = ``days(created_at)``. There is no ``dt`` column; a filter on ``created_at`` prunes files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from gluekit_glue.config import JobConfig
from gluekit_glue.contract import LINEAGE_COLUMNS, spark_type
from gluekit_glue.evolution import contract_properties

GLUE_CATALOG = "glue_catalog"  # configured by the job's --conf (gluekit.render)
# Settings of the catalog on Glue and locally alike (gluekit.render renders Glue's --conf).
CATALOG_SETTINGS = {
    # Every statement loads the table's current metadata: a cached table would let a MERGE
    # that lost a race retry on the same stale snapshot, and a job miss another job's commit.
    "cache-enabled": "false",
}
ICEBERG_TRANSFORMS = {"day": "days", "month": "months", "year": "years", "hour": "hours"}
TABLE_PROPERTIES = {
    "format-version": "2",
    # Merge-on-read: an upsert writes the new rows and position deletes for the old ones, so a
    # replay that changes nothing rewrites no file, and the snapshot summary counts updates.
    "write.merge.mode": "merge-on-read",
    "write.update.mode": "merge-on-read",
    "write.delete.mode": "merge-on-read",
    "write.merge.isolation-level": "serializable",
    # Optimistic concurrency: a commit that loses the race is re-applied on the new metadata
    # (Iceberg's own retry) unless it conflicts, which fails the MERGE with a ValidationException.
    "commit.retry.num-retries": "10",
    "commit.retry.min-wait-ms": "200",
    "commit.retry.max-wait-ms": "30000",
    "commit.retry.total-timeout-ms": "600000",
    "write.parquet.compression-codec": "zstd",
}


@dataclass(frozen=True)
class CuratedTable:
    catalog: str
    database: str
    table: str
    location: str | None  # None: the catalog places it (hadoop: <warehouse>/<db>/<table>)

    @property
    def name(self) -> str:
        """For SQL: ``catalog.db.table``."""
        return f"{self.catalog}.{self.database}.{self.table}"

    @property
    def ident(self) -> str:
        """For procedures, which take the table without the catalog."""
        return f"{self.database}.{self.table}"


def local_catalog_name(warehouse: str) -> str:
    return "gluekit_" + hashlib.sha1(warehouse.encode()).hexdigest()[:10]


def local_warehouse(config: JobConfig, local_root: str) -> str:
    """``file://<root>/<curated bucket>/``: the table lands in ``<db>/<table>/`` beneath."""
    # An absolute path: 'file://.local/...' would name a host, not a folder.
    root = os.path.abspath(local_root)
    return f"file://{root.rstrip('/')}/{config.buckets.curated}/"


def curated_table(spark: SparkSession, config: JobConfig, local_root: str | None) -> CuratedTable:
    """The curated table of ``config``, registering the local catalog when there is a root."""
    if local_root is None:
        return CuratedTable(GLUE_CATALOG, config.database, config.table, config.curated_uri)
    warehouse = local_warehouse(config, local_root)
    name = local_catalog_name(warehouse)
    for key, value in local_catalog_settings(name, warehouse).items():
        spark.conf.set(key, value)
    return CuratedTable(name, config.database, config.table, None)


def local_catalog_settings(name: str, warehouse: str) -> dict[str, str]:
    prefix = f"spark.sql.catalog.{name}"
    shared = {f"{prefix}.{key}": value for key, value in CATALOG_SETTINGS.items()}
    return {
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.type": "hadoop",
        f"{prefix}.warehouse": warehouse,
        **shared,
    }


# ----------------------------------------------------------------------------------- create
def create_table_sql(config: JobConfig, table: CuratedTable) -> str:
    columns = [
        f"{_q(c.name)} {spark_type(c).simpleString()}"
        + ("" if c.nullable else " NOT NULL")
        + (f" COMMENT {_literal(c.description)}" if c.description else "")
        for c in config.columns
    ]
    columns += [f"{_q(name)} {kind} COMMENT {_literal(doc)}" for name, kind, doc in LINEAGE_COLUMNS]
    properties = {
        **TABLE_PROPERTIES,
        "gluekit.pipeline": config.pipeline,
        **contract_properties(config),  # what the table was built for (gluekit_glue.evolution)
    }
    props = ", ".join(f"{_literal(k)} = {_literal(v)}" for k, v in properties.items())
    location = f" LOCATION {_literal(table.location)}" if table.location else ""
    return (
        f"CREATE TABLE IF NOT EXISTS {table.name} ({', '.join(columns)}) USING iceberg"
        f"{location} TBLPROPERTIES ({props})"
    )


def partition_field_sql(config: JobConfig) -> list[str]:
    """``days(created_at) AS dt`` for each spec partition."""
    fields = []
    for partition in config.partition_by:
        source = _q(partition.from_)
        transform = ICEBERG_TRANSFORMS.get(partition.transform)
        term = f"{transform}({source})" if transform else source
        fields.append(f"{term} AS {_q(partition.name)}")
    return fields


def ensure_table(spark: SparkSession, config: JobConfig, table: CuratedTable) -> None:
    """Create the table if it is missing, then its partition spec if that is missing.

    Spark's DDL cannot name a partition field at CREATE, so the fields are added right after
    (a metadata-only commit) by whichever transform finds the spec empty. Every transform passes
    here before it cuts its branch, so no row is ever written unpartitioned; of two racing
    here, the later one finds its field added already ("duplicate partition field").
    A spec whose partition_by changed later is refused (gluekit_glue.evolution).
    """
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {table.catalog}.{table.database}")
    spark.sql(create_table_sql(config, table))
    # A breaking spec change is refused here, before any write; an allowed one evolves the table.
    from gluekit_glue.table_evolution import evolve_table  # it builds on this module

    evolve_table(spark, config, table)
    if not config.partition_by:
        return
    if not java_table(spark, table).spec().isUnpartitioned():
        return
    for field in partition_field_sql(config):
        try:
            spark.sql(f"ALTER TABLE {table.name} ADD PARTITION FIELD {field}")
        except Exception as exc:
            if "duplicate partition field" not in str(exc):
                raise


# -------------------------------------------------------------------------------- snapshots
def java_table(spark: SparkSession, table: CuratedTable) -> Any:
    """Iceberg's own Table object: metadata without planning a Spark job for it."""
    jvm: Any = spark.sparkContext._jvm
    return jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(
        spark._jsparkSession, table.name
    )


def table_properties(spark: SparkSession, table: CuratedTable) -> dict[str, str]:
    """The table's properties as they are now (Iceberg's Table object, no Spark job)."""
    return {str(k): str(v) for k, v in dict(java_table(spark, table).properties()).items()}


def at_snapshot(spark: SparkSession, table_name: str, snapshot_id: int) -> DataFrame:
    """The table ``catalog.db.table`` as snapshot ``snapshot_id`` holds it (time travel)."""
    return spark.sql(f"SELECT * FROM {table_name} VERSION AS OF {int(snapshot_id)}")


def current_snapshot(spark: SparkSession, table: CuratedTable) -> dict[str, Any] | None:
    """The snapshot ``main`` points at: id, operation, when, and the rows it changed."""
    return _facts(java_table(spark, table).currentSnapshot())


def snapshot_facts(
    spark: SparkSession, table: CuratedTable, snapshot_id: int
) -> dict[str, Any] | None:
    """As `current_snapshot`, for any snapshot still kept (a branch's head, say)."""
    return _facts(java_table(spark, table).snapshot(snapshot_id))


def _facts(snapshot: Any) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    committed = datetime.fromtimestamp(snapshot.timestampMillis() / 1000, UTC)
    return {
        "snapshot_id": str(snapshot.snapshotId()),
        "operation": str(snapshot.operation()),
        "committed_at": committed.isoformat(timespec="seconds"),
        **row_changes({str(k): str(v) for k, v in dict(snapshot.summary()).items()}),
    }


def row_changes(summary: Mapping[str, str]) -> dict[str, int]:
    """Rows added, updated and removed by one merge-on-read snapshot.

    An update writes the new row (``added-records``) and a position delete of the old one
    (``added-position-deletes``); a delete writes only the position delete, which MERGE here
    never does, so every position delete counts as an update.
    """

    def number(key: str) -> int:
        return int(summary.get(key) or 0)

    updated = number("added-position-deletes") + number("added-equality-deletes")
    return {
        "rows_added": max(number("added-records") - updated, 0),
        "rows_updated": updated,
        "rows_removed": number("deleted-records"),
    }


def timestamp_literal(moment: datetime) -> str:
    """A UTC instant as Spark SQL (the jobs' session time zone is UTC)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"TIMESTAMP '{utc.strftime('%Y-%m-%d %H:%M:%S')}'"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
