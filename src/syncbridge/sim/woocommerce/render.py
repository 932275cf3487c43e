"""Rows to REST bodies with the keys, key order and JSON types of a real WooCommerce 10.0.2 answer."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from syncbridge.sim.woocommerce.rows import (
    CustomerRow,
    Json,
    NoteRow,
    OrderRow,
    ProductRow,
    RefundRow,
    WebhookRow,
)

ALLOW_ITEM = ["GET", "POST", "PUT", "PATCH", "DELETE"]
WC_VERSION = "10.0.2"


def wp_date(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def money(value: str | Decimal | float | int) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except InvalidOperation:
        return "0.00"


def _number(value: Decimal) -> int | float:
    """Like PHP's JSON encoding of a float total / quantity: ``15`` for a whole number, else ``10.5``."""
    return int(value) if value == value.to_integral_value() else float(value)


def _self_links(base: str, path: str, collection: str, allow: list[str], up: str | None = None) -> Json:
    links: Json = {
        "self": [{"href": f"{base}{path}", "targetHints": {"allow": allow}}],
        "collection": [{"href": f"{base}{collection}"}],
    }
    if up is not None:
        links["up"] = [{"href": f"{base}{up}"}]
    return links


def _stock_status(row: ProductRow, children: list[ProductRow] | None = None) -> str:
    if row.type == "variable":
        kids = children or []
        return "instock" if any(_stock_status(k) == "instock" for k in kids) else "outofstock"
    if row.manage_stock and (row.stock_quantity or 0) <= 0:
        return "outofstock"
    return "instock"


def _price(row: ProductRow) -> str:
    return row.sale_price or row.regular_price


def _price_html(price: str) -> str:
    if not price:
        return ""
    return (
        '<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">'
        f"&#36;</span>{price}</bdi></span>"
    )


def product(
    row: ProductRow, base: str, site: str, children: list[ProductRow] | None = None, parent: ProductRow | None = None
) -> Json:
    """A product; a variation seen through ``/products`` (``parent`` given) keeps that endpoint's quirks."""
    body = _product(row, base, site, children)
    if parent is not None:
        options = ", ".join(a["option"] for a in row.attributes)
        body["name"] = f"{parent.name} - {options}"
        body["total_sales"] = str(row.total_sales)
        body["categories"] = []
        body["reviews_allowed"] = False
        body["attributes"] = [
            {"id": 0, "name": a["name"], "slug": a["name"].lower(), "option": a["option"]} for a in row.attributes
        ]
    return body


def _product(row: ProductRow, base: str, site: str, children: list[ProductRow] | None = None) -> Json:
    d = wp_date(row.created)
    m = wp_date(row.modified)
    variable = row.type == "variable"
    return {
        "id": row.id,
        "name": row.name,
        "slug": row.slug,
        "permalink": f"{site}/product/{row.slug}/",
        "date_created": d,
        "date_created_gmt": d,
        "date_modified": m,
        "date_modified_gmt": m,
        "type": row.type,
        "status": row.status,
        "featured": False,
        "catalog_visibility": "visible",
        "description": row.description,
        "short_description": row.short_description,
        "sku": row.sku,
        "price": _price(row),
        "regular_price": row.regular_price,
        "sale_price": row.sale_price,
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": bool(row.sale_price),
        "purchasable": bool(_price(row)) and not variable,
        "total_sales": row.total_sales,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "external_url": "",
        "button_text": "",
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": row.manage_stock,
        "stock_quantity": row.stock_quantity if row.manage_stock else None,
        "backorders": "no",
        "backorders_allowed": False,
        "backordered": False,
        "low_stock_amount": None,
        "sold_individually": False,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": True,
        "shipping_taxable": True,
        "shipping_class": "",
        "shipping_class_id": 0,
        "reviews_allowed": True,
        "average_rating": "0.00",
        "rating_count": 0,
        "upsell_ids": [],
        "cross_sell_ids": [],
        "parent_id": row.parent_id,
        "purchase_note": "",
        "categories": [{"id": 15, "name": "Uncategorized", "slug": "uncategorized"}],
        "brands": [],
        "tags": [],
        "images": [],
        "attributes": [
            {
                "id": 0,
                "name": a["name"],
                "slug": a["name"],
                "position": a.get("position", i),
                "visible": a.get("visible", True),
                "variation": a.get("variation", True),
                "options": list(a.get("options", [])),
            }
            for i, a in enumerate(row.attributes)
        ],
        "default_attributes": [],
        "variations": list(row.variation_ids),
        "grouped_products": [],
        "menu_order": 0,
        "price_html": _price_html(_price(row)),
        "related_ids": [],
        "meta_data": list(row.meta_data),
        "stock_status": _stock_status(row, children),
        "has_options": variable,
        "post_password": "",
        "global_unique_id": "",
        "_links": _self_links(base, f"/products/{row.id}", "/products", ALLOW_ITEM),
    }


