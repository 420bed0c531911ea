"""The unique_key rule: key values that repeat in the curated table as it will be after publish.

It counts repeats over every row of the audited snapshot of the run's branch (the table after
this run's MERGE), whatever the columns. For the primary key a repeat cannot come from the kit
(transform keeps one row per key and the MERGE replaces a key's row wherever it is), so it means
the table already held a duplicate: a write that bypassed the kit, or a contract whose key
changed.
"""

from __future__ import annotations

import json
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluekit_glue.rule_config import UniqueKeyRule
from gluekit_glue.rule_results import MAX_OFFENDING_ROWS, RuleResult, result


def unique_key(rule: UniqueKeyRule, table: DataFrame) -> RuleResult:
    columns = list(rule.columns)
    duplicates = (
        table.groupBy(*columns).agg(F.count(F.lit(1)).alias("rows")).filter(F.col("rows") > 1)
    )
    totals = duplicates.agg(F.count(F.lit(1)).alias("keys"), F.sum("rows").alias("rows")).first()
    keys = int(totals["keys"]) if totals is not None else 0
    rows = int(totals["rows"] or 0) if totals is not None else 0
    message = (
        f"{keys:,} key value(s) of ({', '.join(columns)}) repeat in the table as it will be "
        "after publish"
    )
    if keys:
        message += f" ({rows:,} rows)"
    return result(
        rule,
        ",".join(columns),
        failed=keys > 0,
        observed={"repeated_keys": keys, "rows": rows},
        threshold=0,
        message=message,
        offending=_json_rows(duplicates.orderBy(*columns)) if keys else [],
    )


def _json_rows(frame: DataFrame) -> list[dict[str, Any]]:
    rows = (
        frame.select(F.to_json(F.struct("*"), {"ignoreNullFields": "false"}))
        .limit(MAX_OFFENDING_ROWS)
        .collect()
    )
    return [json.loads(r[0]) for r in rows]
