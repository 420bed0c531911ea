"""Helpers to write spec files into a temporary pipelines folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gluekit.spec import SpecErrors, load_spec_file

MINIMAL_SPEC = """\
name: {name}
source: {{format: csv, prefix: {prefix}}}
contract:
  columns:
    - {{name: order_id, type: string, nullable: false}}
    - {{name: amount, type: "decimal(12,2)"}}
    - {{name: created_at, type: timestamp}}
  primary_key: [order_id]
  partition_by:
    - {{name: dt, from: created_at}}
"""


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    def write(
        text: str | None = None,
        *,
        file: str = "orders.yaml",
        name: str = "orders",
        prefix: str = "orders/",
    ) -> Path:
        path = tmp_path / file
        path.write_text(text if text is not None else MINIMAL_SPEC.format(name=name, prefix=prefix))
        return path

    return write


def errors_of(path: Path, prefix: str = "gluekit-dev") -> list[str]:
    """The one-line errors loading ``path`` raises."""
    with pytest.raises(SpecErrors) as caught:
        load_spec_file(path, prefix)
    return [str(e) for e in caught.value.errors]
