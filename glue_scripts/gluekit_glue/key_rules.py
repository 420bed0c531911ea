"""The unique_key rule: which rows hold the same key in the table as it will be after publish.

Transform keeps one row per primary key and publish MERGEs the run into the curated Iceberg
table on that key, replacing the rows of matched keys wherever they are. So for the primary key
the rule counts repeats among the curated table's rows whose keys this run does not replace,
plus the run's own rows: a repeat there means the table already holds a duplicate (a write that
bypassed the kit, a spec whose key changed). For other columns it counts repeats among the run's
staged rows only.
"""

from __future__ import annotations

import json
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluekit_glue.config import JobConfig, UniqueKeyRule
from gluekit_glue.rule_results import MAX_OFFENDING_ROWS, RuleResult, result


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
    clashes, examples = _repeats_after_merge(frame, columns, curated)
    message = (
        f"{clashes:,} key value(s) of ({shown}) repeat in the curated table as it will be "
        "after this run's merge"
    )
    if curated is None:
        message += " (no curated table yet)"
    return result(
        rule,
        label,
        failed=clashes > 0 or repeated_keys > 0,
        observed={"repeated_keys_after_merge": clashes, "repeated_keys_in_run": repeated_keys},
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


def _repeats_after_merge(
    frame: DataFrame, columns: list[str], curated: DataFrame | None
) -> tuple[int, list[dict[str, Any]]]:
    if curated is None:
        return 0, []
    run_keys = frame.select(*columns)
    kept = curated.select(*columns).join(run_keys.distinct(), columns, "left_anti")
    keys, _, examples = _repeats(kept.unionByName(run_keys), columns)
    return keys, examples


def _json_rows(frame: DataFrame) -> list[dict[str, Any]]:
    rows = (
        frame.select(F.to_json(F.struct("*"), {"ignoreNullFields": "false"}))
        .limit(MAX_OFFENDING_ROWS)
        .collect()
    )
    return [json.loads(r[0]) for r in rows]
