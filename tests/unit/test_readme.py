"""The README's spec reference stays complete as the models grow."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from gluekit.spec.models import PipelineSpec

README = Path(__file__).resolve().parents[2] / "README.md"


def field_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in ("$schema", "validation"):  # rules have their own table
            continue
        path = f"{prefix}{key}"
        nested = _models_in(field.annotation)
        if nested:
            for inner, is_list in nested:
                paths.extend(field_paths(inner, f"{path}{'[]' if is_list else ''}."))
        else:
            paths.append(path)
    return paths


def _models_in(annotation: object) -> list[tuple[type[BaseModel], bool]]:
    """Models inside `annotation` (X, X | None, tuple[X, ...]) and whether it is a list."""
    is_list = typing.get_origin(annotation) in (tuple, list)
    candidates = (annotation, *typing.get_args(annotation))
    return [(c, is_list) for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]


def test_readme_documents_every_spec_field() -> None:
    readme = README.read_text(encoding="utf-8")
    paths = field_paths(PipelineSpec)

    assert "contract.columns[].type" in paths and "trigger.schedule.cron" in paths
    missing = [p for p in paths if f"`{p}`" not in readme]
    assert missing == []


def test_readme_shows_the_two_quick_start_commands() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
