"""Rules on what transform counted: the rows it staged, rows it rejected, and rows that shared a
primary key (of which it kept one per key).

They read transform's step summary, not the branch: the branch holds neither the rejected rows
nor the duplicates, and of the staged rows only those newer than the table's (a replay of a
published batch stages rows and changes nothing). A summary without the counts (written by an
older kit) gives a "not measured" result, never a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gluekit_glue.config import JobConfig
from gluekit_glue.rule_config import DuplicateKeysRule, RejectRateRule, RowCountRule
from gluekit_glue.rule_results import MAX_OFFENDING_ROWS, RuleResult, not_measured, result

TOP_REASONS_IN_MESSAGE = 3


def row_count(
    rule: RowCountRule, transform: Mapping[str, Any] | None, rows_written: int
) -> RuleResult:
    """The rows the run delivered (transform staged them), so that an empty delivery fails and
    a replay that changes nothing does not; ``rows_written``: those the MERGE took."""
    threshold = {"min": rule.min, "max": rule.max}
    if transform is None:
        return not_measured(rule, None, threshold, "transform's step summary is missing")
    if "rows_out" not in transform:
        return not_measured(rule, None, threshold, "transform's summary has no row counts")
    staged = int(transform["rows_out"] or 0)
    bounds = f"at least {rule.min:,}" + (
        f" and at most {rule.max:,}" if rule.max is not None else ""
    )
    return result(
        rule,
        None,
        failed=staged < rule.min or (rule.max is not None and staged > rule.max),
        observed=staged,
        threshold=threshold,
        message=(
            f"{staged:,} rows staged ({rows_written:,} of them newer than the table's, written "
            f"to the branch); expected {bounds}"
        ),
    )


def reject_rate(rule: RejectRateRule, transform: Mapping[str, Any] | None) -> RuleResult:
    threshold = rule.max
    if transform is None:
        return not_measured(rule, None, threshold, "transform's step summary is missing")
    if "rows_in" not in transform or "rows_rejected" not in transform:
        return not_measured(rule, None, threshold, "transform's summary has no row counts")
    read, rejected = int(transform["rows_in"] or 0), int(transform["rows_rejected"] or 0)
    rate = rejected / read if read else 0.0
    details = transform.get("details") or {}
    reasons = [
        {"reason": str(r.get("reason")), "rows": int(r.get("rows") or 0)}
        for r in details.get("reject_reasons") or []
        if isinstance(r, Mapping)
    ]
    message = (
        f"{rejected:,} of {read:,} rows read were rejected ({rate:.2%}); "
        f"at most {rule.max:.2%} allowed"
    )
    if rejected and reasons:
        top = "; ".join(f"{r['reason']} ({r['rows']:,})" for r in reasons[:TOP_REASONS_IN_MESSAGE])
        message += f"; top reasons: {top}"
    elif rejected:
        message += "; reasons: the summary does not count them (older transform)"
    if rejected and details.get("row_rejects"):
        message += f"; rows in {details['row_rejects']}"
    observed: dict[str, Any] = {
        "rows_read": read,
        "rows_rejected": rejected,
        "rate": round(rate, 6),
    }
    if reasons:
        observed["top_reasons"] = reasons
    return result(
        rule,
        None,
        failed=rate > rule.max,
        observed=observed,
        threshold=threshold,
        message=message,
        offending=reasons[:MAX_OFFENDING_ROWS] if rate > rule.max else [],
    )


def duplicate_keys(
    rule: DuplicateKeysRule, config: JobConfig, transform: Mapping[str, Any] | None
) -> RuleResult:
    key = ",".join(config.primary_key)
    threshold = {"max": rule.max, "max_rows_sharing_key": rule.max_rows_sharing_key}
    if transform is None:
        return not_measured(rule, key, threshold, "transform's step summary is missing")
    counts = (transform.get("details") or {}).get("duplicate_keys")
    if not isinstance(counts, Mapping):
        return not_measured(
            rule, key, threshold, "transform's summary does not count duplicate keys (older kit)"
        )
    rows = int(counts.get("rows_sharing_key") or 0)
    keys = int(counts.get("keys") or 0)
    conflicting = int(counts.get("conflicting_keys") or 0)
    too_many_rows = rule.max_rows_sharing_key is not None and rows > rule.max_rows_sharing_key
    kept = f"the greatest {config.order_by}" if config.order_by else "the row its values sort first"
    message = (
        f"{rows:,} rows share {keys:,} key value(s) of ({', '.join(config.primary_key)}) within "
        f"the run; {conflicting:,} of those keys have rows that differ; transform kept one row "
        f"per key ({kept}); at most {rule.max:,} conflicting key(s) allowed"
    )
    if rule.max_rows_sharing_key is not None:
        message += f" and at most {rule.max_rows_sharing_key:,} rows sharing a key"
    return result(
        rule,
        key,
        failed=conflicting > rule.max or too_many_rows,
        observed={"rows_sharing_key": rows, "keys": keys, "conflicting_keys": conflicting},
        threshold=threshold,
        message=message,
    )
