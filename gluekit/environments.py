"""Per-environment values (`environments.yaml`): prefix, account, region, alerts, retention,
Glue prices."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gluekit.spec.errors import SpecError, SpecErrors, describe_validation_error
from gluekit.spec.patterns import ACCOUNT_PATTERN, ENVIRONMENT_PATTERN, REGION_PATTERN

DEFAULT_ENVIRONMENTS_FILE = Path(__file__).resolve().parent.parent / "environments.yaml"
# Top-level sections that are not environments (`delivery`: the kit's own pipeline).
NOT_ENVIRONMENTS = ("defaults", "delivery")
# Longest bucket name suffix: "-access-logs-" + 12-digit account + "-" + a 14-character region.
MAX_PREFIX_LENGTH = 63 - len("-access-logs-") - 12 - 1 - 14
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class Environment(BaseModel):
    """Values that differ between environments; everything else comes from the specs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(..., pattern=ENVIRONMENT_PATTERN)
    prefix: str = Field("", description="Resource name prefix. Default: gluekit-<env>.")
    account: str | None = Field(None, pattern=ACCOUNT_PATTERN, description="Deploy account.")
    region: str | None = Field(None, pattern=REGION_PATTERN, description="Region.")
    alert_emails: tuple[str, ...] = Field((), description="Subscribed to the alerts topic.")
    log_retention_days: int = Field(30, description="CloudWatch Logs retention.")
    destroy_data_on_delete: bool = Field(
        False,
        description=(
            "Delete curated, quarantine, artifacts and log buckets with the stack. "
            "The raw bucket is always retained."
        ),
    )
    powertools_layer_version: int = Field(
        36, ge=1, description="Version of the public Powertools for AWS Lambda (Python) layer."
    )
    # Glue's price in the environment's region (`gluekit cost`); the defaults are the on-demand
    # list prices of us-east-1. Check https://aws.amazon.com/glue/pricing/ for yours.
    dpu_hour_price: float = Field(
        0.44, ge=0, description="Price of one DPU-hour of a standard Glue job run."
    )
    flex_dpu_hour_price: float = Field(
        0.29, ge=0, description="Price of one DPU-hour of a flex Glue job run."
    )
    price_currency: str = Field(
        "USD", pattern=r"^[A-Z]{3}$", description="Currency of the prices (ISO 4217)."
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days must be one of {LOG_RETENTION_DAYS}")
        return value

    @property
    def name_prefix(self) -> str:
        return self.prefix or f"gluekit-{self.name}"


def load_environment(name: str, path: Path | None = None) -> Environment:
    """Load environment `name` from `path`, merged over the file's `defaults` section."""
    path = path or DEFAULT_ENVIRONMENTS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SpecErrors([SpecError(str(path), "", "must be a mapping of environment names")])
    defaults = data.get("defaults") or {}
    known = sorted(k for k in data if k not in NOT_ENVIRONMENTS)
    if name not in data or name in NOT_ENVIRONMENTS:
        from difflib import get_close_matches

        close = get_close_matches(name, known, n=1)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        raise SpecErrors(
            [
                SpecError(
                    str(path), name, f"unknown environment '{name}'{hint} Known: {', '.join(known)}"
                )
            ]
        )
    values = {**defaults, **(data.get(name) or {}), "name": name}
    try:
        env = Environment.model_validate(values)
    except ValidationError as exc:
        raise SpecErrors(
            describe_validation_error(exc, str(path), Environment, root=name)
        ) from None
    if len(env.name_prefix) > MAX_PREFIX_LENGTH or not _valid_prefix(env.name_prefix):
        raise SpecErrors(
            [
                SpecError(
                    str(path),
                    f"{name}.prefix",
                    f"prefix '{env.name_prefix}' must be lowercase letters, digits and '-', "
                    f"at most {MAX_PREFIX_LENGTH} characters (it is part of S3 bucket names)",
                )
            ]
        )
    return env


def _valid_prefix(prefix: str) -> bool:
    import re

    return re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", prefix) is not None
