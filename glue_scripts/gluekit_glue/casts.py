"""How source text becomes a contract type: exactly, strictly, and independent of the session.

Every rule here refuses text rather than guess: a value that would be rounded, truncated, wrapped
or completed (a year taken for a date) is a failed cast, and the row is rejected with a reason
that says in words what was expected. No value passes through a double unless its column is one.

The try_ SQL functions return null instead of raising whatever ``spark.sql.ansi.enabled`` is
(Glue 6 / Spark 4 turn ANSI on). ``Column.try_cast`` arrives in PySpark 4, so the casts are SQL
expressions over a column name.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F

from gluekit_glue.config import ColumnConfig

WHOLE_NUMBER = r"^[+-]?[0-9]+$"
# Plain or scientific notation; the exponent is bounded so that its arithmetic stays an int.
DECIMAL_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]{1,4})?$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Date, 'T' or space, hh:mm[:ss[.ffffff]], optional offset. Spark keeps microseconds: more
# fraction digits would be cut off silently, so they are refused.
ISO_TIMESTAMP = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
ISO_OFFSET = r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
MINUTES_ONLY = r"^(.{10}[T ][0-9]{2}:[0-9]{2})($|[Z+-])"
# Pattern letters that read a zone or offset (Spark datetime patterns).
ZONE_LETTERS = frozenset("VzOXxZ")
WHOLE_RANGES = {"int": (-(2**31), 2**31 - 1), "bigint": (-(2**63), 2**63 - 1)}
DEFAULT_TRUE, DEFAULT_FALSE = ("true",), ("false",)


@dataclass(frozen=True)
class CastPlan:
    value: Column  # the typed value; null when the text is absent or does not cast
    present: Column  # the text holds a value (not null, not a null marker, not blank)
    valid: Column  # a present text that is a value of the type, exactly
    expected: str  # what a valid text looks like, in words, for the reject reason


def null_marked(text: Column, null_values: tuple[str, ...]) -> Column:
    """Null where the text, trimmed of spaces, is one of the source's null markers."""
    if not null_values:
        return text
    return F.when(F.trim(text).isin(list(null_values)), F.lit(None)).otherwise(text)


def prepared_text(text: Column, column: ColumnConfig, null_values: tuple[str, ...]) -> Column:
    """The text a cast reads: null markers applied; for other than strings, trimmed, and blank
    is null (a blank cannot be a number, date or boolean)."""
    marked = null_marked(text, null_values)
    if column.type == "string":
        return marked
    return F.nullif(F.trim(marked), F.lit(""))


def cast_text(name: str, column: ColumnConfig, timezone: str) -> CastPlan:
    """How the prepared text in column ``name`` becomes ``column``'s type."""
    text = F.col(name)
    present = text.isNotNull()
    quoted = sql_name(name)
    kind = column.type
    if kind == "string":
        return CastPlan(text, present, F.lit(True), "text")
    if kind in WHOLE_RANGES:
        low, high = WHOLE_RANGES[kind]
        # try_cast refuses out-of-range values (2147483648 into int) instead of wrapping.
        return CastPlan(
            _try_cast(quoted, kind),
            present,
            text.rlike(WHOLE_NUMBER),
            f"a whole number from {low} to {high}",
        )
    if kind == "double":
        return CastPlan(_try_cast(quoted, kind), present, F.lit(True), "a number")
    if kind == "boolean":
        return _boolean(text, column)
    if kind == "date":
        return _date(text, quoted, column)
    if kind == "timestamp":
        return _timestamp(text, quoted, column, timezone)
    decimal = column.decimal
    if decimal is None:
        raise ValueError(f"column '{column.name}': no cast for type {kind}")
    return _decimal(text, quoted, decimal)


