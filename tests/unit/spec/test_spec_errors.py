"""Each bad spec gives one error naming the file, the field, what is wrong and what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gluekit.spec import SpecErrors, load_spec_file, load_specs
from tests.unit.spec.conftest import MINIMAL_SPEC, errors_of

PREFIX = "gluekit-dev"


def test_minimal_spec_loads_with_defaults(write_spec: Callable[..., Path]) -> None:
    spec = load_spec_file(write_spec(), PREFIX).spec

    assert spec.job.glue_version == "5.1"
    assert spec.trigger.mode == "on_arrival"
    assert spec.source.accepted_suffixes == (".csv",)
    assert spec.raw_prefix == "orders/"


def test_misspelled_key_suggests_the_close_match(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/").replace(
        "  partition_by:", "  partiton_by:"
    )

    path = write_spec(text)

    [error] = errors_of(path)

    assert error.startswith(f"{path}: contract.partiton_by: ")
    assert "unknown key 'partiton_by' — did you mean 'partition_by'?" in error
    assert "Allowed: columns, primary_key, order_by, partition_by" in error


def test_unknown_key_is_an_error_even_without_a_close_match(
    write_spec: Callable[..., Path],
) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + "owner: someone\n"

    [error] = errors_of(write_spec(text))

    assert "owner: unknown key 'owner'. Allowed: $schema, name, description" in error


def test_wrong_type_names_the_field_and_the_value(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + "job: {workers: many}\n"

    [error] = errors_of(write_spec(text))

    assert "job.workers: " in error
    assert "valid integer" in error and "got 'many' (str)" in error


def test_unknown_column_type_lists_the_allowed_types(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/").replace(
        'type: "decimal(12,2)"', "type: money"
    )

    [error] = errors_of(write_spec(text))

    assert "contract.columns[1].type: unknown type 'money'; allowed: string, int" in error
    assert "decimal(p,s)" in error


def test_key_column_missing_from_contract(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/").replace(
        "primary_key: [order_id]", "primary_key: [order_no]"
    )

    [error] = errors_of(write_spec(text))

    assert "contract: primary_key column(s) ['order_no'] are not in the contract" in error
    assert "columns: ['order_id', 'amount', 'created_at']" in error


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("cron(0 1 * * * *)", "one of day-of-month and day-of-week must be '?'"),
        ("cron(0 25 * * ? *)", "cron hours: '25' is not allowed; allowed: 0-23"),
        ("0 1 * *", "cron needs 6 fields, got 4"),
        ("cron(0 1 ? * FUNDAY *)", "cron day-of-week: 'FUNDAY' is not allowed"),
    ],
)
def test_invalid_cron_says_what_is_wrong(
    write_spec: Callable[..., Path], cron: str, message: str
) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + (
        f'trigger: {{schedule: {{cron: "{cron}"}}}}\n'
    )

    [error] = errors_of(write_spec(text))

    assert "trigger.schedule.cron: " in error
    assert message in error


def test_valid_cron_is_normalised(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + (
        'trigger: {schedule: {cron: "30 2 ? * MON-FRI *"}}\n'
    )

    spec = load_spec_file(write_spec(text), PREFIX).spec

    assert spec.trigger.schedule is not None
    assert spec.trigger.schedule.cron == "cron(30 2 ? * MON-FRI *)"


def test_overlapping_raw_prefixes_between_pipelines(write_spec: Callable[..., Path]) -> None:
    folder = write_spec(file="orders.yaml", name="orders", prefix="sales/").parent
    write_spec(file="returns.yaml", name="returns", prefix="sales/returns/")

    with pytest.raises(SpecErrors) as caught:
        load_specs(folder, PREFIX)

    [error] = [str(e) for e in caught.value.errors]
    assert "returns.yaml: source.prefix: raw prefix 'sales/returns/' overlaps prefix 'sales/'" in (
        error
    )
    assert "orders.yaml" in error


def test_name_too_long_once_prefixed(write_spec: Callable[..., Path]) -> None:
    name = "a" * 60

    [error] = errors_of(write_spec(name=name, prefix="long/"))

    assert f"name: '{name}' is too long: with prefix 'gluekit-dev' the eventbridge rule name" in (
        error
    )
    assert f"'gluekit-dev-{name}-crawler-failed' has 87 characters, the limit is 64" in error
    assert "allowed: at most 37 characters" in error


def test_longest_allowed_name_synthesizes_names_within_every_limit() -> None:
    # Every name a pipeline's stack creates is counted, not only the obvious ones.
    from gluekit.naming import LIMITS, PipelineNames, max_pipeline_name_length

    names = PipelineNames("gluekit-prod", "p" * max_pipeline_name_length("gluekit-prod"))
    created = [
        names.quarantine_rule,
        names.crawler_failure_rule,
        names.arrival_rule_dlq,
        names.bridge_failures_queue,
        names.notifier_rule_dlq,
        names.notifier_failures_queue,
    ]
    assert all(len(n) <= LIMITS["eventbridge rule"] for n in created[:2])
    assert all(len(n) <= LIMITS["sqs queue"] for n in created[2:])


def test_uppercase_name_says_in_words_what_is_allowed(write_spec: Callable[..., Path]) -> None:
    [error] = errors_of(write_spec(name="Orders"))

    assert "name: 'Orders' is not allowed; allowed: lowercase letters, digits and '-'" in error


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("name: orders", "name: Orders", "name"),
        ("prefix: orders/", "prefix: /orders", "source.prefix"),
        ("{name: amount,", "{name: Amount,", "contract.columns[1].name"),
        # a leading '_' would collide with the curated table's lineage columns
        ("{name: amount,", "{name: _source_uri,", "contract.columns[1].name"),
        ("{name: dt,", "{name: 1dt,", "contract.partition_by[0].name"),
    ],
)
def test_no_error_message_shows_a_regex(
    write_spec: Callable[..., Path], old: str, new: str, path: str
) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/").replace(old, new)

    [error] = errors_of(write_spec(text))

    assert f": {path}: " in error and "is not allowed; allowed: " in error
    assert not any(mark in error for mark in ("^", "$", "[a-z", "*"))


def test_a_key_given_twice_is_an_error_naming_both_lines(
    write_spec: Callable[..., Path],
) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + (
        "job: {workers: 4}\nalerts: {expected_every_hours: 12}\njob: {timeout_minutes: 10}\n"
    )

    [error] = errors_of(write_spec(text))

    assert ": line 13: key 'job' is given twice (first at line 11)" in error


def test_a_structural_error_does_not_hide_a_bad_column_reference(
    write_spec: Callable[..., Path],
) -> None:
    # GIVEN a wrong value in job AND a rule on a column the contract does not have
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + (
        "job: {workers: many}\nvalidation:\n  - {rule: null_rate, column: currency}\n"
    )

    errors = errors_of(write_spec(text))

    # THEN both are reported at once
    assert len(errors) == 2
    assert "job.workers: " in errors[0]
    assert "validation[0].column: 'currency' is not a contract column" in errors[1]


def test_a_broken_column_does_not_hide_an_unknown_key_column(
    write_spec: Callable[..., Path],
) -> None:
    text = (
        MINIMAL_SPEC.format(name="orders", prefix="orders/")
        .replace('type: "decimal(12,2)"', "type: money")
        .replace("primary_key: [order_id]", "primary_key: [order_no]")
    )

    errors = errors_of(write_spec(text))

    assert any("contract.columns[1].type" in e for e in errors)
    assert any("contract.primary_key[0]: 'order_no' is not a contract column" in e for e in errors)


def test_unknown_rule_suggests_the_close_rule(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + (
        "validation:\n  - {rule: nul_rate, column: amount}\n"
    )

    [error] = errors_of(write_spec(text))

    assert "validation[0]: unknown rule 'nul_rate' — did you mean 'null_rate'?" in error


def test_misspelled_rule_key_is_reported_once(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + (
        "validation:\n  - {rule: null_rate, colum: amount}\n"
    )

    errors = errors_of(write_spec(text))

    assert len(errors) == 1
    assert "validation[0].colum: unknown key 'colum' — did you mean 'column'?" in errors[0]


def test_rule_on_unknown_column(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + (
        "validation:\n  - {rule: range, column: price, min: 0}\n"
    )

    [error] = errors_of(write_spec(text))

    assert "validation[0] (range): column 'price' is not in the contract" in error


def test_both_triggers_is_an_error(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/") + (
        'trigger: {on_arrival: {}, schedule: {cron: "cron(0 1 * * ? *)"}}\n'
    )

    [error] = errors_of(write_spec(text))

    assert "trigger: give exactly one of 'on_arrival', 'schedule' or 'after'" in error


def test_invalid_yaml_names_the_line(write_spec: Callable[..., Path]) -> None:
    [error] = errors_of(write_spec("name: orders\nsource: {format: csv\n"))

    assert "line 3" in error and "not valid YAML" in error


def test_parquet_with_gzip_is_rejected(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/").replace(
        "{format: csv, prefix: orders/}", "{format: parquet, compression: gzip}"
    )

    [error] = errors_of(write_spec(text))

    assert "source: compression must be 'none' for parquet" in error


def test_every_file_is_checked_and_all_errors_reported(write_spec: Callable[..., Path]) -> None:
    folder = write_spec(file="a.yaml", name="Bad-Name", prefix="a/").parent
    write_spec("name: b\n", file="b.yaml")

    with pytest.raises(SpecErrors) as caught:
        load_specs(folder, PREFIX)

    files = {Path(e.file).name for e in caught.value.errors}
    assert {"a.yaml", "b.yaml"} <= files


def test_contract_too_large_for_the_bridge_environment(write_spec: Callable[..., Path]) -> None:
    long_name = "a_rather_long_source_column_name_"
    columns = "".join(
        f"    - {{name: c{i}, type: string, source: {long_name}{i}}}\n" for i in range(120)
    )
    text = f"name: wide\nsource: {{format: csv}}\ncontract:\n  columns:\n{columns}"

    [error] = errors_of(write_spec(text, file="wide.yaml"))

    assert "contract.columns: the bridge's rendered configuration takes" in error
    assert "use shorter source column names or fewer columns" in error


def test_nullable_primary_key_is_rejected(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/").replace(
        "{name: order_id, type: string, nullable: false}", "{name: order_id, type: string}"
    )

    [error] = errors_of(write_spec(text))

    assert "contract: primary_key column(s) ['order_id'] must be 'nullable: false'" in error


def test_gzip_suffixes_must_end_in_gz(write_spec: Callable[..., Path]) -> None:
    text = MINIMAL_SPEC.format(name="orders", prefix="orders/").replace(
        "{format: csv, prefix: orders/}", "{format: csv, compression: gzip, suffixes: [.csv]}"
    )

    [error] = errors_of(write_spec(text))

    assert "source: with compression 'gzip' every suffix must end in .gz; got ['.csv']" in error


def test_contract_too_large_for_the_notifier_environment_with_the_crawler_on(
    write_spec: Callable[..., Path],
) -> None:
    # 70 columns fit the bridge's budget; with the crawler on, the notifier also carries each
    # source name and type for the raw schema check, and that does not fit.
    long_name = "a_rather_long_source_column_name_"
    columns = "".join(
        f"    - {{name: c{i}, type: string, source: {long_name}{i}}}\n" for i in range(70)
    )
    text = (
        "name: wide\nsource: {format: csv}\ncrawler: {enabled: true}\n"
        f"contract:\n  columns:\n{columns}"
    )

    [error] = errors_of(write_spec(text, file="wide.yaml"))

    assert "contract.columns: the notifier's rendered configuration takes" in error
    assert "or turn the crawler off" in error
