"""The validation rules in the rendered configuration, as plain frozen dataclasses (the Glue code
never imports pydantic): one per rule kind of the spec (`gluekit.spec.rules`), parsed by
`gluekit_glue.config`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warn"]


@dataclass(frozen=True)
class RowCountRule:
    severity: Severity
    min: int
    max: int | None
    rule: str = "row_count"


@dataclass(frozen=True)
class NullRateRule:
    severity: Severity
    column: str
    max: float
    rule: str = "null_rate"


@dataclass(frozen=True)
class UniqueKeyRule:
    severity: Severity
    columns: tuple[str, ...]
    rule: str = "unique_key"


@dataclass(frozen=True)
class FreshnessRule:
    severity: Severity
    column: str
    max_age_hours: float
    rule: str = "freshness"


@dataclass(frozen=True)
class AcceptedValuesRule:
    severity: Severity
    column: str
    values: tuple[str | int | float | bool, ...]
    rule: str = "accepted_values"


@dataclass(frozen=True)
class RangeRule:
    severity: Severity
    column: str
    min: float | str | None
    max: float | str | None
    rule: str = "range"


@dataclass(frozen=True)
class RejectRateRule:
    severity: Severity
    max: float
    rule: str = "reject_rate"


@dataclass(frozen=True)
class DuplicateKeysRule:
    severity: Severity
    max: int
    max_rows_sharing_key: int | None
    rule: str = "duplicate_keys"


@dataclass(frozen=True)
class PartitionCompletenessRule:
    severity: Severity
    partition: str
    min_rows: int
    rule: str = "partition_completeness"


Rule = (
    RowCountRule
    | NullRateRule
    | UniqueKeyRule
    | FreshnessRule
    | AcceptedValuesRule
    | RangeRule
    | PartitionCompletenessRule
    | RejectRateRule
    | DuplicateKeysRule
)
