"""JSON Schema of a pipeline spec, for editors (`pipelines/schema.json`)."""

from __future__ import annotations

from typing import Any

from gluekit.spec.models import PipelineSpec


def spec_json_schema() -> dict[str, Any]:
    schema = PipelineSpec.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gluekit pipeline spec"
    return schema
