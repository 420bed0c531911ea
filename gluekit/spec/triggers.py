"""When a pipeline runs (spec ``trigger``): as files arrive, on a schedule, or after other
pipelines publish.

A pipeline with ``after`` is *derived*: it has no raw files. Each time one of its upstreams
publishes, it reads the upstream rows that changed since the last snapshot it processed (which
publish records with its own commit) and runs its steps on them. Its ``contract`` names the
upstream columns it reads, with their curated types.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator, model_validator

from gluekit.spec.base import StrictModel
from gluekit.spec.cron import validate_cron
from gluekit.spec.patterns import NAME_PATTERN, PATTERN_WORDS

if TYPE_CHECKING:
    from gluekit.spec.models import PipelineSpec


class OnArrival(StrictModel):
    # The bridge checks and claims each file within one invocation: a thousand fits easily.
    max_files: int = Field(
        100, ge=1, le=1000, description="Most files started in one workflow run."
    )
    max_wait_seconds: int = Field(
        60, ge=0, le=300, description="How long the bridge waits to fill a batch."
    )


class Schedule(StrictModel):
    cron: str = Field(..., description="EventBridge cron, e.g. 'cron(0 1 * * ? *)' (UTC).")

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        return validate_cron(value)


class Trigger(StrictModel):
    on_arrival: OnArrival | None = Field(None, description="Start a run as files arrive.")
    schedule: Schedule | None = Field(None, description="Start one run for pending files.")
    after: tuple[str, ...] | None = Field(
        None,
        min_length=1,
        description=(
            "Pipelines this one follows: a run starts whenever one of them publishes, and reads "
            "their rows that changed since its own last run."
        ),
    )

    @field_validator("after")
    @classmethod
    def _pipeline_names(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return value
        for name in value:
            if not re.fullmatch(NAME_PATTERN, name):
                raise ValueError(f"'{name}' is not a pipeline name ({PATTERN_WORDS[NAME_PATTERN]})")
        repeated = sorted({n for n in value if value.count(n) > 1})
        if repeated:
            raise ValueError(f"each upstream once; repeated: {repeated}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Trigger:
        given = [self.on_arrival, self.schedule, self.after]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of 'on_arrival', 'schedule' or 'after'")
        return self

    @property
    def mode(self) -> Literal["on_arrival", "schedule", "after"]:
        if self.on_arrival is not None:
            return "on_arrival"
        return "schedule" if self.schedule is not None else "after"

    @property
    def upstreams(self) -> tuple[str, ...]:
        return self.after or ()


def default_trigger() -> Trigger:
    return Trigger(on_arrival=OnArrival())


def derived_problems(spec: PipelineSpec, source_given: bool) -> list[str]:
    """What a spec's source and trigger say against each other (`PipelineSpec` checks).

    A derived pipeline reads tables, never files: no source, and one run at a time, since each
    run reads what changed since the one before it.
    """
    upstreams = spec.trigger.upstreams
    if not upstreams:
        return (
            []
            if source_given
            else [
                "source: required (or trigger.after, for a pipeline "
                "that reads other pipelines' tables)"
            ]
        )
    problems = []
    if source_given:
        problems.append(
            "source: a pipeline with trigger.after reads its upstreams' curated tables, not "
            "files; remove source"
        )
    if spec.name in upstreams:
        problems.append(f"trigger.after: '{spec.name}' is this pipeline; it cannot follow itself")
    if spec.job.max_concurrent_runs != 1:
        problems.append(
            "job.max_concurrent_runs: a pipeline with trigger.after runs one run at a time "
            "(each reads the changes since the one before); remove it or set 1"
        )
    if not spec.curated.primary_key:
        where = "output.primary_key" if spec.output else "contract.primary_key"
        problems.append(
            f"{where}: a pipeline with trigger.after recomputes rows from what changed and "
            "replaces them by key; give its table a primary_key"
        )
    if any(lookup.name in ("input", "input_before") for lookup in spec.lookups):
        problems.append(
            "lookups: 'input' and 'input_before' are the changed rows and their earlier "
            "versions in a pipeline with trigger.after; name the lookup otherwise"
        )
    for column in spec.contract.columns:
        if column.source is not None or column.format is not None:
            problems.append(
                f"contract.columns ({column.name}): 'source' and 'format' describe files; a "
                "derived pipeline's contract names its upstreams' columns as they are"
            )
    return problems
