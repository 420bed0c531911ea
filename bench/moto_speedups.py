"""Make moto's DynamoDB answer the bridge's index queries in time proportional to the index.

moto 5.2.5 answers every query on a global secondary index by sorting the *whole table* by its
key with `DynamoType` comparisons (`Table.all_items`), keeping the items of the index's key, and
sorting those again (`Table.sorted_items`), also with `DynamoType` comparisons. The claims table
of a 10,000-delivery storm holds 7,000 object claims, while its sparse `waiting` index holds only
the objects that wait; each of the thousands of index queries the bridge makes then costs
seconds on these machines, which is moto's cost, not the bridge's (DynamoDB reads one page of
the index).

`fast_index_queries()` keeps every request and every answer the same and changes how moto
finds them:
- an index query considers only the items that carry the index's partition key attribute
  (what DynamoDB indexes; moto drops the others after its full sort anyway);
- the sort uses native keys (Decimal for numbers, str for strings: the order of
  `DynamoType.cast_value`, which moto's comparisons use).
`checked_every` compares one query in that many against moto's own answer and raises on any
difference, so the bench cannot print figures from a wrong simulation.

It also stops moto from keeping every DynamoDB `Item` it ever made: moto's `BaseModel` appends
each instance to its class's `instances_tracked` (for the moto server's dashboard), and every
query answers with deep copies of its items, so a 10,000-delivery storm kept gigabytes of copies
(the backlog run grew by about 1 GB a minute, past 7.8 GB). Nothing in moto reads that list
but the dashboard and its reset.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from unittest import mock


class SimulationDiverged(AssertionError):
    """The fast index query answered differently from moto's own."""


def _native(value: Any) -> Any:
    # Same order as DynamoType.__lt__ on the key types a table may use (S, N, B).
    if value.type == "N":
        return (1, Decimal(value.value))
    return (0 if value.type == "S" else 2, value.value)


@contextlib.contextmanager
def fast_index_queries(checked_every: int = 200) -> Iterator[dict[str, int]]:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_all_items = Table.all_items
    stats = {"index_queries": 0, "checked": 0}

    def sorted_items(
        self: Table, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Any]
    ) -> list[Any]:
        attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        items.sort(key=lambda item: tuple(_native(item.attrs[a]) for a in attrs))
        return items

    signature = inspect.signature(original_query)

    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        # moto passes index_name by position: read it as the signature binds it.
        index_name = signature.bind(self, *args, **kwargs).arguments.get("index_name")
        if not index_name:
            return original_query(self, *args, **kwargs)
        stats["index_queries"] += 1
        index = {i.name: i for i in self.all_indexes()}.get(index_name)
        if index is None:
            return original_query(self, *args, **kwargs)
        hash_attrs = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]

        def index_members() -> list[Any]:
            items: Iterator[Any] = (
                (i for group in self.items.values() for i in group.values())
                if self.range_key_attr
                else iter(self.items.values())
            )
            return [i for i in items if all(a in i.attrs for a in hash_attrs)]

        with mock.patch.object(self, "all_items", index_members):
            answer = original_query(self, *args, **kwargs)
        if checked_every and stats["index_queries"] % checked_every == 1:
            # moto's own path: the table-wide sort and its own comparisons.
            with (
                mock.patch.object(Table, "sorted_items", original_sorted_items),
                mock.patch.object(self, "all_items", lambda: original_all_items(self)),
            ):
                expected = original_query(self, *args, **kwargs)
            if _shape(answer) != _shape(expected):
                raise SimulationDiverged(f"index query {index_name} answered differently")
            stats["checked"] += 1
        return answer

    original_sorted_items = Table.sorted_items
    with (
        mock.patch.object(Table, "query", query),
        mock.patch.object(Table, "sorted_items", sorted_items),
        mock.patch.object(Item, "instances_tracked", _NotTracked()),
    ):
        yield stats


class _NotTracked(list[Any]):
    """An `instances_tracked` that keeps nothing."""

    def append(self, instance: Any) -> None:
        return None


def _shape(answer: Any) -> Any:
    results, scanned, last_key = answer
    return ([r.to_json() for r in results], scanned, last_key)
