"""The validation rules a spec may list (`validation:`), and the ones every run gets."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from gluekit.spec.base import StrictModel

Severity = Literal["error", "warn"]
ERROR: Severity = "error"
SEVERITY_FIELD = Field(ERROR, description="error fails the run; warn is reported only.")


class RowCountRule(StrictModel):
    rule: Literal["row_count"]
    min: int = Field(1, ge=0, description="Fewest rows a run may publish.")
    max: int | None = Field(None, ge=0, description="Most rows a run may publish.")
    severity: Severity = SEVERITY_FIELD


class NullRateRule(StrictModel):
    rule: Literal["null_rate"]
    column: str = Field(..., description="Contract column.")
    max: float = Field(0.0, ge=0.0, le=1.0, description="Highest share of nulls, 0..1.")
    severity: Severity = SEVERITY_FIELD


class UniqueKeyRule(StrictModel):
    rule: Literal["unique_key"]
    columns: tuple[str, ...] | None = Field(None, description="Default: the primary key.")
    severity: Severity = SEVERITY_FIELD


class FreshnessRule(StrictModel):
    rule: Literal["freshness"]
    column: str = Field(..., description="A date or timestamp column.")
    max_age_hours: float = Field(..., gt=0, description="Newest value must be at most this old.")
    severity: Severity = SEVERITY_FIELD


class AcceptedValuesRule(StrictModel):
    rule: Literal["accepted_values"]
    column: str = Field(..., description="Contract column.")
    values: tuple[str | int | float | bool, ...] = Field(..., min_length=1)
    severity: Severity = SEVERITY_FIELD


class RangeRule(StrictModel):
    rule: Literal["range"]
    column: str = Field(..., description="A numeric, date or timestamp column.")
    min: float | str | None = Field(None, description="Lowest allowed value (inclusive).")
    max: float | str | None = Field(None, description="Highest allowed value (inclusive).")
    severity: Severity = SEVERITY_FIELD

    @model_validator(mode="after")
    def _has_a_bound(self) -> RangeRule:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        return self


class RejectRateRule(StrictModel):
    rule: Literal["reject_rate"]
    max: float = Field(
        0.0, ge=0.0, le=1.0, description="Highest share of the rows read that transform rejects."
    )
    severity: Severity = SEVERITY_FIELD


class DuplicateKeysRule(StrictModel):
    rule: Literal["duplicate_keys"]
    max: int = Field(
        0, ge=0, description="Most primary-key values in a run whose rows differ (conflict)."
    )
    max_rows_sharing_key: int | None = Field(
        None, ge=0, description="Most rows in a run that share their key with another row."
    )
    severity: Severity = SEVERITY_FIELD


class PartitionCompletenessRule(StrictModel):
    rule: Literal["partition_completeness"]
    partition: str | None = Field(None, description="A day partition. Default: the first.")
    min_rows: int = Field(1, ge=1, description="Fewest rows in each partition.")
    severity: Severity = SEVERITY_FIELD


Rule = Annotated[
    RowCountRule
    | NullRateRule
    | UniqueKeyRule
    | FreshnessRule
    | AcceptedValuesRule
    | RangeRule
    | PartitionCompletenessRule
    | RejectRateRule
    | DuplicateKeysRule,
    Field(discriminator="rule"),
]
# Added unless the spec lists a rule of the same kind: a run that loses rows to quarantine, or
# silently picks one of two different rows for a key, must say so, not pass.
DEFAULT_REJECT_RATE = RejectRateRule(rule="reject_rate", max=0.0, severity=ERROR)
DEFAULT_DUPLICATE_KEYS = DuplicateKeysRule(rule="duplicate_keys", max=0, severity=ERROR)
