"""Pre-flight checks: does an object look like what the pipeline's contract promises?

Pure functions over the event's facts and the first bytes of the object; the caller reads the
bytes. A check never proves a file good (the Glue job validates every row); it catches the files
that would certainly fail a run, early and with a reason a person can act on.

Checks, in order, and the `check` name each rejection carries:
- `suffix`: the key ends in none of the accepted suffixes;
- `zero_bytes`: the object is empty;
- `max_size`: the object is larger than the spec's max_file_size_mb;
- `compression`: a gzip source that is not readable gzip, or a plain source that is gzip'd;
- `csv_header`: the header line does not name every contract source column (any order: the Glue
  job maps columns by name; none missing, none repeated; extra columns are left to the Glue job,
  which reports them as source drift), or, without a
  header, the first line has the wrong number of fields; the header must be valid text;
- `json_record`: the first non-blank line is not a JSON object holding every required field;
- `parquet_magic`: the object does not start and end with the Parquet magic bytes "PAR1".
"""

from __future__ import annotations

import csv
import json
import zlib
from dataclasses import dataclass

from bridge.config import BridgeConfig

# How much of an object the bridge reads, and how much decompressed text it looks at: a header
# or first record longer than this is rejected rather than half-checked.
HEAD_BYTES = 256 * 1024
TEXT_LIMIT = 256 * 1024
PARQUET_MAGIC = b"PAR1"
PARQUET_TAIL_BYTES = len(PARQUET_MAGIC)
PARQUET_MIN_BYTES = 2 * len(PARQUET_MAGIC) + 4  # magic, footer length, magic
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Rejection:
    check: str
    reason: str


@dataclass(frozen=True)
class Head:
    """The first bytes of an object (all of it when `complete`) and, for Parquet, its last 4."""

    data: bytes
    complete: bool
    tail: bytes = b""


def check_listing(key: str, size: int, config: BridgeConfig) -> Rejection | None:
    """Checks that need only the event: suffix, emptiness, size."""
    if not key.endswith(config.suffixes):
        return Rejection(
            "suffix", f"the key ends in none of the accepted suffixes {list(config.suffixes)}"
        )
    if size == 0:
        return Rejection("zero_bytes", "the file is empty (0 bytes)")
    if size > config.max_file_bytes:
        return Rejection(
            "max_size",
            f"the file has {size} bytes, more than the pipeline's limit of "
            f"{config.max_file_bytes} bytes (source.max_file_size_mb)",
        )
    return None


def needs_tail(config: BridgeConfig) -> bool:
    return config.source.format == "parquet"


def check_content(head: Head, size: int, config: BridgeConfig) -> Rejection | None:
    """Checks on the object's first bytes: compression, then the format's first line / magic."""
    source = config.source
    if source.format == "parquet":
        return _check_parquet(head, size)
    if source.compression == "gzip":
        text, complete, problem = _gunzip_head(head)
        if problem:
            return Rejection("compression", problem)
        if not text and complete:
            return Rejection("zero_bytes", "the gzip stream decompresses to no data")
    else:
        if head.data.startswith(GZIP_MAGIC):
            return Rejection(
                "compression",
                "the file is gzip-compressed, but the pipeline expects uncompressed "
                f"{source.format} (source.compression: none)",
            )
        text, complete = head.data[:TEXT_LIMIT], head.complete and len(head.data) <= TEXT_LIMIT
    if source.format == "csv":
        return _check_csv_header(text, complete, config)
    return _check_json_record(text, complete, config)


def _check_parquet(head: Head, size: int) -> Rejection | None:
    if size < PARQUET_MIN_BYTES:
        return Rejection("parquet_magic", f"{size} bytes is too small to be a Parquet file")
    if not head.data.startswith(PARQUET_MAGIC):
        return Rejection(
            "parquet_magic",
            f"the file does not start with the Parquet magic bytes {PARQUET_MAGIC!r}",
        )
    if head.tail[-PARQUET_TAIL_BYTES:] != PARQUET_MAGIC:
        return Rejection(
            "parquet_magic",
            f"the file does not end with the Parquet magic bytes {PARQUET_MAGIC!r} "
            "(truncated, or not Parquet)",
        )
    return None


