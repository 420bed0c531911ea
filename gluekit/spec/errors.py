"""Turns pydantic's validation errors into one readable line per problem.

Each line names the file, the field path as written in YAML (`contract.columns[2].type`), what is
wrong and what is allowed; a misspelled key gets the closest allowed key as a suggestion.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from pydantic import BaseModel, ValidationError

from gluekit.spec.patterns import PATTERN_WORDS


@dataclass(frozen=True)
class SpecError:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class SpecErrors(Exception):
    """One or more spec problems; `str()` lists them one per line."""

    def __init__(self, errors: list[SpecError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def describe_validation_error(
    exc: ValidationError, file: str, model: type[BaseModel], root: str = ""
) -> list[SpecError]:
    found: list[SpecError] = []
    for error in _one_per_problem(exc.errors(include_url=False)):
        path, parent = _yaml_path(model, error["loc"])
        if root:
            path = f"{root}.{path}" if path else root
        found.append(SpecError(file, path, _message(error, parent)))
    return found


def _one_per_problem(errors: list[Any]) -> list[Any]:
    """Drop pydantic's knock-on errors so that each problem is reported once.

    A misspelled key shows up both as "unknown key" and as "required key missing": keep the
    first. A list whose only item failed is also reported as "too short": drop that.
    """
    unknown = {(e["loc"][:-1], str(e["loc"][-1])) for e in errors if e["type"] == "extra_forbidden"}
    kept = []
    for error in errors:
        loc = error["loc"]
        if error["type"] == "missing" and any(
            parent == loc[:-1] and get_close_matches(str(loc[-1]), [key], cutoff=0.6)
            for parent, key in unknown
        ):
            continue
        if error["type"] == "too_short" and any(
            other is not error and other["loc"][: len(loc)] == loc for other in errors
        ):
            continue
        kept.append(error)
    return kept


def _message(error: Any, parent: Any) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _keys_of(parent)
        close = get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f" — did you mean '{close[0]}'?" if close else "."
        return f"unknown key '{key}'{hint} Allowed: {', '.join(allowed)}"
    if kind == "missing":
        return f"required key '{loc[-1]}' is missing"
    if kind == "union_tag_invalid":
        tag = error["ctx"]["tag"]
        expected = [t.strip().strip("'") for t in str(error["ctx"]["expected_tags"]).split(",")]
        close = get_close_matches(str(tag), expected, n=1, cutoff=0.6)
        hint = f" — did you mean '{close[0]}'?" if close else "."
        return f"unknown rule '{tag}'{hint} Allowed: {', '.join(expected)}"
    if kind == "union_tag_not_found":
        return "each rule needs a 'rule' key naming its kind"
    if kind == "literal_error":
        return f"{value!r} is not allowed; allowed: {error['ctx']['expected']}"
    if kind == "string_pattern_mismatch":
        pattern = str(error["ctx"]["pattern"])
        in_words = PATTERN_WORDS.get(pattern, "the documented form")
        return f"{value!r} is not allowed; allowed: {in_words}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{message}; got {value!r} ({type(value).__name__})"
    return message


def _keys_of(model: Any) -> list[str]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or name for name, f in model.model_fields.items()]
    return []


def _yaml_path(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, Any]:
    """The YAML path of `loc` and the model that holds its last key."""
    path = ""
    current: Any = model
    parent: Any = model
    for part in loc:
        parent = current
        variants = _variants(current)
        if isinstance(part, int):
            path += f"[{part}]"
            current = _item_type(current)
            continue
        tagged = [v for v in variants if _rule_tag(v) == part]
        if tagged:  # a discriminated-union tag in pydantic's loc, not a key in the YAML
            current = tagged[0]
            continue
        model_variant = next((v for v in variants if _is_model(v)), None)
        path += f".{part}" if path else str(part)
        if model_variant is not None:
            parent = model_variant
            current = _field_type(model_variant, str(part))
        else:
            current = None
    return path, parent


def _variants(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _variants(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [v for arg in typing.get_args(tp) for v in _variants(arg)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _rule_tag(tp: Any) -> str | None:
    if _is_model(tp) and "rule" in tp.model_fields:
        args = typing.get_args(tp.model_fields["rule"].annotation)
        return str(args[0]) if args else None
    return None


def _field_type(model: type[BaseModel], key: str) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field.annotation
    return None


def _item_type(tp: Any) -> Any:
    for variant in _variants(tp):
        args = typing.get_args(variant)
        if typing.get_origin(variant) in (tuple, list) and args:
            return args[0]
    return None
