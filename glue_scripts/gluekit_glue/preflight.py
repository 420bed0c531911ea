"""Cheap whole-file checks on the first bytes of an object, before Spark reads it.

A file that fails here is quarantined whole, with the reason. These are pure functions over
bytes; the job fetches the bytes with one ranged GET per file.
"""

from __future__ import annotations

import csv
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from gluekit_glue.config import SourceConfig

PROBE_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
OTHER_DELIMITERS = (",", ";", "\t", "|")
PYTHON_ENCODINGS = {"utf-8": "utf-8", "latin-1": "latin-1"}


@dataclass(frozen=True)
class FileCheck:
    reason: str | None = None
    # CSV with a header: the source column names in the file's order.
    header: tuple[str, ...] | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def check_text_file(
    head: bytes, size: int, source: SourceConfig, expected: Sequence[str]
) -> FileCheck:
    """Check a CSV or JSON-lines file from its first bytes (``head``) and its size."""
    if size == 0:
        return FileCheck("empty file (0 bytes)")
    whole = len(head) >= size
    if source.compression == "gzip":
        if not head.startswith(GZIP_MAGIC):
            return FileCheck("not gzip data, but the pipeline's source compression is gzip")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(head)
        except zlib.error as exc:
            return FileCheck(f"corrupt gzip data: {exc}")
        if whole and not inflater.eof:
            return FileCheck("truncated gzip file: the data ends before the gzip trailer")
        complete = whole and inflater.eof
    else:
        if head.startswith(GZIP_MAGIC):
            return FileCheck("gzip-compressed, but the pipeline's source compression is none")
        data = head
        complete = whole
    encoding = PYTHON_ENCODINGS.get(source.csv.encoding, "utf-8")
    text = data.decode(encoding, errors="replace").lstrip("\ufeff")
    if not text.strip():
        return FileCheck("empty file (no records)") if complete else FileCheck()
    newline = text.find("\n")
    if newline < 0 and not complete:
        return FileCheck(f"no line break in the first {len(head)} bytes: not a line-based file")
    first_line = (text if newline < 0 else text[:newline]).rstrip("\r")
    if source.format == "json":
        return _check_json_line(first_line)
    return _check_csv_header(first_line, source, expected)


def check_parquet_file(head: bytes, tail: bytes, size: int) -> FileCheck:
    if size == 0:
        return FileCheck("empty file (0 bytes)")
    if size < 12 or not head.startswith(PARQUET_MAGIC) or not tail.endswith(PARQUET_MAGIC):
        return FileCheck("not a Parquet file (no PAR1 magic at its start and end)")
    return FileCheck()


def _check_json_line(line: str) -> FileCheck:
    try:
        record = json.loads(line)
    except ValueError:
        return FileCheck(f"not JSON lines: the first line is not JSON: {_clip(line)!r}")
    if not isinstance(record, dict):
        return FileCheck(f"not JSON lines: the first line is not a JSON object: {_clip(line)!r}")
    return FileCheck()


def _check_csv_header(line: str, source: SourceConfig, expected: Sequence[str]) -> FileCheck:
    options = source.csv
    fields = next(csv.reader([line], delimiter=options.delimiter, quotechar=options.quote), [])
    if not options.header:
        if len(fields) != len(expected):
            return FileCheck(
                f"the first line has {len(fields)} fields, the contract has {len(expected)} "
                f"columns (delimiter {options.delimiter!r})"
            )
        return FileCheck()
    names = tuple(f.strip() for f in fields)
    missing = [c for c in expected if c not in names]
    repeated = sorted({c for c in names if names.count(c) > 1})
    # Columns the contract does not know are source drift, not a broken file: the transform job
    # reports them and applies source.on_unknown_columns (gluekit_glue.drift).
    if not (missing or repeated):
        return FileCheck(header=names)
    problems = []
    if missing:
        problems.append(f"missing {missing}")
    if repeated:
        problems.append(f"repeated {repeated}")
    reason = f"header does not match the contract: {', '.join(problems)}; header: {_clip(line)!r}"
    others = [d for d in OTHER_DELIMITERS if d != options.delimiter and d in line]
    if len(fields) == 1 and others:
        reason += (
            f" (the contract's delimiter is {options.delimiter!r}; "
            f"the header contains {others[0]!r}: wrong delimiter?)"
        )
    return FileCheck(reason)


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
