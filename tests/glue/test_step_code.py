"""Python steps are found in the pipeline's code folder as one package, whatever its modules are
called, and a step's Python UDF runs in local executor processes that have no such package."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from gluekit_glue.step_code import StepCodeError, load_function, package_for


def code_folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_modules_of_the_folder_import_each_other_relatively_under_the_package(
    tmp_path: Path,
) -> None:
    folder = code_folder(
        tmp_path / "customer-orders",
        {
            # named like a standard module: as part of the package it hides nothing
            "json.py": "from .rates import RATE\n\ndef f(frame, context):\n    return RATE\n",
            "rates.py": "RATE = 7\n",
        },
    )

    function = load_function(package_for(folder), "json:f", folder=folder)

    assert package_for(folder) == "gluekit_code_customer_orders"
    assert function(None, None) == 7
    import json

    assert hasattr(json, "dumps")  # the standard library's json is untouched


def test_another_folder_under_the_same_package_name_replaces_the_first(tmp_path: Path) -> None:
    first = code_folder(tmp_path / "a", {"m.py": "def f(frame, context):\n    return 1\n"})
    second = code_folder(tmp_path / "b", {"m.py": "def f(frame, context):\n    return 2\n"})

    assert load_function("gluekit_code_t", "m:f", folder=first)(None, None) == 1
    assert load_function("gluekit_code_t", "m:f", folder=second)(None, None) == 2


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("nope:f", "module 'nope' is not in the pipeline's code (package gluekit_code_e, folder"),
        ("m:g", "module 'm' has no function 'g'"),
        ("m:VALUE", "'m:VALUE' is a int, not a function"),
        ("m", "'m' is not 'module:function'"),
    ],
)
def test_a_missing_module_or_function_is_a_clear_error(
    tmp_path: Path, reference: str, message: str
) -> None:
    folder = code_folder(
        tmp_path / "e", {"m.py": "VALUE = 1\n\ndef f(frame, context):\n    pass\n"}
    )

    with pytest.raises(StepCodeError) as caught:
        load_function("gluekit_code_e", reference, folder=folder)

    assert str(caught.value).startswith(message)


def test_a_module_that_imports_something_missing_says_what(tmp_path: Path) -> None:
    folder = code_folder(tmp_path / "d", {"m.py": "import not_installed_anywhere\n"})

    with pytest.raises(ModuleNotFoundError, match="not_installed_anywhere"):
        load_function("gluekit_code_d", "m:f", folder=folder)


def test_a_python_udf_of_a_step_runs_in_local_executors(
    spark: SparkSession, tmp_path: Path
) -> None:
    folder = code_folder(
        tmp_path / "udfs",
        {
            "m.py": (
                "from pyspark.sql import functions as F\n\n"
                "def initials(name):\n"
                "    return ''.join(part[0] for part in name.split())\n\n"
                "def f(frame, context):\n"
                "    # a module function as UDF: Spark pickles it by reference unless told\n"
                "    return frame.withColumn('initials', F.udf(initials, 'string')('name'))\n"
            )
        },
    )
    step = load_function("gluekit_code_udfs", "m:f", folder=folder, by_value=True)

    result = step(spark.createDataFrame([("Ana Lima",)], "name string"), None)

    assert result.first()["initials"] == "AL"
