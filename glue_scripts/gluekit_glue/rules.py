"""Dataset rules of the validate job, evaluated on the run's branch: the table as it will be.

Null rates, ranges, accepted values and freshness come from ONE aggregate over the run's rows on
the branch (those it inserted or updated: what it publishes, `audit`); unique keys
(`key_rules`) and partition completeness (`partition_rules`) judge the whole table as it will
be, one grouping each; offending example rows are fetched only for rules that failed. The rules
on what transform counted (row_count, reject_rate, duplicate_keys) read its step summary
(`run_rules`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from gluekit_glue.audit import AuditView
from gluekit_glue.config import JobConfig
from gluekit_glue.key_rules import unique_key
from gluekit_glue.partition_rules import partition_completeness
from gluekit_glue.rule_config import (
    AcceptedValuesRule,
    DuplicateKeysRule,
    FreshnessRule,
    NullRateRule,
    PartitionCompletenessRule,
    RangeRule,
    RejectRateRule,
    RowCountRule,
    Rule,
    UniqueKeyRule,
)
from gluekit_glue.rule_results import (
    MAX_OFFENDING_ROWS,
    RuleResult,
    report_status,
    result,
    summary_text,
)
from gluekit_glue.run_rules import duplicate_keys, reject_rate, row_count

__all__ = ["RuleResult", "evaluate_rules", "report_status", "summary_text"]


def evaluate_rules(
    view: AuditView,
    config: JobConfig,
    now: datetime,
    *,
    transform: Mapping[str, Any] | None = None,
) -> tuple[int, list[RuleResult]]:
    """(the run's rows on the branch, one result per rule in the config's order).

    ``view`` is the audited snapshot of the run's branch; ``transform`` the run's transform step
    summary (for the rules on what transform counted, rejected or dropped).
    """
    rules = config.validation
    frame = view.run_rows
    aggregates: list[Column] = [F.count(F.lit(1)).alias("rows")]
    for index, rule in enumerate(rules):
        aggregates += _aggregates(index, rule, config)
    totals = frame.agg(*aggregates).first()
    stats: dict[str, Any] = totals.asDict() if totals is not None else {"rows": 0}
    rows = int(stats["rows"])
    results = []
    for index, rule in enumerate(rules):
        if isinstance(rule, RowCountRule):
            results.append(row_count(rule, transform, rows))
        elif isinstance(rule, RejectRateRule):
            results.append(reject_rate(rule, transform))
        elif isinstance(rule, DuplicateKeysRule):
            results.append(duplicate_keys(rule, config, transform))
        elif isinstance(rule, UniqueKeyRule):
            results.append(unique_key(rule, view.table))
        elif isinstance(rule, PartitionCompletenessRule):
            results.append(partition_completeness(rule, view))
        else:
            results.append(_evaluate(index, rule, frame, config, stats, now))
    return rows, results


# ------------------------------------------------------------------------------- aggregates
def _aggregates(index: int, rule: Rule, config: JobConfig) -> list[Column]:
    key = f"r{index}"
    if isinstance(rule, NullRateRule):
        return [_count_where(F.col(rule.column).isNull()).alias(f"{key}_nulls")]
    if isinstance(rule, AcceptedValuesRule):
        return [_count_where(_not_accepted(rule)).alias(f"{key}_bad")]
    if isinstance(rule, FreshnessRule):
        return [F.max(_epoch_seconds(rule.column, config)).alias(f"{key}_newest")]
    if isinstance(rule, RangeRule):
        column = F.col(rule.column)
        low, high = _range_bounds(rule, config)
        below = _count_where(column < low) if low is not None else F.lit(0)
        above = _count_where(column > high) if high is not None else F.lit(0)
        observed = column.cast("string") if config.column(rule.column).is_temporal else column
        return [
            below.alias(f"{key}_below"),
            above.alias(f"{key}_above"),
            F.min(observed).alias(f"{key}_min"),
            F.max(observed).alias(f"{key}_max"),
        ]
    return []


def _count_where(condition: Column) -> Column:
    return F.sum(F.when(condition, 1).otherwise(0))


def _not_accepted(rule: AcceptedValuesRule) -> Column:
    # Nulls are the null_rate rule's business, not this one's.
    column = F.col(rule.column)
    return column.isNotNull() & ~column.isin(list(rule.values))


def _epoch_seconds(name: str, config: JobConfig) -> Column:
    seconds = F.col(name).cast("timestamp").cast("double")
    if config.column(name).type == "date":
        # A date is fresh until its day has ended.
        return seconds + 86400
    return seconds


def _range_bounds(rule: RangeRule, config: JobConfig) -> tuple[Column | None, Column | None]:
    column = config.column(rule.column)

    def literal(value: float | str | None) -> Column | None:
        if value is None:
            return None
        if column.is_temporal:
            return F.lit(str(value)).cast(column.type)
        # Decimal literals compare exactly with decimal and integer columns.
        return F.lit(Decimal(str(value)))

    return literal(rule.min), literal(rule.max)


def _range_violation(rule: RangeRule, config: JobConfig) -> Column:
    low, high = _range_bounds(rule, config)
    column = F.col(rule.column)
    condition = F.lit(False)
    if low is not None:
        condition = condition | (column < low)
    if high is not None:
        condition = condition | (column > high)
    return condition


# ------------------------------------------------------------------------------- evaluation
def _evaluate(
    index: int,
    rule: Rule,
    frame: DataFrame,
    config: JobConfig,
    stats: dict[str, Any],
    now: datetime,
) -> RuleResult:
    key = f"r{index}"
    rows = int(stats["rows"])
    if isinstance(rule, NullRateRule):
        nulls = int(stats[f"{key}_nulls"] or 0)
        rate = nulls / rows if rows else 0.0
        failed = rate > rule.max
        return result(
            rule,
            rule.column,
            failed=failed,
            observed=round(rate, 6),
            threshold=rule.max,
            message=(
                f"{nulls:,} of the run's {rows:,} rows have no value ({rate:.2%}); "
                f"at most {rule.max:.2%} allowed"
            ),
            offending=_examples(frame, F.col(rule.column).isNull()) if failed else [],
        )
    if isinstance(rule, AcceptedValuesRule):
        bad = int(stats[f"{key}_bad"] or 0)
        return result(
            rule,
            rule.column,
            failed=bad > 0,
            observed=bad,
            threshold=list(rule.values),
            message=f"{_rows(bad)} {'has' if bad == 1 else 'have'} a value outside "
            f"{list(rule.values)}",
            offending=_examples(frame, _not_accepted(rule)) if bad else [],
        )
    if isinstance(rule, RangeRule):
        below, above = int(stats[f"{key}_below"] or 0), int(stats[f"{key}_above"] or 0)
        low, high = _json_value(stats[f"{key}_min"]), _json_value(stats[f"{key}_max"])
        failed = below + above > 0
        return result(
            rule,
            rule.column,
            failed=failed,
            observed={"min": low, "max": high, "below_min": below, "above_max": above},
            threshold={"min": rule.min, "max": rule.max},
            message="; ".join(
                [
                    *([f"{_rows(below)} below {rule.min}"] if rule.min is not None else []),
                    *([f"{_rows(above)} above {rule.max}"] if rule.max is not None else []),
                    f"values span {low} .. {high}",
                ]
            ),
            offending=_examples(frame, _range_violation(rule, config)) if failed else [],
        )
    if isinstance(rule, FreshnessRule):
        return _freshness(rule, stats[f"{key}_newest"], now)
    raise TypeError(f"no evaluation for rule {rule.rule}")


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _freshness(rule: FreshnessRule, newest_epoch: float | None, now: datetime) -> RuleResult:
    if newest_epoch is None:
        return result(
            rule,
            rule.column,
            failed=True,
            observed=None,
            threshold=rule.max_age_hours,
            message=(
                f"no value in '{rule.column}' among the run's rows to judge freshness by (none "
                "arrived, or none is newer than the table's)"
            ),
        )
    newest = datetime.fromtimestamp(newest_epoch, tz=UTC)
    age_hours = (now - newest).total_seconds() / 3600
    return result(
        rule,
        rule.column,
        failed=age_hours > rule.max_age_hours,
        observed={"newest": newest.isoformat(), "age_hours": round(age_hours, 2)},
        threshold=rule.max_age_hours,
        message=(
            f"newest value is {age_hours:.1f} hours old (at {newest.isoformat()}); "
            f"at most {rule.max_age_hours:g} hours allowed"
        ),
    )


def _examples(frame: DataFrame, condition: Column) -> list[dict[str, Any]]:
    """Up to five offending rows, as JSON-ready dicts (timestamps as ISO text, in UTC)."""
    rows = (
        frame.filter(condition)
        .select(F.to_json(F.struct("*"), {"ignoreNullFields": "false"}))
        .limit(MAX_OFFENDING_ROWS)
        .collect()
    )
    return [json.loads(r[0]) for r in rows]


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if math.isfinite(float(value)) else str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