def variation(row: ProductRow, parent: ProductRow, base: str, site: str) -> Json:
    d = wp_date(row.created)
    m = wp_date(row.modified)
    query = "&".join(f"attribute_{a['name'].lower()}={a['option']}" for a in row.attributes)
    return {
        "id": row.id,
        "type": "variation",
        "date_created": d,
        "date_created_gmt": d,
        "date_modified": m,
        "date_modified_gmt": m,
        "description": row.description,
        "permalink": f"{site}/product/{parent.slug}/" + (f"?{query}" if query else ""),
        "sku": row.sku,
        "global_unique_id": "",
        "price": _price(row),
        "regular_price": row.regular_price,
        "sale_price": row.sale_price,
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": bool(row.sale_price),
        "status": row.status,
        "purchasable": bool(_price(row)),
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": "taxable",
        "tax_class": "parent",
        "manage_stock": row.manage_stock,
        "stock_quantity": row.stock_quantity if row.manage_stock else None,
        "stock_status": _stock_status(row),
        "backorders": "no",
        "backorders_allowed": False,
        "backordered": False,
        "low_stock_amount": None,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "image": None,
        "attributes": [
            {"id": 0, "name": a["name"], "slug": a["name"].lower(), "option": a["option"]} for a in row.attributes
        ],
        "menu_order": 0,
        "meta_data": list(row.meta_data),
        "name": ", ".join(a["option"] for a in row.attributes),
        "parent_id": parent.id,
        "_links": _self_links(
            base,
            f"/products/{parent.id}/variations/{row.id}",
            f"/products/{parent.id}/variations",
            ALLOW_ITEM,
            up=f"/products/{parent.id}",
        ),
    }


def customer(row: CustomerRow, base: str) -> Json:
    d = wp_date(row.created)
    m = wp_date(row.modified)
    return {
        "id": row.id,
        "date_created": d,
        "date_created_gmt": d,
        "date_modified": m,
        "date_modified_gmt": m,
        "email": row.email,
        "first_name": row.first_name,
        "last_name": row.last_name,
        "role": "customer",
        "username": row.username,
        "billing": dict(row.billing),
        "shipping": dict(row.shipping),
        "is_paying_customer": row.is_paying_customer,
        "avatar_url": "https://secure.gravatar.com/avatar/?s=96&d=mm&r=g",
        "meta_data": [m for m in row.meta_data if not str(m["key"]).startswith("_")],
        "_links": _self_links(base, f"/customers/{row.id}", "/customers", ALLOW_ITEM),
    }


def order_number(row: OrderRow) -> str:
    """The id, unless a sequential-order-numbers plugin stored another number in ``_order_number``."""
    for m in row.meta_data:
        if m["key"] == "_order_number" and m.get("value"):
            return str(m["value"])
    return str(row.id)


def _order_total(row: OrderRow, refunds: list[RefundRow]) -> Decimal:
    del refunds  # a refund does not change the order total, it is shown in ``refunds``
    lines = sum((Decimal(li.total) for li in row.line_items), Decimal(0))
    fees = sum((Decimal(f.total) for f in row.fee_lines), Decimal(0))
    return lines + fees


def order(row: OrderRow, refunds: list[RefundRow], base: str, site: str) -> Json:
    d = wp_date(row.created)
    m = wp_date(row.modified)
    paid = wp_date(row.date_paid)
    done = wp_date(row.date_completed)
    total = _order_total(row, refunds)
    needs_payment = row.status in {"pending", "failed"} and total > 0
    links = _self_links(base, f"/orders/{row.id}", "/orders", ALLOW_ITEM)
    links["email_templates"] = [{"embeddable": True, "href": f"{base}/orders/{row.id}/actions/email_templates"}]
    if row.customer_id:
        links["customer"] = [{"href": f"{base}/customers/{row.customer_id}"}]
    return {
        "id": row.id,
        "parent_id": 0,
        "status": row.status,
        "currency": row.currency,
        "version": WC_VERSION,
        "prices_include_tax": False,
        "date_created": d,
        "date_modified": m,
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "0.00",
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": money(total),
        "total_tax": "0.00",
        "customer_id": row.customer_id,
        "order_key": row.order_key,
        "billing": dict(row.billing),
        "shipping": dict(row.shipping),
        "payment_method": row.payment_method,
        "payment_method_title": row.payment_method_title,
        "transaction_id": row.transaction_id,
        "customer_ip_address": "",
        "customer_user_agent": "",
        "created_via": "rest-api",
        "customer_note": row.customer_note,
        "date_completed": done,
        "date_paid": paid,
        "cart_hash": "",
        "number": order_number(row),
        "meta_data": [m for m in row.meta_data if not str(m["key"]).startswith("_")],
        "line_items": [
            {
                "id": li.id,
                "name": li.name,
                "product_id": li.product_id,
                "variation_id": li.variation_id,
                "quantity": li.quantity,
                "tax_class": "",
                "subtotal": money(li.subtotal),
                "subtotal_tax": "0.00",
                "total": money(li.total),
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": list(li.meta_data),
                "sku": li.sku,
                "price": _number(Decimal(li.total) / max(li.quantity, 1)),
                "image": {"id": 0, "src": ""},
                "parent_name": li.parent_name,
            }
            for li in row.line_items
        ],
        "tax_lines": [],
        "shipping_lines": [],
        "fee_lines": [
            {
                "id": f.id,
                "name": f.name,
                "tax_class": "",
                "tax_status": "taxable",
                "amount": money(f.total),
                "total": money(f.total),
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
            }
            for f in row.fee_lines
        ],
        "coupon_lines": [],
        "refunds": [{"id": r.id, "reason": r.reason, "total": money(-Decimal(r.amount))} for r in refunds],
        "payment_url": f"{site}/checkout/order-pay/{row.id}/?pay_for_order=true&key={row.order_key}",
        "is_editable": row.status in {"pending", "on-hold", "auto-draft"},
        "needs_payment": needs_payment,
        "needs_processing": True,
        "date_created_gmt": d,
        "date_modified_gmt": m,
        "date_completed_gmt": done,
        "date_paid_gmt": paid,
        "currency_symbol": "$" if row.currency == "USD" else row.currency,
        "_links": links,
    }


