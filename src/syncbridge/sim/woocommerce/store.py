"""The simulator's in-memory shop: rows indexed by id, SKU and e-mail, plus sorted listing indexes.

All access goes through one re-entrant lock (the ASGI app runs sync handlers in a thread pool). Every change
bumps ``modified`` from the store clock and is announced to listeners (the webhook dispatcher).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from syncbridge.sim.woocommerce.index import SortedIndex
from syncbridge.sim.woocommerce.rows import (
    CustomerRow,
    NoteRow,
    OrderRow,
    ProductRow,
    RefundRow,
    WebhookRow,
)

Kind = Literal["products", "orders", "customers"]
Listener = Callable[[str, str, int], None]  # (resource, event, id)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A validated collection query (see ``listing.parse_list_query``)."""

    page: int = 1
    per_page: int = 10
    offset: int | None = None
    orderby: str = "date"
    desc: bool = True
    statuses: tuple[str, ...] = ()  # () = the default ("any": everything but the trash)
    include: tuple[int, ...] = ()
    sku: str | None = None
    email: str | None = None
    search: str | None = None
    modified_after: int | None = None
    modified_before: int | None = None
    after: int | None = None  # creation date (orders)
    before: int | None = None
    parent: int | None = None

    @property
    def start(self) -> int:
        return self.offset if self.offset is not None else (self.page - 1) * self.per_page


class Store:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.skew = 0.0
        self.products: dict[int, ProductRow] = {}
        self.customers: dict[int, CustomerRow] = {}
        self.orders: dict[int, OrderRow] = {}
        self.refunds: dict[int, RefundRow] = {}
        self.notes: dict[int, NoteRow] = {}
        self.webhooks: dict[int, WebhookRow] = {}
        self.sku_index: dict[str, int] = {}
        self.email_index: dict[str, int] = {}
        self.username_index: set[str] = set()
        self._live: dict[Kind, SortedIndex] = {k: SortedIndex() for k in ("products", "orders", "customers")}
        self._trash: dict[Kind, SortedIndex] = {k: SortedIndex() for k in ("products", "orders", "customers")}
        self._all: dict[Kind, SortedIndex] = {k: SortedIndex() for k in ("products", "orders", "customers")}
        self._next = {"post": 10, "user": 2, "comment": 1, "item": 1, "webhook": 1, "meta": 100}
        self.listeners: list[Listener] = []
        self.writes = 0

    # -- time and ids -----------------------------------------------------------------------------
    def now(self) -> int:
        return int(self.clock() + self.skew)

    def next_id(self, space: str) -> int:
        value = self._next[space]
        self._next[space] = value + 1
        return value

    def emit(self, resource: str, event: str, row_id: int) -> None:
        self.writes += 1
        for listener in list(self.listeners):
            listener(resource, event, row_id)

    # -- indexes ----------------------------------------------------------------------------------
    def index_add(self, kind: Kind, row_id: int, modified: int, trashed: bool) -> None:
        (self._trash if trashed else self._live)[kind].add(row_id, modified)
        self._all[kind].add(row_id, modified)

    def index_remove(self, kind: Kind, row_id: int, modified: int) -> None:
        for bucket in (self._live, self._trash, self._all):
            bucket[kind].remove(row_id, modified)

    def count(self, kind: Kind, *, trashed: bool = False) -> int:
        return len((self._trash if trashed else self._live)[kind])

    def page_ids(
        self, kind: Kind, q: ListQuery, *, bucket: str, scan: Callable[[], list[int]] | None
    ) -> tuple[int, list[int]]:
        """(total, ids of the requested page). ``bucket`` is live / trash / all; ``scan`` a filtered fallback."""
        index = {"live": self._live, "trash": self._trash, "all": self._all}[bucket][kind]
        if (
            scan is None
            and q.orderby in {"id", "date", "registered_date"}
            and q.modified_after is None
            and q.modified_before is None
        ):
            # ids are assigned in creation order, so id order is also creation-date order
            return index.by_id(desc=q.desc, offset=q.start, limit=q.per_page)
        if scan is None and q.orderby == "modified":
            return index.by_modified(
                after=q.modified_after,
                before=q.modified_before,
                desc=q.desc,
                offset=q.start,
                limit=q.per_page,
            )
        ids = scan() if scan is not None else self._filtered_by_date(kind, index, q)
        ids.sort(key=self._sort_key(kind, q.orderby), reverse=q.desc)
        return len(ids), ids[q.start : q.start + q.per_page]

    def _filtered_by_date(self, kind: Kind, index: SortedIndex, q: ListQuery) -> list[int]:
        total, ids = index.by_modified(
            after=q.modified_after, before=q.modified_before, desc=False, offset=0, limit=len(index)
        )
        del total
        return ids

    def _sort_key(self, kind: Kind, orderby: str) -> Callable[[int], tuple[object, ...]]:
        if kind == "products":
            rows_p = self.products
            if orderby == "modified":
                return lambda i: (rows_p[i].modified, i)
            if orderby in {"title", "name"}:
                return lambda i: (rows_p[i].name.lower(), i)
        if kind == "orders":
            rows_o = self.orders
            if orderby == "modified":
                return lambda i: (rows_o[i].modified, i)
        if kind == "customers":
            rows_c = self.customers
            if orderby == "name":
                return lambda i: (rows_c[i].first_name.lower() + " " + rows_c[i].last_name.lower(), i)
            if orderby == "modified":
                return lambda i: (rows_c[i].modified, i)
        return lambda i: (i,)

    # -- row bookkeeping --------------------------------------------------------------------------
    def touch_product(self, row: ProductRow) -> None:
        """Bump ``modified`` (a top-level product keeps its place in the modified index)."""
        now = self.now()
        if row.type != "variation":
            self.index_remove("products", row.id, row.modified)
            row.modified = now
            self.index_add("products", row.id, now, row.status == "trash")
        else:
            row.modified = now

    def touch_order(self, row: OrderRow) -> None:
        now = self.now()
        self.index_remove("orders", row.id, row.modified)
        row.modified = now
        self.index_add("orders", row.id, now, row.status == "trash")

    def touch_customer(self, row: CustomerRow) -> None:
        now = self.now()
        self.index_remove("customers", row.id, row.modified)
        row.modified = now
        self.index_add("customers", row.id, now, False)
