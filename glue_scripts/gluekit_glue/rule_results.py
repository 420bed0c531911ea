"""One rule's outcome, and how a run's outcomes add up to a status and a one-line summary.

A rule either measured the data (passed / failed) or could not (not_measured, e.g. a transform
summary from an older kit that did not count what the rule needs). A rule that measured nothing
never reads as passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

MAX_OFFENDING_ROWS = 5
MAX_LISTED = 10
Status = Literal["passed", "failed", "not_measured"]


class AnyRule(Protocol):
    @property
    def rule(self) -> str: ...

    @property
    def severity(self) -> str: ...


@dataclass(frozen=True)
class RuleResult:
    rule: str
    column: str | None
    severity: str
    status: Status
    observed: Any
    threshold: Any
    message: str
    offending_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def label(self) -> str:
        return f"{self.rule}({self.column})" if self.column else self.rule

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def result(
    rule: AnyRule,
    column: str | None,
    *,
    failed: bool,
    observed: Any,
    threshold: Any,
    message: str,
    offending: list[dict[str, Any]] | None = None,
) -> RuleResult:
    return RuleResult(
        rule=rule.rule,
        column=column,
        severity=rule.severity,
        status="failed" if failed else "passed",
        observed=observed,
        threshold=threshold,
        message=message,
        offending_rows=offending or [],
    )


def not_measured(rule: AnyRule, column: str | None, threshold: Any, why: str) -> RuleResult:
    return RuleResult(
        rule=rule.rule,
        column=column,
        severity=rule.severity,
        status="not_measured",
        observed=None,
        threshold=threshold,
        message=f"not measured: {why}",
    )


def report_status(results: Sequence[RuleResult]) -> Literal["passed", "failed"]:
    return "failed" if any(r.failed and r.severity == "error" for r in results) else "passed"


def summary_text(results: Sequence[RuleResult]) -> str:
    """'2 of 9 rules failed: range(amount), reject_rate; 1 warning: null_rate(currency)'.

    Only error rules count as failed, as in the alert's subject and body; a failed warn rule is a
    warning, and a rule that could not measure is named as such.
    """
    errors = [r.label for r in results if r.failed and r.severity == "error"]
    warnings = [r.label for r in results if r.failed and r.severity != "error"]
    unmeasured = [r.label for r in results if r.status == "not_measured"]
    if errors:
        parts = [f"{len(errors)} of {len(results)} rules failed: {', '.join(errors)}"]
    elif warnings or unmeasured:
        passed = sum(1 for r in results if r.status == "passed")
        parts = [f"{passed} of {len(results)} rules passed"]
    else:
        parts = [f"all {len(results)} rules passed"]
    if warnings:
        noun = "warning" if len(warnings) == 1 else "warnings"
        parts.append(f"{len(warnings)} {noun}: {', '.join(warnings)}")
    if unmeasured:
        parts.append(f"{len(unmeasured)} not measured: {', '.join(unmeasured)}")
    return "; ".join(parts)
