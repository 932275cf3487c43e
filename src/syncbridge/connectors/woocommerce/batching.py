"""Batch calls (``POST /<resource>/batch``) and the mapping of their answers back to operations.

A batch answer is 200 even when items fail: each failed item carries ``{"error": {code, message, data}}``.
An item error becomes that item's typed error; an error of the whole call (transport, 5xx, 413, a body
that is not the expected shape) becomes the error of every item the call carried.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from syncbridge.connectors.base import OpResult
from syncbridge.connectors.woocommerce.client import error_from_body
from syncbridge.errors import SyncError, TransientError

if TYPE_CHECKING:
    from syncbridge.connectors.woocommerce.client import WooClient

Json = dict[str, Any]
Action = Literal["create", "update", "delete"]
BATCH_LIMIT = 100  # items per request, all actions together (more answers 413)


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a batch: its action, its payload (an id for a delete) and who asked for it."""

    action: Action
    payload: Any
    tag: Any


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the shop answered for one item: the resource body, or a typed error."""

    tag: Any
    body: Json | None = None
    error: SyncError | None = None

    @property
    def id(self) -> str:
        assert self.body is not None
        return str(self.body["id"])


def item_error(item: Json) -> SyncError | None:
    err = item.get("error")
    if not isinstance(err, dict):
        return None
    data = err.get("data") if isinstance(err.get("data"), dict) else {}
    return error_from_body(int((data or {}).get("status", 400)), err)


def chunks(items: Sequence[Item], size: int = BATCH_LIMIT) -> list[list[Item]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def run_batch(client: WooClient, path: str, items: Sequence[Item]) -> list[Outcome]:
    """Send ``items`` to ``<path>/batch`` (as many requests as the 100-item limit needs); one outcome each."""
    out: list[Outcome] = []
    for part in chunks(items):
        out.extend(_one_batch(client, path, part))
    return out


def _one_batch(client: WooClient, path: str, items: list[Item]) -> list[Outcome]:
    if not items:
        return []
    body: dict[str, list[Any]] = {}
    for item in items:
        body.setdefault(item.action, []).append(item.payload)
    try:
        answer = client.json("POST", f"{path}/batch", body=body)
        if not isinstance(answer, dict):
            raise TransientError("a batch answered something else than an object", code="bad_body")
        cursors: dict[str, int] = {}
        out: list[Outcome] = []
        for item in items:
            position = cursors.get(item.action, 0)
            cursors[item.action] = position + 1
            entries = answer.get(item.action)
            if not isinstance(entries, list) or position >= len(entries) or not isinstance(entries[position], dict):
                raise TransientError(f"a batch answer lacks {item.action} item {position}", code="bad_body")
            entry: Json = entries[position]
            err = item_error(entry)
            out.append(Outcome(item.tag, error=err) if err is not None else Outcome(item.tag, body=entry))
        return out
    except SyncError as exc:
        return [Outcome(item.tag, error=exc) for item in items]


class Results:
    """One ``OpResult`` per operation of a chunk, filled in any order; the first word on an operation wins."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)
        self._by: dict[int, OpResult] = {}

    def ok(self, n: int, external_id: str, *, linked: bool = False) -> None:
        self._by.setdefault(n, OpResult(key=self.keys[n], external_id=external_id, linked_existing=linked))

    def fail(self, n: int, error: SyncError) -> None:
        self._by.setdefault(n, OpResult(key=self.keys[n], error=error))

    def fail_all(self, indexes: Iterable[int], error: SyncError) -> None:
        for n in indexes:
            self.fail(n, error)

    def settled(self, n: int) -> bool:
        return n in self._by

    def done(self) -> list[OpResult]:
        missing = TransientError("the connector reached no outcome for this operation", code="no_outcome")
        return [self._by.get(n) or OpResult(key=key, error=missing) for n, key in enumerate(self.keys)]
