"""Spec `steps`, `lookups` and `output`: what `gluekit validate` accepts and what it refuses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gluekit.naming import FoundationNames
from gluekit.render import glue_job_config
from gluekit.spec import DEFAULT_PIPELINES_DIR, SpecErrors, load_spec_file, load_specs
from gluekit.spec.steps import sql_parameters
from tests.unit.spec.conftest import errors_of

SOURCE = """\
name: {name}
source: {{format: csv, prefix: {name}/}}
contract:
  columns:
    - {{name: customer_id, type: string, nullable: false}}
    - {{name: amount, type: "decimal(12,2)"}}
"""
OUTPUT = """\
output:
  columns:
    - {name: customer_id, type: string, nullable: false}
    - {name: total, type: "DECIMAL(14, 2)"}
  primary_key: [customer_id]
"""
SQL_STEP = """\
steps:
  - sql: SELECT customer_id, CAST(sum(amount) AS DECIMAL(14,2)) AS total FROM input GROUP BY 1
"""
FOUNDATION = FoundationNames("gluekit-dev", "123456789012", "us-east-1")


@pytest.fixture
def spec_file(tmp_path: Path) -> Callable[..., Path]:
    def write(*parts: str, name: str = "totals") -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(SOURCE.format(name=name) + "".join(parts))
        return path

    return write


# --------------------------------------------------------------------------------- parameters
def test_sql_parameters_are_markers_outside_quotes_and_comments() -> None:
    sql = """
        SELECT ':not_a', "also :not_b", `col:not_c`, x::int  -- :not_d
        FROM input /* :not_e */ WHERE amount >= :min_amount AND day = :day OR y > :min_amount
    """

    assert sql_parameters(sql) == ["min_amount", "day"]


def test_a_parameter_the_job_does_not_declare_is_an_error_naming_the_step(
    spec_file: Callable[..., Path],
) -> None:
    path = spec_file(
        "steps:\n  - sql: SELECT * FROM input\n"
        "  - sql: SELECT * FROM input WHERE amount > :min_amont\n",
        "job: {parameters: {min_amount: '0'}}\n",
    )

    [error] = errors_of(path)

    assert "steps[1].sql: :min_amont is not a job parameter" in error
    assert "(declared: min_amount)" in error


def test_declared_parameters_pass(spec_file: Callable[..., Path]) -> None:
    path = spec_file(
        "steps:\n  - sql: SELECT * FROM input WHERE amount > :min_amount\n",
        "job: {parameters: {min_amount: '0'}}\n",
    )

    assert load_spec_file(path, "gluekit-dev").spec.steps[0].sql


@pytest.mark.parametrize("name", ["pipeline", "batch_id", "validation_status"])
def test_run_property_names_of_the_kit_cannot_be_parameters(
    spec_file: Callable[..., Path], name: str
) -> None:
    [error] = errors_of(spec_file(f"job: {{parameters: {{{name}: x}}}}\n"))

    assert f"parameter name '{name}' is reserved" in error


# -------------------------------------------------------------------------------------- steps
@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("{sql: SELECT 1, python: 'a:b'}", "give exactly one of 'sql' or 'python'"),
        ("{description: nothing}", "give exactly one of 'sql' or 'python'"),
        ("{python: tiers.add_tier}", "is not 'module:function'"),
        ("{pyhton: 'a:b'}", "did you mean 'python'?"),
    ],
)
def test_a_malformed_step_is_one_clear_error(
    spec_file: Callable[..., Path], step: str, message: str
) -> None:
    [error] = errors_of(spec_file(f"steps:\n  - {step}\n"))

    assert "steps[0]" in error and message in error


def test_python_steps_are_found_in_the_code_folder_beside_the_spec(
    spec_file: Callable[..., Path], tmp_path: Path
) -> None:
    path = spec_file("steps:\n  - python: 'rules:tidy'\n  - python: 'lib.helpers:other'\n")
    (tmp_path / "totals" / "lib").mkdir(parents=True)
    (tmp_path / "totals" / "rules.py").write_text("def tidy(frame, context):\n    return frame\n")
    (tmp_path / "totals" / "lib" / "helpers.py").write_text("from .x import other\n")

    loaded = load_spec_file(path, "gluekit-dev")

    assert loaded.code_dir == tmp_path / "totals"


def test_a_python_step_without_its_function_names_what_is_there(
    spec_file: Callable[..., Path], tmp_path: Path
) -> None:
    path = spec_file(
        "steps:\n  - python: 'rules:tidy'\n  - python: 'missing:f'\n  - python: 'broken:f'\n"
    )
    (tmp_path / "totals").mkdir()
    (tmp_path / "totals" / "rules.py").write_text("def tiddy(frame, context):\n    return frame\n")
    (tmp_path / "totals" / "broken.py").write_text("def f(:\n")

    errors = errors_of(path)

    assert len(errors) == 3
    assert "steps[0].python: " in errors[0] and "defines no function 'tidy'" in errors[0]
    assert "(it defines: tiddy)" in errors[0]
    assert "steps[1].python: module 'missing' not found: expected " in errors[1]
    assert errors[1].endswith("totals/missing.py")
    assert "steps[2].python: " in errors[2] and "broken.py line 1" in errors[2]


def test_a_python_step_needs_the_code_folder(spec_file: Callable[..., Path]) -> None:
    [error] = errors_of(spec_file("steps:\n  - python: 'rules:tidy'\n"))

    assert "steps[0].python: the pipeline's code folder" in error and "does not exist" in error


# ------------------------------------------------------------------------------------- output
def test_output_declares_the_curated_shape_and_rules_check_its_columns(
    spec_file: Callable[..., Path],
) -> None:
    path = spec_file(SQL_STEP, OUTPUT, "validation:\n  - {rule: range, column: total, min: 0}\n")

    spec = load_spec_file(path, "gluekit-dev").spec

    assert spec.output is not None and spec.curated is spec.output
    assert [c.type for c in spec.output.columns] == ["string", "decimal(14,2)"]
    assert spec.rules[0].rule == "range"


def test_a_rule_on_a_source_column_the_output_dropped_is_an_error(
    spec_file: Callable[..., Path],
) -> None:
    path = spec_file(SQL_STEP, OUTPUT, "validation:\n  - {rule: range, column: amount, min: 0}\n")

    [error] = errors_of(path)

    assert "validation[0] (range): column 'amount' is not in output" in error


def test_output_without_steps_and_a_key_left_in_the_contract_are_errors(
    spec_file: Callable[..., Path],
) -> None:
    path = spec_file(OUTPUT)
    path.write_text(
        path.read_text().replace("contract:\n", "contract:\n  primary_key: [customer_id]\n")
    )

    [error] = errors_of(path)

    assert "output: the curated columns of 'output' come from steps, and there are none" in error
    assert "contract.primary_key: with 'output' the curated table's primary_key is " in error


def test_output_keys_are_checked_like_the_contract_keys(spec_file: Callable[..., Path]) -> None:
    path = spec_file(SQL_STEP, OUTPUT.replace("[customer_id]", "[total]"))

    [error] = errors_of(path)

    assert "primary_key column(s) ['total'] must be 'nullable: false'" in error


# ------------------------------------------------------------------------------------ lookups
@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        ("{name: fx, table: finance.fx_rates}", "a catalog table needs its 'location'"),
        ("{name: fx, pipeline: rates, location: 's3://bkt/p/'}", "'location' and 'format' are"),
        ("{name: fx}", "give exactly one of 'pipeline' or 'table'"),
        ("{name: input, pipeline: rates}", "'input' is the steps' own view"),
        ("{name: fx, table: fx_rates, location: 's3://bkt/'}", "is not 'database.table'"),
        ("{name: fx, table: f.fx, location: 's3://bkt/p'}", "is not an S3 location"),
        ("{name: fx, pipeline: totals}", "'totals' is this pipeline"),
    ],
)
def test_a_malformed_lookup_is_one_clear_error(
    spec_file: Callable[..., Path], lookup: str, message: str
) -> None:
    [error] = errors_of(spec_file(SQL_STEP, f"lookups:\n  - {lookup}\n"))

    assert message in error


def test_a_lookup_of_a_pipeline_that_does_not_exist_fails_the_folder(
    spec_file: Callable[..., Path], tmp_path: Path
) -> None:
    spec_file(SQL_STEP, "lookups:\n  - {name: fx, pipeline: rates}\n")

    with pytest.raises(SpecErrors) as caught:
        load_specs(tmp_path, "gluekit-dev")

    [error] = [str(e) for e in caught.value.errors]
    assert "lookups[0].pipeline: no pipeline named 'rates'; known: totals" in error


# ------------------------------------------------------------------------------------- render
def test_the_customers_example_renders_its_logic_for_the_jobs() -> None:
    loaded = {i.spec.name: i for i in load_specs(DEFAULT_PIPELINES_DIR, FOUNDATION.prefix)}
    customers = loaded["customers"]

    config = glue_job_config(customers.spec, FOUNDATION)

    assert customers.code_dir == DEFAULT_PIPELINES_DIR / "customers"
    assert [c["name"] for c in config["columns"]][-1] == "tier"  # the curated table
    assert [c["name"] for c in config["source_columns"]] == [
        "customer_id",
        "name",
        "country",
        "signed_up_on",
    ]
    assert config["lookups"] == [
        {"name": "orders", "database": "gluekit_dev", "table": "orders", "format": "iceberg"}
    ]
    assert [s["python"] for s in config["steps"]] == [None, "tiers:add_tier"]
    assert config["code_package"] == "gluekit_code_customers"
    assert config["parameters"] == {"vip_revenue": "200"}
    orders = glue_job_config(loaded["orders"].spec, FOUNDATION)
    assert "source_columns" not in orders and orders["code_package"] is None
    assert loaded["orders"].code_dir is None  # SQL steps ship inside the configuration
