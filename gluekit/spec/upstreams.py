"""Checks between a derived pipeline (``trigger.after``) and the pipelines it follows.

Each upstream must exist; following must not loop back (a cycle would publish forever); and
every column of the derived contract must be a column of each upstream's curated table with the
same type, since the rows are read as that table holds them, without a cast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from gluekit.spec.errors import SpecError

if TYPE_CHECKING:
    from gluekit.spec.loader import LoadedSpec
    from gluekit.spec.models import PipelineSpec


def curated_types(spec: PipelineSpec) -> dict[str, str]:
    """Column → type of a pipeline's curated table as a derived pipeline may read it: the
    curated columns (its partitions are hidden Iceberg transforms, not columns)."""
    return {c.name: c.type for c in spec.curated.columns}


def upstream_errors(loaded: Sequence[LoadedSpec]) -> list[SpecError]:
    by_name = {item.spec.name: item for item in loaded}
    errors: list[SpecError] = []
    for item in loaded:
        for index, name in enumerate(item.spec.upstreams):
            where = f"trigger.after[{index}]"
            upstream = by_name.get(name)
            if upstream is None:
                known = ", ".join(sorted(n for n in by_name if n != item.spec.name)) or "none"
                message = f"no pipeline named '{name}'; known: {known}"
                errors.append(SpecError(str(item.path), where, message))
                continue
            errors.extend(
                SpecError(str(item.path), where, message)
                for message in _contract_problems(item.spec, upstream.spec)
            )
    errors.extend(_cycle_errors(by_name))
    return errors


def _contract_problems(derived: PipelineSpec, upstream: PipelineSpec) -> list[str]:
    available = curated_types(upstream)
    problems = []
    for column in derived.contract.columns:
        kind = available.get(column.name)
        if kind is None:
            problems.append(
                f"contract column '{column.name}' is not a column of {upstream.name}'s table "
                f"(it has: {', '.join(available)})"
            )
        elif kind != column.type:
            problems.append(
                f"contract column '{column.name}' is {column.type}, {upstream.name}'s table "
                f"holds {kind} (declare {kind}; rows are read as the table holds them)"
            )
    return problems


def _cycle_errors(by_name: Mapping[str, LoadedSpec]) -> list[SpecError]:
    """One error per cycle of ``after`` edges, naming its pipelines in order."""
    errors: list[SpecError] = []
    reported: set[frozenset[str]] = set()
    for start in sorted(by_name):
        path = _cycle_from(start, by_name)
        if path is None or frozenset(path) in reported:
            continue
        reported.add(frozenset(path))
        loop = " → ".join([*path, path[0]])
        errors.append(
            SpecError(
                str(by_name[start].path),
                "trigger.after",
                f"pipelines follow each other in a cycle ({loop}): every publish would start "
                "the next for ever; break the cycle",
            )
        )
    return errors


def _cycle_from(start: str, by_name: Mapping[str, LoadedSpec]) -> list[str] | None:
    """The pipelines of a cycle through ``start`` (in follow order), or None."""
    path: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> list[str] | None:
        for upstream in by_name[name].spec.upstreams if name in by_name else ():
            if upstream == start:
                return [*path, name]
            if upstream in seen or upstream not in by_name:
                continue
            seen.add(upstream)
            path.append(name)
            found = visit(upstream)
            path.pop()
            if found:
                return found
        return None

    found = visit(start)
    # `after` points upstream; say it in the order data flows.
    return list(reversed(found)) if found else None


def followers(specs: Sequence[PipelineSpec], upstream: str) -> list[PipelineSpec]:
    """The pipelines that run after ``upstream`` publishes, directly or through others, each
    after every one of them it follows (the specs are checked: no cycle)."""
    downstream: dict[str, PipelineSpec] = {}
    frontier = {upstream}
    while frontier:
        found = {
            spec.name: spec
            for spec in specs
            if spec.name not in downstream and set(spec.upstreams) & frontier
        }
        downstream.update(found)
        frontier = set(found)
    ordered: list[PipelineSpec] = []
    done: set[str] = set()
    while len(ordered) < len(downstream):
        ready = [
            spec
            for name, spec in sorted(downstream.items())
            if name not in done and not (set(spec.upstreams) & set(downstream)) - done
        ]
        if not ready:
            break  # a cycle: the loader reports it
        ordered.extend(ready)
        done.update(spec.name for spec in ready)
    return ordered
