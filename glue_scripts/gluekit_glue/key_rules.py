"""The unique_key rule: which rows would hold the same key once this run is published.

Transform keeps one row per primary key, so the staged rows of a run can never repeat it; what
can still break uniqueness is publish, which rewrites only the partitions a run touches: a key
whose row moved to another partition (its date changed) would stay in the old one as well. So
for the primary key the rule compares the run's keys with the curated rows in partitions the run
does not rewrite. For other columns it counts repeats among the run's staged rows. Rows already
in the table are not re-checked (that needs a table-wide read; Iceberg curated tables will make
it cheap).
"""

from __future__ import annotations

import json
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluekit_glue.config import JobConfig, UniqueKeyRule
from gluekit_glue.rule_results import MAX_OFFENDING_ROWS, RuleResult, not_measured, result


def unique_key(
    rule: UniqueKeyRule, frame: DataFrame, config: JobConfig, curated: DataFrame | None
) -> RuleResult:
    columns = list(rule.columns)
    label = ",".join(columns)
    shown = ", ".join(columns)
    repeated_keys, repeated_rows, offending = _repeats(frame, columns)
    within = f"{repeated_keys:,} key value(s) of ({shown}) repeat among the run's staged rows"
    if repeated_keys:
        within += f" ({repeated_rows:,} rows)"
    if set(columns) != set(config.primary_key):
        return result(
            rule,
            label,
            failed=repeated_keys > 0,
            observed={"repeated_keys": repeated_keys, "rows": repeated_rows},
            threshold=0,
            message=within,
            offending=offending,
        )
    if not config.partition_by:
        return not_measured(
            rule,
            label,
            0,
            "transform keeps one row per primary key and publish upserts the whole table on "
            "it, so no run can repeat a key; the duplicate_keys rule judges what transform "
            "dropped",
        )
    clashes, examples = _clashes_with_curated(frame, columns, config, curated)
    message = (
        f"{clashes:,} key value(s) of ({shown}) in this run are also in curated partitions the "
        "run does not rewrite (publish would keep both rows)"
    )
    if curated is None:
        message += " (no curated data yet)"
    return result(
        rule,
        label,
        failed=clashes > 0 or repeated_keys > 0,
        observed={"keys_in_other_partitions": clashes, "repeated_keys": repeated_keys},
        threshold=0,
        message=f"{message}; {within}",
        offending=(examples + offending)[:MAX_OFFENDING_ROWS],
    )


def _repeats(frame: DataFrame, columns: list[str]) -> tuple[int, int, list[dict[str, Any]]]:
    duplicates = (
        frame.groupBy(*columns).agg(F.count(F.lit(1)).alias("rows")).filter(F.col("rows") > 1)
    )
    totals = duplicates.agg(F.count(F.lit(1)).alias("keys"), F.sum("rows").alias("rows")).first()
    keys = int(totals["keys"]) if totals is not None else 0
    rows = int(totals["rows"] or 0) if totals is not None else 0
    return keys, rows, _json_rows(duplicates.orderBy(*columns)) if keys else []


def _clashes_with_curated(
    frame: DataFrame, columns: list[str], config: JobConfig, curated: DataFrame | None
) -> tuple[int, list[dict[str, Any]]]:
    if curated is None:
        return 0, []
    parts = list(config.partition_names)
    touched = frame.select(*parts).distinct()
    untouched = curated.select(*columns, *parts).join(touched, parts, "left_anti")
    run_keys = frame.select(*columns, *[F.col(p).alias(f"run_{p}") for p in parts])
    clashes = untouched.select(*columns, *[F.col(p).alias(f"curated_{p}") for p in parts]).join(
        run_keys, columns, "inner"
    )
    count = clashes.select(*columns).distinct().count()
    return count, _json_rows(clashes.orderBy(*columns)) if count else []


def _json_rows(frame: DataFrame) -> list[dict[str, Any]]:
    rows = (
        frame.select(F.to_json(F.struct("*"), {"ignoreNullFields": "false"}))
        .limit(MAX_OFFENDING_ROWS)
        .collect()
    )
    return [json.loads(r[0]) for r in rows]