def _gunzip_head(head: Head) -> tuple[bytes, bool, str | None]:
    """(text, whether it is the whole text, problem) for the start of a gzip object."""
    if not head.data.startswith(GZIP_MAGIC):
        return b"", False, "the file is not gzip-compressed (it does not start with 1f 8b)"
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        text = inflater.decompress(head.data, TEXT_LIMIT)
    except zlib.error as exc:
        return b"", False, f"the gzip data cannot be read: {exc}"
    if inflater.eof:
        return text, head.complete and not inflater.unused_data, None
    if head.complete and not inflater.unconsumed_tail and len(text) < TEXT_LIMIT:
        return b"", False, "the gzip stream is truncated (it ends before its end marker)"
    return text, False, None


def _first_line(text: bytes, complete: bool, skip_blank: bool) -> bytes | None:
    """The first (non-blank) line without its line break; None when it does not end in view."""
    start = 0
    while True:
        end = text.find(b"\n", start)
        if end == -1 and not complete:
            return None
        line = (text[start:] if end == -1 else text[start:end]).rstrip(b"\r")
        if not skip_blank or line.strip() or end == -1:
            return line
        start = end + 1


def _decode(line: bytes, encoding: str) -> str | None:
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return line.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _check_csv_header(text: bytes, complete: bool, config: BridgeConfig) -> Rejection | None:
    options = config.source.csv
    line = _first_line(text, complete, skip_blank=False)
    if line is None:
        return Rejection(
            "csv_header", f"the first line does not end within the first {TEXT_LIMIT} bytes"
        )
    decoded = _decode(line, options.encoding)
    if decoded is None:
        return Rejection("csv_header", f"the first line is not valid {options.encoding} text")
    fields = next(csv.reader([decoded], delimiter=options.delimiter, quotechar=options.quote), [])
    expected = list(config.expected_columns)
    if not options.header:
        if len(fields) != len(expected):
            return Rejection(
                "csv_header",
                f"the first line has {len(fields)} fields; the contract has {len(expected)} "
                "columns",
            )
        return None
    names = [f.strip() for f in fields]
    if not any(names):
        return Rejection("csv_header", f"the header line is empty; expected {expected}")
    missing = [c for c in expected if c not in names]
    repeated = sorted({c for c in names if names.count(c) > 1})
    # Extra columns are source drift: transform reports them with their files and applies the
    # spec's source.on_unknown_columns, so one place decides (and JSON keys get the same policy).
    if not (missing or repeated):
        return None
    parts = []
    if missing:
        parts.append(f"missing {missing}")
    if repeated:
        parts.append(f"repeated {repeated}")
    return Rejection(
        "csv_header",
        f"the header does not match the contract ({'; '.join(parts)}): got {names}, "
        f"expected {expected} (delimiter {options.delimiter!r})",
    )


def _check_json_record(text: bytes, complete: bool, config: BridgeConfig) -> Rejection | None:
    line = _first_line(text, complete, skip_blank=True)
    if line is None:
        return Rejection(
            "json_record", f"the first record does not end within the first {TEXT_LIMIT} bytes"
        )
    decoded = _decode(line, "utf-8")
    if decoded is None:
        return Rejection("json_record", "the first record is not valid UTF-8 text")
    if not decoded.strip():
        return Rejection("zero_bytes", "the file holds no records (only blank lines)")
    try:
        record = json.loads(decoded)
    except json.JSONDecodeError as exc:
        return Rejection(
            "json_record", f"the first line is not JSON ({exc.msg}); expected one object per line"
        )
    if not isinstance(record, dict):
        return Rejection(
            "json_record",
            f"the first line is a JSON {type(record).__name__}, expected one object per line",
        )
    missing = [f for f in config.required_fields if record.get(f) is None]
    if missing:
        return Rejection(
            "json_record", f"the first record lacks required field(s) {missing} (or they are null)"
        )
    return None
