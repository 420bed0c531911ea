"""Spec ``source``: where a pipeline's files land in the raw bucket and how they are read."""

from __future__ import annotations

import zoneinfo
from typing import Literal

from pydantic import Field, field_validator, model_validator

from gluekit.spec.base import StrictModel
from gluekit.spec.patterns import PREFIX_PATTERN


class CsvOptions(StrictModel):
    header: bool = Field(True, description="First line holds the column names.")
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator.")
    quote: str = Field('"', min_length=1, max_length=1, description="Quote character.")
    encoding: Literal["utf-8", "latin-1"] = Field("utf-8", description="Text encoding.")
    null_values: tuple[str, ...] = Field(
        ("",),
        description=(
            "Texts that mean null in every column, string columns too (e.g. ['', 'NA']); "
            "compared after trimming spaces, case-sensitive. An empty field is always null."
        ),
    )


DEFAULT_SUFFIXES: dict[tuple[str, str], tuple[str, ...]] = {
    ("csv", "none"): (".csv",),
    ("csv", "gzip"): (".csv.gz",),
    ("json", "none"): (".jsonl", ".json"),
    ("json", "gzip"): (".jsonl.gz", ".json.gz"),
    ("parquet", "none"): (".parquet",),
}


class Source(StrictModel):
    prefix: str | None = Field(
        None,
        description=(
            "Key prefix in the raw bucket, ending in '/': letters, digits and _ . ~ - /. "
            "Default: '<name>/'."
        ),
        pattern=PREFIX_PATTERN,
    )
    format: Literal["csv", "json", "parquet"] = Field(
        ..., description="csv, json (one JSON object per line) or parquet."
    )
    suffixes: tuple[str, ...] | None = Field(
        None, description="Accepted key suffixes. Default: from format and compression."
    )
    compression: Literal["none", "gzip"] = Field("none", description="none or gzip.")
    csv: CsvOptions = Field(default_factory=CsvOptions, description="CSV options (format csv).")
    max_file_size_mb: int = Field(
        5120, ge=1, le=5_000_000, description="Larger files are quarantined by the bridge."
    )
    timezone: str = Field(
        "UTC",
        description=(
            "IANA time zone (e.g. 'Europe/Paris') of timestamp text that carries no offset."
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"timezone '{value}' is not an IANA time zone name such as 'UTC', "
                "'Europe/Paris' or 'America/New_York'"
            ) from None
        return value

    on_unknown_columns: Literal["warn", "quarantine", "fail"] = Field(
        "warn",
        description=(
            "A CSV column or JSON key the contract does not know: warn (load the known "
            "columns, report the unknown ones), quarantine the file, or fail the run."
        ),
    )

    @property
    def drift_alarmed(self) -> bool:
        """Unknown columns neither fail the run nor quarantine the file ('warn'): only the
        unknown-columns alarm tells a person, so the pipeline has one."""
        return self.on_unknown_columns == "warn"

    @model_validator(mode="after")
    def _compression_fits_format(self) -> Source:
        if self.format == "parquet" and self.compression != "none":
            raise ValueError(
                "compression must be 'none' for parquet (Parquet compresses its own pages)"
            )
        # Spark picks the codec from the file name: a gzip file not ending in .gz would be
        # read as plain text and lose every row.
        if self.suffixes is not None:
            gz = self.compression == "gzip"
            wrong = [s for s in self.suffixes if s.endswith(".gz") != gz]
            if wrong:
                rule = "end in .gz" if gz else "not end in .gz"
                raise ValueError(
                    f"with compression '{self.compression}' every suffix must {rule}; got {wrong}"
                )
        return self

    @field_validator("suffixes")
    @classmethod
    def _suffixes_start_with_dot(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            if not value:
                raise ValueError("give at least one suffix, or leave suffixes out")
            bad = [s for s in value if not s.startswith(".")]
            if bad:
                raise ValueError(f"suffixes start with '.', got {bad}")
        return value

    @property
    def accepted_suffixes(self) -> tuple[str, ...]:
        return self.suffixes or DEFAULT_SUFFIXES[(self.format, self.compression)]
