"""Finds a Python step's function in the pipeline's code, on Glue and on a laptop alike.

The code folder (``pipelines/<name>/``) ships to Glue as the package ``gluekit_code_<table>``
inside a zip that the job's ``--extra-py-files`` puts on the path of the driver and every
executor. Locally the same package name is given to the folder itself, so the step is imported
as ``gluekit_code_<table>.<module>`` everywhere: modules of two pipelines never collide, and a
user's module named like a library (``json``, ``transform``) never hides it. Inside the folder,
modules import each other relatively (``from .rates import latest``).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE_PREFIX = "gluekit_code_"
StepFunction = Callable[..., Any]


class StepCodeError(ImportError):
    """The step's module or function cannot be found, or is not a function."""


def package_for(folder: str | Path) -> str:
    """A code folder's package: ``pipelines/customer-orders`` → ``gluekit_code_customer_orders``."""
    return PACKAGE_PREFIX + re.sub(r"\W", "_", Path(folder).resolve().name)


def use_code_folder(package: str, folder: str | Path) -> None:
    """Make ``package`` the folder (locally, where no zip is on the path)."""
    location = str(Path(folder).resolve())
    current = sys.modules.get(package)
    if current is not None and list(getattr(current, "__path__", [])) == [location]:
        return
    # Another folder had this name before (tests give each their own): forget its modules.
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
    init = Path(location) / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(
            package, init, submodule_search_locations=[location]
        )
    else:
        spec = importlib.machinery.ModuleSpec(package, None, is_package=True)
        spec.submodule_search_locations = [location]
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    if spec.loader is not None:
        spec.loader.exec_module(module)
    importlib.invalidate_caches()


def load_function(
    package: str, reference: str, *, folder: str | Path | None = None, by_value: bool = False
) -> StepFunction:
    """The function ``module:function`` of ``package`` (the folder's, when given).

    ``by_value``: Spark pickles functions of the module (Python UDFs) by value, so that local
    executor processes, which have no such package on their path, can run them.
    """
    module_name, _, function_name = reference.partition(":")
    if not module_name or not function_name:
        raise StepCodeError(f"'{reference}' is not 'module:function'")
    if folder is not None:
        use_code_folder(package, folder)
    try:
        module = importlib.import_module(f"{package}.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == package or exc.name.startswith(f"{package}.")):
            raise StepCodeError(
                f"module '{module_name}' is not in the pipeline's code (package {package}"
                + (f", folder {folder}" if folder is not None else ", shipped as --extra-py-files")
                + ")"
            ) from exc
        raise  # the module itself imports something missing: its own error says what
    function = getattr(module, function_name, None)
    if function is None:
        raise StepCodeError(f"module '{module_name}' has no function '{function_name}'")
    if not callable(function):
        raise StepCodeError(f"'{reference}' is a {type(function).__name__}, not a function")
    if by_value:
        _pickle_by_value(module)
    return function


def import_step(folder: str | Path, reference: str) -> StepFunction:
    """A step function of a code folder, for your tests: ``import_step("pipelines/customers",
    "scoring:add_tier")``. It is imported exactly as the job imports it."""
    return load_function(package_for(folder), reference, folder=folder, by_value=True)


def _pickle_by_value(module: ModuleType) -> None:
    from pyspark import cloudpickle

    cloudpickle.register_pickle_by_value(module)
