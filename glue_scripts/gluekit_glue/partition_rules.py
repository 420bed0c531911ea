"""The partition_completeness rule: the day partitions a run touches, as they will be after publish.

The span runs from the first to the last day the run writes rows into; each of its days, and
each day a key of the run moved out of, must hold ``min_rows`` rows in the table as it will be
(the audited branch snapshot), not among the run's rows only. So a late update to an older day
is a normal run (the days between are in the table), while a day inside the span that the move
of a key leaves empty is a hole. A day outside the span that a move empties is not: the data
simply no longer reaches it.
"""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gluekit_glue.audit import AuditView
from gluekit_glue.rule_config import PartitionCompletenessRule
from gluekit_glue.rule_results import MAX_LISTED, MAX_OFFENDING_ROWS, RuleResult, result


def partition_completeness(rule: PartitionCompletenessRule, view: AuditView) -> RuleResult:
    threshold = {"min_rows": rule.min_rows}
    written = _values(view.run_rows, rule.partition)
    moved_out = _values(view.replaced, rule.partition) if view.replaced is not None else set()
    unreadable = sorted(v for v in written | moved_out if _day(v) is None)
    if unreadable:
        return result(
            rule,
            rule.partition,
            failed=True,
            observed={"not_days": unreadable[:MAX_LISTED]},
            threshold=threshold,
            message=f"partition values are not days (yyyy-MM-dd): {unreadable[:3]}",
        )
    written_days = sorted(d for d in (_day(v) for v in written) if d is not None)
    if not written_days:
        return result(
            rule,
            rule.partition,
            failed=False,
            observed={"days": 0},
            threshold=threshold,
            message="the run writes no partition (the row_count rule judges an empty run)",
        )
    first, last = written_days[0], written_days[-1]
    moved_days = {d for d in (_day(v) for v in moved_out) if d is not None}
    counted = _rows_per_day(view.table, rule.partition, {first, last, *moved_days})
    days = {d: n for d, n in counted.items() if first <= d <= last or d in moved_days}
    span = (last - first).days + 1
    missing = [first + timedelta(d) for d in range(span) if first + timedelta(d) not in days]
    thin = {d: n for d, n in sorted(days.items()) if n < rule.min_rows}
    touched = len(set(written_days) | moved_days)
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing day(s): {[d.isoformat() for d in missing[:3]]}")
    if thin:
        problems.append(f"{len(thin)} day(s) with fewer than {rule.min_rows} rows")
    offending = [{rule.partition: d.isoformat(), "rows": 0} for d in missing]
    offending += [{rule.partition: d.isoformat(), "rows": n} for d, n in thin.items()]
    touched_text = f"{touched} touched day(s), written {first} .. {last}"
    return result(
        rule,
        rule.partition,
        failed=bool(problems),
        observed={
            "first": first.isoformat(),
            "last": last.isoformat(),
            "days_touched": touched,
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


def _rows_per_day(table: DataFrame, partition: str, days: set[date]) -> dict[date, int]:
    """Rows of each day from the first to the last of ``days``, in one grouping."""
    first, last = min(days), max(days)
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
