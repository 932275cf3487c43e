"""Collection arguments (``page``, ``per_page``, ``offset``, ``orderby``, dates, filters), checked like WordPress,
and the ``X-WP-Total`` / ``X-WP-TotalPages`` / ``Link`` headers of the answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from syncbridge.sim.woocommerce import params
from syncbridge.sim.woocommerce.orders import LIST_STATUSES
from syncbridge.sim.woocommerce.store import ListQuery

ORDERBY = {
    "products": (
        "date",
        "modified",
        "id",
        "include",
        "title",
        "slug",
        "price",
        "popularity",
        "rating",
        "menu_order",
    ),
    "orders": ("date", "modified", "id", "include", "title", "slug"),
    "customers": ("id", "include", "name", "registered_date"),
    "variations": ("date", "modified", "id", "include", "title", "slug", "menu_order"),
    "plain": ("date", "id", "include"),
}
PRODUCT_STATUSES = ("any", "future", "trash", "draft", "pending", "private", "publish")


def _many(query: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """``x=a,b`` and ``x[]=a&x[]=b`` / ``x[0]=a`` alike."""
    values: list[str] = []
    for key, items in query.items():
        if key == name or key == f"{name}[]" or (key.startswith(f"{name}[") and key.endswith("]")):
            for item in items:
                values.extend(v for v in item.split(",") if v != "")
    return values


def _one(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    items = query.get(name)
    return items[-1] if items else None


def parse_list_query(kind: str, query: Mapping[str, Sequence[str]]) -> ListQuery:
    page = params.integer("page", _one(query, "page") or 1, minimum=1)
    per_page = params.integer("per_page", _one(query, "per_page") or 10, minimum=1, maximum=100)
    offset_raw = _one(query, "offset")
    offset = params.integer("offset", offset_raw) if offset_raw not in (None, "") else None
    default_orderby = "name" if kind == "customers" else "date"
    orderby = params.enum("orderby", _one(query, "orderby") or default_orderby, ORDERBY.get(kind, ORDERBY["plain"]))
    order = params.enum("order", _one(query, "order") or ("asc" if kind == "customers" else "desc"), ("asc", "desc"))
    statuses: tuple[str, ...] = ()
    if kind == "orders":
        raw = _many(query, "status")
        for i, value in enumerate(raw):
            params.enum("status", value, LIST_STATUSES, label=f"status[{i}]")
        statuses = tuple(raw)
    elif kind in {"products", "variations"} and _one(query, "status"):
        statuses = (params.enum("status", _one(query, "status"), PRODUCT_STATUSES),)
    include = tuple(params.integer("include", v) for v in _many(query, "include"))
    modified_after = modified_before = None
    gmt = params.boolean("dates_are_gmt", _one(query, "dates_are_gmt") or False)
    del gmt  # the shop's timezone is UTC: local and GMT dates are the same instants
    if kind in {"products", "orders", "variations"}:
        if _one(query, "modified_after"):
            modified_after = params.date("modified_after", _one(query, "modified_after"))
        if _one(query, "modified_before"):
            modified_before = params.date("modified_before", _one(query, "modified_before"))
    after = before = None
    if kind == "orders":  # products have them too; nothing here reads products by creation date
        if _one(query, "after"):
            after = params.date("after", _one(query, "after"))
        if _one(query, "before"):
            before = params.date("before", _one(query, "before"))
    email = _one(query, "email") if kind == "customers" else None
    if email:
        email = params.email("email", email)
    return ListQuery(
        page=page,
        per_page=per_page,
        offset=offset,
        orderby=orderby,
        desc=order == "desc",
        statuses=statuses,
        include=include,
        sku=_one(query, "sku") if kind in {"products", "variations"} else None,
        email=email,
        search=_one(query, "search") or None,
        modified_after=modified_after,
        modified_before=modified_before,
        after=after,
        before=before,
    )


def page_headers(
    base_url: str, path: str, raw_query: list[tuple[str, str]], q: ListQuery, total: int
) -> dict[str, str]:
    pages = -(-total // q.per_page) if total else 0
    links: list[str] = []
    kept = [(k, v) for k, v in raw_query if k != "page"]

    def url(page: int) -> str:
        return f"<{base_url}{path}?{urlencode([*kept, ('page', str(page))])}>"

    if q.page > 1 and pages > 0:
        links.append(f'{url(min(q.page - 1, pages))}; rel="prev"')
    if q.page < pages:
        links.append(f'{url(q.page + 1)}; rel="next"')
    site = base_url.split("/wp-json", 1)[0]
    return {
        "x-wp-total": str(total),
        "x-wp-totalpages": str(pages),
        "link": ", ".join(links) if links else f'<{site}/wp-json/>; rel="https://api.w.org/"',
    }
