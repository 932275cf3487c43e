"""Reading one entity type from Odoo: its model, base domain and fields, and rows -> canonical records
(with the related rows each page needs read in one batch per model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from syncbridge.connectors.base import Rejected
from syncbridge.connectors.odoo import mapping
from syncbridge.connectors.odoo.backend import NO_ACTIVE_TEST, OdooBackend
from syncbridge.domain.records import EntityType, Record
from syncbridge.errors import ValidationError

Row = dict[str, Any]

PARTNER_FIELDS = [
    "name",
    "email",
    "phone",
    "street",
    "street2",
    "city",
    "zip",
    "state_id",
    "country_id",
    "parent_id",
    "company_name",
    "active",
    "customer_rank",
    "write_date",
]
QUANT_FIELDS = ["product_id", "location_id", "quantity", "write_date"]
LINE_FIELDS = ["order_id", "product_id", "name", "product_uom_qty", "price_unit"]


# Rows whose changes belong to a record of another model, by the many2one that points at it.
DEPENDENTS: dict[EntityType, tuple[tuple[str, str], ...]] = {
    EntityType.CUSTOMERS: (("res.partner", "parent_id"),),
    EntityType.PRODUCTS: (
        ("product.product", "product_tmpl_id"),
        ("product.template.attribute.value", "product_tmpl_id"),
    ),
    EntityType.ORDERS: (("sale.order.line", "order_id"),),
}


@dataclass(frozen=True, slots=True)
class Source:
    model: str
    fields: list[str]
    domain: list[Any]


def source(backend: OdooBackend, entity: EntityType) -> Source:
    version = backend.version
    if entity is EntityType.CUSTOMERS:
        return Source(
            "res.partner",
            PARTNER_FIELDS,
            [("parent_id", "=", False), ("customer_rank", ">", 0), ("email", "!=", False)],
        )
    if entity is EntityType.PRODUCTS:
        return Source("product.template", mapping.template_fields(version), [])
    if entity is EntityType.INVENTORY:
        return Source("stock.quant", QUANT_FIELDS, [("location_id", "=", backend.stock_location_id())])
    if entity is EntityType.ORDERS:
        fields = [
            "name",
            "client_order_ref",
            "state",
            "partner_id",
            "currency_id",
            "amount_total",
            "date_order",
            "write_date",
        ]
        return Source("sale.order", [*fields, "locked"] if version >= 17 else fields, [])
    return Source("account.payment", mapping.payment_fields(version), [("partner_type", "=", "customer")])


def to_records(backend: OdooBackend, entity: EntityType, rows: Sequence[Row]) -> list[Record]:
    if not rows:
        return []
    if entity is EntityType.CUSTOMERS:
        return list(_customers(backend, rows))
    if entity is EntityType.PRODUCTS:
        return list(_products(backend, rows))
    if entity is EntityType.INVENTORY:
        return list(_stock(backend, rows))
    if entity is EntityType.ORDERS:
        return list(_orders(backend, rows))
    return [mapping.payment_from_odoo(row, version=backend.version) for row in rows]


def _customers(backend: OdooBackend, rows: Sequence[Row]) -> list[Record]:
    ids = [r["id"] for r in rows]
    children = backend.search_read(
        "res.partner", [("parent_id", "in", ids), ("type", "=", "delivery")], [*PARTNER_FIELDS, "type"], order="id asc"
    )
    delivery: dict[int, Row] = {}
    for child in children:
        delivery.setdefault(child["parent_id"][0], child)
    return [
        mapping.customer_from_partner(
            r, delivery.get(r["id"]), states=backend.state_codes, countries=backend.country_codes
        )
        for r in rows
    ]


def variant_rows(backend: OdooBackend, template_ids: list[int]) -> tuple[list[Row], dict[int, tuple[str, str]]]:
    variants = backend.search_read(
        "product.product",
        [("product_tmpl_id", "in", template_ids)],
        ["product_tmpl_id", "default_code", "lst_price", "active", "product_template_attribute_value_ids"],
        context=NO_ACTIVE_TEST,
        order="id asc",
    )
    ptav_ids = sorted({i for v in variants for i in v["product_template_attribute_value_ids"]})
    values: dict[int, tuple[str, str]] = {}
    if ptav_ids:
        for row in backend.read("product.template.attribute.value", "read", ptav_ids, fields=["attribute_id", "name"]):
            values[row["id"]] = (mapping.m2o_name(row["attribute_id"]), mapping.text(row["name"]))
    return variants, values


def _products(backend: OdooBackend, rows: Sequence[Row]) -> list[Record]:
    variants, values = variant_rows(backend, [r["id"] for r in rows])
    by_template: dict[int, list[Row]] = {}
    for v in variants:
        by_template.setdefault(v["product_tmpl_id"][0], []).append(v)
    return [
        mapping.product_from_template(r, by_template.get(r["id"], []), values, version=backend.version) for r in rows
    ]


def product_skus(backend: OdooBackend, product_ids: list[int]) -> dict[int, str]:
    if not product_ids:
        return {}
    rows = backend.read("product.product", "read", sorted(set(product_ids)), fields=["default_code"])
    return {r["id"]: mapping.text(r["default_code"]) for r in rows}


def _stock(backend: OdooBackend, rows: Sequence[Row]) -> list[Record]:
    skus = product_skus(backend, [r["product_id"][0] for r in rows])
    return [mapping.stock_from_quant(r, skus.get(r["product_id"][0], "")) for r in rows]


def order_lines(backend: OdooBackend, order_ids: list[int]) -> dict[int, list[Row]]:
    lines = backend.search_read("sale.order.line", [("order_id", "in", order_ids)], LINE_FIELDS, order="id asc")
    out: dict[int, list[Row]] = {}
    for line in lines:
        out.setdefault(line["order_id"][0], []).append(line)
    return out


def _orders(backend: OdooBackend, rows: Sequence[Row]) -> list[Record]:
    lines = order_lines(backend, [r["id"] for r in rows])
    partner_ids = sorted({r["partner_id"][0] for r in rows if r["partner_id"]})
    emails = (
        {p["id"]: mapping.text(p["email"]) for p in backend.read("res.partner", "read", partner_ids, fields=["email"])}
        if partner_ids
        else {}
    )
    skus = product_skus(backend, [ln["product_id"][0] for ls in lines.values() for ln in ls if ln["product_id"]])
    return [
        mapping.order_from_sale(
            r, lines.get(r["id"], []), skus=skus, email=emails.get(r["partner_id"][0], "") if r["partner_id"] else ""
        )
        for r in rows
    ]


def to_records_or_rejects(
    backend: OdooBackend, entity: EntityType, rows: Sequence[Row]
) -> tuple[list[Record], list[Rejected]]:
    """``to_records``; when a page cannot be read whole, row by row, so only the malformed rows are rejected."""
    try:
        return to_records(backend, entity, rows), []
    except ValidationError:
        good: list[Record] = []
        bad: list[Rejected] = []
        for row in rows:
            try:
                good.extend(to_records(backend, entity, [row]))
            except ValidationError as exc:
                bad.append(Rejected(str(row.get("id")), exc))
        return good, bad
