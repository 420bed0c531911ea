"""Checks an EventBridge cron expression at spec load, long before CloudFormation would."""

from __future__ import annotations

import re

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (field name, lowest, highest, names that may stand for numbers, extra characters allowed)
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...], str], ...] = (
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day-of-month", 1, 31, (), "?LW"),
    ("month", 1, 12, _MONTHS, ""),
    ("day-of-week", 1, 7, _DAYS, "?L#"),
    ("year", 1970, 2199, (), ""),
)
_FORM = "cron(minutes hours day-of-month month day-of-week year), e.g. 'cron(0 1 * * ? *)'"


def validate_cron(expression: str) -> str:
    """Return the expression as `cron(...)`, or raise ValueError saying what is wrong."""
    text = expression.strip()
    match = re.fullmatch(r"cron\((.*)\)", text)
    body = match.group(1) if match else text
    parts = body.split()
    if len(parts) != 6:
        raise ValueError(f"cron needs 6 fields, got {len(parts)}; expected {_FORM}")
    for part, (name, low, high, names, extra) in zip(parts, _FIELDS, strict=True):
        _check_field(part, name, low, high, names, extra)
    if "?" not in (parts[2], parts[4]):
        raise ValueError("cron: one of day-of-month and day-of-week must be '?'")
    if parts[2] == "?" and parts[4] == "?":
        raise ValueError("cron: day-of-month and day-of-week cannot both be '?'")
    return f"cron({' '.join(parts)})"


def _check_field(
    part: str, name: str, low: int, high: int, names: tuple[str, ...], extra: str
) -> None:
    if part in ("*", "?"):
        if part == "?" and "?" not in extra:
            raise ValueError(
                f"cron: '?' is allowed only in day-of-month or day-of-week, not {name}"
            )
        return
    for item in part.split(","):
        base, _, step = item.partition("/")
        if step and not step.isdigit():
            raise ValueError(f"cron {name}: step '{step}' is not a number")
        if base == "*" and step:
            continue
        for bound in base.split("-"):
            _check_value(bound, name, low, high, names, extra)


def _check_value(
    value: str, name: str, low: int, high: int, names: tuple[str, ...], extra: str
) -> None:
    upper = value.upper()
    if upper in names:
        return
    stripped = upper.rstrip("LW") if ("L" in extra or "W" in extra) else upper
    if "#" in stripped and "#" in extra:
        stripped = stripped.split("#", 1)[0]
    if stripped == "" and upper in ("L", "LW"):
        return
    if not stripped.isdigit() or not low <= int(stripped) <= high:
        allowed = f"{low}-{high}" + (f" or {names[0]}..{names[-1]}" if names else "")
        raise ValueError(f"cron {name}: '{value}' is not allowed; allowed: {allowed}")
