"""Pipeline specs: typed models, loading and readable errors."""

from gluekit.spec.errors import SpecError, SpecErrors
from gluekit.spec.loader import DEFAULT_PIPELINES_DIR, LoadedSpec, load_spec_file, load_specs
from gluekit.spec.models import PipelineSpec

__all__ = [
    "DEFAULT_PIPELINES_DIR",
    "LoadedSpec",
    "PipelineSpec",
    "SpecError",
    "SpecErrors",
    "load_spec_file",
    "load_specs",
]
