"""`gluekit local query`: SQL over a pipeline's local curated output, with DuckDB (no JVM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gluekit.local.aws_events import ACCOUNT, REGION
from gluekit.naming import FoundationNames, PipelineNames
from gluekit.spec import PipelineSpec


class QueryError(ValueError):
    """The SQL did not run (a typo, an unknown column): one line that says why."""


def curated_dir(spec: PipelineSpec, prefix: str, workdir: Path) -> Path:
    foundation = FoundationNames(prefix, ACCOUNT, REGION)
    names = PipelineNames(prefix, spec.name)
    return workdir / "s3" / foundation.curated_bucket / names.curated_prefix


def query(
    spec: PipelineSpec, sql: str, *, prefix: str, workdir: Path
) -> tuple[list[str], list[Any]]:
    """Run `sql`, in which the pipeline's table name reads its curated Parquet files."""
    import duckdb

    folder = curated_dir(spec, prefix, workdir)
    files = sorted(folder.glob("**/*.parquet"))
    if not files:
        raise FileNotFoundError(
            f"no curated data for '{spec.name}' under {folder}: run 'gluekit local run' first"
        )
    table = PipelineNames(prefix, spec.name).table
    connection = duckdb.connect()
    pattern = str(folder / "**" / "*.parquet").replace("'", "''")
    connection.execute(
        f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{pattern}', hive_partitioning=true)"
    )
    try:
        result = connection.execute(sql)
    except duckdb.Error as exc:
        raise QueryError(f"{type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    columns = [d[0] for d in result.description or []]
    return columns, result.fetchall()


def format_table(columns: list[str], rows: list[Any]) -> str:
    cells = [columns, *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("─" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)
