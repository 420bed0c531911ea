"""The kit's own delivery pipeline: the `delivery` section of `environments.yaml`.

`npx cdk deploy -c pipeline=true` deploys a CDK Pipelines stack instead of the kit's stacks: it
takes the repository through a CodeStar (CodeConnections) connection, runs `make test` and the
synth (with cdk-nag) in CodeBuild, then deploys each of `stages` in order, every stage after the
first behind a manual approval.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gluekit.environments import DEFAULT_ENVIRONMENTS_FILE
from gluekit.spec.errors import SpecError, SpecErrors, describe_validation_error

SECTION = "delivery"
CONNECTION_PATTERN = (
    r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[\w-]+$"
)


class DeliverySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    connection_arn: str = Field(
        ...,
        pattern=CONNECTION_PATTERN,
        description="ARN of the CodeStar / CodeConnections connection to the repository host.",
    )
    repository: str = Field(
        ..., pattern=r"^[\w.-]+/[\w.-]+$", description="owner/name of the repository."
    )
    branch: str = Field("main", min_length=1, description="Branch whose pushes are delivered.")
    stages: tuple[str, ...] = Field(
        ("dev", "prod"),
        min_length=1,
        description="Environments deployed in order; each after the first waits for approval.",
    )

    @field_validator("stages")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"stages must be distinct, got {list(value)}")
        return value


def load_delivery(path: Path | None = None) -> DeliverySettings:
    path = path or DEFAULT_ENVIRONMENTS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    section = data.get(SECTION) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise SpecErrors(
            [
                SpecError(
                    str(path),
                    SECTION,
                    "no delivery section: give connection_arn and repository (owner/name) "
                    "to deploy the kit through its pipeline (-c pipeline=true)",
                )
            ]
        )
    try:
        return DeliverySettings.model_validate(section)
    except ValidationError as exc:
        raise SpecErrors(
            describe_validation_error(exc, str(path), DeliverySettings, root=SECTION)
        ) from None
