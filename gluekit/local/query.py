"""`gluekit local query`: SQL over a pipeline's local curated Iceberg table, with no JVM.

pyiceberg reads the table's current snapshot (its deletes applied) into Arrow, and DuckDB runs
the SQL on that Arrow table. DuckDB's own Iceberg extension would be downloaded at first use,
which these machines cannot; Spark would cost a JVM start (~6 s) per query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gluekit.local.aws_events import ACCOUNT, REGION
from gluekit.naming import FoundationNames, PipelineNames
from gluekit.spec import PipelineSpec


class QueryError(ValueError):
    """The SQL did not run (a typo, an unknown column): one line that says why."""


def curated_dir(spec: PipelineSpec, prefix: str, workdir: Path) -> Path:
    """Where the local (hadoop) catalog keeps the table: <warehouse>/<database>/<table>."""
    foundation = FoundationNames(prefix, ACCOUNT, REGION)
    names = PipelineNames(prefix, spec.name)
    return workdir / "s3" / foundation.curated_bucket / foundation.database / names.table


def current_metadata(folder: Path) -> Path | None:
    """The table's current metadata file, as the hadoop catalog records it (version-hint)."""
    hint = folder / "metadata" / "version-hint.text"
    if not hint.is_file():
        return None
    return folder / "metadata" / f"v{hint.read_text(encoding='utf-8').strip()}.metadata.json"


def read_table(spec: PipelineSpec, prefix: str, workdir: Path, version: str | None = None) -> Any:
    """The current snapshot as an Arrow table; or ``version``'s: a branch (a run's
    ``run_<run id>``, kept when its validation failed), a tag or a snapshot id."""
    from pyiceberg.table import StaticTable

    folder = curated_dir(spec, prefix, workdir)
    metadata = current_metadata(folder)
    if metadata is None:
        raise FileNotFoundError(
            f"no curated table for '{spec.name}' under {folder}: run 'gluekit local run' first"
        )
    table = StaticTable.from_metadata(metadata.resolve().as_uri())
    if version is None:
        return table.scan().to_arrow()
    ref = table.metadata.refs.get(version)
    snapshot_id = ref.snapshot_id if ref else int(version) if version.isdigit() else None
    if snapshot_id is None or table.snapshot_by_id(snapshot_id) is None:
        known = ", ".join(sorted(table.metadata.refs)) or "none"
        raise QueryError(f"no branch, tag or snapshot '{version}' in the table (refs: {known})")
    return table.scan(snapshot_id=snapshot_id).to_arrow()


def query(
    spec: PipelineSpec, sql: str, *, prefix: str, workdir: Path, version: str | None = None
) -> tuple[list[str], list[Any]]:
    """Run `sql`, in which the pipeline's table name reads the curated table's current rows
    (or those of ``version``, see `read_table`)."""
    import duckdb

    arrow = read_table(spec, prefix, workdir, version)
    table = PipelineNames(prefix, spec.name).table
    connection = duckdb.connect()
    connection.register(table, arrow)
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