def refund(row: RefundRow, base: str) -> Json:
    d = wp_date(row.created)
    return {
        "id": row.id,
        "date_created": d,
        "date_created_gmt": d,
        "amount": money(row.amount),
        "reason": row.reason,
        "refunded_by": 1,
        "refunded_payment": row.refunded_payment,
        "meta_data": [],
        "line_items": [],
        "shipping_lines": [],
        "tax_lines": [],
        "fee_lines": [],
        "_links": _self_links(
            base,
            f"/orders/{row.order_id}/refunds/{row.id}",
            f"/orders/{row.order_id}/refunds",
            ["GET", "DELETE"],
            up=f"/orders/{row.order_id}",
        ),
    }


def note(row: NoteRow, base: str) -> Json:
    d = wp_date(row.created)
    return {
        "id": row.id,
        "author": row.author,
        "date_created": d,
        "date_created_gmt": d,
        "note": row.note,
        "customer_note": row.customer_note,
        "_links": _self_links(
            base,
            f"/orders/{row.order_id}/notes/{row.id}",
            f"/orders/{row.order_id}/notes",
            ["GET", "DELETE"],
            up=f"/orders/{row.order_id}",
        ),
    }


HOOKS: dict[str, list[str]] = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post"],
    "order.restored": ["untrashed_post"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product"],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
}


def webhook(row: WebhookRow, base: str) -> Json:
    d = wp_date(row.created)
    m = wp_date(row.modified)
    resource, _, event = row.topic.partition(".")
    return {
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "topic": row.topic,
        "resource": resource,
        "event": event,
        "hooks": list(HOOKS.get(row.topic, [])),
        "delivery_url": row.delivery_url,
        "date_created": d,
        "date_created_gmt": d,
        "date_modified": m,
        "date_modified_gmt": m,
        "_links": {
            "self": [{"href": f"{base}/webhooks/{row.id}", "targetHints": {"allow": ALLOW_ITEM}}],
            "collection": [{"href": f"{base}/webhooks"}],
        },
    }


GATEWAYS: list[dict[str, Any]] = [
    {"id": "bacs", "title": "Direct bank transfer", "method_title": "Direct bank transfer"},
    {"id": "cheque", "title": "Check payments", "method_title": "Check payments"},
    {"id": "cod", "title": "Cash on delivery", "method_title": "Cash on delivery"},
]


def gateway(g: dict[str, Any], order_index: int, base: str) -> Json:
    return {
        "id": g["id"],
        "title": g["title"],
        "description": "",
        "order": order_index,
        "enabled": bool(g.get("enabled", True)),
        "method_title": g["method_title"],
        "method_description": "",
        "method_supports": ["products"],
        "settings": {
            "title": {
                "id": "title",
                "label": "Title",
                "description": "",
                "type": "text",
                "value": g["title"],
                "default": g["title"],
                "tip": "",
                "placeholder": "",
            },
            "instructions": {  # bacs, cheque and cod all have one (the thank-you page and e-mail text)
                "id": "instructions",
                "label": "Instructions",
                "description": "Instructions that will be added to the thank you page and emails.",
                "type": "textarea",
                "value": "",
                "default": "",
                "tip": "Instructions that will be added to the thank you page and emails.",
                "placeholder": "",
            },
        },
        "_links": {
            "self": [{"href": f"{base}/payment_gateways/{g['id']}"}],
            "collection": [{"href": f"{base}/payment_gateways"}],
        },
    }
