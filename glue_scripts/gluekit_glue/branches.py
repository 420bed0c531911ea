"""The run's Iceberg branch of the curated table: where a run's rows wait between write and publish.

Write-audit-publish: transform cuts ``run_<run id>`` from ``main`` and MERGEs the run's rows into
it; validate audits that snapshot, the table as it will be; publish fast-forwards ``main`` to it,
one metadata-only commit. Everything here is metadata (refs and snapshots), read through
Iceberg's own Table object without planning a Spark job.

A branch is created with ``RETAIN <keep_snapshots_days> DAYS``: one that is never published (its
validation failed) is removed by the compact job's ``expire_snapshots`` with the history it
belongs to, while it stays for inspection until then.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

from gluekit_glue.config import JobConfig
from gluekit_glue.contract import RUN_ID
from gluekit_glue.iceberg import GLUE_CATALOG, CuratedTable, java_table, table_properties

MAIN = "main"
MAX_NAME = 100  # refs have no documented limit; keep SQL and console lines readable


@dataclass(frozen=True)
class BranchState:
    """A run's branch as a step left it: ``snapshot_id`` is its head; ``base_snapshot_id`` the
    snapshot of ``main`` it was cut from. Equal when the run wrote nothing on it."""

    name: str
    base_snapshot_id: int
    snapshot_id: int

    @property
    def wrote(self) -> bool:
        return self.snapshot_id != self.base_snapshot_id

    def to_json(self) -> dict[str, Any]:
        # As text: a snapshot id is a 64-bit number, beyond what JSON readers keep exactly.
        return {
            "name": self.name,
            "base_snapshot_id": str(self.base_snapshot_id),
            "snapshot_id": str(self.snapshot_id),
        }

    @classmethod
    def from_json(cls, data: Any) -> BranchState | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(str(data["name"]), int(data["base_snapshot_id"]), int(data["snapshot_id"]))
        except (KeyError, TypeError, ValueError):
            return None


def run_branch(run_id: str) -> str:
    """``run_<run id>`` with anything but letters, digits and '_' as '_' (a ref name is an SQL
    identifier here); a long id is cut and keeps a hash of itself, so two ids never share one."""
    name = "run_" + re.sub(r"[^A-Za-z0-9_]", "_", run_id)
    if len(name) <= MAX_NAME and name == "run_" + run_id:
        return name
    digest = hashlib.sha1(run_id.encode()).hexdigest()[:12]
    return f"{name[: MAX_NAME - 13]}_{digest}"


def branch_table(table: CuratedTable, branch: str) -> str:
    """The branch as an SQL table name, to MERGE into: ``catalog.db.table.`branch_<name>```."""
    return f"{table.name}.`branch_{branch}`"


def head(spark: SparkSession, table: CuratedTable, ref: str) -> int | None:
    """The snapshot ``ref`` points at; None when there is no such ref (or ``main`` before the
    first publish)."""
    found = java_table(spark, table).refs().get(ref)
    return None if found is None else int(found.snapshotId())


def parent(spark: SparkSession, table: CuratedTable, snapshot_id: int) -> int | None:
    snapshot = java_table(spark, table).snapshot(snapshot_id)
    if snapshot is None:
        return None
    value = snapshot.parentId()
    return None if value is None else int(value)


def contains(spark: SparkSession, table: CuratedTable, ref: str, snapshot_id: int) -> bool:
    """``snapshot_id`` is ``ref``'s head or one of its ancestors: what it holds is in ``ref``."""
    current = head(spark, table, ref)
    if current is None:
        return False
    jvm: Any = spark.sparkContext._jvm
    return current == snapshot_id or bool(
        jvm.org.apache.iceberg.util.SnapshotUtil.isAncestorOf(
            java_table(spark, table), current, snapshot_id
        )
    )


