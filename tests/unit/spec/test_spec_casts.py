"""Spec fields of null markers, time zone and boolean texts: defaults, rendering and errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gluekit.naming import FoundationNames
from gluekit.render import glue_job_config
from gluekit.spec import load_spec_file
from gluekit_glue.config import parse_config
from tests.unit.spec.conftest import MINIMAL_SPEC, errors_of

PREFIX = "gluekit-dev"
FOUNDATION = FoundationNames(PREFIX, "123456789012", "us-east-1")
BASE = MINIMAL_SPEC.format(name="orders", prefix="orders/")


def test_defaults_reach_the_job_config(write_spec: Callable[..., Path]) -> None:
    spec = load_spec_file(write_spec(), PREFIX).spec

    config = parse_config(glue_job_config(spec, FOUNDATION))

    assert config.source.csv.null_values == ("",)
    assert config.source.timezone == "UTC"
    assert config.column("amount").true_values == ("true",)


def test_null_markers_time_zone_and_boolean_texts_reach_the_job_config(
    write_spec: Callable[..., Path],
) -> None:
    text = BASE.replace(
        "source: {format: csv, prefix: orders/}",
        "source: {format: csv, prefix: orders/, timezone: Europe/Paris,\n"
        '         csv: {null_values: ["", NA]}}',
    ).replace(
        '    - {name: amount, type: "decimal(12,2)"}',
        '    - {name: amount, type: "decimal(12,2)"}\n'
        "    - {name: paid, type: boolean, true_values: [Y], false_values: [N]}",
    )

    spec = load_spec_file(write_spec(text), PREFIX).spec
    config = parse_config(glue_job_config(spec, FOUNDATION))

    assert config.source.csv.null_values == ("", "NA")
    assert config.source.timezone == "Europe/Paris"
    assert (config.column("paid").true_values, config.column("paid").false_values) == (
        ("Y",),
        ("N",),
    )


def test_an_unknown_time_zone_is_an_error_in_words(write_spec: Callable[..., Path]) -> None:
    text = BASE.replace(
        "source: {format: csv, prefix: orders/}",
        "source: {format: csv, prefix: orders/, timezone: Europe/Pariss}",
    )

    [error] = errors_of(write_spec(text))

    assert "source.timezone" in error
    assert "'Europe/Pariss' is not an IANA time zone name" in error


def test_boolean_texts_on_another_type_are_an_error(write_spec: Callable[..., Path]) -> None:
    text = BASE.replace(
        '    - {name: amount, type: "decimal(12,2)"}',
        '    - {name: amount, type: "decimal(12,2)", true_values: [Y]}',
    )

    [error] = errors_of(write_spec(text))

    assert "true_values and false_values apply to boolean columns only" in error


def test_a_text_meaning_both_true_and_false_is_an_error(write_spec: Callable[..., Path]) -> None:
    text = BASE.replace(
        '    - {name: amount, type: "decimal(12,2)"}',
        '    - {name: amount, type: "decimal(12,2)"}\n'
        "    - {name: paid, type: boolean, true_values: [Y, x], false_values: [X]}",
    )

    [error] = errors_of(write_spec(text))

    assert "['x'] cannot mean both true and false" in error
