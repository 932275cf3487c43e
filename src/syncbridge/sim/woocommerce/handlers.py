"""The endpoints: collections, items, batches, variations, notes, refunds, gateways, webhooks."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from syncbridge.sim.woocommerce import customers as cust
from syncbridge.sim.woocommerce import orders as ords
from syncbridge.sim.woocommerce import params, render
from syncbridge.sim.woocommerce import products as prods
from syncbridge.sim.woocommerce.app import Ctx, Result, Route
from syncbridge.sim.woocommerce.errors import WcError
from syncbridge.sim.woocommerce.listing import page_headers, parse_list_query
from syncbridge.sim.woocommerce.rows import Json, ProductRow, WebhookRow
from syncbridge.sim.woocommerce.store import Kind, ListQuery, Store
from syncbridge.sim.woocommerce.webhooks import WebhookDispatcher

BATCH_LIMIT = 100
ALLOW_COLLECTION = {"allow": "GET, POST"}
ALLOW_ITEM = {"allow": "GET, POST, PUT, PATCH, DELETE"}
TOPIC = re.compile(r"^(customer|product|order|coupon)\.(created|updated|deleted|restored)$")


class Endpoints:
    def __init__(self, store: Store, hooks: WebhookDispatcher) -> None:
        self.s = store
        self.hooks = hooks

    # -- rendering --------------------------------------------------------------------------------
    def product_json(self, row: ProductRow, ctx: Ctx) -> Json:
        if row.type == "variation":
            parent = self.s.products.get(row.parent_id)
            if parent is not None and ctx.path.startswith(f"/products/{parent.id}/variations"):
                return render.variation(row, parent, ctx.base, ctx.site)
            return render.product(row, ctx.base, ctx.site, None, parent)
        kids = [self.s.products[i] for i in row.variation_ids if i in self.s.products]
        return render.product(row, ctx.base, ctx.site, kids)

    def order_json(self, order_id: int, base: str, site: str) -> Json:
        row = self.s.orders[order_id]
        refunds = [self.s.refunds[r] for r in row.refund_ids if r in self.s.refunds]
        return render.order(row, refunds, base, site)

    def order_total(self, order_id: int) -> Decimal:
        return Decimal(self.order_json(order_id, "", "")["total"])

    # -- listing ----------------------------------------------------------------------------------
    def _list(self, ctx: Ctx, kind: Kind, ids: list[int], total: int, render_one: Callable[[int], Json]) -> Result:
        headers = {**page_headers(ctx.base, ctx.path, ctx.raw_query, ctx.listq, total), **ALLOW_COLLECTION}
        return 200, [render_one(i) for i in ids], headers

    def _bucket(self, statuses: tuple[str, ...]) -> tuple[str, set[str] | None]:
        wanted = set(statuses)
        if not wanted or wanted == {"any"}:
            return "live", None
        if wanted == {"trash"}:
            return "trash", None
        if wanted == {"any", "trash"}:
            return "all", None
        if "any" in wanted:
            return "live", None
        return "all", wanted

    def list_products(self, ctx: Ctx, _ids: list[int]) -> Result:
        q, s = ctx.listq, self.s
        bucket, only = self._bucket(q.statuses)
        scan: Callable[[], list[int]] | None = None
        if q.sku is not None:
            skus = [x.strip() for x in q.sku.split(",") if x.strip()]
            found = [s.sku_index[x] for x in skus if x in s.sku_index]
            scan = lambda: sorted(set(found))  # noqa: E731
        elif q.include or q.search or only is not None:
            needle = (q.search or "").lower()
            include = set(q.include)

            def scan() -> list[int]:
                return [
                    i
                    for i, r in s.products.items()
                    if r.type != "variation"
                    and (not include or i in include)
                    and (only is None or r.status in only)
                    and (bucket != "live" or r.status != "trash")
                    and (bucket != "trash" or r.status == "trash")
                    and (not needle or needle in r.name.lower() or needle in r.sku.lower())
                ]

        if scan is not None and (q.modified_after is not None or q.modified_before is not None):
            inner = scan
            scan = lambda: [  # noqa: E731
                i
                for i in inner()
                if (q.modified_after is None or s.products[i].modified > q.modified_after)
                and (q.modified_before is None or s.products[i].modified < q.modified_before)
            ]
        total, ids = s.page_ids("products", q, bucket=bucket, scan=scan)
        return self._list(ctx, "products", ids, total, lambda i: self.product_json(s.products[i], ctx))

    def list_orders(self, ctx: Ctx, _ids: list[int]) -> Result:
        q, s = ctx.listq, self.s
        bucket, only = self._bucket(q.statuses)
        customer = ctx.arg("customer")
        scan: Callable[[], list[int]] | None = None
        if q.include or q.search or only is not None or customer or q.after is not None or q.before is not None:
            include = set(q.include)
            needle = (q.search or "").lower()
            cid = int(customer) if customer and customer.isdigit() else None

            def scan() -> list[int]:
                return [
                    i
                    for i, r in s.orders.items()
                    if (not include or i in include)
                    and (only is None or r.status in only)
                    and (bucket != "live" or r.status != "trash")
                    and (bucket != "trash" or r.status == "trash")
                    and (cid is None or r.customer_id == cid)
                    and (
                        not needle
                        or needle in str(i)
                        or needle in render.order_number(r).lower()
                        or needle in r.billing.get("email", "").lower()
                    )
                    and (q.modified_after is None or r.modified > q.modified_after)
                    and (q.modified_before is None or r.modified < q.modified_before)
                    and (q.after is None or r.created > q.after)
                    and (q.before is None or r.created < q.before)
                ]

        total, ids = s.page_ids("orders", q, bucket=bucket, scan=scan)
        return self._list(ctx, "orders", ids, total, lambda i: self.order_json(i, ctx.base, ctx.site))

    def list_customers(self, ctx: Ctx, _ids: list[int]) -> Result:
        q, s = ctx.listq, self.s
        scan: Callable[[], list[int]] | None = None
        if q.email is not None:
            hit = s.email_index.get(q.email.lower())
            scan = lambda: [hit] if hit is not None else []  # noqa: E731
        elif q.include or q.search or q.orderby == "name":
            include = set(q.include)
            needle = (q.search or "").lower()

            def scan() -> list[int]:
                return [
                    i
                    for i, r in s.customers.items()
                    if (not include or i in include)
                    and (
                        not needle
                        or needle in r.email.lower()
                        or needle in r.first_name.lower()
                        or needle in r.last_name.lower()
                    )
                ]

        # customers have no modified filter: modified_after / modified_before are silently ignored
        q2 = ListQuery(page=q.page, per_page=q.per_page, offset=q.offset, orderby=q.orderby, desc=q.desc)
        total, ids = s.page_ids("customers", q2, bucket="live", scan=scan)
        return self._list(ctx, "customers", ids, total, lambda i: render.customer(s.customers[i], ctx.base))

    @staticmethod
    def _edit_view(body: Json) -> Json:
        """Writes answer in the ``edit`` context, which adds two keys before ``_links``."""
        links = body.pop("_links")
        site = body["permalink"].split("/product/")[0]
        body["permalink_template"] = f"{site}/product/%pagename%/"
        body["generated_slug"] = body["slug"]
        body["_links"] = links
        return body

    # -- products ---------------------------------------------------------------------------------
    def get_product(self, ctx: Ctx, ids: list[int]) -> Result:
        return 200, self.product_json(prods.product_or_404(self.s, ids[0]), ctx), ALLOW_ITEM

    def create_product(self, ctx: Ctx, _ids: list[int]) -> Result:
        return 201, self._edit_view(self.product_json(prods.create_product(self.s, ctx.json()), ctx)), ALLOW_COLLECTION

    def update_product(self, ctx: Ctx, ids: list[int]) -> Result:
        row = prods.product_or_404(self.s, ids[0])
        return 200, self._edit_view(self.product_json(prods.update_product(self.s, row, ctx.json()), ctx)), ALLOW_ITEM

    def delete_product(self, ctx: Ctx, ids: list[int]) -> Result:
        row = prods.product_or_404(self.s, ids[0])
        before = self.product_json(row, ctx)
        prods.delete_product(self.s, row, force=params.boolean("force", ctx.arg("force", "false")))
        return 200, before, ALLOW_ITEM

    # -- variations -------------------------------------------------------------------------------
    def _parent(self, ids: list[int]) -> ProductRow:
        return prods.product_or_404(self.s, ids[0], allow_variation=False)

    def list_variations(self, ctx: Ctx, ids: list[int]) -> Result:
        parent = self._parent(ids)
        q = ctx.listq
        rows = [self.s.products[i] for i in parent.variation_ids if i in self.s.products]
        if q.sku:
            rows = [r for r in rows if r.sku in q.sku.split(",")]
        if q.modified_after is not None:
            rows = [r for r in rows if r.modified > q.modified_after]
        rows.sort(key=lambda r: r.id, reverse=q.desc)
        page = rows[q.start : q.start + q.per_page]
        return self._list(
            ctx,
            "products",
            [r.id for r in page],
            len(rows),
            lambda i: render.variation(self.s.products[i], parent, ctx.base, ctx.site),
        )

    def get_variation(self, ctx: Ctx, ids: list[int]) -> Result:
        parent = self._parent(ids)
        row = prods.variation_or_404(self.s, parent, ids[1])
        return 200, render.variation(row, parent, ctx.base, ctx.site), ALLOW_ITEM

    def create_variation(self, ctx: Ctx, ids: list[int]) -> Result:
        parent = self._parent(ids)
        row = prods.create_variation(self.s, parent, ctx.json())
        return 201, render.variation(row, parent, ctx.base, ctx.site), ALLOW_COLLECTION

    def update_variation(self, ctx: Ctx, ids: list[int]) -> Result:
        parent = self._parent(ids)
        row = prods.update_variation(self.s, parent, prods.variation_or_404(self.s, parent, ids[1]), ctx.json())
        return 200, render.variation(row, parent, ctx.base, ctx.site), ALLOW_ITEM

    def delete_variation(self, ctx: Ctx, ids: list[int]) -> Result:
        parent = self._parent(ids)
        row = prods.variation_or_404(self.s, parent, ids[1])
        before = render.variation(row, parent, ctx.base, ctx.site)
        prods.delete_variation(self.s, parent, row, force=params.boolean("force", ctx.arg("force", "false")))
        return 200, before, ALLOW_ITEM

    # -- customers --------------------------------------------------------------------------------
    def get_customer(self, ctx: Ctx, ids: list[int]) -> Result:
        row = cust.customer_or_404(self.s, ids[0], code="wc_user_invalid_id")
        return 200, render.customer(row, ctx.base), ALLOW_ITEM

    def create_customer(self, ctx: Ctx, _ids: list[int]) -> Result:
        return 201, render.customer(cust.create_customer(self.s, ctx.json()), ctx.base), ALLOW_COLLECTION

    def update_customer(self, ctx: Ctx, ids: list[int]) -> Result:
        row = cust.customer_or_404(self.s, ids[0])
        return 200, render.customer(cust.update_customer(self.s, row, ctx.json()), ctx.base), ALLOW_ITEM

    def delete_customer(self, ctx: Ctx, ids: list[int]) -> Result:
        row = cust.customer_or_404(self.s, ids[0])
        before = render.customer(row, ctx.base)
        cust.delete_customer(self.s, row, force=params.boolean("force", ctx.arg("force", "false")))
        return 200, before, {}

    # -- orders, notes, refunds -------------------------------------------------------------------
    def get_order(self, ctx: Ctx, ids: list[int]) -> Result:
        ords.order_or_404(self.s, ids[0])
        return 200, self.order_json(ids[0], ctx.base, ctx.site), ALLOW_ITEM

    def create_order(self, ctx: Ctx, _ids: list[int]) -> Result:
        row = ords.create_order(self.s, ctx.json())
        return 201, self.order_json(row.id, ctx.base, ctx.site), ALLOW_COLLECTION

    def update_order(self, ctx: Ctx, ids: list[int]) -> Result:
        ords.update_order(self.s, ords.order_or_404(self.s, ids[0]), ctx.json())
        return 200, self.order_json(ids[0], ctx.base, ctx.site), ALLOW_ITEM

    def delete_order(self, ctx: Ctx, ids: list[int]) -> Result:
        row = ords.order_or_404(self.s, ids[0])
        before = self.order_json(row.id, ctx.base, ctx.site)
        ords.delete_order(self.s, row, force=params.boolean("force", ctx.arg("force", "false")))
        return 200, before, ALLOW_ITEM

    def list_notes(self, ctx: Ctx, ids: list[int]) -> Result:
        ords.order_or_404(self.s, ids[0])
        notes = sorted((n for n in self.s.notes.values() if n.order_id == ids[0]), key=lambda n: (-n.created, -n.id))
        return 200, [render.note(n, ctx.base) for n in notes], ALLOW_COLLECTION

    def create_note(self, ctx: Ctx, ids: list[int]) -> Result:
        order = ords.order_or_404(self.s, ids[0])
        body = ctx.json()
        if not body.get("note"):
            raise WcError(400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"])
        note = ords.add_note(
            self.s,
            order,
            params.string("note", body["note"]),
            customer_note=params.boolean("customer_note", body.get("customer_note", False)),
            author="system",
        )
        return 201, render.note(note, ctx.base), ALLOW_COLLECTION

    def get_note(self, ctx: Ctx, ids: list[int]) -> Result:
        note = self.s.notes.get(ids[1])
        if note is None or note.order_id != ids[0]:
            raise params.not_found("woocommerce_rest_invalid_id", "Invalid resource ID.")
        return 200, render.note(note, ctx.base), ALLOW_ITEM

    def delete_note(self, ctx: Ctx, ids: list[int]) -> Result:
        status, body, headers = self.get_note(ctx, ids)
        if not params.boolean("force", ctx.arg("force", "false")):
            raise WcError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
        del self.s.notes[ids[1]]
        return status, body, headers

    def list_refunds(self, ctx: Ctx, ids: list[int]) -> Result:
        order = ords.order_or_404(self.s, ids[0])
        refunds = [self.s.refunds[r] for r in reversed(order.refund_ids) if r in self.s.refunds]
        headers = {
            "x-wp-total": str(len(refunds)),
            "x-wp-totalpages": "1" if refunds else "0",
            **ALLOW_COLLECTION,
        }
        return 200, [render.refund(r, ctx.base) for r in refunds], headers

    def create_refund(self, ctx: Ctx, ids: list[int]) -> Result:
        order = ords.order_or_404(self.s, ids[0])
        refund = ords.create_refund(self.s, order, ctx.json(), self.order_total(order.id))
        return 201, render.refund(refund, ctx.base), ALLOW_COLLECTION

    def get_refund(self, ctx: Ctx, ids: list[int]) -> Result:
        refund = self.s.refunds.get(ids[1])
        if refund is None or refund.order_id != ids[0]:
            raise params.not_found("woocommerce_rest_invalid_id", "Invalid resource ID.")
        return 200, render.refund(refund, ctx.base), ALLOW_ITEM

    # -- payment gateways -------------------------------------------------------------------------
    def list_gateways(self, ctx: Ctx, _ids: list[int]) -> Result:
        return 200, [render.gateway(g, i, ctx.base) for i, g in enumerate(render.GATEWAYS)], ALLOW_COLLECTION

    # -- webhooks ---------------------------------------------------------------------------------
    def _webhook(self, webhook_id: int) -> WebhookRow:
        row = self.s.webhooks.get(webhook_id)
        if row is None:
            raise params.not_found("woocommerce_rest_webhook_invalid_id")
        return row

    def list_webhooks(self, ctx: Ctx, _ids: list[int]) -> Result:
        rows = sorted(self.s.webhooks.values(), key=lambda w: w.id, reverse=True)
        return (
            200,
            [render.webhook(w, ctx.base) for w in rows],
            {"x-wp-total": str(len(rows)), "x-wp-totalpages": "1" if rows else "0", **ALLOW_COLLECTION},
        )

    def get_webhook(self, ctx: Ctx, ids: list[int]) -> Result:
        return 200, render.webhook(self._webhook(ids[0]), ctx.base), ALLOW_ITEM

    def _webhook_fields(self, row: WebhookRow, body: Json) -> None:
        if "topic" in body:
            topic = params.string("topic", body["topic"])
            if not TOPIC.match(topic):
                raise WcError(
                    400,
                    "woocommerce_rest_webhook_invalid_topic",
                    "Webhook topic is required and must be valid.",
                )
            row.topic = topic
        if "delivery_url" in body:
            row.delivery_url = params.string("delivery_url", body["delivery_url"])
        if "secret" in body:
            row.secret = params.string("secret", body["secret"])
        if "name" in body:
            row.name = params.string("name", body["name"])
        if "status" in body:
            row.status = params.enum("status", body["status"], ("active", "paused", "disabled"))
            if row.status == "active":
                row.failure_count = 0

    def create_webhook(self, ctx: Ctx, _ids: list[int]) -> Result:
        body = ctx.json()
        if not body.get("topic"):
            raise WcError(400, "rest_missing_callback_param", "Missing parameter(s): topic", params=["topic"])
        if not body.get("delivery_url"):
            raise WcError(
                400,
                "rest_missing_callback_param",
                "Missing parameter(s): delivery_url",
                params=["delivery_url"],
            )
        now = self.s.now()
        row = WebhookRow(
            id=0, name="", status="active", topic="", delivery_url="", secret="", created=now, modified=now
        )
        self._webhook_fields(row, body)
        row.id = self.s.next_id("webhook")
        row.name = row.name or f"Webhook created on {render.wp_date(now)}"
        self.s.webhooks[row.id] = row
        self.s.lock.release()  # the ping goes out over HTTP: do not hold the store while waiting for it
        try:
            self.hooks.ping(row)
        finally:
            self.s.lock.acquire()
        return 201, render.webhook(row, ctx.base), ALLOW_COLLECTION

    def update_webhook(self, ctx: Ctx, ids: list[int]) -> Result:
        row = self._webhook(ids[0])
        self._webhook_fields(row, ctx.json())
        row.modified = self.s.now()
        return 200, render.webhook(row, ctx.base), ALLOW_ITEM

    def delete_webhook(self, ctx: Ctx, ids: list[int]) -> Result:
        row = self._webhook(ids[0])
        if not params.boolean("force", ctx.arg("force", "false")):
            raise WcError(501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
        before = render.webhook(row, ctx.base)
        del self.s.webhooks[row.id]
        return 200, before, ALLOW_ITEM

    # -- batches ----------------------------------------------------------------------------------
    def batch(
        self,
        create: Callable[[Ctx, list[int]], Result],
        update: Callable[[Ctx, list[int]], Result],
        delete: Callable[[Ctx, list[int]], Result],
        parent: bool = False,
    ) -> Callable[[Ctx, list[int]], Result]:
        def run(ctx: Ctx, ids: list[int]) -> Result:
            body = ctx.json()
            items = {k: body.get(k) or [] for k in ("create", "update", "delete")}
            if sum(len(v) if isinstance(v, list) else 0 for v in items.values()) > BATCH_LIMIT:
                raise WcError(
                    413,
                    "woocommerce_rest_request_entity_too_large",
                    f"Unable to accept more than {BATCH_LIMIT} items for this request.",
                )
            prefix = ids[:1] if parent else []
            out: dict[str, list[Any]] = {}
            for action, fn in (("create", create), ("update", update), ("delete", delete)):
                if action not in body:
                    continue
                results: list[Any] = []
                for item in items[action]:
                    item_id = item if action == "delete" else (item.get("id", 0) if isinstance(item, dict) else 0)
                    sub = Ctx(
                        ctx.method,
                        ctx.path,
                        {"force": ["true"]} if action == "delete" else {},
                        [],
                        item if isinstance(item, dict) else {},
                        ctx.site,
                        ctx.principal,
                    )
                    try:
                        if action != "create" and not str(item_id).isdigit():
                            raise WcError(400, "woocommerce_rest_invalid_id", "Invalid ID.")
                        target = [*prefix, int(item_id)] if action != "create" else prefix
                        results.append(fn(sub, target)[1])
                    except WcError as exc:
                        results.append(
                            {
                                "id": item_id,
                                "error": {
                                    "code": exc.code,
                                    "message": exc.message,
                                    "data": {"status": exc.status, **exc.data},
                                },
                            }
                        )
                out[action] = results
            return 200, out, ALLOW_COLLECTION

        return run


def routes(e: Endpoints) -> list[Route]:
    n = r"(\d+)"
    table: list[tuple[str, str, str, Callable[[Ctx, list[int]], Result]]] = [
        ("GET", "/products", "list", e.list_products),
        ("POST", "/products", "create", e.create_product),
        ("PUT", "/products/batch", "batch", e.batch(e.create_product, e.update_product, e.delete_product)),
        ("GET", f"/products/{n}", "view", e.get_product),
        ("PUT", f"/products/{n}", "edit", e.update_product),
        ("DELETE", f"/products/{n}", "delete", e.delete_product),
        ("GET", f"/products/{n}/variations", "list", e.list_variations),
        ("POST", f"/products/{n}/variations", "create", e.create_variation),
        (
            "PUT",
            f"/products/{n}/variations/batch",
            "batch",
            e.batch(e.create_variation, e.update_variation, e.delete_variation, parent=True),
        ),
        ("GET", f"/products/{n}/variations/{n}", "view", e.get_variation),
        ("PUT", f"/products/{n}/variations/{n}", "edit", e.update_variation),
        ("DELETE", f"/products/{n}/variations/{n}", "delete", e.delete_variation),
        ("GET", "/customers", "list", e.list_customers),
        ("POST", "/customers", "create", e.create_customer),
        (
            "PUT",
            "/customers/batch",
            "batch",
            e.batch(e.create_customer, e.update_customer, e.delete_customer),
        ),
        ("GET", f"/customers/{n}", "view", e.get_customer),
        ("PUT", f"/customers/{n}", "edit", e.update_customer),
        ("DELETE", f"/customers/{n}", "delete", e.delete_customer),
        ("GET", "/orders", "list", e.list_orders),
        ("POST", "/orders", "create", e.create_order),
        ("PUT", "/orders/batch", "batch", e.batch(e.create_order, e.update_order, e.delete_order)),
        ("GET", f"/orders/{n}", "view", e.get_order),
        ("PUT", f"/orders/{n}", "edit", e.update_order),
        ("DELETE", f"/orders/{n}", "delete", e.delete_order),
        ("GET", f"/orders/{n}/notes", "list", e.list_notes),
        ("POST", f"/orders/{n}/notes", "create", e.create_note),
        ("GET", f"/orders/{n}/notes/{n}", "view", e.get_note),
        ("DELETE", f"/orders/{n}/notes/{n}", "delete", e.delete_note),
        ("GET", f"/orders/{n}/refunds", "list", e.list_refunds),
        ("POST", f"/orders/{n}/refunds", "create", e.create_refund),
        ("GET", f"/orders/{n}/refunds/{n}", "view", e.get_refund),
        ("GET", "/payment_gateways", "list", e.list_gateways),
        ("GET", "/webhooks", "list", e.list_webhooks),
        ("POST", "/webhooks", "create", e.create_webhook),
        ("GET", f"/webhooks/{n}", "view", e.get_webhook),
        ("PUT", f"/webhooks/{n}", "edit", e.update_webhook),
        ("DELETE", f"/webhooks/{n}", "delete", e.delete_webhook),
    ]
    return [(verb, re.compile(path), action, fn) for verb, path, action, fn in table]


def validate(ctx: Ctx, action: str, path: str) -> None:
    """Argument checks that WordPress runs before the permission check."""
    if action != "list":
        return
    kind = path.strip("/").split("/")[0]
    if path.endswith("/variations"):
        kind = "variations"
    ctx.listq = parse_list_query(kind, ctx.query)
