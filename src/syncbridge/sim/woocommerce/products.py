"""Product and variation writes, with WooCommerce's checks (types, statuses, unique SKUs, trash)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from syncbridge.sim.woocommerce import params
from syncbridge.sim.woocommerce.errors import WcError
from syncbridge.sim.woocommerce.rows import Json, ProductRow
from syncbridge.sim.woocommerce.store import Store

PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future")
VARIATION_STATUSES = ("draft", "pending", "private", "publish")


def slugify(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "product"


def product_or_404(store: Store, product_id: int, *, allow_variation: bool = True) -> ProductRow:
    row = store.products.get(product_id)
    if row is None or (row.type == "variation" and not allow_variation):
        raise params.not_found("woocommerce_rest_product_invalid_id")
    return row


def _check_sku(store: Store, sku: str, own_id: int | None) -> None:
    if not sku:
        return
    holder = store.sku_index.get(sku)
    if holder is not None and holder != own_id:
        raise WcError(
            400,
            "product_invalid_sku",
            "Invalid or duplicated SKU.",
            resource_id=holder,
            unique_sku=f"{sku}-1",
        )


def _set_sku(store: Store, row: ProductRow, sku: str) -> None:
    if row.sku and store.sku_index.get(row.sku) == row.id:
        del store.sku_index[row.sku]
    row.sku = sku
    if sku:
        store.sku_index[sku] = row.id


def _apply_common(store: Store, row: ProductRow, body: Json, *, variation: bool) -> None:
    """Checks every field first, then writes: a refused request changes nothing."""
    changes: dict[str, Any] = {}
    if "name" in body and not variation:
        changes["name"] = params.string("name", body["name"])
    if "status" in body:
        changes["status"] = params.enum("status", body["status"], VARIATION_STATUSES if variation else PRODUCT_STATUSES)
    for key in ("regular_price", "sale_price", "description", "short_description"):
        if key in body and not (variation and key == "short_description"):
            changes[key] = params.string(key, body[key])
    if "manage_stock" in body:
        changes["manage_stock"] = params.boolean("manage_stock", body["manage_stock"])
    if "stock_quantity" in body and body["stock_quantity"] is not None:
        changes["stock_quantity"] = params.integer("stock_quantity", body["stock_quantity"])
    if "meta_data" in body:
        changes["meta_data"] = [
            {"id": store.next_id("meta"), "key": str(m.get("key", "")), "value": m.get("value")}
            for m in params.json_list("meta_data", body["meta_data"])
            if isinstance(m, dict)
        ]
    if "date_created_gmt" in body or "date_created" in body:
        key = "date_created_gmt" if "date_created_gmt" in body else "date_created"
        changes["created"] = params.date(key, body[key])
    sku = None
    if "sku" in body:
        sku = params.string("sku", body["sku"]).strip()
        _check_sku(store, sku, row.id)
    for key, value in changes.items():
        setattr(row, key, value)
    if sku is not None:
        _set_sku(store, row, sku)


def create_product(store: Store, body: Json) -> ProductRow:
    kind = params.enum("type", body.get("type", "simple"), PRODUCT_TYPES)
    now = store.now()
    row = ProductRow(id=0, type=kind, name="", sku="", status="publish", created=now, modified=now)
    attributes = [
        {
            "name": str(a.get("name", "")),
            "position": int(a.get("position", i)),
            "visible": bool(a.get("visible", True)),
            "variation": bool(a.get("variation", kind == "variable")),
            "options": [str(o) for o in a.get("options", [])],
        }
        for i, a in enumerate(params.json_list("attributes", body.get("attributes", [])))
        if isinstance(a, dict)
    ]
    _apply_common(store, row, body, variation=False)
    row.id = store.next_id("post")
    if row.sku:
        store.sku_index[row.sku] = row.id
    row.attributes = attributes
    row.slug = slugify(row.name or "product")
    if kind == "variable":
        row.regular_price = row.sale_price = ""
        row.manage_stock = bool(body.get("manage_stock", False))
    store.products[row.id] = row
    store.index_add("products", row.id, row.modified, False)
    store.emit("product", "created", row.id)
    return row


def update_product(store: Store, row: ProductRow, body: Json) -> ProductRow:
    if row.type == "variation":
        raise WcError(
            404,
            "woocommerce_rest_invalid_product_id",
            "To manipulate product variations you should use the /products/&lt;product_id&gt;/variations/"
            "&lt;id&gt; endpoint.",
        )
    if "type" in body:
        row.type = params.enum("type", body["type"], PRODUCT_TYPES)
    was_trashed = row.status == "trash"
    _apply_common(store, row, body, variation=False)
    if "attributes" in body:
        row.attributes = [
            {
                "name": str(a.get("name", "")),
                "position": i,
                "visible": True,
                "variation": True,
                "options": [str(o) for o in a.get("options", [])],
            }
            for i, a in enumerate(params.json_list("attributes", body["attributes"]))
            if isinstance(a, dict)
        ]
    store.touch_product(row)
    store.emit("product", "restored" if was_trashed and row.status != "trash" else "updated", row.id)
    return row


def delete_product(store: Store, row: ProductRow, *, force: bool) -> None:
    if row.type == "variation":
        raise WcError(
            404,
            "woocommerce_rest_invalid_product_id",
            "To manipulate product variations you should use the /products/&lt;product_id&gt;/variations/"
            "&lt;id&gt; endpoint.",
        )
    if not force:
        if row.status == "trash":
            raise WcError(410, "woocommerce_rest_already_trashed", "The product has already been deleted.")
        row.trashed_from = row.status
        row.status = "trash"
        store.touch_product(row)
        store.emit("product", "deleted", row.id)
        return
    for child_id in list(row.variation_ids):
        child = store.products.pop(child_id, None)
        if child is not None:
            _set_sku(store, child, "")
    _set_sku(store, row, "")
    store.index_remove("products", row.id, row.modified)
    del store.products[row.id]
    store.emit("product", "deleted", row.id)


def create_variation(store: Store, parent: ProductRow, body: Json) -> ProductRow:
    now = store.now()
    row = ProductRow(
        id=0,
        type="variation",
        name="",
        sku="",
        status="publish",
        created=now,
        modified=now,
        parent_id=parent.id,
        manage_stock=False,
    )
    _apply_common(store, row, body, variation=True)
    row.attributes = [
        {"name": str(a.get("name", "")), "option": str(a.get("option", ""))}
        for a in params.json_list("attributes", body.get("attributes", []))
        if isinstance(a, dict)
    ]
    row.id = store.next_id("post")
    if row.sku:
        store.sku_index[row.sku] = row.id
    store.products[row.id] = row
    parent.variation_ids.append(row.id)
    store.touch_product(parent)
    store.emit("product", "updated", parent.id)
    return row


def variation_or_404(store: Store, parent: ProductRow, variation_id: int) -> ProductRow:
    row = store.products.get(variation_id)
    if row is None or row.type != "variation" or row.parent_id != parent.id:
        raise params.not_found("woocommerce_rest_product_variation_invalid_id")
    return row


def update_variation(store: Store, parent: ProductRow, row: ProductRow, body: Json) -> ProductRow:
    _apply_common(store, row, body, variation=True)
    if "attributes" in body:
        row.attributes = [
            {"name": str(a.get("name", "")), "option": str(a.get("option", ""))}
            for a in params.json_list("attributes", body["attributes"])
            if isinstance(a, dict)
        ]
    store.touch_product(row)
    store.emit("product", "updated", parent.id)
    return row


def delete_variation(store: Store, parent: ProductRow, row: ProductRow, *, force: bool) -> None:
    if not force:
        raise WcError(501, "woocommerce_rest_trash_not_supported", "Variations do not support trashing.")
    _set_sku(store, row, "")
    del store.products[row.id]
    if row.id in parent.variation_ids:
        parent.variation_ids.remove(row.id)
    store.touch_product(parent)
    store.emit("product", "updated", parent.id)
