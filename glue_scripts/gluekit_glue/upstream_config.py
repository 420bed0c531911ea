"""The pipelines a derived one follows, in the rendered configuration (``upstreams``).

Parsed into plain dataclasses, without Spark: `gluekit_glue.config` imports this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

POSITION_PREFIX = "gluekit.upstream."


@dataclass(frozen=True)
class UpstreamConfig:
    """A pipeline this one follows, and its curated table."""

    pipeline: str
    database: str
    table: str

    @property
    def position_property(self) -> str:
        """The derived table's property holding the last snapshot of this upstream processed."""
        return f"{POSITION_PREFIX}{self.database}.{self.table}"


def parse_upstreams(value: Any) -> tuple[UpstreamConfig, ...]:
    """The rendered ``upstreams`` list (absent before trigger.after: none)."""
    from gluekit_glue.config import ConfigError

    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"gluekit_config.upstreams: expected a list, got {value!r}")
    upstreams = []
    for index, item in enumerate(value):
        keys = ("pipeline", "database", "table")
        if not isinstance(item, Mapping) or not all(
            isinstance(item.get(k), str) and item.get(k) for k in keys
        ):
            raise ConfigError(
                f"gluekit_config.upstreams[{index}]: expected pipeline, database and table"
            )
        upstreams.append(UpstreamConfig(item["pipeline"], item["database"], item["table"]))
    return tuple(upstreams)
