"""Tables for people, JSON for scripts, progress on stderr.

A command builds one JSON-ready document and, for people, the lines that show it; `Printer`
writes the one or the other to stdout. Progress lines go to stderr either way, so
`gluekit replay ... --json | jq` still sees only the document.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO


class Printer:
    def __init__(
        self, *, as_json: bool, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.as_json = as_json
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def progress(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def emit(self, document: dict[str, Any], lines: Callable[[], Iterable[str]]) -> None:
        if self.as_json:
            json.dump(document, self.out, indent=2, default=_json_default, ensure_ascii=False)
            self.out.write("\n")
            return
        for line in lines():
            print(line, file=self.out)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """Left-aligned columns, two spaces apart; an empty table says so."""
    cells = [[_cell(v) for v in row] for row in rows]
    if not cells:
        return ["  (none)"]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return [line(list(headers)), *(line(row) for row in cells)]


def fields(pairs: Iterable[tuple[str, Any]]) -> list[str]:
    """`label:  value` lines, values aligned."""
    items = [(label, _cell(value)) for label, value in pairs]
    width = max((len(label) for label, _ in items), default=0) + 2
    return [f"{label + ':':<{width}}{value}" for label, value in items]


def when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    return str(value)
