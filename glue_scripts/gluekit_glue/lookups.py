"""The tables the steps may join (spec ``lookups``), found in the catalog the job runs against.

On Glue, another pipeline's curated table and an Iceberg catalog table are read through the
job's Iceberg catalog (``glue_catalog``, a GlueCatalog); a Hive-style catalog table (Parquet, CSV
or JSON files, as crawlers and Athena create them) through Spark's session catalog, which
``--enable-glue-datacatalog`` makes the Glue Data Catalog. Locally every lookup is a table of
the local Iceberg catalog (`iceberg.curated_table`): a pipeline run in the same workdir
publishes there, so ``gluekit local run orders`` before ``gluekit local run customers`` gives
customers its orders.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import DataFrame, SparkSession

from gluekit_glue.config import JobConfig
from gluekit_glue.iceberg import GLUE_CATALOG, at_snapshot, curated_table
from gluekit_glue.step_config import LookupConfig

SESSION_CATALOG = "spark_catalog"


class LookupMissing(LookupError):
    """A lookup's table does not exist (yet)."""


def lookup_table_name(lookup: LookupConfig, catalog: str, *, local: bool) -> str:
    """``catalog.database.table`` of a lookup; ``catalog`` is the curated table's catalog."""
    if local or lookup.format == "iceberg":
        chosen = catalog if local else GLUE_CATALOG
    else:
        chosen = SESSION_CATALOG
    # Database and table names are letters, digits and '_' (the spec checks): no quoting.
    return f"{chosen}.{lookup.database}.{lookup.table}"


def read_lookups(
    spark: SparkSession,
    config: JobConfig,
    local_root: str | None,
    snapshots: Mapping[str, int] | None = None,
) -> dict[str, DataFrame]:
    """Each lookup by its name, as a DataFrame (a plan: nothing is read until a step uses it);
    a table named in ``snapshots`` is read at that snapshot (time travel)."""
    if not config.logic.lookups:
        return {}
    catalog = curated_table(spark, config, local_root).catalog
    frames = {}
    for lookup in config.logic.lookups:
        name = lookup_table_name(lookup, catalog, local=local_root is not None)
        if not spark.catalog.tableExists(name):
            where = "the local catalog" if local_root is not None else "the Data Catalog"
            raise LookupMissing(
                f"lookups: '{lookup.name}' reads {lookup.database}.{lookup.table}, which is not "
                f"in {where} (a pipeline's table exists once it has published)"
            )
        pinned = (snapshots or {}).get(name)
        if pinned is not None:
            frames[lookup.name] = at_snapshot(spark, name, pinned)
        else:
            frames[lookup.name] = spark.table(name)
    return frames
