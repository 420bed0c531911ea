"""Loads and checks every pipeline spec of a folder, or one spec file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from gluekit.naming import max_pipeline_name_length, names_too_long
from gluekit.spec.code import code_folder, python_step_errors
from gluekit.spec.errors import SpecError, SpecErrors, describe_validation_error
from gluekit.spec.models import PipelineSpec
from gluekit.spec.references import unknown_column_references
from gluekit.spec.upstreams import upstream_errors
from gluekit.spec.yaml_source import DuplicateKeyError, load_yaml

DEFAULT_PIPELINES_DIR = Path(__file__).resolve().parents[2] / "pipelines"
SPEC_SUFFIXES = (".yaml", ".yml")
# Lambda's 4 KB for all variables, less the Powertools variables set beside the config.
BRIDGE_CONFIG_BUDGET = 4096 - 256
NOTIFIER_CONFIG_BUDGET = BRIDGE_CONFIG_BUDGET


@dataclass(frozen=True)
class LoadedSpec:
    path: Path
    spec: PipelineSpec

    @property
    def code_dir(self) -> Path | None:
        """The folder of the pipeline's Python steps, beside its spec: ``pipelines/<name>/``."""
        return code_folder(self.path, self.spec) if self.spec.python_steps else None


def spec_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise SpecErrors([SpecError(str(directory), "", "pipelines folder not found")])
    return sorted(p for p in directory.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())


def load_spec_file(path: Path, prefix: str) -> LoadedSpec:
    """Parse one file; raise SpecErrors naming the file and each field that is wrong."""
    file = str(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else ""
        raise SpecErrors([SpecError(file, where, str(exc.problem))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecErrors([SpecError(file, where, f"not valid YAML: {problem}")]) from None
    except OSError as exc:
        raise SpecErrors([SpecError(file, "", f"cannot read: {exc.strerror}")]) from None
    if not isinstance(data, dict):
        raise SpecErrors([SpecError(file, "", "a pipeline spec is a YAML mapping (key: value)")])
    try:
        spec = PipelineSpec.model_validate(data)
    except ValidationError as exc:
        errors = describe_validation_error(exc, file, PipelineSpec)
        raise SpecErrors(errors + _hidden_reference_errors(data, errors, file)) from None
    too_long = names_too_long(prefix, spec.name)
    if too_long:
        service, name, limit = max(too_long, key=lambda t: len(t[1]) - t[2])
        raise SpecErrors(
            [
                SpecError(
                    file,
                    "name",
                    f"'{spec.name}' is too long: with prefix '{prefix}' the {service} name "
                    f"'{name}' has {len(name)} characters, the limit is {limit}; "
                    f"allowed: at most {max_pipeline_name_length(prefix)} characters",
                )
            ]
        )
    code_errors = python_step_errors(path, spec)
    if code_errors:
        raise SpecErrors([SpecError(file, where, message) for where, message in code_errors])
    size = bridge_config_size(spec, prefix)
    if size > BRIDGE_CONFIG_BUDGET:
        raise SpecErrors(
            [
                SpecError(
                    file,
                    "contract.columns",
                    f"the bridge's rendered configuration takes {size} bytes; Lambda allows "
                    f"{BRIDGE_CONFIG_BUDGET} for it (4 KB for all environment variables): "
                    "use shorter source column names or fewer columns",
                )
            ]
        )
    size = notifier_config_size(spec, prefix)
    if size > NOTIFIER_CONFIG_BUDGET:
        raise SpecErrors(
            [
                SpecError(
                    file,
                    "contract.columns",
                    f"the notifier's rendered configuration takes {size} bytes; Lambda allows "
                    f"{NOTIFIER_CONFIG_BUDGET} for it (4 KB for all environment variables): "
                    "use shorter source column names or fewer columns, or turn the crawler off",
                )
            ]
        )
    return LoadedSpec(path, spec)


def _hidden_reference_errors(
    data: dict[str, object], reported: list[SpecError], file: str
) -> list[SpecError]:
    """References to unknown columns that the structural errors kept pydantic from checking."""
    found = []
    for path, message in unknown_column_references(data):
        name = message.split("'")[1]
        if any(f"'{name}'" in e.message or f"{name!r}" in e.message for e in reported):
            continue  # pydantic's own check got this far and said so already
        found.append(SpecError(file, path, message))
    return found


def bridge_config_size(spec: PipelineSpec, prefix: str) -> int:
    """Bytes of the bridge's configuration in the longest account and region names."""
    from gluekit.naming import FoundationNames
    from gluekit.render import bridge_config

    worst_case = FoundationNames(prefix, "123456789012", "ap-southeast-2")
    return len(json.dumps(bridge_config(spec, worst_case), separators=(",", ":")))


def load_specs(directory: Path, prefix: str) -> list[LoadedSpec]:
    """Every spec in `directory`, checked one by one and against each other."""
    errors: list[SpecError] = []
    loaded: list[LoadedSpec] = []
    for path in spec_files(directory):
        try:
            loaded.append(load_spec_file(path, prefix))
        except SpecErrors as exc:
            errors.extend(exc.errors)
    errors.extend(cross_spec_errors(loaded))
    errors.extend(upstream_errors(loaded))
    if errors:
        raise SpecErrors(errors)
    return loaded


def cross_spec_errors(loaded: list[LoadedSpec]) -> list[SpecError]:
    """Problems between specs: a name used twice, raw prefixes that overlap, a lookup of a
    pipeline that does not exist."""
    errors: list[SpecError] = []
    known = {item.spec.name for item in loaded}
    for item in loaded:
        for index, lookup in enumerate(item.spec.lookups):
            if lookup.pipeline is not None and lookup.pipeline not in known:
                errors.append(
                    SpecError(
                        str(item.path),
                        f"lookups[{index}].pipeline",
                        f"no pipeline named '{lookup.pipeline}'; known: {', '.join(sorted(known))}",
                    )
                )
    for index, first in enumerate(loaded):
        for second in loaded[index + 1 :]:
            if first.spec.name == second.spec.name:
                errors.append(
                    SpecError(
                        str(second.path),
                        "name",
                        f"pipeline name '{second.spec.name}' is already used by {first.path}",
                    )
                )
            if first.spec.is_derived or second.spec.is_derived:
                continue  # no raw files: its default prefix is never listened to
            a, b = first.spec.raw_prefix, second.spec.raw_prefix
            if a.startswith(b) or b.startswith(a):
                errors.append(
                    SpecError(
                        str(second.path),
                        "source.prefix",
                        f"raw prefix '{b}' overlaps prefix '{a}' of {first.path}; "
                        "each raw object must belong to exactly one pipeline",
                    )
                )
    return errors


def notifier_config_size(spec: PipelineSpec, prefix: str) -> int:
    """Bytes of the notifier's configuration in the longest partition, account and region."""
    from gluekit.naming import FoundationNames
    from gluekit.render import notifier_config

    worst_case = FoundationNames(prefix, "123456789012", "ap-southeast-2")
    topic_arn = f"arn:aws-us-gov:sns:ap-southeast-2:123456789012:{worst_case.alerts_topic}"
    return len(json.dumps(notifier_config(spec, worst_case, topic_arn), separators=(",", ":")))
