"""``apply`` for each entity: natural-key lookups first (idempotent creates), then batch writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from syncbridge.connectors.base import Operation, OpKind, OpResult
from syncbridge.connectors.woocommerce import mapping as m
from syncbridge.domain.records import (
    Customer,
    EntityType,
    Order,
    Payment,
    PaymentState,
    Product,
    ProductStatus,
    StockLevel,
)
from syncbridge.errors import DuplicateKeyError, NotFoundError, SyncError, ValidationError

if TYPE_CHECKING:
    from syncbridge.connectors.woocommerce.connector import WooCommerceConnector


def _guard(key: str, fn: Any) -> OpResult:
    try:
        result: OpResult = fn()
        return result
    except SyncError as exc:
        return OpResult(key=key, error=exc)


def _batch(conn: WooCommerceConnector, path: str, body: dict[str, list[Any]]) -> dict[str, list[Any]]:
    from syncbridge.connectors.woocommerce.connector import item_error

    del item_error
    answer: dict[str, list[Any]] = conn.client.json("POST", f"{path}/batch", body=body)
    return answer


def _item(ok: dict[str, Any], key: str, *, linked: bool = False) -> OpResult:
    from syncbridge.connectors.woocommerce.connector import item_error

    err = item_error(ok)
    if err is not None:
        return OpResult(key=key, error=err)
    return OpResult(key=key, external_id=str(ok["id"]), linked_existing=linked)


def apply_chunk(conn: WooCommerceConnector, entity: EntityType, ops: list[Operation]) -> list[OpResult]:
    if entity is EntityType.CUSTOMERS:
        return _customers(conn, ops)
    if entity is EntityType.PRODUCTS:
        return [_guard(op.key, lambda op=op: _product(conn, op)) for op in ops]
    if entity is EntityType.INVENTORY:
        return [_guard(op.key, lambda op=op: _stock(conn, op)) for op in ops]
    if entity is EntityType.ORDERS:
        return [_guard(op.key, lambda op=op: _order(conn, op)) for op in ops]
    return [_guard(op.key, lambda op=op: _payment(conn, op)) for op in ops]


# -- customers: one batch per chunk --------------------------------------------------------------
def _customers(conn: WooCommerceConnector, ops: list[Operation]) -> list[OpResult]:
    creates = [op for op in ops if op.kind is OpKind.CREATE and isinstance(op.record, Customer)]
    existing = (
        conn.find_by_natural_key(
            EntityType.CUSTOMERS, [op.record.natural_key for op in creates if op.record is not None]
        )
        if creates
        else {}
    )
    body: dict[str, list[Any]] = {"create": [], "update": [], "delete": []}
    slots: list[tuple[str, int, bool]] = []
    results: dict[int, OpResult] = {}
    for n, op in enumerate(ops):
        record = op.record
        if op.kind is OpKind.DELETE:
            if op.external_id is None:
                results[n] = OpResult(key=op.key, error=ValidationError("delete without an external id"))
                continue
            body["delete"].append(int(op.external_id))
            slots.append(("delete", n, False))
            continue
        if not isinstance(record, Customer):
            results[n] = OpResult(key=op.key, error=ValidationError("not a customer record"))
            continue
        payload = m.customer_to_wc(record)
        found = existing.get(record.natural_key) if op.kind is OpKind.CREATE else None
        target = found.external_id if found is not None else op.external_id
        if op.kind is OpKind.CREATE and found is None:
            body["create"].append(payload)
            slots.append(("create", n, False))
        else:
            body["update"].append({"id": int(str(target)), **payload})
            slots.append(("update", n, found is not None))
    if slots:
        answer = _batch(conn, "/customers", {k: v for k, v in body.items() if v})
        cursors = {"create": 0, "update": 0, "delete": 0}
        for action, n, linked in slots:
            item = answer.get(action, [])[cursors[action]]
            cursors[action] += 1
            results[n] = _item(item, ops[n].key, linked=linked)
    return [results[n] for n in range(len(ops))]


# -- products ------------------------------------------------------------------------------------
def _sync_variations(conn: WooCommerceConnector, product_id: int, record: Product) -> None:
    current = {str(v["sku"]): v for page in conn.client.pages(f"/products/{product_id}/variations", []) for v in page}
    wanted = {v.sku: v for v in record.variants}
    body: dict[str, list[Any]] = {
        "create": [m.variation_to_wc(v) for sku, v in wanted.items() if sku not in current],
        "update": [{"id": current[sku]["id"], **m.variation_to_wc(v)} for sku, v in wanted.items() if sku in current],
        "delete": [v["id"] for sku, v in current.items() if sku not in wanted],
    }
    body = {k: v for k, v in body.items() if v}
    if not body:
        return
    answer = _batch(conn, f"/products/{product_id}/variations", body)
    from syncbridge.connectors.woocommerce.connector import item_error

    for items in answer.values():
        for item in items:
            err = item_error(item)
            if err is not None:
                raise err


def _product(conn: WooCommerceConnector, op: Operation) -> OpResult:
    record = op.record
    if op.kind is OpKind.DELETE:
        return _trash(conn, "/products", op)
    if not isinstance(record, Product):
        raise ValidationError("not a product record")
    payload = m.product_to_wc(record)
    target, linked = op.external_id, False
    if op.kind is OpKind.CREATE:
        found = conn.find_by_natural_key(EntityType.PRODUCTS, [record.sku])
        if record.sku in found:
            target, linked = found[record.sku].external_id, True
        else:
            item = _batch(conn, "/products", {"create": [payload]})["create"][0]
            err = _item(item, op.key).error
            if isinstance(err, DuplicateKeyError) and err.details.get("resource_id"):
                target, linked = str(err.details["resource_id"]), True
            elif err is not None:
                raise err
            else:
                target = str(item["id"])
                if record.variants:
                    _sync_variations(conn, int(target), record)
                if record.status is ProductStatus.ARCHIVED:
                    conn.client.json("DELETE", f"/products/{target}")
                return OpResult(key=op.key, external_id=target)
    if target is None:
        raise ValidationError("update without an external id")
    if record.status is ProductStatus.ARCHIVED:
        conn.client.json("PUT", f"/products/{target}", body=payload)
        try:
            conn.client.json("DELETE", f"/products/{target}")
        except NotFoundError as exc:
            if exc.code != "woocommerce_rest_already_trashed":
                raise
    else:
        item = _batch(conn, "/products", {"update": [{"id": int(target), **payload}]})["update"][0]
        err = _item(item, op.key).error
        if err is not None:
            raise err
    if record.variants:
        _sync_variations(conn, int(target), record)
    return OpResult(key=op.key, external_id=str(target), linked_existing=linked)


def _trash(conn: WooCommerceConnector, path: str, op: Operation) -> OpResult:
    if op.external_id is None:
        raise ValidationError("delete without an external id")
    try:
        conn.client.json("DELETE", f"{path}/{op.external_id}")
    except NotFoundError as exc:
        if exc.code != "woocommerce_rest_already_trashed":
            raise
    return OpResult(key=op.key, external_id=op.external_id)


# -- inventory -----------------------------------------------------------------------------------
def _stock(conn: WooCommerceConnector, op: Operation) -> OpResult:
    record = op.record
    target = op.external_id
    if op.kind is OpKind.CREATE and isinstance(record, StockLevel):
        found = conn.find_by_natural_key(EntityType.INVENTORY, [record.natural_key])
        if record.natural_key not in found:
            raise NotFoundError(f"no product or variation with SKU {record.sku}", code="unknown_sku")
        target = found[record.natural_key].external_id
    if target is None:
        raise ValidationError("stock write without an external id")
    body = (
        m.stock_to_wc(record)
        if isinstance(record, StockLevel) and op.kind is not OpKind.DELETE
        else {"manage_stock": False}
    )
    head, _, variation = target.partition("/")
    path = f"/products/{head}/variations/{variation}" if variation else f"/products/{head}"
    conn.client.json("PUT", path, body=body)
    return OpResult(key=op.key, external_id=target, linked_existing=op.kind is OpKind.CREATE)


# -- orders --------------------------------------------------------------------------------------
def _order(conn: WooCommerceConnector, op: Operation) -> OpResult:
    record = op.record
    if op.kind is OpKind.DELETE:
        return _trash(conn, "/orders", op)
    if not isinstance(record, Order):
        raise ValidationError("not an order record")
    target, linked = op.external_id, False
    if op.kind is OpKind.CREATE:
        found = conn.find_by_natural_key(EntityType.ORDERS, [record.number])
        if record.number in found:
            target, linked = found[record.number].external_id, True
        else:
            items: dict[str, tuple[int, int]] = {}
            skus = sorted({line.sku for line in record.lines})
            for i in range(0, len(skus), 50):
                for p in conn.client.json(
                    "GET", "/products", [("sku", ",".join(skus[i : i + 50])), ("per_page", "100")]
                ):
                    parent = int(p.get("parent_id") or 0)
                    items[str(p["sku"])] = (parent, int(p["id"])) if p.get("type") == "variation" else (int(p["id"]), 0)
            missing = [s for s in skus if s not in items]
            if missing:
                raise NotFoundError(f"unknown SKU(s) {', '.join(missing)}", code="unknown_sku")
            customer_id = None
            if record.customer_email:
                hits = conn.client.json("GET", "/customers", [("email", record.customer_email)])
                customer_id = int(hits[0]["id"]) if hits else None
            item = _batch(conn, "/orders", {"create": [m.order_to_wc(record, items, customer_id, create=True)]})
            return _item(item["create"][0], op.key)
    if target is None:
        raise ValidationError("update without an external id")
    item = _batch(conn, "/orders", {"update": [{"id": int(target), **m.order_to_wc(record, {}, None, create=False)}]})
    result = _item(item["update"][0], op.key, linked=linked)
    if result.error is not None:
        raise result.error
    return result


# -- payments ------------------------------------------------------------------------------------
def _payment(conn: WooCommerceConnector, op: Operation) -> OpResult:
    record = op.record
    if op.kind is OpKind.DELETE:
        raise ValidationError("WooCommerce payments cannot be deleted", code="unsupported")
    if not isinstance(record, Payment):
        raise ValidationError("not a payment record")
    orders = conn.find_by_natural_key(EntityType.ORDERS, [record.order_number])
    order = orders.get(record.order_number)
    if order is None or order.external_id is None:
        raise NotFoundError(f"no order {record.order_number}", code="unknown_order")
    order_id = order.external_id
    if record.state is PaymentState.REFUNDED:
        body = m.payment_to_wc(record)
        for r in conn.client.json("GET", f"/orders/{order_id}/refunds"):
            if r.get("reason") == body["reason"]:
                return OpResult(key=op.key, external_id=f"{order_id}/{r['id']}", linked_existing=True)
        refund = conn.client.json("POST", f"/orders/{order_id}/refunds", body=body)
        return OpResult(key=op.key, external_id=f"{order_id}/{refund['id']}")
    conn.client.json("PUT", f"/orders/{order_id}", body=m.payment_to_wc(record))
    return OpResult(key=op.key, external_id=order_id)
