"""Column references checked on a spec that failed validation elsewhere.

Pydantic runs a model's cross-field checks only when all of its fields are valid, so one
structural mistake (say `job.workers: many`) would hide a rule on a column that does not exist
until the first mistake is fixed. This walks the raw YAML tolerantly and reports every reference
to an unknown column at once, beside the structural errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def unknown_column_references(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(YAML path, message) for each reference to a column the contract does not declare."""
    contract = data.get("contract")
    if not isinstance(contract, dict) or not isinstance(contract.get("columns"), list):
        return
    names = [c.get("name") for c in contract["columns"] if isinstance(c, dict)]
    known = {n for n in names if isinstance(n, str)}
    if not known:
        return
    listed = ", ".join(sorted(known))

    def unknown(value: Any) -> bool:
        return isinstance(value, str) and value not in known

    for index, key in enumerate(_as_list(contract.get("primary_key"))):
        if unknown(key):
            yield f"contract.primary_key[{index}]", f"'{key}' is not a contract column ({listed})"
    if unknown(contract.get("order_by")):
        order_by = contract["order_by"]
        yield "contract.order_by", f"'{order_by}' is not a contract column ({listed})"
    for index, part in enumerate(_as_list(contract.get("partition_by"))):
        if isinstance(part, dict) and unknown(part.get("from")):
            yield (
                f"contract.partition_by[{index}].from",
                f"'{part['from']}' is not a contract column ({listed})",
            )
    # With `output`, the rules check the curated columns that the steps produce.
    output = data.get("output")
    if isinstance(output, dict) and isinstance(output.get("columns"), list):
        names = [c.get("name") for c in output["columns"] if isinstance(c, dict)]
        known = {n for n in names if isinstance(n, str)}
        listed = ", ".join(sorted(known))
        kind = "an output"
    else:
        kind = "a contract"
    for index, rule in enumerate(_as_list(data.get("validation"))):
        if not isinstance(rule, dict):
            continue
        if unknown(rule.get("column")):
            yield (
                f"validation[{index}].column",
                f"'{rule['column']}' is not {kind} column ({listed})",
            )
        for position, column in enumerate(_as_list(rule.get("columns"))):
            if unknown(column):
                yield (
                    f"validation[{index}].columns[{position}]",
                    f"'{column}' is not {kind} column ({listed})",
                )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