def _decimal(text: Column, quoted: str, decimal: tuple[int, int]) -> CastPlan:
    """Exact for every precision: the digits the text needs are counted on the text itself, so
    nothing is rounded (try_cast rounds 1.005 to 1.01 for decimal(38,2)) and nothing needs a
    wider type than decimal(38)."""
    precision, scale = decimal
    shaped = text.rlike(DECIMAL_NUMBER)
    whole = F.regexp_extract(text, r"^[+-]?([0-9]*)", 1)
    fraction = F.regexp_extract(text, r"^[+-]?[0-9]*[.]([0-9]*)", 1)
    exponent = F.when(
        shaped & text.rlike("[eE]"),
        F.regexp_extract(text, r"[eE]([+-]?[0-9]+)$", 1).cast("int"),
    ).otherwise(F.lit(0))
    digits = F.concat(whole, fraction)
    point = F.length(whole) + exponent  # where the decimal point falls in `digits`
    leading_zeros = F.length(F.regexp_extract(digits, r"^(0*)", 1))
    trailing_zeros = F.length(F.regexp_extract(digits, r"(0*)$", 1))
    after_point = F.greatest(F.lit(0), F.length(digits) - trailing_zeros - point)
    before_point = F.greatest(F.lit(0), point - leading_zeros)
    fits = ~digits.rlike("[1-9]") | ((after_point <= scale) & (before_point <= precision - scale))
    if scale:
        expected = (
            f"a number with at most {precision - scale} digits before the decimal point "
            f"and {scale} after it"
        )
    else:
        expected = f"a whole number of at most {precision} digits"
    value = _try_cast(quoted, f"decimal({precision},{scale})")
    return CastPlan(value, text.isNotNull(), shaped & fits, expected)


def _boolean(text: Column, column: ColumnConfig) -> CastPlan:
    trues = [v.strip().lower() for v in column.true_values or DEFAULT_TRUE]
    falses = [v.strip().lower() for v in column.false_values or DEFAULT_FALSE]
    lowered = F.lower(text)
    value = F.when(lowered.isin(trues), F.lit(True)).when(lowered.isin(falses), F.lit(False))
    words = ", ".join(f"'{v}'" for v in [*trues, *falses])
    return CastPlan(
        value.cast("boolean"), text.isNotNull(), F.lit(True), f"one of {words} (any case)"
    )


def _date(text: Column, quoted: str, column: ColumnConfig) -> CastPlan:
    if column.format:
        # The pattern must match the whole text (Java's parser refuses leftovers); the
        # timestamp is local midnight and cast back to a date in the same zone, whatever it is.
        value = F.try_to_timestamp(text, F.lit(column.format)).cast("date")
        return CastPlan(value, text.isNotNull(), F.lit(True), f"a date written {column.format}")
    # A plain cast takes '2026' as 2026-01-01 and '2026-11-21T10:00' as that day.
    return CastPlan(
        _try_cast(quoted, "date"),
        text.isNotNull(),
        text.rlike(ISO_DATE),
        "a date written yyyy-MM-dd",
    )


def _timestamp(text: Column, quoted: str, column: ColumnConfig, timezone: str) -> CastPlan:
    """Text with an offset keeps it; text without one is read in the source's time zone, named
    in the text itself so that the session's time zone never matters."""
    zone = timezone.replace("'", "")
    if column.format:
        if _reads_zone(column.format):
            value = F.try_to_timestamp(text, F.lit(column.format))
        else:
            value = F.try_to_timestamp(
                F.concat(text, F.lit(f" {zone}")), F.lit(f"{column.format} VV")
            )
        return CastPlan(
            value, text.isNotNull(), F.lit(True), f"a timestamp written {column.format}"
        )
    # Spark's cast reads a zone or offset only after the seconds: add ':00' where they are left
    # out (ISO 8601 allows that).
    seconds = f"regexp_replace({quoted}, '{MINUTES_ONLY}', '$1:00$2')"
    value = F.expr(
        f"CASE WHEN {quoted} RLIKE '{ISO_OFFSET}' THEN try_cast({seconds} AS timestamp) "
        f"ELSE try_cast(concat({seconds}, ' {zone}') AS timestamp) END"
    )
    return CastPlan(
        value,
        text.isNotNull(),
        text.rlike(ISO_TIMESTAMP),
        "an ISO 8601 timestamp such as 2026-11-21T08:15:00, at most 6 fraction digits, "
        f"with an offset such as Z or +01:00 (without one: time zone {zone})",
    )


def _reads_zone(pattern: str) -> bool:
    """Whether a datetime pattern has a zone or offset field (text in quotes is literal)."""
    unquoted = "".join(part for i, part in enumerate(pattern.split("'")) if i % 2 == 0)
    return any(letter in ZONE_LETTERS for letter in unquoted)


def _try_cast(quoted: str, type_: str) -> Column:
    return F.expr(f"try_cast({quoted} AS {type_})")


def sql_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
