"""The user's own logic in the rendered configuration: steps, lookups, declared parameters.

Rendered by `gluekit.render.user_logic_config`; parsed here into plain dataclasses (the Glue code
never imports pydantic).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:
    from gluekit_glue.config import _Reader


@dataclass(frozen=True)
class StepConfig:
    index: int
    sql: str | None = None
    python: str | None = None  # module:function
    description: str = ""

    @property
    def label(self) -> str:
        """How messages name the step, as the spec does: ``steps[1] (python enrich:add_tier)``."""
        what = f"python {self.python}" if self.python else "sql"
        return f"steps[{self.index}] ({what})"


@dataclass(frozen=True)
class LookupConfig:
    name: str
    database: str
    table: str
    format: Literal["hive", "iceberg"]


@dataclass(frozen=True)
class UserLogic:
    steps: tuple[StepConfig, ...] = ()
    lookups: tuple[LookupConfig, ...] = ()
    # The spec's job.parameters with their defaults.
    parameters: Mapping[str, str] = field(default_factory=dict)
    code_package: str | None = None


def parse_user_logic(reader: _Reader) -> UserLogic:
    """An older rendered configuration has none of these keys: no steps, as then."""
    from gluekit_glue.config import ConfigError

    data = reader.data
    steps = []
    for index, item in enumerate(reader.items("steps") if "steps" in data else []):
        sql, python = item.optional_text("sql"), item.optional_text("python")
        if (sql is None) == (python is None):
            raise ConfigError(f"{item.where}: give exactly one of 'sql' or 'python'")
        if python is not None and ":" not in python:
            raise ConfigError(f"{item.where}.python: '{python}' is not 'module:function'")
        description = item.optional_text("description") or ""
        steps.append(StepConfig(index, sql, python, description))
    lookups = [
        LookupConfig(
            name=item.text("name"),
            database=item.text("database"),
            table=item.text("table"),
            format=cast(Literal["hive", "iceberg"], item.choice("format", ("hive", "iceberg"))),
        )
        for item in (reader.items("lookups") if "lookups" in data else [])
    ]
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parameters.items()
    ):
        raise ConfigError(f"{reader.where}.parameters: expected an object of strings")
    code_package = reader.optional_text("code_package")
    if any(step.python for step in steps) and not code_package:
        raise ConfigError(f"{reader.where}.code_package: Python steps need their code package")
    return UserLogic(tuple(steps), tuple(lookups), dict(parameters), code_package)
