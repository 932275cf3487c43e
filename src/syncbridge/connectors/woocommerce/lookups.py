"""Natural-key lookups for a whole chunk of operations, in as few requests as the REST API allows.

* SKUs: ``GET /products?sku=a,b,c`` (one request per 100 SKUs). With a ``sku`` filter WooCommerce searches
  products *and* variations, so one answer resolves parents, simple products and variations alike.
* E-mails, order numbers: the API filters customers by one ``email`` and orders by one ``search`` term only.
  ``scan_or_search`` reads the collection page by page (newest first, or a date window) and switches to one
  lookup per key still missing as soon as that is fewer requests than the pages left; so a chunk costs
  ``1 + min(pages left, keys missing)`` requests: one for a small shop, never more than one per key (+1).
* Order creates: the orders this connector creates keep the hub's ``created_at`` (``date_created_gmt`` is
  written), so the orders a lost create may have left behind are all inside the chunk's creation-date window
  (``after`` / ``before``, 1 s margins), which is scanned first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from syncbridge.connectors.woocommerce import mapping as m
from syncbridge.errors import TransientError, ValidationError

if TYPE_CHECKING:
    from syncbridge.connectors.woocommerce.client import WooClient

Json = dict[str, Any]
PAGE = 100


def _page(client: WooClient, path: str, params: list[tuple[str, str]], page: int) -> tuple[list[Json], int]:
    response = client.request("GET", path, [*params, ("per_page", str(PAGE)), ("page", str(page))])
    items = response.json()
    if not isinstance(items, list):
        raise TransientError("a collection answered something else than a list", code="bad_body")
    return items, int(response.headers.get("x-wp-totalpages", "0") or 0)


def by_sku(client: WooClient, skus: Iterable[str]) -> dict[str, Json]:
    """SKU -> product, variation (``type == "variation"``, with ``parent_id``) or simple/variable product."""
    wanted = sorted({s.strip() for s in skus if s.strip()})
    # a SKU holding a comma would be split by the filter: it is asked for on its own
    groups = [[s] for s in wanted if "," in s]
    plain = [s for s in wanted if "," not in s]
    groups += [plain[i : i + PAGE] for i in range(0, len(plain), PAGE)]
    found: dict[str, Json] = {}
    for group in groups:
        items, _pages = _page(client, "/products", [("sku", ",".join(group))], 1)
        keep = set(group)
        found.update({str(p["sku"]): p for p in items if str(p.get("sku") or "") in keep})
    return found


def scan_or_search(
    client: WooClient,
    path: str,
    params: list[tuple[str, str]],
    keys: Iterable[str],
    key_of: Callable[[Json], str],
    search: Callable[[str], list[Json]],
) -> dict[str, Json]:
    """Items by key: read ``path`` with ``params`` page by page while that is cheaper than searching each key.

    A key absent after a full read does not exist; otherwise the keys still missing are searched one by one.
    """
    wanted = set(keys)
    found: dict[str, Json] = {}

    def absorb(items: list[Json]) -> None:
        for item in items:
            key = key_of(item)
            if key in wanted and key not in found:
                found[key] = item

    if len(wanted) > 1:
        items, pages = _page(client, path, params, 1)
        absorb(items)
        page = 1
        while (missing := len(wanted - found.keys())) and page < pages and pages - page <= missing:
            page += 1
            items, _ = _page(client, path, params, page)
            absorb(items)
        if page >= pages:
            return found
    for key in sorted(wanted - found.keys()):
        absorb(search(key))
    return found


def is_email(value: str) -> bool:
    local, at, domain = value.partition("@")
    return bool(at and local and "." in domain and " " not in value and "@" not in domain)


def customers_by_email(client: WooClient, emails: Iterable[str]) -> dict[str, Json]:
    """Lower-cased e-mail -> customer. Invalid addresses are never looked up (the shop refuses them)."""
    wanted = {e.strip().lower() for e in emails if is_email(e.strip())}

    def search(email: str) -> list[Json]:
        try:
            items: list[Json] = client.json("GET", "/customers", [("email", email)])
        except ValidationError:
            return []
        return items

    return scan_or_search(
        client,
        "/customers",
        [("orderby", "id"), ("order", "desc")],
        wanted,
        lambda c: str(c.get("email") or "").strip().lower(),
        search,
    )


def _search_orders(client: WooClient, number: str) -> list[Json]:
    items: list[Json] = client.json("GET", "/orders", [("search", number), ("status", "any"), ("per_page", "100")])
    return [o for o in items if m.order_number(o) == number]


def orders_by_number(client: WooClient, numbers: Iterable[str]) -> dict[str, Json]:
    """Order number -> order (live statuses), newest orders read first."""
    return scan_or_search(
        client,
        "/orders",
        [("orderby", "id"), ("order", "desc"), ("status", "any")],
        {n.strip() for n in numbers if n.strip()},
        m.order_number,
        lambda n: _search_orders(client, n),
    )


def orders_created_between(client: WooClient, numbers: Iterable[str], created: Sequence[datetime]) -> dict[str, Json]:
    """Order number -> order, reading the creation-date window of ``created`` first (see the module doc)."""
    wanted = {n.strip() for n in numbers if n.strip()}
    if not wanted or not created:
        return {}
    window = [
        ("after", m.wc_date(min(created) - timedelta(seconds=1))),
        ("before", m.wc_date(max(created) + timedelta(seconds=1))),
        ("dates_are_gmt", "true"),
        ("orderby", "id"),
        ("order", "asc"),
        ("status", "any"),
    ]
    return scan_or_search(client, "/orders", window, wanted, m.order_number, lambda n: _search_orders(client, n))


def orders_by_id(client: WooClient, ids: Iterable[int]) -> dict[int, Json]:
    """Order id -> order, live or trashed, 100 ids per request."""
    heads = sorted(set(ids))
    found: dict[int, Json] = {}
    for i in range(0, len(heads), PAGE):
        group = heads[i : i + PAGE]
        for status in ("any", "trash"):
            items, _ = _page(client, "/orders", [("include", ",".join(map(str, group))), ("status", status)], 1)
            found.update({int(o["id"]): o for o in items})
            if all(h in found for h in group):
                break
    return found
