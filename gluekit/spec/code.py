"""The pipeline's own Python code: where it lives, and the checks `gluekit validate` makes on it.

A Python step names ``module:function`` in the pipeline's code folder, the folder named after the
pipeline beside its spec (``pipelines/orders.yaml`` → ``pipelines/orders/``). The checks read
the source without importing it (importing would need Spark and run the module's code): the
module's file exists, parses, and defines the function at its top level.
"""

from __future__ import annotations

import ast
from pathlib import Path

from gluekit.spec.models import PipelineSpec


def code_folder(spec_path: Path, spec: PipelineSpec) -> Path:
    return spec_path.parent / spec.name


def module_file(folder: Path, module: str) -> Path | None:
    """``enrich`` → folder/enrich.py, ``pkg.enrich`` → folder/pkg/enrich.py (or a package)."""
    base = folder.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def python_step_errors(spec_path: Path, spec: PipelineSpec) -> list[tuple[str, str]]:
    """(YAML path, message) for each Python step whose function cannot be found."""
    folder = code_folder(spec_path, spec)
    errors: list[tuple[str, str]] = []
    for index, step in enumerate(spec.steps):
        if step.module is None or step.function is None:
            continue
        where = f"steps[{index}].python"
        if not folder.is_dir():
            errors.append(
                (
                    where,
                    f"the pipeline's code folder {folder}/ does not exist (Python steps live "
                    "beside the spec, in a folder named after the pipeline)",
                )
            )
            continue
        source = module_file(folder, step.module)
        if source is None:
            expected = folder.joinpath(*step.module.split(".")).with_suffix(".py")
            errors.append((where, f"module '{step.module}' not found: expected {expected}"))
            continue
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        except SyntaxError as exc:
            errors.append((where, f"{source} line {exc.lineno}: {exc.msg}"))
            continue
        defined = _top_level_names(tree)
        if step.function not in defined:
            functions = ", ".join(sorted(defined)) or "none"
            errors.append(
                (
                    where,
                    f"{source} defines no function '{step.function}' at its top level "
                    f"(it defines: {functions})",
                )
            )
    return errors


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names
