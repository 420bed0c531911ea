"""The partition_completeness rule: the day partitions a run touches, as they will be after publish.

Touched: a day the run writes rows into, or one a key of the run moved out of. The rule spans
the first to the last touched day and counts each day's rows in the table as it will be (the
audited branch snapshot), not among the run's rows only: a late update to an older day is a
normal run, and a day that the move of a key leaves empty is a hole.
"""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluekit_glue.audit import AuditView
from gluekit_glue.config import PartitionCompletenessRule
from gluekit_glue.rule_results import MAX_LISTED, MAX_OFFENDING_ROWS, RuleResult, result


def partition_completeness(rule: PartitionCompletenessRule, view: AuditView) -> RuleResult:
    threshold = {"min_rows": rule.min_rows}
    touched = _values(view.run_rows, rule.partition)
    if view.replaced is not None:
        touched |= _values(view.replaced, rule.partition)
    unreadable = sorted(v for v in touched if _day(v) is None)
    if unreadable:
        return result(
            rule,
            rule.partition,
            failed=True,
            observed={"not_days": unreadable[:MAX_LISTED]},
            threshold=threshold,
            message=f"partition values are not days (yyyy-MM-dd): {unreadable[:3]}",
        )
    touched_days = sorted(d for d in (_day(v) for v in touched) if d is not None)
    if not touched_days:
        return result(
            rule,
            rule.partition,
            failed=False,
            observed={"days": 0},
            threshold=threshold,
            message="the run touches no partition (the row_count rule judges an empty run)",
        )
    first, last = touched_days[0], touched_days[-1]
    days = _rows_per_day(view.table, rule.partition, first, last)
    span = (last - first).days + 1
    missing = [first + timedelta(d) for d in range(span) if first + timedelta(d) not in days]
    thin = {d: n for d, n in sorted(days.items()) if n < rule.min_rows}
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing day(s): {[d.isoformat() for d in missing[:3]]}")
    if thin:
        problems.append(f"{len(thin)} day(s) with fewer than {rule.min_rows} rows")
    offending = [{rule.partition: d.isoformat(), "rows": 0} for d in missing]
    offending += [{rule.partition: d.isoformat(), "rows": n} for d, n in thin.items()]
    touched_text = f"{len(touched_days)} touched day(s) {first} .. {last}"
    return result(
        rule,
        rule.partition,
        failed=bool(problems),
        observed={
            "first": first.isoformat(),
            "last": last.isoformat(),
            "days_touched": len(touched_days),
            "days": len(days),
            "missing_days": [d.isoformat() for d in missing[:MAX_LISTED]],
            "days_below_min_rows": {d.isoformat(): n for d, n in list(thin.items())[:MAX_LISTED]},
        },
        threshold=threshold,
        message=(
            f"{touched_text}: " + "; ".join(problems)
            if problems
            else f"{touched_text}; every day of the span has >= {rule.min_rows} rows in the "
            "table as it will be"
        ),
        offending=offending[:MAX_OFFENDING_ROWS],
    )


def _values(frame: DataFrame, partition: str) -> set[str]:
    rows = frame.select(partition).distinct().collect()
    return {str(r[0]) for r in rows if r[0] is not None}


def _rows_per_day(table: DataFrame, partition: str, first: date, last: date) -> dict[date, int]:
    # Day text in yyyy-MM-dd sorts as the days do.
    span = F.col(partition).between(first.isoformat(), last.isoformat())
    counts = table.filter(span).groupBy(partition).count().collect()
    found = {_day(str(r[0])): int(r[1]) for r in counts if r[0] is not None}
    return {d: n for d, n in found.items() if d is not None}


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
