"""The upsert of a run's rows into the curated table (or a branch of it): one ``MERGE INTO``.

- On the primary key across the whole table: a key whose partition changed is moved, not kept
  twice. A row replaces the table's only when it is newer by ``order_by``, then by ingested-at
  (the object version's arrival): merging an older batch, or the same one, changes nothing.
- Without a primary key, an object version already in the table (by the lineage columns) is not
  appended again.
- One MERGE is one Iceberg commit. Iceberg retries a commit that lost the race (table properties
  ``commit.retry.*``); a conflicting one (another writer rewrote files this MERGE read) fails with
  a ValidationException, and the MERGE is run again on the new table, which is safe because it is
  idempotent.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gluekit_glue.config import JobConfig
from gluekit_glue.contract import INGESTED_AT, LINEAGE_COLUMNS, RUN_ID, SOURCE_URI, SOURCE_VERSION
from gluekit_glue.errors import describe_error

log = logging.getLogger("gluekit_glue")

MERGE_ATTEMPTS = 4
# What a lost optimistic commit looks like from Spark: a conflict Iceberg found when validating
# the commit against the newer table, or its own retries running out.
CONFLICTS = ("ValidationException", "CommitFailedException", "CommitStateUnknownException")


class MergeLostRaces(RuntimeError):
    """The MERGE conflicted with concurrent commits on every attempt."""


def merge_source(staged: DataFrame, config: JobConfig, run_id: str) -> DataFrame:
    """The table's columns, in its order: contract columns, then lineage with this run's id."""
    lineage = [F.col(name) for name, _, _ in LINEAGE_COLUMNS if name != RUN_ID]
    return staged.select(
        *[F.col(c.name) for c in config.columns], *lineage, F.lit(run_id).alias(RUN_ID)
    )


def merge_sql(config: JobConfig, target: str, source: str) -> str:
    """MERGE the rows of ``source`` into ``target`` (a table, or ``<table>.`branch_<name>```)."""
    if not config.primary_key:
        # One object version's rows arrive together or not at all (one commit per run), so
        # "this version is already in the table" is "each of its rows is".
        on = " AND ".join(f"t.{c} <=> s.{c}" for c in (SOURCE_URI, SOURCE_VERSION))
        return (
            f"MERGE INTO {target} t USING {source} s ON {on} "
            f"AND t.{INGESTED_AT} <=> s.{INGESTED_AT} WHEN NOT MATCHED THEN INSERT *"
        )
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in config.primary_key)
    # A derived pipeline's rows are recomputed from newer upstream data, one run at a time:
    # the latest computation of a key replaces the one before, whatever its values.
    newer = "TRUE" if config.upstreams else newer_condition(config.order_by)
    return (
        f"MERGE INTO {target} t USING {source} s ON {on} "
        f"WHEN MATCHED AND ({newer}) THEN UPDATE SET * "
        f"WHEN NOT MATCHED THEN INSERT *"
    )


def newer_condition(order_by: str | None) -> str:
    """The incoming row s is newer than the table's row t: greater ``order_by`` (a null is
    older than any value), then a later ingested-at. A tie keeps the table's row."""
    s_at, t_at = f"s.{INGESTED_AT}", f"t.{INGESTED_AT}"
    ingested = f"{s_at} > {t_at} OR ({s_at} IS NOT NULL AND {t_at} IS NULL)"
    if order_by is None:
        return ingested
    o = f"`{order_by}`"
    return (
        f"(s.{o} > t.{o}) OR (s.{o} IS NOT NULL AND t.{o} IS NULL) "
        f"OR ((s.{o} <=> t.{o}) AND ({ingested}))"
    )


def merge_with_retry(spark: SparkSession, sql: str, source: DataFrame) -> int:
    """Run the MERGE, again on the new table when a concurrent commit conflicted with it; the
    number of attempts it took.

    ``{source}`` in ``sql`` names ``source`` through a view of its own: concurrent merges in one
    session never read each other's rows.
    """
    for attempt in range(1, MERGE_ATTEMPTS + 1):
        try:
            spark.sql(sql, source=source)
            return attempt
        except Exception as exc:
            problem = describe_error(exc)
            if not any(kind in problem or kind in str(exc) for kind in CONFLICTS):
                raise
            if attempt == MERGE_ATTEMPTS:
                raise MergeLostRaces(
                    f"the MERGE lost {attempt} races with concurrent commits ({problem})"
                ) from exc
            log.warning("MERGE conflicted with a concurrent commit, running it again: %s", problem)
    raise AssertionError("unreachable")
