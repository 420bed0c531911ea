"""Source drift: columns (CSV header fields, JSON keys, Parquet columns) that the contract does
not know, and the files they came from.

Spark reads sources with the contract's schema, so a column outside it would vanish without a
word; this module finds such columns before transform reads the data, and the pipeline's
``source.on_unknown_columns`` decides what happens (jobs/transform.py): warn, quarantine the
files, or fail the run. CSV headers come from pre-flight (no extra read). JSON needs one pass
over the text (only the keys of each record are kept); Parquet only each file's footer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from gluekit_glue.config import JobConfig
from gluekit_glue.contract import CORRUPT_RECORD
from gluekit_glue.sources import escape_glob
from gluekit_glue.storage import given_path, reported_path

MAX_FILES_LISTED = 20


@dataclass(frozen=True)
class SourceFile:
    uri: str  # the object's s3:// URI, as the manifest names it
    spark_path: str
    header: tuple[str, ...] | None = None  # CSV with a header: its field names


@dataclass(frozen=True)
class UnknownColumn:
    column: str
    files: tuple[str, ...]  # URIs, sorted

    def to_json(self) -> dict[str, Any]:
        return {"column": self.column, "files": list(self.files[:MAX_FILES_LISTED])}


def find_unknown_columns(
    spark: SparkSession, config: JobConfig, files: Sequence[SourceFile]
) -> list[UnknownColumn]:
    """Every column outside the contract's source names, with the files holding it, by name."""
    known = {c.source for c in config.source_columns} | {CORRUPT_RECORD}
    if not files:
        return []
    if config.source.format == "csv":
        pairs = [(name, f.uri) for f in files for name in (f.header or ())]
    elif config.source.format == "json":
        pairs = _json_keys(spark, files)
    else:
        pairs = [
            (name, f.uri)
            for f in files
            for name in spark.read.parquet(escape_glob(f.spark_path)).columns
        ]
    return _grouped((name, uri) for name, uri in pairs if name not in known)


def describe(unknown: Sequence[UnknownColumn]) -> str:
    """ "2 column(s) not in the contract: 'coupon' (in a.csv, b.csv), 'note' (in b.csv)"."""
    shown = ", ".join(
        f"'{u.column}' (in {', '.join(u.files[:3])}"
        + (f" and {len(u.files) - 3} more" if len(u.files) > 3 else "")
        + ")"
        for u in unknown
    )
    return f"{len(unknown)} column(s) not in the contract: {shown}"


def columns_of(uri: str, unknown: Sequence[UnknownColumn]) -> list[str]:
    return [u.column for u in unknown if uri in u.files]


def _json_keys(spark: SparkSession, files: Sequence[SourceFile]) -> list[tuple[str, str]]:
    by_path = {given_path(f.spark_path): f.uri for f in files}
    try:
        rows = _keys_by_file(spark, files)
    except Exception:
        # A file Spark cannot read (truncated gzip) fails the scan: scan each file alone and
        # leave the unreadable ones to transform, which quarantines them with Spark's reason.
        rows = []
        for item in files:
            try:
                rows += _keys_by_file(spark, [item])
            except Exception:
                continue
    return [(key, by_path.get(reported_path(path), path)) for key, path in rows]


def _keys_by_file(spark: SparkSession, files: Sequence[SourceFile]) -> list[tuple[str, str]]:
    rows = (
        spark.read.text([escape_glob(f.spark_path) for f in files])
        # json_object_keys is null for a line that is not a JSON object: transform rejects it.
        .select(F.explode(F.json_object_keys("value")).alias("key"), F.input_file_name().alias("f"))
        .distinct()
        .collect()
    )
    return [(str(r["key"]), str(r["f"])) for r in rows]


def _grouped(pairs: Iterable[tuple[str, str]]) -> list[UnknownColumn]:
    files: dict[str, set[str]] = {}
    for name, uri in pairs:
        files.setdefault(name, set()).add(uri)
    return [UnknownColumn(name, tuple(sorted(files[name]))) for name in sorted(files)]