def changes_nothing(spark: SparkSession, table: CuratedTable, snapshot_id: int) -> bool:
    """The snapshot adds and removes no file: a MERGE in which no row was newer still commits
    one, and publishing it would only add an empty snapshot to ``main``."""
    snapshot = java_table(spark, table).snapshot(snapshot_id)
    summary = {str(k): str(v) for k, v in dict(snapshot.summary()).items()}
    touched = (
        "added-data-files",
        "removed-data-files",
        "added-delete-files",
        "removed-delete-files",
    )
    return all(int(summary.get(key) or 0) == 0 for key in touched)


def cut(spark: SparkSession, table: CuratedTable, branch: str, retain_days: int) -> int:
    """(Re)create ``branch`` at main's current snapshot, whatever it held; its new head.

    On a table that has no snapshot yet, Iceberg starts the branch from an empty one.
    """
    spark.sql(
        f"ALTER TABLE {table.name} CREATE OR REPLACE BRANCH `{branch}` RETAIN {retain_days} DAYS"
    )
    created = head(spark, table, branch)
    assert created is not None  # just created
    return created


def point(spark: SparkSession, table: CuratedTable, branch: str, snapshot_id: int) -> None:
    """Move ``branch`` to ``snapshot_id`` (a metadata-only commit)."""
    spark.sql(f"ALTER TABLE {table.name} REPLACE BRANCH `{branch}` AS OF VERSION {snapshot_id}")


def drop(spark: SparkSession, table: CuratedTable, branch: str) -> None:
    spark.sql(f"ALTER TABLE {table.name} DROP BRANCH IF EXISTS `{branch}`")


def fast_forward(
    spark: SparkSession,
    table: CuratedTable,
    branch: str,
    properties: Mapping[str, str] | None = None,
) -> None:
    """``main`` := ``branch``, atomically; Iceberg refuses unless main is an ancestor of it.

    With ``properties`` (a derived pipeline's upstream positions) the fast-forward and the
    properties are one Iceberg transaction: one metadata commit, both or neither.
    """
    if not properties:
        spark.sql(
            f"CALL {table.catalog}.system.fast_forward('{table.ident}', '{MAIN}', '{branch}')"
        )
        return
    transaction = java_table(spark, table).newTransaction()
    transaction.manageSnapshots().fastForwardBranch(MAIN, branch).commit()
    update = transaction.updateProperties()
    for key, value in properties.items():
        update.set(key, value)
    update.commit()
    transaction.commitTransaction()


def set_properties(spark: SparkSession, table: CuratedTable, values: Mapping[str, str]) -> None:
    """Table properties alone, one metadata commit (no snapshot); none when nothing changes."""
    current = table_properties(spark, table)
    if all(current.get(key) == value for key, value in values.items()):
        return
    update = java_table(spark, table).updateProperties()
    for key, value in values.items():
        update.set(key, value)
    update.commit()


def remove_properties(spark: SparkSession, table: CuratedTable, keys: Sequence[str]) -> None:
    current = table_properties(spark, table)
    present = [key for key in keys if key in current]
    if not present:
        return
    update = java_table(spark, table).updateProperties()
    for key in present:
        update.remove(key)
    update.commit()


def how_to_query(
    config: JobConfig, state: BranchState, run_id: str, *, local_root: str | None
) -> dict[str, str]:
    """Commands that show the run's rows on its branch, for the report and the alert; a local
    run's (``local_root``: the local runner's ``<workdir>/s3``) through ``gluekit local query``."""
    where = f"WHERE {RUN_ID} = '{run_id}'"
    if local_root is not None:
        workdir = os.path.dirname(os.path.abspath(local_root).rstrip("/"))
        return {
            "local": (
                f"gluekit local query {config.pipeline} --version {state.name} "
                f'"SELECT * FROM {config.table} {where}" --workdir {workdir}'
            )
        }
    return {
        "athena": (
            f'SELECT * FROM "{config.database}"."{config.table}" '
            f"FOR VERSION AS OF {state.snapshot_id} {where}"
        ),
        "spark": (
            f"SELECT * FROM {GLUE_CATALOG}.{config.database}.{config.table} "
            f"VERSION AS OF '{state.name}' {where}"
        ),
    }
